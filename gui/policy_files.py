"""导入政策文件… / 导出政策文件… on the 政策 page (``db.policy_files``, always in the worker).

Import: the file is read, its signature checked against the trusted signers and its
change previewed (``check_policy_file``, writes nothing); an unsigned file needs the
clerk's confirmation; then the same 变更预览 as a change made on the page, headed by where
the file comes from (signer, school year, version), and only 确认保存 saves it as a new
version (``save_imported``); a file identical to the policy in use is said so, with no
preview and nothing saved. Export: the active version as plain TOML, or signed with this
school's key (the passphrase asked like the package's).
The questions are methods so tests can replace them.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from db.policy_files import PolicyExported, PolicyFileCheck, check_policy_file, export_policy, save_imported
from db.settings import key_status
from gui import worker
from gui.dialogs import ask_open_path, ask_save_path

if TYPE_CHECKING:
    from gui.policy_view import PolicyPage

POLICY_FILES = "政策文件 (*.zip *.toml);;所有文件 (*)"
SIGNED, UNSIGNED = "signed", "unsigned"


def unchanged_text(check: PolicyFileCheck) -> str:
    """A file whose policy is, character for character, the one in use (the same SHA-256)."""
    current = check.preview.current
    version = f"（{current.label}）" if current is not None else ""
    return f"导入的政策文件与当前使用的政策{version}完全相同（内容逐字一致），没有保存新版本"


class PolicyFiles:
    def __init__(self, page: PolicyPage) -> None:
        self.page = page

    # -- questions (tests replace these) ---------------------------------------------
    def ask_import_path(self) -> Path | None:
        return ask_open_path(self.page, "导入政策文件", POLICY_FILES)

    def confirm_unsigned(self, check: PolicyFileCheck) -> bool:
        """An unsigned file: imported only when the clerk confirms where it comes from."""
        box = QMessageBox(QMessageBox.Icon.Warning, "未签名的政策文件",
                          "这个政策文件没有签名，无法确认它来自县教育局、也无法确认没有被改动。",
                          QMessageBox.StandardButton.NoButton, self.page)
        box.setInformativeText("只有确认文件确实来自县教育局（例如当面拷贝）时才继续。继续后先显示变更预览，"
                               "确认后才会保存。")
        go = box.addButton("我确认来源，继续", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton("取消", QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return box.clickedButton() is go

    def ask_export_kind(self) -> str | None:
        """SIGNED (for the schools: they check who signed it), UNSIGNED, or None (取消)."""
        box = QMessageBox(QMessageBox.Icon.Question, "导出政策文件", "导出签名的政策文件吗？",
                          QMessageBox.StandardButton.NoButton, self.page)
        box.setInformativeText("下发给各学校的政策文件请签名：学校导入时核对签名人，文件被改动就无法导入。"
                               "签名需要输入签名口令。不签名的文件只适合查看或存档。")
        signed = box.addButton("签名导出", QMessageBox.ButtonRole.AcceptRole)
        plain = box.addButton("不签名导出", QMessageBox.ButtonRole.ActionRole)
        box.setDefaultButton(box.addButton("取消", QMessageBox.ButtonRole.RejectRole))
        box.exec()
        clicked = box.clickedButton()
        return SIGNED if clicked is signed else UNSIGNED if clicked is plain else None

    def ask_export_path(self, signed: bool) -> Path | None:
        versions = self.page.data.versions if self.page.data else []
        saved = next((v for v in versions if v.active), None)
        name = "资助政策" + (f"-{saved.label.replace(' ', '-')}" if saved else "")
        if signed:
            return ask_save_path(self.page, "导出签名的政策文件", name + "-签名.zip", "签名的政策文件 (*.zip)")
        return ask_save_path(self.page, "导出政策文件", name + ".toml", "政策文件 (*.toml)")

    def ask_passphrase(self, first: bool) -> str | None:
        from gui.export_view import ask_signing_passphrase
        return ask_signing_passphrase(self.page, first)

    # -- import ---------------------------------------------------------------------
    def import_file(self) -> None:
        """The page's unsaved changes first (保存 / 不保存 / 取消: a saved draft goes on to the import),
        then the file, its check and its preview."""
        if not self.page.may_leave(self.import_file):
            return
        path = self.ask_import_path()
        if path is None:
            return
        worker.run_task(check_policy_file, self.page.db, path, on_success=self._checked, parent=self.page)

    def _checked(self, check: PolicyFileCheck) -> None:
        signed = check.file.signed
        if not check.preview.changed:          # nothing to preview, nothing to save: said, not offered
            self.page.show_message(unchanged_text(check))
            return
        if not signed and not self.confirm_unsigned(check):
            return
        from gui.policy_preview import file_preview
        note = self.page.confirm_preview(file_preview(check.preview, check.file.source_text(), signed))
        if note is None:
            return
        worker.run_task(save_imported, self.page.db, check.file, note, allow_unsigned=not signed,
                        on_success=self.page.saved_version, parent=self.page)

    # -- export ---------------------------------------------------------------------
    def export_file(self) -> None:
        kind = self.ask_export_kind()
        if kind is None:
            return
        path = self.ask_export_path(kind == SIGNED)
        if path is None:
            return
        if kind == UNSIGNED:
            worker.run_task(export_policy, self.page.db, path, on_success=self._exported, parent=self.page)
            return
        worker.run_task(key_status, self.page.db, on_success=lambda status: self._sign(path, not status.has_key),
                        parent=self.page)

    def _sign(self, path: Path, first: bool) -> None:
        passphrase = self.ask_passphrase(first)
        if passphrase is None:
            return
        worker.run_task(export_policy, self.page.db, path, True, passphrase, on_success=self._exported,
                        parent=self.page)

    def _exported(self, exported: PolicyExported) -> None:
        text = f"已导出政策文件：{exported.path}"
        if exported.signed:
            text += f"（已签名，签名公钥指纹 {exported.fingerprint}）"
        self.page.show_message(text)
        if exported.changes:
            self.page.changed.emit(exported.changes)
