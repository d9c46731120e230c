"""File dialogs and other small shared dialog helpers (tests replace the asking functions)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget, QWizard

SPREADSHEETS = "表格文件 (*.xlsx *.xls *.ods *.csv);;所有文件 (*)"
EXCEL = "Excel 文件 (*.xlsx)"


def ask_open_path(parent: QWidget | None, title: str, filters: str = SPREADSHEETS) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, str(Path.home()), filters)
    return Path(path) if path else None


def ask_save_path(parent: QWidget | None, title: str, default_name: str,
                  filters: str = EXCEL) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / default_name), filters)
    if not path:
        return None
    p = Path(path)
    return p if p.suffix else p.with_suffix(".xlsx")


def chinese_wizard_buttons(wizard: QWizard) -> None:
    """Button texts that do not depend on Qt's translations being installed."""
    W = QWizard.WizardButton
    for button, text in ((W.BackButton, "< 上一步"), (W.NextButton, "下一步 >"),
                         (W.CommitButton, "开始导入"), (W.FinishButton, "完成"),
                         (W.CancelButton, "取消"), (W.HelpButton, "帮助")):
        wizard.setButtonText(button, text)
