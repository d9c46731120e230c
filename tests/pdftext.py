"""PDFs read back in tests with pypdfium2 (a dependency of the program), so no
PDF test needs poppler's command-line tools and none is skipped where they are absent."""
from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

Source = str | Path | bytes


@contextmanager
def opened(source: Source) -> Iterator[pdfium.PdfDocument]:
    doc = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
    try:
        yield doc
    finally:
        doc.close()


def pdf_text(source: Source, page: int | None = None) -> str:
    """The text of every page, or of ``page`` (1-based)."""
    with opened(source) as doc:
        numbers = range(len(doc)) if page is None else [page - 1]
        return "\n".join(doc[i].get_textpage().get_text_range() for i in numbers)


def page_count(source: Source) -> int:
    with opened(source) as doc:
        return len(doc)


def page_sizes(source: Source) -> list[tuple[float, float]]:
    """(width, height) of every page in points."""
    with opened(source) as doc:
        return [doc[i].get_size() for i in range(len(doc))]


def fonts(source: Source) -> set[tuple[str, bool]]:
    """(base font name, embedded) of the font of every text object on every page."""
    found: set[tuple[str, bool]] = set()
    with opened(source) as doc:
        for i in range(len(doc)):
            for obj in doc[i].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
                font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
                size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
                buf = ctypes.create_string_buffer(size)
                pdfium_c.FPDFFont_GetBaseFontName(font, buf, size)
                found.add((buf.value.decode("utf-8", "replace"), bool(pdfium_c.FPDFFont_GetIsEmbedded(font))))
    return found
