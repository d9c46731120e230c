"""帮助: 关于 (version, licences, data and log folders) and 打开日志文件夹."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from core.paths import data_dir, log_dir
from core.version import program_version
from gui import worker
from gui.errors import show_exception
from gui.screen import fit_to_screen

# The parts shipped with the program, with their licences (the font's: resources/fonts/).
COMPONENTS = (("界面：Qt for Python（PySide6）", "LGPL-3.0"),
              ("字体：文泉驿微米黑", "Apache-2.0 或 GPL-3.0（附字体例外）"))


def program_licence() -> str:
    """The licence the package declares (pyproject.toml), or a plain "未声明"."""
    try:
        meta = metadata("zizhu")
    except PackageNotFoundError:
        return "未声明"
    for key in ("License-Expression", "License"):
        declared = [v for v in meta.get_all(key) or [] if v.strip()]
        if declared:
            return declared[0]
    return "未声明"


def about_text() -> str:
    lines = [f"资助助手（教育资助核准助手）  版本 {program_version()}",
             "离线运行，不连接网络。",
             "",
             f"本程序的许可：{program_licence()}",
             "随附组件的许可："]
    lines += [f"    {name}：{licence}" for name, licence in COMPONENTS]
    lines.append("    其他随附组件的版权声明和许可全文：点“第三方许可声明”查看")
    lines += ["",
              f"数据文件夹：{data_dir()}",
              f"日志文件夹：{log_dir()}",
              "遇到问题时，请把日志文件夹中的日志文件（zizhu.log 和 zizhu-worker.log）交给技术支持"
              "（日志中的身份证号已隐去）。"]
    return "\n".join(lines)


def open_log_folder() -> bool:
    """Show the log folder in the system's file manager (made first if it is not there yet)."""
    folder = Path(log_dir())
    folder.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("关于资助助手")
        self.setObjectName("aboutDialog")
        self.text = QLabel(about_text(), self)
        self.text.setObjectName("aboutText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(self)
        self.logs_button = buttons.addButton("打开日志文件夹", QDialogButtonBox.ButtonRole.ActionRole)
        self.logs_button.setObjectName("openLogs")
        self.logs_button.clicked.connect(open_log_folder)
        self.notices_button = buttons.addButton("第三方许可声明", QDialogButtonBox.ButtonRole.ActionRole)
        self.notices_button.setObjectName("showNotices")
        self.notices_button.clicked.connect(self.show_notices)
        self.notices: NoticesDialog | None = None
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        fit_to_screen(self, max(560, self.sizeHint().width()), self.sizeHint().height())

    def show_notices(self) -> None:
        """The notices (read, or made from the installed packages when run from source) off the GUI thread."""
        from core.notices import shipped_notices  # (only when asked: not a module the window's start needs)
        if self.notices is not None:             # (open already: brought to the front)
            self.notices.show()
            self.notices.raise_()
            return
        self.notices_button.setEnabled(False)

        def shown(text: str) -> None:
            self.notices_button.setEnabled(True)
            self.notices = NoticesDialog(text, self)
            self.notices.show()

        def failed(exc: BaseException) -> None:
            self.notices_button.setEnabled(True)
            show_exception(self, exc)

        worker.run_task(shipped_notices, on_success=shown, on_failure=failed, parent=self)


class NoticesDialog(QDialog):
    """The third-party notices (core.notices), read-only."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("第三方许可声明")
        self.setObjectName("noticesDialog")
        self.view = QPlainTextEdit(self)
        self.view.setObjectName("noticesText")
        self.view.setReadOnly(True)
        self.view.setPlainText(text)
        buttons = QDialogButtonBox(self)
        buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole).clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        fit_to_screen(self, 760, 560)


def show_about(parent: QWidget | None, modal: bool = True) -> AboutDialog:
    dialog = AboutDialog(parent)
    if modal:
        dialog.exec()
        dialog.deleteLater()
    else:
        dialog.show()
    return dialog
