"""The one way errors reach the clerk.

A ``ZizhuError`` says in Chinese what is wrong and what to do; anything else
is a bug: its traceback goes to the log file and the clerk sees a short
message pointing there. Tracebacks are never shown.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import ZizhuError

log = logging.getLogger(__name__)

TITLE = "资助助手"

# Tests replace this to see what would be shown without a modal dialog; for an error
# naming a setting, a true return value stands for the clerk choosing 去设置.
_show_box = None
GO_TO_SETTINGS = "去设置"


def log_path() -> Path:
    from core.paths import log_dir
    return log_dir() / "zizhu.log"


def describe(exc: BaseException) -> tuple[str, str]:
    """(message, hint) the clerk sees for ``exc``."""
    if isinstance(exc, ZizhuError):
        return exc.message, exc.hint
    return (f"发生内部错误，详细信息已写入日志：{log_path()}",
            "已保存的数据不会因此丢失。可以继续工作；如果再次出现，请关闭并重新打开资助助手，"
            "并把这个日志文件发给技术支持人员（日志中的身份证号已隐去）。")


def show_exception(parent: QWidget | None, exc: BaseException) -> None:
    """Show ``exc`` to the clerk (and log it)."""
    from db.session import translate_error
    mapped = translate_error(exc)      # a SQLite failure (locked, disk full, …): a Chinese message
    if mapped is not None:
        log.warning("database failure: %s", exc)
        exc = mapped
    if isinstance(exc, ZizhuError):
        log.info("shown to clerk: %s", exc.message)
        icon = QMessageBox.Icon.Warning
    else:
        log.error("internal error", exc_info=(type(exc), exc, exc.__traceback__))
        icon = QMessageBox.Icon.Critical
    message, hint = describe(exc)
    setting = getattr(exc, "setting", None)    # a MissingSettingError: offer to go there
    if _show_box is not None:
        go = _show_box(parent, message, hint)
    else:
        box = QMessageBox(icon, TITLE, message, QMessageBox.StandardButton.NoButton, parent)
        if hint:
            box.setInformativeText(hint)
        go_button = box.addButton(GO_TO_SETTINGS, QMessageBox.ButtonRole.ActionRole) if setting else None
        box.setDefaultButton(box.addButton("确定", QMessageBox.ButtonRole.AcceptRole))
        box.exec()
        go = go_button is not None and box.clickedButton() is go_button
    if setting and go:
        open_setting(parent, setting)


def open_setting(parent: QWidget | None, key: str) -> None:
    """Show 设置 with the cursor in field ``key``, through the main window owning ``parent``."""
    from PySide6.QtWidgets import QApplication
    windows = [parent.window()] if parent is not None else []
    windows += QApplication.topLevelWidgets()
    for window in windows:
        if hasattr(window, "open_setting"):
            window.open_setting(key)
            return
