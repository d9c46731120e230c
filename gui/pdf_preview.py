"""Preview and print a PDF in the app: pages rendered with pypdfium2 (PDFium).

PySide6's wheels no longer ship QtPdf, so pages are rendered to images here
(in the worker) and shown in a scroll area; printing paints the same images
onto a QPrinter chosen in the system's print dialog.
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from core.errors import OutputFileError
from gui.errors import show_exception
from gui.screen import fit_to_screen

PREVIEW_PAGES = 30          # pages shown by a preview at most (printing prints every page)
PREVIEW_DPI = 96


def render_pages(source: str | Path | bytes, dpi: int = PREVIEW_DPI, limit: int | None = None) -> list[QImage]:
    """Worker-safe: QImage (not QPixmap) may be made off the GUI thread. ``source`` is a
    PDF file or the PDF's bytes; ``limit``: the first pages only."""
    return list(itertools.islice(iter_pages(source, dpi), limit))


def preview_pages(source: str | Path | bytes) -> tuple[list[QImage], int]:
    """Worker-safe: the first ``PREVIEW_PAGES`` pages for the preview, and how many the PDF has. A page
    shown takes about 5 MB (the image and its pixmap): 400 letters at once would need 2 GB."""
    return render_pages(source, limit=PREVIEW_PAGES), page_count(source)


def page_count(source: str | Path | bytes) -> int:
    import pypdfium2 as pdfium
    with _PDFIUM:
        doc = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        try:
            return len(doc)
        finally:
            doc.close()


# PDFium is not thread-safe (pypdfium2's documentation): two threads of this process must never be
# inside it at once, even on different documents. The preview's pages are drawn in the worker's
# thread while a preview already open may be printing on the GUI thread: every PDFium call here holds it.
_PDFIUM = threading.Lock()


def iter_pages(source: str | Path | bytes, dpi: int = PREVIEW_DPI) -> Iterator[QImage]:
    """The pages one at a time (printing at 200 dpi: 11 MB a page, so never all of them at once)."""
    import pypdfium2 as pdfium
    with _PDFIUM:
        doc = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        count = len(doc)
    try:
        for i in range(count):
            with _PDFIUM:
                page = doc[i]
                bitmap = page.render(scale=dpi / 72)
                img = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride,
                             QImage.Format.Format_BGR888 if bitmap.n_channels == 3 else QImage.Format.Format_RGB32)
                img = img.copy()   # own the pixels
                bitmap.close()
                page.close()
            yield img
    finally:
        with _PDFIUM:
            doc.close()


def print_failed() -> OutputFileError:
    """What the clerk reads when the printer did not take every page (one error display: gui.errors)."""
    return OutputFileError(
        "打印失败：打印机没有接受全部页面，这次打印没有记录为已打印",
        "请检查打印机是否开机、连接正常、有纸（打印到文件时，检查保存的文件夹是否存在），"
        "或在打印对话框中换一台打印机，然后重新打印。")


class PdfPreview(QDialog):
    """Shows rendered pages; 打印… opens the system print dialog. ``printed_all`` is emitted when
    every page went to the printer (a cancelled or failed print emits nothing)."""

    printed_all = Signal()

    def __init__(self, title: str, pages: list[QImage], print_pages=None, parent: QWidget | None = None,
                 total: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("pdfPreview")
        self.pages = pages
        self._print_pages = print_pages   # callable returning high-resolution pages, or None
        self.printed = False
        holder = QWidget(self)
        column = QVBoxLayout(holder)
        self.note = QLabel(self)            # only the first pages shown (``preview_pages``): said above them
        self.note.setObjectName("previewNote")
        self.note.setStyleSheet("color: #8a5a00; font-weight: bold;")
        partial = total is not None and total > len(pages)
        if partial:
            self.note.setText(f"这里只显示前 {len(pages)} 页（共 {total} 页）；打印时打印全部 {total} 页。")
        for img in pages:
            label = QLabel(holder)
            label.setPixmap(QPixmap.fromImage(img))
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setStyleSheet("background: white; border: 1px solid #bbb;")
            column.addWidget(label)
        scroll = QScrollArea(self)
        scroll.setWidget(holder)
        scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        buttons = QDialogButtonBox(self)
        self.print_button = buttons.addButton("打印…", QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.setObjectName("printButton")
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        self.print_button.clicked.connect(self.print_dialog)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        if partial:
            layout.addWidget(self.note)
        else:
            self.note.hide()
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        # wide enough for a whole page (A4 at 96 dpi is 794 px): no sideways scrolling
        page_w = max((img.width() for img in pages), default=700)
        frame = (2 * layout.contentsMargins().left() + 2 * column.contentsMargins().left()
                 + self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent) + 12)
        fit_to_screen(self, page_w + frame, 700)

    def ask_printer(self) -> QPrinter | None:
        """Tests replace this to print without a dialog."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        limit_to_whole_document(dialog)
        try:
            return printer if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def print_dialog(self) -> None:
        printer = self.ask_printer()
        if printer is None:
            return
        printer.setPrintRange(QPrinter.PrintRange.AllPages)     # the whole batch (limit_to_whole_document)
        pages = self._print_pages() if self._print_pages else self.pages
        try:
            print_images(printer, pages)
        except OutputFileError as exc:     # nothing recorded: the clerk is told and may print again
            show_exception(self, exc)
            return
        self.printed = True
        self.printed_all.emit()


def limit_to_whole_document(dialog: QPrintDialog) -> None:
    """No page range, current page or selection in the print dialog: 打印 always prints every page,
    so what a caller records as printed (the letters' 已打印) is exactly what came out. Printing only
    some pages would need the record to know which students were on them; printing the whole batch
    again, or previewing fewer students, does the same job."""
    option = QPrintDialog.PrintDialogOption
    for opt in (option.PrintPageRange, option.PrintCurrentPage, option.PrintSelection):
        dialog.setOption(opt, False)


def print_images(printer: QPrinter, pages: Iterable[QImage]) -> None:
    """Each page drawn as it comes (``iter_pages``: one page in memory at a time). Raises
    ``OutputFileError`` when the printer cannot be started (``QPainter.begin``), refuses a new page
    or cannot finish the job (``QPainter.end``, a printer in its error state): a caller records
    nothing then."""
    painter = QPainter()
    if not painter.begin(printer):
        raise print_failed()
    ok = False
    try:
        for i, img in enumerate(pages):
            if i and not printer.newPage():
                raise print_failed()
            area = painter.viewport()
            size = img.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.setViewport(QRect(area.x(), area.y(), size.width(), size.height()))
            painter.setWindow(img.rect())
            painter.drawImage(0, 0, img)
            painter.setViewport(area)
        ok = True
    finally:
        ended = painter.end()
    if ok and (not ended or printer.printerState() in (QPrinter.PrinterState.Error, QPrinter.PrinterState.Aborted)):
        raise print_failed()
