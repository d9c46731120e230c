"""设置: the school's details, the words on official documents, the signing key and the backups.

The policy (its items and parameters) is edited on the 政策 page, always through the
变更预览; 设置 says so and links there (``open_policy``)."""
from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.domain import school_year_label
from core.exports.data import policy_title
from db.session import Database
from db.settings import (
    SchoolSaved,
    SchoolValues,
    SettingsData,
    load_settings,
    save_official,
    save_school,
)
from gui import worker
from gui.backup_box import BackupBox
from gui.dialogs import ok_cancel
from gui.official_form import OfficialForm
from gui.screen import fit_to_screen
from gui.trust_box import TrustBox

SCHOOL_FIELDS = (("name", "学校名称"), ("code", "学校代码"), ("township", "所属乡镇"))
KEY_HELP = ("签名密钥的备份：密钥（已用口令加密）保存在数据库文件里，用“备份”或把数据库文件复制到 U 盘，"
            "就同时备份了密钥。口令不在任何文件里，请另外记在安全的地方，不要和 U 盘放在一起。\n"
            "忘记口令：这把密钥就再也不能签名，任何人都无法找回口令。只能用下面的“更换签名密钥…”生成一把新密钥（指纹会变），"
            "并把新的指纹和公钥交给接收单位重新登记；已经报送的上报包不受影响。")


class SettingsPage(QWidget):
    changed = Signal(object)     # Changes of this page's saves (the main window routes them)
    open_policy = Signal()       # 打开“政策”页 (the policy is edited there)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("settingsPage")
        self.school_edits: dict[str, QLineEdit] = {}
        # what each box showed as stored (None: not loaded yet); a box whose fields differ is unsaved
        self._shown_school: dict[str, Any] | None = None
        self._shown_official: dict[str, str] | None = None

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
                self.year_label = QLabel(school_year_label(2023), school_box)
                self.year.valueChanged.connect(lambda y: self.year_label.setText(school_year_label(y)))
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
        self.export_key_button = QPushButton("导出公钥…", school_box)
        self.export_key_button.setObjectName("exportPublicKey")
        self.export_key_button.clicked.connect(self.export_public_key)
        self.new_key_button = QPushButton("更换签名密钥…", school_box)
        self.new_key_button.setObjectName("replaceKey")
        self.new_key_button.clicked.connect(self.replace_key)
        key_buttons = QHBoxLayout()
        key_buttons.addWidget(self.export_key_button)
        key_buttons.addWidget(self.new_key_button)
        key_buttons.addStretch(1)
        form.addRow(key_buttons)
        self.key_message = QLabel(school_box)
        self.key_message.setObjectName("keyMessage")
        self.key_message.setWordWrap(True)
        self.key_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.key_message)
        self._school: SchoolValues | None = None
        self._key_buttons(has_key=False)

        self.official_box = QGroupBox("公文信息（印在告知书、公示名单和上报材料上）", self)
        self.official_box.setObjectName("officialBox")
        official_form = QFormLayout(self.official_box)
        self.official = OfficialForm(official_form, self.official_box)
        self.save_official_button = QPushButton("保存公文信息", self.official_box)
        self.save_official_button.setObjectName("saveOfficial")
        self.save_official_button.clicked.connect(self.save_official)
        official_form.addRow("", self.save_official_button)

        self.policy_box = QGroupBox("资助政策", self)
        policy_layout = QVBoxLayout(self.policy_box)
        self.policy_name = QLabel(self.policy_box)
        self.policy_name.setWordWrap(True)
        policy_layout.addWidget(self.policy_name)
        self.policy_button = QPushButton("打开“政策”页…", self.policy_box)
        self.policy_button.setObjectName("openPolicy")
        self.policy_button.clicked.connect(self.open_policy)
        policy_layout.addWidget(self.policy_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.message = QLabel(self)
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)       # (a school year that changes the policy in force: a long line)

        content = QWidget(self)
        page = QVBoxLayout(content)
        columns = QHBoxLayout()
        page.addLayout(columns)
        left = QVBoxLayout()
        left.addWidget(school_box)
        left.addWidget(self.official_box)
        left.addStretch(1)
        columns.addLayout(left, 1)
        right = QVBoxLayout()
        right.addWidget(self.policy_box)
        right.addWidget(self.message)
        self.backup_box = BackupBox(db, self)
        self.backup_box.restored.connect(self.changed)      # a restore replaced everything
        right.addWidget(self.backup_box)
        right.addStretch(1)
        columns.addLayout(right, 1)
        self.trust_box = TrustBox(db, content)      # full width: the fingerprints are long
        self.trust_box.changed.connect(self.changed)
        page.addWidget(self.trust_box)
        self.scroll_area = scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)     # Tab goes from the last button to the navigation
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.addWidget(scroll)
        self.set_tab_order()

    def reading_order(self) -> list[QWidget]:
        """The fields and buttons as read: the left column top to bottom, then the right one."""
        school = [self.school_edits["name"], self.school_edits["code"], self.year, self.school_edits["township"]]
        return [*school, self.save_school_button, self.export_key_button, self.new_key_button,
                *self.official.edits.values(), self.save_official_button,
                self.policy_button,
                self.backup_box.backup_button, self.backup_box.restore_button,
                self.trust_box.view, self.trust_box.add_button, self.trust_box.remove_button]

    def set_tab_order(self) -> None:
        """Tab follows the reading order."""
        order = self.reading_order()
        for first, second in pairwise(order):
            QWidget.setTabOrder(first, second)

    # -- loading ----------------------------------------------------------
    def reload(self) -> None:
        worker.run_task(load_settings, self.db, on_success=self.show_settings, parent=self)
        self.backup_box.reload()

    def show_settings(self, data: SettingsData) -> None:
        """The stored settings; a box the clerk has edited and not saved keeps the edits (the other box's
        保存, or any change elsewhere, reloads this page)."""
        if data.fingerprint:
            self.fingerprint.setText(data.fingerprint)
        self._school = data.school
        self._key_buttons(has_key=bool(data.fingerprint))
        if data.school:
            stored: dict[str, Any] = {k: str(getattr(data.school, k) or "").strip() for k in self.school_edits}
            stored["school_year"] = data.school.school_year
            if not self.school_unsaved():
                for key, edit in self.school_edits.items():
                    edit.setText(str(getattr(data.school, key) or ""))
                self.year.setValue(data.school.school_year)
            self._shown_school = stored
        official = {k: str(data.official.get(k, "")).strip() for k in self.official.edits}
        if not self.official_unsaved():
            self.official.set_values(data.official)
        self._shown_official = official
        title = policy_title(data.official.get("county", ""), data.official.get("policy_title", ""))  # as printed
        self.policy_name.setText(f"当前政策：{title}\n资助项目和政策参数（如公办学费标准）在“政策”页修改，"
                                 "保存前先看变更预览：哪些学生的资助金额会变。")

    # -- unsaved edits ------------------------------------------------------
    def school_unsaved(self) -> bool:
        return self._shown_school is not None and self.school_values() != self._shown_school

    def official_unsaved(self) -> bool:
        return self._shown_official is not None and self.official.values() != self._shown_official

    def unsaved_boxes(self) -> list[str]:
        """The boxes with edits not saved yet, by their titles."""
        return [title for title, unsaved in (("学校信息", self.school_unsaved()),
                                             ("公文信息", self.official_unsaved())) if unsaved]

    def may_leave(self) -> bool:
        """True when the page may be left: nothing unsaved, or the clerk chose to drop the edits (they are
        put back as stored)."""
        boxes = self.unsaved_boxes()
        if not boxes or not self.ask_discard(boxes):
            return not boxes
        self._shown_school = self._shown_official = None     # nothing kept: the stored values shown again
        self.reload()
        return True

    def ask_discard(self, boxes: list[str]) -> bool:
        """Whether to drop the unsaved edits of ``boxes`` (tests replace this)."""
        from gui.dialogs import ask_drop
        return ask_drop(self, "设置未保存", f"“{'”和“'.join(boxes)}”有修改还没有保存。离开本页将放弃这些修改。",
                        keep="留在本页")

    # -- saving -----------------------------------------------------------
    def school_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {k: e.text().strip() for k, e in self.school_edits.items()}
        values["school_year"] = self.year.value()
        return values

    def save_school(self) -> None:
        values = self.school_values()
        if (self._school is not None and values["school_year"] > self._school.school_year
                and not self.confirm_new_year(self._school.school_year, values["school_year"])):
            return
        self.save_school_button.setEnabled(False)
        worker.run_task(save_school, self.db, values["name"], values["code"], values["school_year"],
                        values["township"], on_success=lambda saved: self._school_saved(saved, values),
                        on_failure=self._failed, parent=self)

    def confirm_new_year(self, old: int, new: int) -> bool:
        """Whether to move on to a later school year, which sets the year that ended aside (db.new_year;
        tests replace this)."""
        from core.domain import school_year_label
        from gui.dialogs import ask_buttons
        text = f"把学年由{school_year_label(old)}改为{school_year_label(new)}，将开始新学年的工作。"
        info = ("全部学生改回待核准；告知书打印和回执记录、发放记录、核查问题清空（新学年重新核查、核准和告知）；"
                "上学年已享受的一次性资助记为往年已享受。\n\n改之前自动备份，上学年的全部数据保存在备份中；"
                "学年改错时请恢复那个备份，把学年改回不会恢复已清空的记录。")
        return ask_buttons(self, "开始新学年", text, info, [("开始新学年", "accept"), ("取消", "reject")], 1, 1) == 0

    def _school_saved(self, saved: SchoolSaved, sent: dict[str, Any]) -> None:
        """What was sent is what is stored (typed while saving: still unsaved, kept by the reload)."""
        self.save_school_button.setEnabled(True)
        self._school = saved.school
        self._shown_school = sent
        said = [x.text() for x in (saved.started, saved.followed) if x is not None]
        self.message.setText("。".join(["学校信息已保存", *said]))
        self.backup_box.reload()        # a year changed (either way) made its backup first: the box names it
        self.changed.emit(saved.changes)

    def save_official(self) -> None:
        self.save_official_button.setEnabled(False)
        sent = self.official.values()
        worker.run_task(save_official, self.db, sent, on_success=lambda saved: self._official_saved(saved, sent),
                        on_failure=self._failed, parent=self)

    def _official_saved(self, saved: Any, sent: dict[str, str]) -> None:
        self.save_official_button.setEnabled(True)
        if self.official.values() == sent:         # (typed while saving: kept, still unsaved)
            self.official.set_values(saved.values)
        self._shown_official = {k: str(saved.values.get(k, "")).strip() for k in self.official.edits}
        self.message.setText("公文信息已保存")
        self.changed.emit(saved.changes)

    def has_setting(self, key: str) -> bool:
        """``key`` is one of this page's fields (a 公文信息 key or a school field)."""
        return key in self.official.edits or key in self.school_edits

    def focus_setting(self, key: str) -> bool:
        """Show the field of setting ``key`` with the cursor in it: a 公文信息 key (a
        MissingSettingError's) or a school field. False when there is no such field (a
        policy parameter is on the 政策 page)."""
        edit = self.official.edits.get(key) or self.school_edits.get(key)
        if edit is None:
            return False
        self.scroll_area.ensureWidgetVisible(edit)
        edit.setFocus()
        edit.selectAll()
        return True

    def _failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        for button in (self.save_school_button, self.save_official_button):
            button.setEnabled(True)
        self.message.setText("")
        show_exception(self, exc)

    # -- signing key (导出公钥 / 更换签名密钥) ----------------------------------
    def _key_buttons(self, has_key: bool) -> None:
        for button in (self.export_key_button, self.new_key_button):
            button.setEnabled(has_key)
        if has_key:
            self.export_key_button.setToolTip("保存公钥文件，交给接收单位登记（与 key export 相同）")
            self.new_key_button.setToolTip("忘记口令时：生成一把新密钥，接收单位须重新登记")
        else:
            for button in (self.export_key_button, self.new_key_button):
                button.setToolTip("还没有签名密钥：第一次导出上报包时会创建密钥，之后才能导出公钥或更换密钥")

    def ask_key_target(self, default_name: str) -> Path | None:
        """Where to save the public key (tests replace this)."""
        from gui.dialogs import ask_save_path
        return ask_save_path(self, "导出公钥", default_name, "文本文件 (*.txt)")

    def confirm_replace_key(self) -> bool:
        """Ask before replacing the key, naming the consequences (tests replace this)."""
        from db.keys import REPLACE_CONSEQUENCES
        box = QMessageBox(QMessageBox.Icon.Warning, "更换签名密钥", "确定要更换签名密钥吗？",
                          QMessageBox.StandardButton.NoButton, self)
        box.setInformativeText(REPLACE_CONSEQUENCES)
        yes = box.addButton("更换密钥", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton("取消", QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return box.clickedButton() is yes

    def ask_new_passphrase(self) -> str | None:
        """The new passphrase, typed twice (tests replace this)."""
        dialog = NewPassphraseDialog(self)
        return dialog.passphrase() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def export_public_key(self) -> None:
        from db.keys import export_public_key, key_file_name
        school = self._school
        target = self.ask_key_target(key_file_name(school.code if school else None, school.name if school else None))
        if target is None:
            return
        self.export_key_button.setEnabled(False)
        worker.run_task(export_public_key, self.db, target, on_success=self._key_exported,
                        on_failure=self._key_failed, parent=self)

    def _key_exported(self, exported: Any) -> None:
        self._key_buttons(has_key=True)
        self.key_message.setText(f"公钥已导出：{exported.path}（指纹 {exported.fingerprint}）。"
                                 "请把这个文件交给接收单位登记，并通过电话或纸质报告核对指纹。")

    def replace_key(self) -> None:
        if not self.confirm_replace_key():
            return
        passphrase = self.ask_new_passphrase()
        if passphrase is None:
            return
        from db.settings import replace_key
        self._key_buttons(has_key=False)
        self.key_message.setText("正在生成新的签名密钥…")
        worker.run_task(replace_key, self.db, passphrase, on_success=self._key_replaced,
                        on_failure=self._key_failed, parent=self)

    def _key_replaced(self, replaced: Any) -> None:
        self._key_buttons(has_key=True)
        self.fingerprint.setText(replaced.fingerprint)
        self.key_message.setText(f"已更换签名密钥。新的指纹：{replaced.fingerprint}\n"
                                 "请点“导出公钥…”把新公钥交给接收单位登记，并通过电话或纸质报告核对新指纹。")
        self.changed.emit(replaced.changes)

    def _key_failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self.key_message.setText("")
        self._key_buttons(has_key=True)      # both buttons are only offered while a key exists
        show_exception(self, exc)


class NewPassphraseDialog(QDialog):
    """The new signing passphrase, typed twice; OK only when both match."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("新的签名口令")
        form = QFormLayout(self)
        form.addRow(QLabel("请为新密钥设置签名口令（至少 8 个字符），并记在安全的地方：", self))
        self.first = QLineEdit(self)
        self.first.setObjectName("newPassphrase")
        self.again = QLineEdit(self)
        self.again.setObjectName("newPassphraseAgain")
        for edit in (self.first, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("新口令", self.first)
        form.addRow("再输入一次", self.again)
        self.problem = QLabel(self)
        self.problem.setObjectName("passphraseProblem")
        self.problem.setStyleSheet("color: #a00020;")
        form.addRow(self.problem)
        buttons, self.ok_button = ok_cancel(self)
        form.addRow(buttons)
        fit_to_screen(self, self.sizeHint().width(), self.sizeHint().height())

    def passphrase(self) -> str:
        return self.first.text()

    def accept(self) -> None:
        from core.errors import ValidationError
        from core.signing import check_new_passphrase
        if self.first.text() != self.again.text():
            self.problem.setText("两次输入的口令不一致，请重新输入。")
            return
        try:
            check_new_passphrase(self.first.text())
        except ValidationError as exc:
            self.problem.setText(exc.message)
            return
        super().accept()
