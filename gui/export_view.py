"""导出上报: readiness, the signer's key, the signed package export, and the public notice list."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.exports import (
    ExportResult,
    ExportState,
    NoticeResult,
    export_notices,
    export_package,
    export_state,
    not_ready_error,
)
from db.session import Database
from gui import notes, worker
from gui.dialogs import ask_save_path, confirm_replace, named, named_target
from gui.errors import show_exception


def ask_signing_passphrase(parent: QWidget, first: bool) -> str | None:
    """The signing passphrase (None: cancelled): typed once, or twice (and checked) when the key
    is made now. Every signed export asks through this one dialog (上报包, 汇总包, 反馈包)."""
    if first:
        from gui.settings_view import NewPassphraseDialog
        dialog = NewPassphraseDialog(parent)
        try:
            return dialog.passphrase() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()
    text, ok = QInputDialog.getText(parent, "签名口令", "签名口令：", QLineEdit.EchoMode.Password)
    return text if ok else None


class ExportPage(QWidget):
    exported = Signal(object)   # ExportResult

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("exportPage")
        self.state: ExportState | None = None

        self.status = QLabel("正在检查…", self)
        self.status.setObjectName("readiness")
        self.status.setWordWrap(True)
        self.fingerprint = QLabel("—", self)
        self.fingerprint.setObjectName("fingerprint")
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.draft = QCheckBox("草稿（尚未全部核准时先交草稿，所有文件都标明“草稿”）", self)
        self.draft.setObjectName("draft")
        self.letters = QCheckBox("同时附上全部告知书（letters.pdf）", self)
        self.letters.setObjectName("letters")
        self.export_button = QPushButton("导出上报包…", self)
        self.export_button.setObjectName("exportButton")
        self.export_button.clicked.connect(self.export)
        self.last_export = QLabel("", self)      # the result of the last export (the status is re-read)
        self.last_export.setObjectName("lastExport")
        self.last_export.setWordWrap(True)
        self.last_export.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.last_export.hide()
        self.warnings: list[str] = []            # the last export's, all of them behind notes_button
        self.notes_button = QPushButton(notes.ALL_BUTTON, self)
        self.notes_button.setObjectName("allNotes")
        self.notes_button.clicked.connect(lambda: self.show_warnings(self.warnings))
        self.notes_button.hide()

        box = QGroupBox("上报前检查", self)
        form = QFormLayout(box)
        form.addRow("状态：", self.status)
        form.addRow("签名公钥指纹：", self.fingerprint)
        hint = QLabel("上报包（.zip）含资助名册 Excel、报告 PDF、公示名单和签名清单。第一次导出时设置签名口令并生成"
                      "密钥；请把指纹抄在纸质报告上，供接收单位核对。", self)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addWidget(box)
        layout.addWidget(self.draft)
        layout.addWidget(self.letters)
        layout.addWidget(hint)
        layout.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(12)
        layout.addWidget(self._notice_box())
        layout.addWidget(self.last_export)
        layout.addWidget(self.notes_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def _notice_box(self) -> QGroupBox:
        box = QGroupBox("公示名单", self)
        text = QLabel("在校内公示栏张贴不少于5个工作日。名单只列姓名、学校、年级、资助项目和金额，不含身份证号、"
                      "电话、银行卡号和住址。尚未全部核准时名单标明“草稿”，不能张贴。", box)
        text.setWordWrap(True)
        # Both files at once (what a clerk posts and keeps): one reading of the database, the workbook
        # written beside the PDF (db.notice_export.export_notices); or either file alone.
        self.notice_both_button = QPushButton("导出公示名单 PDF 和 Excel…", box)
        self.notice_both_button.setObjectName("noticeBothButton")
        self.notice_both_button.clicked.connect(self.export_notice_pair)
        self.notice_pdf_button = QPushButton("只导出 PDF…", box)
        self.notice_pdf_button.setObjectName("noticePdfButton")
        self.notice_pdf_button.clicked.connect(lambda: self.export_notice(".pdf"))
        self.notice_xlsx_button = QPushButton("只导出 Excel…", box)
        self.notice_xlsx_button.setObjectName("noticeXlsxButton")
        self.notice_xlsx_button.clicked.connect(lambda: self.export_notice(".xlsx"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.notice_both_button)
        buttons.addWidget(self.notice_pdf_button)
        buttons.addWidget(self.notice_xlsx_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(text)
        layout.addLayout(buttons)
        return box

    def reload(self) -> None:
        worker.run_task(export_state, self.db, on_success=self.show_state, parent=self)

    def show_state(self, state: ExportState) -> None:
        self.state = state
        if state.reasons:
            self.status.setText("还不能正式上报：" + "；".join(state.reasons) + "。可以先导出草稿。")
            self.status.setStyleSheet("color: #a00020;")
        else:
            self.status.setText("全部学生已核准，没有未处理的错误，可以正式上报。")
            self.status.setStyleSheet("color: #176b2c;")
        self.fingerprint.setText(state.fingerprint or "尚未生成（第一次导出时生成）")

    # -- asking (tests replace these) --------------------------------------
    def ask_target(self) -> Path | None:
        """Where to save, proposing school code, school, school year and today's date."""
        state = self.state or ExportState([], "")
        return ask_save_path(self, "保存上报包", state.package_name(self.draft.isChecked(), date.today()),
                             "上报包 (*.zip)")

    def ask_passphrase(self, first: bool) -> str | None:
        return ask_signing_passphrase(self, first)

    def ask_notice_target(self, suffix: str, title: str = "保存公示名单") -> Path | None:
        kind = "PDF 文件 (*.pdf)" if suffix == ".pdf" else "Excel 工作簿 (*.xlsx)"
        return ask_save_path(self, title, "公示名单" + suffix, kind)

    def confirm_replace(self, paths: list[Path], what: str = "公示名单") -> bool:
        """Whether to replace ``paths`` the save dialog did not ask about (tests replace this)."""
        return confirm_replace(self, paths, what)

    # -- export -------------------------------------------------------------
    def export_notice(self, suffix: str) -> None:
        target = self.ask_notice_target(suffix)
        if target is not None:
            self._run_notice(target, [named(target, suffix)])

    def export_notice_pair(self) -> None:
        """The PDF where the clerk chooses, the workbook beside it under the same name."""
        target = self.ask_notice_target(".pdf", "保存公示名单（同名的 Excel 文件保存在同一文件夹）")
        if target is not None:
            pdf = named(target, ".pdf")
            self._run_notice(target, [pdf, pdf.with_suffix(".xlsx")])

    def _run_notice(self, asked: Path, targets: list[Path]) -> None:
        """Export the notice to ``targets``; the existing ones the save dialog did not ask about
        (it asked about ``asked``) are replaced only when the clerk agrees."""
        unasked = [t for t in targets if t != asked and t.exists()]
        if unasked and not self.confirm_replace(unasked):
            return
        for button in self._notice_buttons():
            button.setEnabled(False)
        # (in the worker's child process, a daemon, which may not start the workbook's own child)
        worker.run_task(export_notices, self.db, targets, workbook_child=False, on_success=self._notice_done,
                        on_failure=self._notice_failed, parent=self, process=True)

    def _notice_buttons(self) -> tuple[QPushButton, ...]:
        return self.notice_both_button, self.notice_pdf_button, self.notice_xlsx_button

    def _notice_buttons_back(self) -> None:
        for button in self._notice_buttons():
            button.setEnabled(True)

    def _notice_failed(self, exc: BaseException) -> None:
        self._notice_buttons_back()
        show_exception(self, exc)

    def _notice_done(self, results: list[NoticeResult]) -> None:
        self._notice_buttons_back()
        first = results[0]
        files = "和".join(f"“{r.path.name}”" for r in results)
        text = f"已导出公示名单（{first.students} 名学生）：{files}，保存在“{first.path.parent}”"
        if first.draft:
            text += "\n这是草稿（" + "；".join(first.reasons) + "），全部核准后请重新导出再张贴。"
        self._show_result(text, list(dict.fromkeys(w for r in results for w in r.warnings)))
        self.reload()

    def _show_result(self, text: str, warnings: list[str]) -> None:
        """The last export's result below the buttons: a few of its warnings, the button for all."""
        self.warnings = list(warnings)
        self.last_export.setText(text + notes.inline(warnings))
        self.last_export.show()
        self.notes_button.setVisible(len(warnings) > notes.INLINE)

    def show_warnings(self, warnings: list[str]) -> None:
        """Every warning of the last export in a box (tests replace it)."""
        notes.show_all(self, "导出：请注意", warnings)

    def export(self) -> None:
        """Readiness first (a refused final export asks nothing), then where to save, then
        the passphrase; the export itself checks again."""
        self.export_button.setEnabled(False)
        worker.run_task(export_state, self.db, on_success=self._checked, on_failure=self._export_failed,
                        parent=self)

    def _checked(self, state: ExportState) -> None:
        self.export_button.setEnabled(True)
        self.show_state(state)
        draft = self.draft.isChecked()
        if state.reasons and not draft:
            show_exception(self, not_ready_error(state.reasons))
            return
        target = self.ask_target()
        if target is None:
            return
        target = named_target(self, target, ".zip", "上报包", self.confirm_replace)  # (上报包v1.1 → 上报包v1.1.zip)
        if target is None:
            return
        passphrase = self.ask_passphrase(first=not state.fingerprint)
        if passphrase is None:
            return
        worker.run_task(export_package, self.db, target, passphrase, draft=draft,
                        letters=self.letters.isChecked(), on_success=self._done,
                        progress=worker.Progress("正在生成并签名上报包…", "导出上报"), parent=self, process=True)

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        show_exception(self, exc)

    def _done(self, result: ExportResult) -> None:
        kind = "草稿" if result.draft else "正式"
        text = f"已导出{kind}上报包：{result.path}\n签名公钥指纹：{result.fingerprint}"
        self._show_result(text, result.warnings)
        self.exported.emit(result)
        self.reload()
