"""File dialogs and other small shared dialog helpers (tests replace the asking functions).

Every file dialog opens in the folder the clerk last chose a file in (kept for the next
start in the data folder, ``core.recent.last_folder``)."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QPushButton, QWidget, QWizard, QWizardPage

SPREADSHEETS = "表格文件 (*.xlsx *.xls *.ods *.csv);;所有文件 (*)"
EXCEL = "Excel 文件 (*.xlsx)"

_last_folder: Path | None = None


def set_last_folder(folder: Path | None) -> None:
    """At start: the folder remembered from the last session."""
    global _last_folder
    _last_folder = folder


def start_folder() -> Path:
    """Where the next file dialog opens: the last folder used, else the clerk's Documents folder
    (Windows' 文档, where QQ and WeChat keep received files; the user's profile folder, Path.home(), is
    a list of system folders there), else the home folder."""
    if _last_folder is not None:
        return _last_folder
    from PySide6.QtCore import QStandardPaths
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def _chosen(path: Path) -> None:
    """Remember the folder of a chosen file (written in the worker)."""
    from core.recent import remember_folder
    from gui import worker
    global _last_folder
    if path.parent != _last_folder:
        _last_folder = path.parent
        worker.run_task(remember_folder, path.parent)


def default_suffix(filters: str) -> str:
    """".zip" for "上报包 (*.zip)": the first pattern's extension ("" when there is none)."""
    match = re.search(r"\*(\.[\w.]+)", filters)
    return match.group(1) if match else ""


def ask_open_path(parent: QWidget | None, title: str, filters: str = SPREADSHEETS,
                  folder: Path | None = None) -> Path | None:
    """A file to open; the dialog starts in ``folder`` or else the last folder used."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(folder or start_folder()), filters)
    if not path:
        return None
    _chosen(Path(path))
    return Path(path)


def ask_save_path(parent: QWidget | None, title: str, default_name: str,
                  filters: str = EXCEL) -> Path | None:
    """Where to save, proposing ``default_name`` in the last folder used; a name typed
    without an extension gets the filter's."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder() / default_name), filters)
    if not path:
        return None
    p = Path(path)
    _chosen(p)
    return p if p.suffix else p.with_suffix(default_suffix(filters) or Path(default_name).suffix)


def named(target: Path, suffix: str) -> Path:
    """``target`` ending in ``suffix`` (".pdf", ".xlsx", ".zip"), the one way an output's name gets its suffix: a
    name typed with the other of these suffixes gets this one instead; any other ending is kept and
    ``suffix`` added (公示名单2024.10 → 公示名单2024.10.pdf, not 公示名单2024.pdf, which would replace
    another file)."""
    if target.suffix.lower() == suffix:
        return target
    if target.suffix.lower() in (".pdf", ".xlsx", ".zip"):
        return target.with_suffix(suffix)
    return target.with_name(target.name + suffix)


def confirm_replace(parent: QWidget | None, paths: list[Path], what: str) -> bool:
    """Whether to replace ``paths``, files an export would overwrite that the save dialog did not ask
    about (the workbook beside the chosen PDF, a name given its suffix here)."""
    names = "和".join(f"“{p.name}”" for p in paths)
    return ask_buttons(parent, "文件已存在", f"文件夹“{paths[0].parent}”中已有{names}。\n\n要用新的{what}替换吗？",
                       "", [("替换", "accept"), ("取消", "reject")], 1, 1) == 0


def named_target(parent: QWidget | None, asked: Path, suffix: str, what: str,
                 confirm: Callable[[list[Path], str], bool] | None = None) -> Path | None:
    """``asked`` (from the save dialog) ending in ``suffix`` (``named``); None when that is another
    file, already there, which the dialog did not ask about and the clerk will not replace
    (``confirm``: ``confirm_replace`` for ``parent``)."""
    target = named(asked, suffix)
    if target != asked and target.exists():
        agree = confirm or (lambda paths, w: confirm_replace(parent, paths, w))
        if not agree([target], what):
            return None
    return target


def ok_cancel(dialog: QDialog, ok_text: str = "确定") -> tuple[QDialogButtonBox, QPushButton]:
    """A dialog's 确定/取消 buttons (accept/reject connected) and its OK button."""
    buttons = QDialogButtonBox(dialog)
    ok = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
    buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


def ask_buttons(parent: QWidget | None, title: str, text: str, info: str, buttons: Sequence[tuple[str, str]],
                default: int, escape: int) -> int:
    """A question with its own buttons ((text, role): "accept", "destructive" or "reject"): the index of
    the one clicked (``escape`` for Esc or the window closed); ``default`` is the default button."""
    from PySide6.QtWidgets import QMessageBox
    roles = {"accept": QMessageBox.ButtonRole.AcceptRole, "destructive": QMessageBox.ButtonRole.DestructiveRole,
             "reject": QMessageBox.ButtonRole.RejectRole}
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    if info:
        box.setInformativeText(info)
    made = [box.addButton(label, roles[role]) for label, role in buttons]
    box.setDefaultButton(made[default])
    box.setEscapeButton(made[escape])
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return next((i for i, b in enumerate(made) if clicked is b), escape)


def ask_drop(parent: QWidget, title: str, text: str, info: str = "", keep: str = "继续编辑") -> bool:
    """The one question before unsaved edits go: True for 放弃修改, False for ``keep`` (the default
    button, and Esc)."""
    return ask_buttons(parent, title, text, info, [("放弃修改", "destructive"), (keep, "reject")], 1, 1) == 0


W = TypeVar("W", bound=QWizard)


def wizard_of(page: QWizardPage, kind: type[W]) -> W:
    """The wizard ``page`` belongs to, as the wizard class that built it."""
    wizard = page.wizard()
    assert isinstance(wizard, kind)   # pages are only ever added by their own wizard
    return wizard


def chinese_wizard_buttons(wizard: QWizard) -> None:
    """Button texts that do not depend on Qt's translations being installed."""
    W = QWizard.WizardButton
    for button, text in ((W.BackButton, "< 上一步"), (W.NextButton, "下一步 >"),
                         (W.CommitButton, "开始导入"), (W.FinishButton, "完成"),
                         (W.CancelButton, "取消"), (W.HelpButton, "帮助")):
        wizard.setButtonText(button, text)
