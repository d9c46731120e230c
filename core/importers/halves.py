"""A big sheet handed to calamine in two halves, parsed on two threads (issue 13).

python-calamine parses a sheet without holding Python's lock, on one core. For a workbook whose
only worksheet is big and regular — every row and cell tag carries its reference, no formula:
what the safety pre-check (``core.importers.limits``) proved while measuring it — the rows are cut
at a row's end into two sheets, each handed to calamine as a stored zip with the workbook's other
XML parts, and the two are parsed at once, one on a helper thread; the rows are put back together
by their references.

``Split`` is fed by the pre-check each inflated chunk once its rows are measured: it keeps them as
the two halves' pieces (the first: the chunks before the one planned for the cut, that chunk up to
its first row end and the sheet's closing tags; the second: the sheet's start up to ``<sheetData>``
and every row after) and computes each half's CRC-32 as the chunks arrive, while the pre-check's
own thread would otherwise wait for the next chunk to be inflated. Once the whole file is measured,
each half is written as the minimal stored zip of those very pieces (``core.importers.stored_zip``:
no copy, no second CRC pass) and served to calamine. Every byte calamine sees is one the pre-check
measured, after it measured the whole file (but the closing tags, written here): a half holds a
subset of the sheet's cells and only the parts the pre-check inflated (``.xml`` and ``.rels``:
pictures, printer settings and macros are left out), so it is within the same limits.

The result is the table calamine gives for the whole file (``tests/test_import_halves.py``); when
anything differs from the plain case — the halves' rows overlap, a half fails, no free core —
``read_halves`` answers None and the caller reads the file as before, with its own messages (a
half panicking in calamine, a sheet without a value). The halves are made only when another core
is free (``core.in_child.spare_core``, as for the commands' child processes): on a busy machine
they would only add the copying to the work.
"""
from __future__ import annotations

import os
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

import python_calamine

from core.importers import limits
from core.importers.stored_zip import Piece, PiecesReader, archive, crc_of
from core.in_child import CpuSample, cpu_sample, spare_core

_SHEET_DATA = b"<sheetData>"
_ROW_END = b"</row>"
_ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?worksheet)[\s>/]")

Pieces = list[Piece]
Half = tuple[str, tuple[int, int], tuple[int, int], list[list[Any]]]   # sheet name, start, end, rows
Member = tuple[str, Pieces, int]                                      # name, data, CRC-32

# The parts copied into a half besides its sheet: what the pre-check inflated and measured, all
# that calamine reads to give a sheet's cells (workbook, relationships, shared strings, styles).
_MEASURED = (".xml", ".rels")


def calamine_failed(exc: BaseException) -> bool:
    """calamine's own errors, and a Rust panic inside it (pyo3's PanicException derives
    from BaseException, so ``except Exception`` would let it through)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def cut_chunk(count: int) -> int:
    """The chunk (of ``count``) at whose first row end the sheet is cut; -1 for too few chunks."""
    return count // 2 if count >= 3 else -1


def _others(path: Path, member: str) -> list[Member]:
    """The workbook's other parts calamine reads (``_MEASURED``), as zipfile reads them (their
    CRC checked against the directory's, which is then theirs)."""
    with zipfile.ZipFile(path) as source:
        return [(info.filename, [source.read(info)], info.CRC) for info in source.infolist()
                if info.filename != member and info.filename.lower().endswith(_MEASURED)]   # (as calamine finds them)


def _open(reader: PiecesReader) -> Any:
    """calamine's workbook of the zip ``reader`` serves (its own copy: the reader is closed)."""
    try:
        return python_calamine.CalamineWorkbook.from_filelike(reader)
    finally:
        reader.close()


def _rows(workbook: Any) -> Half:
    """The first sheet's rows from its first cell, and where they are (calamine without the GIL)."""
    try:
        sheet, name = workbook.get_sheet_by_index(0), workbook.sheet_names[0]
    finally:
        workbook.close()       # (its copy of the zip is freed: the sheet holds its own cells)
    start, end = sheet.start, sheet.end
    if start is None or end is None:        # an empty half: the whole file is read instead
        return "", (0, 0), (0, 0), []
    return name, start, end, sheet.to_python(skip_empty_area=True)


def _parsed(parts: list[Member], half: Member) -> Half:
    """One half parsed: its pieces served to calamine as a stored zip with the other parts (and
    freed as soon as calamine holds its copy)."""
    reader = PiecesReader(archive([*parts, half]), short=True)
    half[1].clear()
    return _rows(_open(reader))


class Split:
    """The sheet's two halves, fed by the pre-check chunk by measured chunk (``measured``): their
    pieces, and the CRC-32 of each computed as the pieces come."""

    def __init__(self, member: str, size: int) -> None:
        self.member = member
        self.since = cpu_sample()      # (whether a core is free is decided after the pre-check: ``wanted``)
        self.at = cut_chunk(-(-size // limits.CHUNK))     # of the chunks the declared size inflates to
        self.seen = 0
        self.closing = b""
        self.first: Pieces = []
        self.second: Pieces = []
        self.crc = [0, 0]
        self.dead = self.at < 0

    def measured(self, chunk: bytes) -> None:
        """The next chunk of the sheet, its rows up to its last row end measured and regular."""
        if self.dead:
            return
        i, self.seen = self.seen, self.seen + 1
        if i == 0:
            start, root = chunk.find(_SHEET_DATA), _ROOT.search(chunk)
            if start < 0 or root is None:
                self.abandon()           # a tag across two chunks: not worth the bookkeeping
                return
            self.second = [chunk[:start + len(_SHEET_DATA)]]
            self.crc[1] = crc_of(self.second)
            self.closing = b"</sheetData></" + root.group(1) + b">"
        cut = chunk.find(_ROW_END) if i == self.at else -1
        if i < self.at or (i == self.at and cut < 0):     # (no row end there: cut in the next chunk)
            self.at += i == self.at
            self.first.append(chunk)
            self.crc[0] = crc_of((chunk,), self.crc[0])
        elif i == self.at:
            view, cut = memoryview(chunk), cut + len(_ROW_END)
            self.first += [view[:cut], self.closing]
            self.second.append(view[cut:])
            self.crc = [crc_of(self.first[-2:], self.crc[0]), crc_of(self.second[-1:], self.crc[1])]
        else:
            self.second.append(chunk)
            self.crc[1] = crc_of((chunk,), self.crc[1])

    @property
    def complete(self) -> bool:
        """Both halves hold rows' XML: the cut was made."""
        return not self.dead and self.seen > self.at >= 0 and bool(self.first) and len(self.second) > 1

    def abandon(self) -> None:
        """Not for the halves (an irregular sheet): the pieces dropped."""
        self.dead = True
        self.first, self.second = [], []

    def halves(self) -> tuple[Member, Member]:
        """The two halves (taken out: this split holds them no more)."""
        (a, b), self.first, self.second = (self.first, self.second), [], []
        return (self.member, a, self.crc[0]), (self.member, b, self.crc[1])


def may_want() -> bool:
    """Whether the pre-check feeds a split: a core is free now, or the cores' use can be sampled
    over the pre-check (Linux) to tell whether one is free after it, as a lagging load may hide."""
    return wanted() or ((os.cpu_count() or 1) >= 2 and cpu_sample() is not None)


def wanted(since: CpuSample | None = None) -> bool:
    """Whether the halves are made now: another core is free (``since``: the split's start, to look
    behind a lagging load figure: ``core.in_child.spare_core``)."""
    return spare_core(since)


def read_halves(path: Path, checked: limits.Precheck) -> tuple[str, list[list[Any]]] | None:
    """(sheet name, rows as ``to_python(skip_empty_area=False)`` of the whole sheet gives them), or
    None when the two halves cannot stand for the whole (the caller then reads the file itself).
    Takes the split out of ``checked``: its pieces are freed as calamine copies each half."""
    split, checked.split = checked.split, None
    if split is None or not split.complete or not wanted(split.since):
        return None
    first, second = split.halves()
    del split
    box = [second]                # (taken by the helper: its pieces freed with calamine's copy)
    del second
    got: list[Half | BaseException] = []
    mine: Half | None = None
    started = False
    try:
        parts = _others(path, first[0])
        thread = threading.Thread(target=_helper, args=(parts, box, got), name="calamine-half", daemon=True)
        thread.start()
        started = True
        mine = _parsed(parts, first)
    except BaseException as exc:  # the whole file is read instead, with its own messages
        if not calamine_failed(exc):
            raise
    finally:
        box.clear()
        if started:
            thread.join()
    theirs = got[0] if got else None
    if mine is None or not isinstance(theirs, tuple) or not (_has_value(theirs[3]) or _has_value(mine[3])):
        return None         # (a sheet of empty cells only: the whole file's read says so)
    return _joined(mine, theirs)


def _helper(parts: list[Member], box: list[Member], got: list[Half | BaseException]) -> None:
    """The second half parsed on the helper thread; its rows, or what it raised, put in ``got``."""
    try:
        half = box.pop()
        got.append(_parsed(parts, half))
    except BaseException as exc:  # noqa: BLE001 - handed to the caller (calamine's panics too)
        got.append(exc)


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
