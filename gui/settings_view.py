"""设置: the school's details and the editable policy parameters."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.domain import Stage
from core.money import format_fen
from core.policy import Policy
from db.session import Database
from db.store import find_school, get_policy, init_school, set_policy_value
from gui import worker
from gui.backup_box import BackupBox

SCHOOL_FIELDS = (("name", "学校名称"), ("code", "学校代码"), ("township", "所属乡镇"),
                 ("contact_phone", "学校联系电话"), ("supervision_phone", "县级监督电话"))
CAP_LABELS = {"tuition_standard": "公办学费标准"}
KEY_HELP = ("签名密钥的备份：密钥（已用口令加密）保存在数据库文件里，用“备份”或把数据库文件复制到 U 盘，"
            "就同时备份了密钥。口令不在任何文件里，请另外记在安全的地方，不要和 U 盘放在一起。\n"
            "忘记口令：这把密钥就再也不能签名，任何人都无法找回口令。只能生成一把新密钥（指纹会变），"
            "并把新的指纹和公钥交给接收单位重新登记；已经报送的上报包不受影响。")


def school_year_text(year: int | None) -> str:
    return f"{year}–{year + 1}学年" if year else ""


@dataclass
class SettingsData:
    school: dict[str, Any] | None
    policy: Policy
    fingerprint: str = ""     # the signer's public key fingerprint ("" before the first export)


def load_settings(db: Database) -> SettingsData:
    with db.session() as s:
        sch = find_school(s)
        school = None if sch is None else {
            "name": sch.name, "code": sch.code, "school_year": sch.school_year, "township": sch.township,
            "contact_phone": sch.contact_phone, "supervision_phone": sch.supervision_phone}
        from db.exports import public_key
        raw = public_key(s)
        from core.signing import fingerprint
        return SettingsData(school, get_policy(s), fingerprint(raw) if raw else "")


def save_school(db: Database, values: dict[str, Any]) -> dict[str, Any]:
    with db.session() as s:
        details = {k: values[k] for k in ("township", "contact_phone", "supervision_phone")}
        init_school(s, values["name"], values["code"], values["school_year"], **details)
    return values


def save_policy(db: Database, changes: dict[str, str]) -> Policy:
    """All changed parameters in one transaction (all or nothing), after a backup."""
    from db.backup import backup_before_change
    backup_before_change(db, "before-policy")
    with db.session() as s:
        policy = get_policy(s)
        for key, value in changes.items():
            policy = set_policy_value(s, key, value)
        return policy


def policy_fields(policy: Policy) -> list[tuple[str, str, str]]:
    """(key for set_policy_value, label, current value in yuan or "") of every editable value."""
    out: list[tuple[str, str, str]] = []
    caps: dict[str, set[Stage]] = {}
    for item in policy.items:
        if item.cap:
            caps.setdefault(item.cap, set()).update(item.stages)
    for cap, stages in caps.items():
        table = policy.parameters.get(cap, {})
        for st in (s for s in Stage if s in stages):
            fen = table.get(st)
            out.append((f"{cap}.{st.value}", f"{CAP_LABELS.get(cap, cap)}（{st.value}）",
                        "" if fen is None else format_fen(fen)))
    for item in policy.items:
        if item.kind == "fixed":
            out.append((f"items.{item.code}.amount", item.name, format_fen(item.amount_fen or 0)))
    return out


class SettingsPage(QWidget):
    school_changed = Signal(dict)
    policy_changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("settingsPage")
        self.school_edits: dict[str, QLineEdit] = {}
        self.policy_edits: dict[str, QLineEdit] = {}
        self._policy_values: dict[str, str] = {}

        school_box = QGroupBox("学校信息", self)
        form = QFormLayout(school_box)
        for key, label in SCHOOL_FIELDS:
            edit = QLineEdit(school_box)
            edit.setObjectName("school_" + key)
            self.school_edits[key] = edit
            form.addRow(label, edit)
            if key == "code":
                self.year = QSpinBox(school_box)
                self.year.setObjectName("school_year")
                self.year.setRange(2000, 2100)
                self.year.setValue(2023)
                self.year_label = QLabel(school_year_text(2023), school_box)
                self.year.valueChanged.connect(lambda y: self.year_label.setText(school_year_text(y)))
                row = QHBoxLayout()
                row.addWidget(self.year)
                row.addWidget(self.year_label, 1)
                form.addRow("学年（开始年份）", row)
        self.save_school_button = QPushButton("保存学校信息", school_box)
        self.save_school_button.clicked.connect(self.save_school)
        form.addRow("", self.save_school_button)
        self.fingerprint = QLabel("尚未生成（第一次导出上报包时生成）", school_box)
        self.fingerprint.setObjectName("fingerprint")
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setToolTip("接收单位用它核对上报包的签名人；请抄在纸质报告上")
        form.addRow("签名公钥指纹", self.fingerprint)
        self.key_help = QLabel(KEY_HELP, school_box)
        self.key_help.setObjectName("keyHelp")
        self.key_help.setWordWrap(True)
        self.key_help.setStyleSheet("color: #555;")
        form.addRow(self.key_help)

        self.policy_box = QGroupBox("资助政策参数（单位：元）", self)
        self.policy_form = QFormLayout(self.policy_box)
        self.policy_name = QLabel(self.policy_box)
        self.policy_name.setWordWrap(True)
        self.policy_form.addRow(self.policy_name)
        self.save_policy_button = QPushButton("保存资助政策", self)
        self.save_policy_button.clicked.connect(self.save_policy)
        self.message = QLabel(self)
        self.message.setObjectName("settingsMessage")

        content = QWidget(self)
        columns = QHBoxLayout(content)
        columns.addWidget(school_box, 1, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.addWidget(self.policy_box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.save_policy_button)
        right.addLayout(buttons)
        self.backup_box = BackupBox(db, self)
        right.addWidget(self.backup_box)
        right.addStretch(1)
        columns.addLayout(right, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.addWidget(scroll)

    # -- loading ----------------------------------------------------------
    def reload(self) -> None:
        worker.run_task(load_settings, self.db, on_success=self.show_settings, parent=self)
        self.backup_box.reload()

    def show_settings(self, data: SettingsData) -> None:
        if data.fingerprint:
            self.fingerprint.setText(data.fingerprint)
        if data.school:
            for key, edit in self.school_edits.items():
                edit.setText(str(data.school.get(key) or ""))
            self.year.setValue(int(data.school["school_year"]))
        self.policy_name.setText(f"当前政策：{data.policy.name}\n空白表示“未设置”：需要该参数的项目会列为待补充。")
        while self.policy_form.rowCount() > 1:
            self.policy_form.removeRow(1)
        self.policy_edits.clear()
        self._policy_values = {}
        for key, label, value in policy_fields(data.policy):
            edit = QLineEdit(value, self.policy_box)
            edit.setObjectName("policy_" + key)
            edit.setPlaceholderText("未设置")
            edit.setClearButtonEnabled(True)
            edit.setToolTip(f"参数名：{key}")
            self.policy_edits[key] = edit
            self._policy_values[key] = value
            self.policy_form.addRow(label, edit)

    # -- saving -----------------------------------------------------------
    def school_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {k: e.text().strip() for k, e in self.school_edits.items()}
        values["school_year"] = self.year.value()
        return values

    def save_school(self) -> None:
        self.save_school_button.setEnabled(False)
        worker.run_task(save_school, self.db, self.school_values(), on_success=self._school_saved,
                        on_failure=self._failed, parent=self)

    def _school_saved(self, values: dict[str, Any]) -> None:
        self.save_school_button.setEnabled(True)
        self.message.setText("学校信息已保存")
        self.school_changed.emit(values)

    def policy_changes(self) -> dict[str, str]:
        return {k: e.text().strip() for k, e in self.policy_edits.items()
                if e.text().strip() != self._policy_values.get(k, "")}

    def save_policy(self) -> None:
        changes = self.policy_changes()
        if not changes:
            self.message.setText("资助政策没有改动")
            return
        self.save_policy_button.setEnabled(False)
        worker.run_task(save_policy, self.db, changes, on_success=self._policy_saved,
                        on_failure=self._failed, parent=self)

    def _policy_saved(self, policy: Policy) -> None:
        self.save_policy_button.setEnabled(True)
        self.show_settings_policy(policy)
        self.message.setText("资助政策已保存，资助金额已重新计算")
        self.policy_changed.emit()

    def show_settings_policy(self, policy: Policy) -> None:
        for key, _label, value in policy_fields(policy):
            if key in self.policy_edits:
                self.policy_edits[key].setText(value)
                self._policy_values[key] = value

    def _failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self.save_school_button.setEnabled(True)
        self.save_policy_button.setEnabled(True)
        self.message.setText("")
        show_exception(self, exc)
