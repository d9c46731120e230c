"""设置 › 签名人登记（信任列表）: the keys this database trusts to sign packages it receives.

The list (school, code, township, fingerprint, registered on/by, state), 添加公钥… and 移除.
Adding reads the school's ``key export`` file in the worker, then shows its fingerprint in
large type and asks the clerk to compare it group by group with the one printed on the
school's paper report before anything is stored; the registration re-reads the file and
refuses it when the fingerprint is no longer the one shown. Every rule about keys
(one key per school code, the ``code=`` binding) is ``db.trust_store``'s; this box only asks.
The questions are methods, so tests replace them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.errors import ValidationError
from core.trust import TrustedSigner, read_trust_file
from db import trust_store
from db.changes import Changes
from db.session import Database
from db.trust_store import SignerEntry
from gui import worker
from gui.screen import fit_to_screen
from gui.table_model import Column, RowTableModel

KEY_FILES = "公钥文件 (*.txt *.pub);;所有文件 (*)"
GREY = QColor(128, 128, 128)


def state_text(entry: SignerEntry) -> str:
    return "有效" if entry.active else "已移除"


class TrustModel(RowTableModel[SignerEntry]):
    COLUMNS = (
        Column("学校", lambda e: e.school_name),
        Column("学校代码", lambda e: e.school_code),
        Column("乡镇", lambda e: e.township),
        Column("公钥指纹", lambda e: e.fingerprint, tip="与学校纸质报告上打印的指纹核对"),
        Column("登记", lambda e: f"{e.registered_at:%Y-%m-%d} {e.registered_by}", lambda e: e.registered_at,
               tip="登记日期和登记人（鼠标停在行上可看到时间）"),
        Column("状态", state_text, lambda e: (not e.active, e.removed_at or e.registered_at)),
    )

    def foreground(self, row: SignerEntry, column: int) -> QColor | None:
        return None if row.active else GREY

    def tooltip(self, row: SignerEntry, column: int) -> str | None:
        removed = f"，{row.removed_at:%Y-%m-%d %H:%M} 移除" if row.removed_at else ""
        return f"{row.registered_at:%Y-%m-%d %H:%M} 由 {row.registered_by} 登记{removed}"


@dataclass(frozen=True)
class KeyDetails:
    """What the clerk confirmed in the 添加公钥 dialog."""

    school: str
    code: str
    township: str


def preview_key_file(path: Path) -> TrustedSigner:
    """Worker: the one key of a ``key export`` file (nothing stored)."""
    signers = read_trust_file(Path(path))
    if len(signers) != 1:
        # the registration's own check says what is wrong (one key per file)
        trust_store.read_key_file(Path(path), signers[0].school_name or "—", signers[0].school_code or None)
    return signers[0]


def register_key_file(db: Database, path: Path, details: KeyDetails,
                      shown_fingerprint: str) -> tuple[SignerEntry, str]:
    """Worker: register the key of ``path`` as confirmed; refused when the file's key is no
    longer the one whose fingerprint the clerk compared. With the note to show when the name
    registered is not the one the key file carries ("" when it is: ``trust_store.other_name_note``)."""
    key = trust_store.read_key_file(Path(path), details.school, details.code or None)
    if key.fingerprint != shown_fingerprint:
        raise ValidationError(f"公钥文件 {path} 在核对之后被改动过：现在的指纹是 {key.fingerprint}，"
                              f"不是刚才核对的 {shown_fingerprint}。没有登记。",
                              "请重新点“添加公钥…”，再与学校纸质报告上的指纹核对一次。")
    entry = trust_store.register(db, key, details.township)
    return entry, trust_store.other_name_note(key, "填写的名称", "请在上面的列表中选中这一行点“移除”，再重新添加公钥。")


class AddKeyDialog(QDialog):
    """The fingerprint in large type, the school it is registered for, and the clerk's
    confirmation that it matches the paper report; 登记 only once both are given. A name
    other than the key file's is said (``name_note``), not refused (the code binds the key)."""

    def __init__(self, path: Path, signer: TrustedSigner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.file_name = signer.school_name.strip()      # the name the key file carries
        self.setWindowTitle("添加公钥")
        self.setObjectName("addKeyDialog")
        layout = QVBoxLayout(self)
        intro = QLabel(f"公钥文件：{Path(path).name}\n请把下面的指纹与学校纸质报告上打印的指纹逐组核对：", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.fingerprint = QLabel(signer.fingerprint, self)
        self.fingerprint.setObjectName("bigFingerprint")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(self.font().pointSizeF() * 1.8)
        font.setWeight(QFont.Weight.Bold)
        self.fingerprint.setFont(font)
        self.fingerprint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setStyleSheet("padding: 10px; border: 1px solid #aab; background: #f6f7fb;")
        layout.addWidget(self.fingerprint)
        form = QFormLayout()
        self.school = QLineEdit(signer.school_name, self)
        self.school.setObjectName("keySchool")
        self.code = QLineEdit(signer.school_code, self)
        self.code.setObjectName("keyCode")
        self.code.setPlaceholderText("公钥文件中没有学校代码时必须填写")
        if signer.school_code:              # bound in the file: registered for exactly that code
            self.code.setReadOnly(True)
            self.code.setToolTip("公钥文件中写明的学校代码（code=），登记时不能改")
        self.township = QLineEdit(self)
        self.township.setObjectName("keyTownship")
        form.addRow("学校（或工作站）名称", self.school)
        form.addRow("学校代码", self.code)
        form.addRow("所属乡镇", self.township)
        layout.addLayout(form)
        self.compared = QCheckBox("我已逐组核对，指纹与学校纸质报告上打印的完全一致", self)
        self.compared.setObjectName("fingerprintCompared")
        layout.addWidget(self.compared)
        self.name_note = QLabel(self)
        self.name_note.setObjectName("keyNameNote")
        self.name_note.setStyleSheet("color: #8a5a00;")
        self.name_note.setWordWrap(True)
        layout.addWidget(self.name_note)
        self.problem = QLabel(self)
        self.problem.setObjectName("keyProblem")
        self.problem.setStyleSheet("color: #a00020;")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(self)
        self.ok_button = buttons.addButton("登记", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("registerKey")
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for edit in (self.school, self.code):
            edit.textChanged.connect(self._update)
        self.compared.toggled.connect(self._update)
        self._update()
        fit_to_screen(self, max(520, self.sizeHint().width()), self.sizeHint().height())

    def problems(self) -> str:
        if not self.school.text().strip():
            return "请填写学校（或工作站）名称。"
        if not self.code.text().strip():
            return "公钥文件中没有学校代码，请填写与学校核对过的学校代码。"
        if not self.compared.isChecked():
            return "请与学校纸质报告上的指纹核对后勾选上面的确认。"
        return ""

    def _update(self) -> None:
        self.name_note.setText(trust_store.other_name_warning(self.file_name, self.school.text(), "这里填写的"))
        problem = self.problems()
        self.problem.setText(problem)
        self.ok_button.setEnabled(not problem)

    def details(self) -> KeyDetails:
        return KeyDetails(self.school.text().strip(), self.code.text().strip(), self.township.text().strip())

    def accept(self) -> None:
        if self.problems():
            return
        super().accept()


class TrustBox(QGroupBox):
    changed = Signal(object)      # Changes.RECEIVING after a registration or removal

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__("签名人登记（接收上报包时信任的公钥）", parent)
        self.db = db
        self._unregistered: tuple[str, KeyDetails] | None = None    # (fingerprint, what was confirmed)
        self.setObjectName("trustBox")
        self.model = TrustModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("trustTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        char = self.fontMetrics().horizontalAdvance("中")
        for column, chars in {0: 9, 1: 6, 2: 4, 4: 7}.items():
            self.view.setColumnWidth(column, char * chars + 12)
        self.view.setColumnWidth(3, self.fontMetrics().horizontalAdvance(" ".join(["8888"] * 8)) + 16)   # never elided
        self.view.setMinimumHeight((self.fontMetrics().height() + 10) * 6)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._selection())

        intro = QLabel("接收各校（或工作站）上报包的单位在这里登记对方的公钥：只有登记过的公钥签名、"
                       "且学校代码一致的上报包才会被接收。公钥文件由对方在“设置”中“导出公钥…”得到。", self)
        intro.setWordWrap(True)
        self.add_button = QPushButton("添加公钥…", self)
        self.add_button.setObjectName("addKey")
        self.add_button.clicked.connect(self.add_key)
        self.remove_button = QPushButton("移除", self)
        self.remove_button.setObjectName("removeKey")
        self.remove_button.setToolTip("移除选中的登记（记录保留在历史中）；之后该公钥签名的上报包不再被接收")
        self.remove_button.clicked.connect(self.remove_selected)
        self.remove_button.setEnabled(False)
        self.message = QLabel(self)
        self.message.setObjectName("trustMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        layout.addWidget(self.message)

    # -- the list ---------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.reload()

    def reload(self) -> None:
        worker.run_task(trust_store.entries, self.db, on_success=self.model.set_rows, parent=self)

    def selected(self) -> SignerEntry | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _selection(self) -> None:
        entry = self.selected()
        self.remove_button.setEnabled(entry is not None and entry.active)

    # -- adding -----------------------------------------------------------
    def choose_key_file(self) -> Path | None:
        """Which public-key file (tests replace this)."""
        from gui.dialogs import ask_open_path
        return ask_open_path(self, "选择学校的公钥文件", KEY_FILES)

    def ask_key_details(self, path: Path, signer: TrustedSigner) -> KeyDetails | None:
        """The fingerprint compared and the school confirmed (tests replace this). What was confirmed for
        this key when its registration failed is filled in again (``_unregistered``); the comparison
        of the fingerprint is asked again."""
        dialog = AddKeyDialog(path, signer, self)
        kept = self._unregistered
        if kept is not None and kept[0] == signer.fingerprint:
            dialog.school.setText(kept[1].school)
            dialog.code.setText(kept[1].code)
            dialog.township.setText(kept[1].township)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        details = dialog.details() if accepted else None
        dialog.deleteLater()
        return details

    def add_key(self) -> None:
        path = self.choose_key_file()
        if path is None:
            return
        self.add_button.setEnabled(False)
        worker.run_task(preview_key_file, path, on_success=lambda signer: self._confirm(path, signer),
                        on_failure=self._failed, parent=self)

    def _confirm(self, path: Path, signer: TrustedSigner) -> None:
        details = self.ask_key_details(path, signer)
        if details is None:
            self.add_button.setEnabled(True)
            self.message.setText("没有登记。")
            return
        self._unregistered = (signer.fingerprint, details)     # until it is registered
        worker.run_task(register_key_file, self.db, path, details, signer.fingerprint,
                        on_success=self._registered, on_failure=self._failed, parent=self)

    def _registered(self, done: tuple[SignerEntry, str]) -> None:
        entry, note = done
        self._unregistered = None
        self.add_button.setEnabled(True)
        self.message.setText(f"已登记：{entry.school_name}（学校代码 {entry.school_code}），指纹 {entry.fingerprint}"
                             + (f"\n{note}" if note else ""))
        self.reload()
        self.changed.emit(Changes.RECEIVING)

    # -- removing ---------------------------------------------------------
    def confirm_remove(self, entry: SignerEntry) -> bool:
        """Ask before removing (tests replace this)."""
        box = QMessageBox(QMessageBox.Icon.Question, "移除登记",
                          f"移除 {entry.school_name}（学校代码 {entry.school_code}）的公钥登记？\n"
                          f"指纹：{entry.fingerprint}\n移除后，这把公钥签名的上报包不再被接收；"
                          "已经接收的上报包不受影响，登记记录保留在历史中。",
                          QMessageBox.StandardButton.NoButton, self)
        yes = box.addButton("移除", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton("取消", QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return box.clickedButton() is yes

    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None or not entry.active or not self.confirm_remove(entry):
            return
        self.remove_button.setEnabled(False)
        worker.run_task(trust_store.unregister, self.db, entry.fingerprint, on_success=self._removed,
                        on_failure=self._failed, parent=self)

    def _removed(self, removed: list[SignerEntry]) -> None:
        names = "、".join(f"{e.school_name}（{e.school_code}）" for e in removed)
        self.message.setText(f"已移除登记：{names}（记录保留在历史中）")
        self.reload()
        self.changed.emit(Changes.RECEIVING)

    def _failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self.add_button.setEnabled(True)
        self._selection()
        self.message.setText("")
        show_exception(self, exc)
