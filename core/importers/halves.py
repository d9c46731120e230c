"""A big sheet handed to calamine in two halves, parsed on two threads (issue 13).

python-calamine parses a sheet without holding Python's lock, on one core. For a workbook whose
only worksheet is big and regular — every row and cell tag carries its reference, no formula:
what the safety pre-check (``core.importers.limits``) proved while measuring it, keeping the
sheet's inflated XML — the rows are cut at a row's end into two sheets, each zipped (stored) with
the workbook's other XML parts, and the two are parsed at once, one on a helper thread; the rows are
put back together by their references. Every byte calamine sees is one the pre-check measured: a
half holds a subset of the sheet's cells and only the parts the pre-check inflated (``.xml`` and
``.rels``: pictures, printer settings and macros are left out, they would only be copied in
memory), so it is within the same limits.

The result is the table calamine gives for the whole file (``tests/test_import_halves.py``); when
anything differs from the plain case — the halves' rows overlap, a half fails, no free core —
``read_halves`` answers None and the caller reads the file as before, with its own messages (a
half panicking in calamine, a sheet without a value). The halves are made only when another core
is free (``core.in_child.spare_core``, as for the commands' child processes): on a busy machine
they would only add the zipping to the work.
"""
from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path
from typing import Any

import python_calamine

from core.importers.limits import Precheck
from core.in_child import spare_core

_SHEET_DATA = b"<sheetData>"
_SHEET_DATA_END = b"</sheetData>"
_ROW_END = b"</row>"

Pieces = list[memoryview]
Half = tuple[str, tuple[int, int], tuple[int, int], list[list[Any]]]   # sheet name, start, end, rows

# The parts copied into a half besides its sheet: what the pre-check inflated and measured, all
# that calamine reads to give a sheet's cells (workbook, relationships, shared strings, styles).
_MEASURED = (".xml", ".rels")


def calamine_failed(exc: BaseException) -> bool:
    """calamine's own errors, and a Rust panic inside it (pyo3's PanicException derives
    from BaseException, so ``except Exception`` would let it through)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _cut(chunks: list[bytes]) -> tuple[Pieces, Pieces] | None:
    """The XML of the two halves as pieces of ``chunks`` (the sheet's XML in order, no copy): the
    first half ends after the first row end of the middle chunk; the second has the sheet's start
    (up to ``<sheetData>``) and every row after. None for a sheet too small to cut this way."""
    if len(chunks) < 3:
        return None
    first, middle, last = chunks[0], len(chunks) // 2, chunks[-1]
    start = first.find(_SHEET_DATA)
    mid = chunks[middle].find(_ROW_END)
    end = last.rfind(_SHEET_DATA_END)
    if start < 0 or mid < 0 or end < 0:
        return None                # a tag across two chunks: not worth the bookkeeping
    start, mid = start + len(_SHEET_DATA), mid + len(_ROW_END)
    views = [memoryview(c) for c in chunks]
    return ([*views[:middle], views[middle][:mid], views[-1][end:]],
            [views[0][:start], views[middle][mid:], *views[middle + 1:]])


def _zipped(path: Path, member: str, pieces: Pieces) -> io.BytesIO:
    """The workbook at ``path`` with ``member`` made of ``pieces`` and the other parts calamine
    reads (``_MEASURED``), every part stored."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for info in source.infolist():
            if info.filename == member:
                with out.open(member, "w") as sheet:
                    for piece in pieces:
                        sheet.write(piece)
            elif info.filename.endswith(_MEASURED):
                out.writestr(info.filename, source.read(info))
    buf.seek(0)
    return buf


def _zip_then_wait(path: Path, member: str, pieces: Pieces, mine: threading.Event,
                   other: threading.Event) -> io.BytesIO:
    """This half zipped (its pieces dropped), once the other half is zipped too."""
    try:
        return _zipped(path, member, pieces)
    finally:
        pieces.clear()
        mine.set()
        other.wait()


def _parse(buf: io.BytesIO) -> Half:
    workbook = python_calamine.CalamineWorkbook.from_filelike(buf)
    buf.close()                # calamine holds its own copy
    try:
        sheet, name = workbook.get_sheet_by_index(0), workbook.sheet_names[0]
    finally:
        workbook.close()       # (its copy of the zip is freed: the sheet holds its own cells)
    start, end = sheet.start, sheet.end
    if start is None or end is None:        # an empty half: the whole file is read instead
        return "", (0, 0), (0, 0), []
    return name, start, end, sheet.to_python(skip_empty_area=True)


def wanted() -> bool:
    """Whether the halves are made now: another core is free (the pre-check keeps a sheet's XML only then)."""
    return spare_core()


def read_halves(path: Path, checked: Precheck) -> tuple[str, list[list[Any]]] | None:
    """(sheet name, rows as ``to_python(skip_empty_area=False)`` of the whole sheet gives them), or
    None when the two halves cannot stand for the whole (the caller then reads the file itself).
    Takes the sheet's XML out of ``checked``: it is freed as soon as both halves are zipped."""
    chunks, checked.sheet_xml = checked.sheet_xml or [], None
    cut = _cut(chunks) if wanted() else None
    del chunks
    if cut is None:
        return None
    first, second = cut
    del cut
    # Each thread zips its half, then waits for the other's: the sheet's XML is freed before
    # either half is handed to calamine (which copies its zip), so the two never coexist.
    a_zipped, b_zipped = threading.Event(), threading.Event()
    got: list[Half | BaseException] = []

    def helper(pieces: Pieces) -> None:
        try:
            got.append(_parse(_zip_then_wait(path, checked.sheet_member, pieces, b_zipped, a_zipped)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller (calamine's panics too)
            got.append(exc)
    thread = threading.Thread(target=helper, args=(second,), name="calamine-half", daemon=True)
    del second
    started = False
    a: Half | None = None
    try:
        thread.start()
        started = True
        a = _parse(_zip_then_wait(path, checked.sheet_member, first, a_zipped, b_zipped))
    except BaseException as exc:  # the whole file is read instead, with its own messages
        if not calamine_failed(exc):
            raise
    finally:
        a_zipped.set()
        if started:
            thread.join()
    b = got[0] if got else None
    if a is None or not isinstance(b, tuple) or not (_has_value(a[3]) or _has_value(b[3])):
        return None         # (a sheet of empty cells only: the whole file's read says so)
    return _joined(a, b)


def _has_value(rows: list[list[Any]]) -> bool:
    """A cell that is not empty, as the whole file's read tells a sheet with data."""
    return any(cell != "" and cell is not None for row in rows for cell in row)


def _joined(a: Half, b: Half) -> tuple[str, list[list[Any]]] | None:
    """The rows of the whole sheet from column A and row 1 on, each as wide as the widest half."""
    (name, a_start, a_end, a_rows), (_name, b_start, b_end, b_rows) = a, b
    if not a_rows or not b_rows or a_end[0] >= b_start[0]:
        return None         # an empty half, or rows out of order across the cut
    width = max(a_end[1], b_end[1]) + 1
    rows: list[list[Any]] = [[""] * width for _ in range(a_start[0])]
    for (_top, left), part, below in ((a_start, a_rows, b_start[0] - a_end[0] - 1), (b_start, b_rows, 0)):
        if left or len(part[0]) + left != width:
            part = [[""] * left + r + [""] * (width - left - len(r)) for r in part]
        rows.extend(part)
        rows.extend([""] * width for _ in range(below))
    return name, rows
