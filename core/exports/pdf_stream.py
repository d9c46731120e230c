"""A reportlab document written to its file object by object as reportlab formats it.

reportlab's ``Canvas.save`` collects every formatted object of the file in a list, joins the
list and only then writes: at the end of a long document (50,000 letters: a file of about
65 MB) the whole file is held twice. ``save_streamed`` writes each piece as it is made; the
bytes are the same (tests/test_pdf_stream.py compares them). reportlab has no hook for its
output collector (``PDFDocument.format`` makes a ``pdfdoc.PDFFile``), so that class is
replaced, once, by a subclass that behaves exactly as it does unless it is made while a document
saved by this module formats its objects, in the same thread.
"""
from __future__ import annotations

import threading
from typing import Any, BinaryIO

from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

_SINK = threading.local()        # .file: where the current thread's streamed save writes


class _StreamedFile(pdfdoc.PDFFile):  # type: ignore[misc]  # reportlab has no type information
    """reportlab's output collector, writing to ``_SINK.file`` when a streamed save set one:
    ``add`` still counts the offsets the cross-reference table needs; ``format`` (the joined
    rest) is then empty."""

    strings: list[bytes]

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        out: BinaryIO | None = getattr(_SINK, "file", None)
        if out is not None:
            for piece in self.strings:           # the header
                out.write(piece)
            self.strings = []
            self.write = out.write


if not issubclass(pdfdoc.PDFFile, _StreamedFile):
    pdfdoc.PDFFile = _StreamedFile


def save_streamed(canvas: Canvas) -> None:
    """``Canvas.save``, the file written piece by piece (same bytes). A document to be signed
    by reportlab (which rewrites the collected pieces) is saved as reportlab saves it."""
    if len(canvas._code):
        canvas.showPage()
    doc = canvas._doc
    target = canvas._filename
    if getattr(doc, "_digiSigs", None):
        _save_to(doc, canvas, target, None)
    elif callable(getattr(target, "write", None)):
        _save_to(doc, canvas, target, target)
    else:
        with open(target, "wb") as f:
            _save_to(doc, canvas, f, f)


def _save_to(doc: Any, canvas: Canvas, target: Any, sink: BinaryIO | None) -> None:
    """``doc`` saved to ``target``, its pieces streamed to ``sink`` (None: collected as reportlab
    does). The sink is the thread's only while ``doc`` formats its objects (reportlab's
    ``PDFDocument.format``, which saves no other document): a document saved at any other moment,
    even in the same thread, is saved as reportlab saves it."""
    if sink is None:
        doc.SaveToFile(target, canvas)
        return

    def format_streamed() -> Any:
        before = getattr(_SINK, "file", None)
        _SINK.file = sink
        try:
            return type(doc).format(doc)         # what is left to join: nothing
        finally:
            _SINK.file = before
    doc.format = format_streamed                 # (GetPDFData calls self.format())
    doc.SaveToFile(target, canvas)
