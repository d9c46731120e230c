"""帮助 → 用户手册: docs/用户手册.md rendered inside the program, its pictures included.

The manual and its pictures (docs/manual/*.png, taken by `make screenshots`) are shipped
files: found through core.resources (from the checkout or, frozen, from the bundle). The
pictures are linked relative to the manual's folder and shrunk to the reading width.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QUrl
from PySide6.QtGui import QImage, QPixmap, QTextDocument, QTextFragment, QTextImageFormat
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from core import resources
from core.errors import ZizhuError
from gui import worker
from gui.errors import show_exception
from gui.screen import fit_to_screen


class ManualMissingError(ZizhuError):
    """The manual is not where the program keeps it (an incomplete copy of the program folder)."""


def read_manual(path: Path | None = None) -> str:
    """Worker: the manual's Markdown text."""
    path = path or resources.MANUAL_FILE
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManualMissingError(f"找不到用户手册：{path}",
                                 "程序文件夹可能没有复制完整：请重新复制整个程序文件夹，"
                                 "或在程序文件夹的 docs 文件夹中打开“用户手册.md”。") from exc


def image_fragments(doc: QTextDocument) -> list[tuple[QTextFragment, QTextImageFormat]]:
    """Every picture of the document (in reading order) with the text fragment holding it."""
    found: list[tuple[QTextFragment, QTextImageFormat]] = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().isImageFormat():
                found.append((fragment, fragment.charFormat().toImageFormat()))
            it += 1
        block = block.next()
    return found


def image_names(doc: QTextDocument) -> list[str]:
    """The pictures the document shows, as written in the Markdown (in reading order)."""
    return [fmt.name() for _fragment, fmt in image_fragments(doc)]


class ManualViewer(QDialog):
    """The manual in a window of its own (not modal: the clerk reads while working)."""

    def __init__(self, text: str, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manualViewer")
        self.setWindowTitle("资助助手 — 用户手册")
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("manualText")
        self.browser.setOpenExternalLinks(False)
        self.browser.setSearchPaths([str(folder)])
        self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(folder) + "/"))
        self.browser.setMarkdown(text)
        buttons = QDialogButtonBox(self)
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        fit_to_screen(self, 1440, 960)           # as large as the screen allows: the pictures are 1366 wide
        self.fit_images(self.width() - 80)

    def image(self, name: str) -> QImage:
        """The picture ``name`` as the browser loads it (a null image when it cannot)."""
        res = self.browser.loadResource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        if isinstance(res, QImage):
            return res
        if isinstance(res, QPixmap):
            return res.toImage()
        return QImage.fromData(res) if isinstance(res, bytes | QByteArray) and res else QImage()

    def fit_images(self, width: int) -> None:
        """Every picture at most ``width`` pixels wide (screenshots are 1366 wide), scaled smoothly
        once (the document keeps the scaled picture)."""
        for fragment, image_format in image_fragments(self.browser.document()):
            picture = self.image(image_format.name())
            if not picture.isNull() and picture.width() > width:
                smooth = picture.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
                self.browser.document().addResource(QTextDocument.ResourceType.ImageResource,
                                                    QUrl(image_format.name()), smooth)
                scaled = QTextImageFormat(image_format)
                scaled.setWidth(smooth.width())
                scaled.setHeight(smooth.height())
                cursor = self.browser.textCursor()
                cursor.setPosition(fragment.position())
                cursor.setPosition(fragment.position() + fragment.length(), cursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(scaled)


def open_manual(window: QWidget) -> None:
    """帮助 → 用户手册: the manual read in the worker, then shown beside ``window`` (kept as its
    ``manual_viewer``); asked again while it is open, the open one comes to the front."""
    viewer = getattr(window, "manual_viewer", None)
    if isinstance(viewer, ManualViewer) and viewer.isVisible():
        viewer.raise_()
        viewer.activateWindow()
        return

    def loaded(text: str) -> None:
        shown = ManualViewer(text, resources.MANUAL_FILE.parent, window)
        window.manual_viewer = shown  # type: ignore[attr-defined]  # the window keeps its one viewer
        shown.show()
    worker.run_task(read_manual, on_success=loaded, on_failure=lambda exc: show_exception(window, exc),
                    parent=window)


def check_manual(parent: QWidget | None = None) -> int:
    """The manual opens and every picture it shows loads (the self-test asks, frozen too);
    returns how many pictures it shows."""
    viewer = ManualViewer(read_manual(), resources.MANUAL_FILE.parent, parent)
    try:
        names = image_names(viewer.browser.document())
        broken = [name for name in names if viewer.image(name).isNull()]
        if broken or not names:
            raise ManualMissingError(f"用户手册的图片缺失：{'、'.join(broken[:3]) or '一张也没有'}",
                                     "程序文件夹可能没有复制完整：请重新复制整个程序文件夹。")
        return len(names)
    finally:
        viewer.deleteLater()
