"""Resource limits checked BEFORE a spreadsheet reaches python-calamine.

calamine allocates a sheet's whole used range at once (rows x columns of cells), and an allocation
failure aborts the process from Rust, which Python cannot catch: a 2 KB .xlsx with one cell at
XFD1048576 asks for 512 GB. So every file is measured first against limits that a real school file
never reaches, and a file beyond them is refused with an InputFileError.

What is guarded, per format:

* .xlsx/.xlsm (zip): member count, duplicate member names, the unpacked size of each member and of
  all of them (the zip directory's sizes are checked first; every XML member is then really
  decompressed, counting bytes, so a directory that lies is caught by zipfile's size/CRC check), the
  compression ratio of big members, and for every worksheet the declared extent (``<dimension ref>``)
  and the actual one (every row and cell reference, streamed in chunks; cells and rows written without
  a reference are counted). The same pass notes formula cells without a cached value (``<f>`` with no
  or an empty ``<v>``), which calamine reads as empty. A chunk whose every tag is regular (reference
  first, within the limits, no formula: what spreadsheet programs write) is accepted from one pass;
  only a chunk with an irregular tag is scanned in detail.
* any other zip (an .xlsb: binary records, which calamine reads when told the format by the content;
  a zip that is both an .xlsx and an .ods) is refused.
* .ods (zip, ``core.importers.ods_limits``): the same size limits, and in content.xml the extent
  reached by cells and rows that hold a value, repeats included (empty repeated rows and columns,
  which LibreOffice writes up to the sheet's end, are not counted: calamine does not expand them).
* .xls (OLE2 with BIFF5/BIFF8 records): the file size, then every record that places a cell or
  declares a sheet's extent (``core.importers.xls_limits``): calamine sizes its grid from the cells'
  16-bit row and column numbers, not from BIFF8's 256-column limit.
* .csv: the file size here; rows and columns while reading (core.importers.reader).

A sheet (content.xml) is inflated on a helper thread (``core.bulk.prefetched``: zlib releases
the GIL) while this thread scans the chunk before; everything is still measured before calamine
opens the file, and an error of the inflating thread is raised here, as itself.
"""
from __future__ import annotations

import posixpath
import re
import string
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from core.bulk import prefetched
from core.errors import InputFileError
from core.importers.xlsx_parts import sheet_paths

if TYPE_CHECKING:
    from core.importers.halves import Split

# The limits, in one place.
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 300 * 1024 * 1024      # a zip's members together
MAX_MEMBERS = 10_000
MAX_RATIO = 200                              # unpacked/packed, for members above RATIO_FLOOR
RATIO_FLOOR = 10 * 1024 * 1024
MAX_XLS_BYTES = 100 * 1024 * 1024
MAX_CSV_BYTES = 100 * 1024 * 1024
MAX_CSV_CELLS_PER_ROW = 16_384               # a row longer than Excel's is refused outright

CHUNK = 1 << 20
_OVERLAP = 64
_TRIM = "请删除表格中无关的单元格（或把数据复制到一个新工作表），另存为新文件后重试"


# A workbook's only worksheet at least this big (unpacked) is handed by the pre-check, chunk by
# measured chunk while every tag of it is regular, to core.importers.halves (calamine in two halves).
SPLIT_MIN = 8 * 1024 * 1024


@dataclass
class Precheck:
    """What the pre-check learned: formula cells without a cached value per sheet
    name, as 0-based (row, column); and, for a big regular sheet (``SPLIT_MIN``), the
    two halves it was cut into, their measured XML in pieces (``split``)."""

    uncomputed: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    split: Split | None = None


def refuse(path: Path, what: str) -> InputFileError:
    return InputFileError(f"文件“{path.name}”太大或范围异常，未读取：{what}", _TRIM)


def check_size(path: Path, limit: int, what: str) -> None:
    size = path.stat().st_size
    if size > limit:
        raise refuse(path, f"{what}文件有 {size // (1024 * 1024)} MB，超过上限 {limit // (1024 * 1024)} MB")


def column_number(letters: str) -> int:
    """"A" -> 1, "XFD" -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def check_extent(path: Path, rows: int, cols: int, where: str) -> None:
    if rows > MAX_ROWS:
        raise refuse(path, f"{where}用到第 {rows} 行，超过上限 {MAX_ROWS} 行")
    if cols > MAX_COLUMNS:
        raise refuse(path, f"{where}用到第 {cols} 列，超过上限 {MAX_COLUMNS} 列")


# --- zip containers -------------------------------------------------------------------

def _open_zip(path: Path) -> zipfile.ZipFile | None:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None


def _check_directory(path: Path, zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise refuse(path, f"压缩包内有 {len(infos)} 个部件，超过上限 {MAX_MEMBERS} 个")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise InputFileError(f"文件“{path.name}”无法读取：文件结构异常（有重名的部件）",
                             "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_UNPACKED_BYTES or total > MAX_UNPACKED_BYTES:
            raise refuse(path, f"解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise refuse(path, f"部件“{info.filename}”的压缩比异常（{ratio} 倍）")


def stream(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> Iterator[bytes]:
    """A member's bytes in chunks, counted against the remaining ``budget``; zipfile
    itself stops at the declared size and checks the CRC at the end."""
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    return
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise refuse(path, f"解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(f"文件“{path.name}”无法读取：文件已损坏（部件“{info.filename}”解压出错）",
                             "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试") from None


# --- xlsx sheets ------------------------------------------------------------------------

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
_USUAL_TAIL = rb'(?: t="inlineStr">| t="[a-zA-Z]{1,9}"\s*/?>|>| s="\d{1,5}"(?: t="[a-zA-Z]{1,9}")?\s*/?>|\s*/>)'
_USUAL = re.compile(rb'<(?:c(?! r="' + _CELL_REF_OK + _USUAL_TAIL + rb')[\s>/]'
                    rb'|row(?! r="[1-9][0-9]{0,5}")[\s>/]|f[\s>/])')


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
MAX_TAIL = 16 * CHUNK       # one row of a real sheet is far smaller


def _last(pattern: re.Pattern[bytes], attrs: bytes) -> re.Match[bytes] | None:
    """A tag's last attribute matching ``pattern``: the one calamine keeps (every one is measured
    by ``_EXTENT``)."""
    *_before, last = (None, *pattern.finditer(attrs))
    return last


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
        # (searched in place, up to ``end``: no copy of the chunk on the usual path)
        if not self.walk and not _prefixed(data, end):
            if not _USUAL.search(data, 0, end):
                return end        # every tag regular: within the limits, no formula
            if not _IRREGULAR.search(data, 0, end):
                self._measure(data[:end])    # regular, with other attributes: every reference measured
                return end
        self.regular = False
        view = data[:end]
        self._measure(view)
        if not self.walk and (_NO_REF.search(view) or _prefixed(view, end)):
            self.walk = True
        if self.walk:
            self._walk(view)
        elif _UNPREFIXED_FORMULA.search(view):
            self._formulas(view)
        return end

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
                ref = _last(_ROW_REF, attrs)
                self.row = int(ref.group(1)) if ref else self.row + 1
                self.col = 0
                check_extent(self.path, self.row, 0, self.where)
                continue
            ref = _last(_CELL_REF, attrs)
            if ref:
                self.col, row = column_number(ref.group(1).decode()), int(ref.group(2))
            else:
                self.col, row = self.col + 1, self.row
            check_extent(self.path, row, self.col, self.where)
            if not empty:
                self._cell_value(data, m.end(), row, self.col)


def _scan_sheet(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                budget: list[int], keep: Split | None = None) -> _SheetScan:
    """The sheet measured (a refusal raised); each inflated chunk handed to ``keep`` once its
    rows are measured and regular (a sheet that is not abandons it)."""
    scan = _SheetScan(path, name)
    tail = b""
    # inflated on the second core (zlib releases the GIL) while this thread scans the chunk before
    for chunk in prefetched(stream(path, zf, info, budget)):
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
    return scan


def _is_sheet(name: str, sheets: dict[str, str]) -> bool:
    return name in sheets or (name.startswith("xl/worksheets/") and name.endswith(".xml"))


# The tags a part holding a sheet's cells (or the extent calamine may size it by) must contain, with or
# without a prefix: tag-shaped, so no text in a cell matches (its "<" is written "&lt;")
_SHEET_MARKS = (b"<sheetData", b":sheetData", b"<dimension", b":dimension")


# calamine reserves room for a shared-strings part's declared ``uniqueCount`` before reading it: four
# billion declared aborts the process (out of memory, from Rust). A declared count is allowed up to the
# strings the part really holds, or this many (a few MB reserved) for a part that declares a few more.
_UNIQUE_COUNT = re.compile(rb'uniqueCount\s*=\s*["\']\s*\+?(\d+)')
_STRING_ITEM = re.compile(rb"<(?:\w+:)?si[\s>/]")
UNIQUE_SLACK = 100_000


class _RootCount:
    """The ``uniqueCount`` of a part's root element, read by an XML parser fed the part's first chunks
    (whitespace, comments, a ">" in a value: as calamine reads it); any attribute of that local name."""

    def __init__(self) -> None:
        self.parser: ElementTree.XMLPullParser | None = ElementTree.XMLPullParser(events=("start",))
        self.declared = 0

    def feed(self, data: bytes) -> None:
        if self.parser is None:
            return
        try:
            self.parser.feed(data)
            for _event, root in self.parser.read_events():   # type: ignore[misc]  # ("start", Element) only
                if not isinstance(root, ElementTree.Element):
                    continue
                for key, value in root.attrib.items():
                    if key.rpartition("}")[2] == "uniqueCount" and value.strip().lstrip("+").isdigit():
                        self.declared = max(self.declared, int(value.strip().lstrip("+")))
                self.parser = None             # the root is read: nothing more to learn
                return
        except (ElementTree.ParseError, ValueError, LookupError):
            # not XML, or declared in an encoding expat does not read ("GBK": ValueError; unknown:
            # LookupError), in a part calamine may never read: the regex below still looks
            self.parser = None


def _holds_sheet_data(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bool:
    """Whether a part not listed as a sheet holds sheet data after all (inflated and searched); a
    shared-strings count declared beyond the strings the part holds is refused (``_UNIQUE_COUNT``,
    by the root's parser and by the regex over every chunk)."""
    tail = b""
    root = _RootCount()
    declared = items = 0
    for chunk in stream(path, zf, info, budget):
        data = tail + chunk
        if any(mark in data for mark in _SHEET_MARKS):
            return True
        root.feed(chunk)
        for m in _UNIQUE_COUNT.finditer(data):
            declared = max(declared, int(m.group(1)))
        cut = max(len(data) - 32, 0)          # an item starting in the last bytes is counted with the next chunk
        items += sum(1 for m in _STRING_ITEM.finditer(data) if m.start() < cut)
        tail = data[cut:]
    items += len(_STRING_ITEM.findall(tail))
    declared = max(declared, root.declared)
    if declared > max(items, UNIQUE_SLACK):
        raise refuse(path, f"部件“{info.filename}”声明了 {declared} 个字符串，实际只有 {items} 个")
    return False


def _check_xlsx(path: Path, zf: zipfile.ZipFile) -> Precheck:
    """Every part calamine may read cells from is scanned: the sheets the workbook lists
    (``xlsx_parts.sheet_paths``), the parts under xl/worksheets/, and any other part holding sheet data — so a
    workbook whose parts say one thing to this check and another to calamine is measured all the same.
    Every other part is inflated too (its real size, against the budget)."""
    sheets = sheet_paths(zf)
    result = Precheck()
    budget = [MAX_UNPACKED_BYTES]
    infos = zf.infolist()
    listed = [i for i in infos if _is_sheet(i.filename, sheets)]
    others = [i for i in infos if not _is_sheet(i.filename, sheets)]
    hidden = []
    for info in others:
        spent = budget[0]
        if _holds_sheet_data(path, zf, info, budget):
            budget[0] = spent             # scanned below: counted once
            hidden.append(info)
    # The one big regular sheet handed to core.importers.halves (when a core is free to use it)
    names = {i.filename for i in infos}
    split = len(listed) == 1 and not hidden and len(names & sheets.keys()) == 1 and listed[0].filename in sheets \
        and listed[0].file_size >= SPLIT_MIN
    for info in [*listed, *hidden]:
        name = info.filename
        sheet = sheets.get(name, posixpath.basename(name))
        keep = _halves(info) if split else None
        scan = _scan_sheet(path, zf, info, sheet, budget, keep)
        if scan.uncomputed:
            result.uncomputed[sheet] = scan.uncomputed
        elif keep is not None and not keep.dead:
            result.split = keep
    return result


def _halves(info: zipfile.ZipInfo) -> Split | None:
    """core.importers.halves' split of the sheet, when it may take it (its own test: a free core)."""
    from core.importers import halves  # (it imports this module)
    return halves.Split(info.filename, info.file_size) if halves.may_want() else None


# --- entry -------------------------------------------------------------------------------------

_XLSB = "xl/workbook.bin"


def _check_zip(path: Path, zf: zipfile.ZipFile) -> Precheck:
    """An .xlsx (xl/workbook.xml) or an .ods (content.xml), measured as such. Any other zip is refused
    here: calamine, told the format by the content (``reader._read_by_content``), would also read an
    .xlsb (binary records, not measured by this check), and a zip that is both would be read as
    either."""
    names = set(zf.namelist())
    xlsx, ods = "xl/workbook.xml" in names, "content.xml" in names
    if _XLSB in names:
        raise InputFileError(f"文件“{path.name}”无法读取：这是Excel二进制工作簿（.xlsb）格式",
                             "请用Excel打开该文件，另存为 .xlsx 格式后重试")
    if xlsx == ods:
        raise InputFileError(f"文件“{path.name}”无法读取：不是有效的Excel或WPS表格文件（文件结构异常）",
                             "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试")
    if xlsx:
        return _check_xlsx(path, zf)
    from core.importers.ods_limits import check_ods  # (it imports this module)
    return check_ods(path, zf)


def precheck_spreadsheet(path: Path, head: bytes) -> Precheck:
    """Measure ``path`` before calamine opens it; InputFileError when beyond a limit.
    The container is recognised by its content, not its extension."""
    if head.startswith(b"PK"):
        zf = _open_zip(path)
        if zf is None:
            raise InputFileError(f"文件“{path.name}”无法读取：不是有效的Excel文件，可能已损坏",
                                 "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试")
        with zf:
            _check_directory(path, zf)
            return _check_zip(path, zf)
    check_size(path, MAX_XLS_BYTES, "Excel 97-2003（.xls）")
    from core.importers import xls_limits  # (olefile: only for an .xls)
    for records in xls_limits.workbook_streams(path):
        xls_limits.check_records(path, records, lambda rows, cols: check_extent(path, rows, cols, "工作表"))
    return Precheck()
