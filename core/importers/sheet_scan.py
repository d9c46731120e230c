"""The pre-check of one .xlsx worksheet (``core.importers.limits``): its XML streamed in chunks, every
row and cell reference measured against the limits before calamine sees the sheet.

A chunk whose tags are all as the usual writers write them (Excel, WPS, LibreOffice, openpyxl:
reference first, in capitals, then a type and a style at most, no formula) is accepted from one
regular-expression pass; another chunk is measured reference by reference (every attribute r of a
tag, since calamine takes the last), and a sheet whose rows or cells lack references is walked tag
by tag. How far calamine's rectangle reaches (rows × columns, ``MAX_CELLS``) is read from the chunks
past the usual reach (99,999 rows, column AZ) and bounded for the others; a sheet whose bound is over
the limit is read once more, exactly.
"""
from __future__ import annotations

import re
import string
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.bulk import prefetched
from core.importers import limits
from core.importers.limits import MAX_CELLS, MAX_TAIL, MAX_UNPACKED_BYTES, check_extent, column_number, refuse

if TYPE_CHECKING:
    from core.importers.halves import Split


# Written so that each starts with a literal (re's fast prefix search): a row or cell
# reference with 7+ digits (row >= 1,000,000) or beyond column GR (200); a dimension;
# a formula; a row or cell tag whose first attribute is not its reference.
_EXTENT = re.compile(rb'r\s*=\s*["\'](?:[A-Za-z]{0,3}\d{7}|[A-Za-z]{3}|[H-Zh-z][A-Za-z]\d|[Gg][S-Zs-z]\d)')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref\s*=\s*["\']([^"\']*)["\']')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_NO_REF = re.compile(rb"<(?:c|row)(?!\s+r\s*=)[\s>/]")
_PREFIXED = re.compile(rb":(?:c|row)[\s>/]")        # <x:c …>: walked tag by tag
_UNPREFIXED_FORMULA = re.compile(rb"<f[\s>/]")      # (prefixed sheets are walked)

# A sheet as Excel, WPS, LibreOffice and openpyxl write it: every row and cell tag has its
# reference first, in capitals, within the limits (a row below 1,000,000, a column up to GR),
# and no cell holds a formula. One pass finds the first tag that is not so (or a formula); a
# chunk without any is within the limits by this pattern alone, and the passes below (extents,
# tags without references, formulas) are run only on a chunk that has one. Prefixed tags
# (<x:c>) are looked for by ``_PREFIXED``.
_CELL_REF_OK = rb'(?:[A-Z]|[A-F][A-Z]|G[A-R])[1-9][0-9]{0,5}"'
_IRREGULAR = re.compile(rb'<(?:c(?! r="' + _CELL_REF_OK + rb')[\s>/]'
                        rb'|row(?! r="[1-9][0-9]{0,5}")[\s>/]|f[\s>/])')
# The same, and each cell tag ending as the usual writers end it after its reference (a type, a
# style, both, or nothing): a tag with any other attribute may hold a second reference
# (``<c r="B1" r="XFD1048576">``), which calamine takes (the last one). A chunk that passes
# ``_IRREGULAR`` but not this has every attribute r measured (``_SheetScan._measure``), and stays
# regular (the halves). (A tail checked attribute by attribute instead cost 0.13 s more at 50,000
# students; this one 0.03 s.)
_TYPE = rb't="(?!e")[a-zA-Z]{1,9}"'      # a cell's type, but an error value's ("e": ``SheetMarks``)
_USUAL_TAIL = rb'(?: t="inlineStr">| ' + _TYPE + rb'\s*/?>|>| s="\d{1,5}"(?: ' + _TYPE + rb')?\s*/?>|\s*/>)'
# (a hidden row's tag is not usual either: ``SheetMarks``; LibreOffice writes hidden="false" on every row)
_USUAL_FAR = re.compile(rb'<(?:c(?! r="' + _CELL_REF_OK + _USUAL_TAIL + rb')[\s>/]'
                        rb'|row(?! r="[1-9][0-9]{0,5}"(?![^>]*hidden\s*=\s*["\'](?:1|true)))[\s>/]|f[\s>/])')
# ``_USUAL_FAR`` within the first 99,999 rows and columns A to AZ: a chunk that passes it reaches no
# farther (``_USUAL_REACH``); one that passes only ``_USUAL_FAR`` has its 6-digit rows and its columns
# past AZ read (``_FAR_ROW``, ``_FAR_COL``: how far calamine's rectangle reaches, ``MAX_CELLS``).
_USUAL = re.compile(rb'<(?:c(?! r="(?:[A-Z]|A[A-Z])[1-9][0-9]{0,4}"' + _USUAL_TAIL + rb')[\s>/]'
                    rb'|row(?! r="[1-9][0-9]{0,4}"(?![^>]*hidden\s*=\s*["\'](?:1|true)))[\s>/]|f[\s>/])')
_USUAL_REACH = (99_999, 52)
_FAR_ROW = re.compile(rb'<c r="[A-Z]{1,2}([1-9]\d{5})"')
_FAR_COL = re.compile(rb'<c r="([B-G][A-Z])[1-9]')
_ROW_NUMBER = re.compile(rb"\d+")


def _beyond(row: int) -> re.Pattern[bytes]:
    """A usual cell reference to a 6-digit row after ``row`` (6 digits): 200002 ->
    ``[3-9]\\d{5}|2[1-9]\\d{4}|20[1-9]\\d{3}|200[1-9]\\d\\d|2000[1-9]\\d|20000[3-9]``."""
    digits = str(row)
    after = [f"{digits[:i]}[{int(d) + 1}-9]" + (f"\\d{{{5 - i}}}" if i < 5 else "")
             for i, d in enumerate(digits) if d != "9"]
    return re.compile(rb'<c r="[A-Z]{1,2}(?:' + "|".join(after).encode() + rb')"') if after else _NOTHING


_NOTHING = re.compile(rb"(?!)")
# Every attribute r (``_CELL_REF``'s boundary), in a chunk not of the usual form: how far it reaches.
_ANY_REF = re.compile(rb'(?<![\w:.\-\x80-\xff])r\s*=\s*["\']\$?([A-Za-z]{0,3})\$?(\d*)')
_ANY_FAR_ROW = re.compile(rb'(?<![\w:.\-\x80-\xff])r\s*=\s*["\']\$?[A-Za-z]{0,3}\$?(\d{6,})')   # 0999999 too
_ANY_FAR_COL = re.compile(rb'(?<![\w:.\-\x80-\xff])r\s*=\s*["\']\$?([B-Zb-z][A-Za-z]|[A-Za-z]{3})\$?\d')


def _prefixed(data: bytes, end: int) -> bool:
    """``_PREFIXED`` in ``data[:end]``; a chunk without a colon (memchr's speed) has none."""
    return data.find(b":", 0, end) >= 0 and _PREFIXED.search(data, 0, end) is not None


_REF = re.compile(r"([A-Za-z]{1,4})?(\d+)")


def _ref(text: str) -> tuple[int, int]:
    """"B12" -> (12, 2); a range "A1:C9" -> its far corner (9, 3)."""
    rows = cols = 0
    for part in text.split(":"):
        m = _REF.fullmatch(part.replace("$", "").strip())
        if m:
            rows = max(rows, int(m.group(2)))
            cols = max(cols, column_number(m.group(1) or "A"))
    return rows, cols


_CELL_START = re.compile(rb"<(?:\w+:)?c(?=[\s>/])([^>]*?)(/?)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c\s*>")
_HAS_VALUE = re.compile(rb"<(?:\w+:)?(?:v\s*>\s*[^<\s]|is\b)")
# An attribute named r (calamine takes a tag's last one): not the end of a longer name (xmlns:r=,
# pageOrder=), whatever separates it from the attribute before (a space, a form feed, nothing).
_NAME_BYTES = frozenset(string.ascii_letters.encode() + string.digits.encode() + b"_:.-" + bytes(range(0x80, 0x100)))
_CELL_REF = re.compile(rb'(?<![\w:.\-\x80-\xff])r\s*=\s*["\']([A-Za-z]+)(\d+)')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row(?=[\s>/])([^>]*)>")
_ROW_REF = re.compile(rb'(?<![\w:.\-\x80-\xff])r\s*=\s*["\'](\d+)')


def _last(pattern: re.Pattern[bytes], attrs: bytes) -> re.Match[bytes] | None:
    """A tag's last attribute matching ``pattern``: the one calamine keeps (every one is measured
    by ``_EXTENT``)."""
    *_before, last = (None, *pattern.finditer(attrs))
    return last


# What a sheet shows the clerk that calamine does not give: error values (read as ""), hidden rows,
# merged cells (calamine gives the value in the first cell only). Looked for in a chunk that is not
# of the usual form only: ``_USUAL`` and ``_USUAL_FAR`` send an error cell or a row tag naming
# ``hidden`` there; the merged cells follow the rows, in the final tail.
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c(?=[\s>/])([^>]*?\bt\s*=\s*[\"']e[\"'][^>]*?)(/?)>")
_ERROR_TYPE = re.compile(rb"(?<![\w:.\-\x80-\xff])t\s*=\s*[\"']e[\"']")
_HIDDEN = re.compile(rb"(?<![\w:.\-\x80-\xff])hidden\s*=\s*[\"'](?:1|true)[\"']")
_HIDDEN_ROW = re.compile(rb"<(?:\w+:)?row(?=[\s>/])([^>]*?\bhidden\s*=[^>]*)>")
_VALUE = re.compile(rb"<(?:\w+:)?v\s*>([^<]{1,40})<")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([^\"']{1,40})[\"']")
_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7}):\$?([A-Za-z]{1,3})\$?(\d{1,7})")
MAX_MERGES = 100_000        # more merged ranges than this: the rest are not filled (a note says so)


@dataclass
class SheetMarks:
    """A sheet's cells whose value calamine reads as empty or not at all, 0-based: ``errors``
    (row, column) -> the error's text ("#N/A"); ``hidden`` rows; ``merged`` ranges as (first row,
    first column, last row, last column)."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.errors or self.hidden or self.merged)


class _SheetScan:
    """Streams one worksheet's XML in whole rows: the extent checks run at C speed per
    chunk; a sheet whose rows or cells lack references is also walked tag by tag;
    formula cells are looked at one by one (only those)."""

    _TOKENS = re.compile(rb"<(/?)(?:\w+:)?(row|c)(?=[\s>/])([^>]*?)(/?)>")

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.where = path, f"工作表“{name}”"
        self.row = self.col = 0
        self.uncomputed: set[tuple[int, int]] = set()
        self.walk = self.in_data = False
        self.regular = True       # every chunk so far passed the one-pass test
        self.exact = False        # no chunk taken as usual (a second look: ``reach``)
        self.usual = False        # a chunk was taken as usual: it reaches no farther than _USUAL_REACH
        self.far = [0, 0]         # the farthest row and column read in the other chunks
        self.last_row = 0         # the last row tag's number so far (a walk begun later counts on from it)
        self.marks = SheetMarks()

    def feed(self, data: bytes, final: bool) -> int:
        """Scan the whole rows in ``data``; returns how many bytes were consumed."""
        end = len(data)
        if not final:
            last = data.rfind(b"row>")       # the end of the last whole row ("</row>", "</x:row>")
            end = 0 if last < 0 else last + 4
            if not end:
                return 0
        if not self.in_data:      # <dimension> comes before <sheetData>
            head = data[:end].split(b"sheetData", 1)
            self.in_data = len(head) > 1
            for m in _DIMENSION.finditer(head[0]):
                rows, cols = _ref(m.group(1).decode("ascii", "replace"))
                check_extent(self.path, rows, cols, f"{self.where}声明的范围")
        if final and data.find(b"mergeCell") >= 0:
            self._merges(data)
        # (searched in place, up to ``end``: no copy of the chunk on the usual path)
        before, self.last_row = self.last_row, self._last_row(data, end)
        if not self.walk and not _prefixed(data, end):
            if not self.exact:
                if not _USUAL.search(data, 0, end):
                    self.usual = True
                    return end    # every tag regular: within the limits, no formula
                if not _USUAL_FAR.search(data, 0, end):
                    self._far(data, end)     # regular, past 99,999 rows or column AZ: how far
                    return end
            if not _IRREGULAR.search(data, 0, end):
                self._measure(data[:end])    # regular, with other attributes: every reference measured
                self._reach(data[:end])
                self._marks(data[:end])
                return end
        self.regular = False
        view = data[:end]
        self._marks(view)
        self._measure(view)
        self._reach(view)         # every reference, walked or not (the walk places the cells without one)
        if not self.walk and (_NO_REF.search(view) or _prefixed(view, end)):
            self.walk = True      # counting on from the last row before, as calamine counts on
            self.row = before
        if self.walk:
            self._walk(view)
        elif _UNPREFIXED_FORMULA.search(view):
            self._formulas(view)
        return end

    def _marks(self, view: bytes) -> None:
        """The error cells and hidden rows of a chunk not of the usual form (those with a reference:
        a walk places the others)."""
        for m in _ERROR_CELL.finditer(view):
            ref = _last(_CELL_REF, m.group(1))
            if ref:
                self._error(view, m.end(), bool(m.group(2)), int(ref.group(2)), column_number(ref.group(1).decode()))
        for m in _HIDDEN_ROW.finditer(view):
            ref = _ROW_REF.search(m.group(1))
            if ref and _HIDDEN.search(m.group(1)):
                self.marks.hidden.add(int(ref.group(1)) - 1)

    def _merges(self, data: bytes) -> None:
        """The merged ranges (after the rows: in the final tail), at most ``MAX_MERGES``."""
        for m in _MERGE.finditer(data):
            if len(self.marks.merged) >= MAX_MERGES:
                break
            r = _RANGE.fullmatch(m.group(1).decode("ascii", "replace"))
            if r:
                self.marks.merged.append((int(r.group(2)) - 1, column_number(r.group(1)) - 1,
                                          int(r.group(4)) - 1, column_number(r.group(3)) - 1))

    def _error(self, data: bytes, start: int, empty: bool, row: int, col: int) -> None:
        """An error cell at (1-based) ``row``, ``col`` whose tag ends at ``start`` (``empty``: <c …/>,
        no content): its text, "#N/A"."""
        text = ""
        if not empty:
            close = _CELL_END.search(data, start)
            value = _VALUE.search(data, start, close.start() if close else len(data))
            text = value.group(1).decode("utf-8", "replace").strip() if value else ""
        self.marks.errors[(row - 1, col - 1)] = text or "#错误"

    def _last_row(self, data: bytes, end: int) -> int:
        """The number of the last row tag before ``end`` (its first r=, which places its cells), or the
        one before when this chunk's has none."""
        at = data.rfind(b"<row", 0, end)
        tag = _ROW_TAG.match(data, at) if at >= 0 else None
        ref = _ROW_REF.search(tag.group(1)) if tag else None
        return int(ref.group(1)) if ref else self.last_row

    def _far(self, data: bytes, end: int) -> None:
        """A chunk of usual tags past 99,999 rows or column AZ: its farthest row (its last row's number,
        when no cell reference is beyond it: one search; else every 6-digit reference read) and its
        farthest column past AZ."""
        last = data.rfind(b'<row r="', 0, end)
        top = _ROW_NUMBER.match(data, last + 8) if last >= 0 else None
        row = int(top.group()) if top else 0
        if not 100_000 <= row < 1_000_000 or _beyond(row).search(data, 0, end):
            rows = _FAR_ROW.findall(data, 0, end)
            row = int(max(rows)) if rows else 0         # (6 digits each: as text)
        cols = _FAR_COL.findall(data, 0, end)
        self.far = [max(self.far[0], row), max(self.far[1], column_number(max(cols).decode()) if cols else 0)]
        self.usual = True

    def _reach(self, view: bytes) -> None:
        """How far the references of a chunk not of the usual form reach: its 6-digit rows and its
        columns past AZ, the others bounded as a usual chunk's (``_measure`` refuses any reference
        beyond the limits); every reference read when ``exact``."""
        if not self.exact:
            rows, cols = _ANY_FAR_ROW.findall(view), _ANY_FAR_COL.findall(view)
            self.far = [max(self.far[0], max(map(int, rows), default=0)),
                        max(self.far[1], max((column_number(c.decode()) for c in cols), default=0))]
            self.usual = True
            return
        for m in _ANY_REF.finditer(view):
            letters, digits = m.group(1), m.group(2)
            self.far = [max(self.far[0], int(digits) if digits else 0),
                        max(self.far[1], column_number(letters.decode()) if letters else 0)]

    def reach(self) -> tuple[int, int]:
        """How far calamine's rectangle may reach (rows, columns); exact when ``exact``."""
        usual = _USUAL_REACH if self.usual else (0, 0)
        return max(self.far[0], usual[0]), max(self.far[1], usual[1])

    def _measure(self, view: bytes) -> None:
        """Every attribute r in ``view`` within the limits (a refusal raised)."""
        for m in _EXTENT.finditer(view):
            if m.start() and view[m.start() - 1] not in _NAME_BYTES:    # the attribute r=, not xmlns:r= or pageOrder=
                self._extent(m.group(0))

    def _extent(self, match: bytes) -> None:
        ref = re.search(rb"([A-Za-z]*)(\d*)$", match.split(b"=", 1)[1].strip(b" \t\r\n\"'"))
        assert ref is not None   # the pattern matches every string (both groups may be empty)
        letters, digits = ref.group(1).decode(), ref.group(2)
        check_extent(self.path, int(digits) if len(digits) >= 7 else 0,
                      column_number(letters) if letters else 0, self.where)

    def _cell_value(self, data: bytes, start: int, row: int, col: int) -> None:
        """The cell whose content starts at ``start``: a formula without a value is noted."""
        close = _CELL_END.search(data, start)
        inner = data[start:close.start() if close else len(data)]
        if _FORMULA.search(inner) and not _HAS_VALUE.search(inner):
            self.uncomputed.add((row - 1, col - 1))

    def _formulas(self, data: bytes) -> None:
        for f in _FORMULA.finditer(data):
            starts = list(_CELL_START.finditer(data, max(0, f.start() - 512), f.start()))
            cell = starts[-1] if starts else None
            if cell is None or cell.group(2):
                continue
            ref = _last(_CELL_REF, cell.group(1))
            if ref:
                self._cell_value(data, cell.end(), int(ref.group(2)), column_number(ref.group(1).decode()))

    def _walk(self, data: bytes) -> None:
        for m in self._TOKENS.finditer(data):
            closing, tag, attrs, empty = m.group(1), m.group(2), m.group(3), m.group(4)
            if closing:
                continue
            if tag == b"row":
                ref = _ROW_REF.search(attrs)     # (a row tag's first r= places its cells without one)
                self.row = int(ref.group(1)) if ref else self.row + 1
                self.col = 0
                check_extent(self.path, self.row, 0, self.where)
                if _HIDDEN.search(attrs):
                    self.marks.hidden.add(self.row - 1)
                continue
            ref = _last(_CELL_REF, attrs)
            if ref:
                self.col, row = column_number(ref.group(1).decode()), int(ref.group(2))
            else:
                self.col, row = self.col + 1, self.row
            check_extent(self.path, row, self.col, self.where)
            self.far = [max(self.far[0], row), max(self.far[1], self.col)]
            if _ERROR_TYPE.search(attrs):
                self._error(data, m.end(), bool(empty), row, self.col)
            if not empty:
                self._cell_value(data, m.end(), row, self.col)


def _scan_sheet(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                budget: list[int], keep: Split | None = None) -> _SheetScan:
    """The sheet measured (a refusal raised); each inflated chunk handed to ``keep`` once its
    rows are measured and regular (a sheet that is not abandons it)."""
    scan = _SheetScan(path, name)
    tail = b""
    # inflated on the second core (zlib-ng releases the GIL) while this thread scans the chunk before
    for chunk in prefetched(limits.stream(path, zf, info, budget)):
        data = tail + chunk if tail else chunk
        tail = data[scan.feed(data, final=False):]
        if keep is not None and scan.regular:
            keep.measured(chunk)          # (up to its last row end, which is at or after its first)
        elif keep is not None:
            keep.abandon()                # not a sheet for the halves: nothing more kept
            keep = None
        if len(tail) > MAX_TAIL:          # no row end in 16 MB: not a real sheet
            raise refuse(path, f"{scan.where}的内容格式异常")
    scan.feed(tail, final=True)
    if keep is not None and not (scan.regular and not scan.walk):
        keep.abandon()
    rows, cols = scan.reach()
    if rows * cols > MAX_CELLS and scan.usual:     # a bound, not a reading: read again, exactly
        rows, cols = _exact_reach(path, zf, info, name)
    if rows * cols > MAX_CELLS:
        raise refuse(path, f"{scan.where}用到 {rows} 行 × {cols} 列，共 {rows * cols} 个单元格，"
                           f"超过上限 {MAX_CELLS} 个")
    return scan


def _exact_reach(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> tuple[int, int]:
    """How far a sheet's references reach, every chunk read reference by reference (only a sheet whose
    bound from the usual chunks is over ``MAX_CELLS``: half a million rows and more)."""
    scan = _SheetScan(path, name)
    scan.exact = True
    tail = b""
    for chunk in limits.stream(path, zf, info, [MAX_UNPACKED_BYTES]):    # (measured once already)
        data = tail + chunk if tail else chunk
        tail = data[scan.feed(data, final=False):]
    scan.feed(tail, final=True)
    return scan.reach()

