"""Resource limits checked BEFORE a spreadsheet reaches python-calamine.

calamine allocates a sheet's whole used range at once (rows x columns of cells), and an allocation
failure aborts the process from Rust, which Python cannot catch: a 2 KB .xlsx with one cell at
XFD1048576 asks for 512 GB. So every file is measured first against limits that a real school file
never reaches, and a file beyond them is refused with an InputFileError.

What is guarded, per format:

* .xlsx/.xlsm (zip): member count, duplicate member names, the unpacked size of each member and of
  all of them (the zip directory's sizes are checked first; every XML member is then really
  decompressed, counting bytes, so a directory that lies is caught by the size/CRC check of the inflate,
  ``core.importers.inflate``, which checks what zipfile checks), the
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

A sheet (content.xml) is inflated on a helper thread (``core.bulk.prefetched``: zlib-ng and
zlib release the GIL) while this thread scans the chunk before; everything is still measured before calamine
opens the file, and an error of the inflating thread is raised here, as itself.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from core.errors import InputFileError
from core.importers.inflate import InflateError, inflated
from core.importers.xlsx_parts import sheet_paths

if TYPE_CHECKING:
    from core.importers.halves import Split
    from core.importers.sheet_scan import SheetMarks

# The limits, in one place.
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
# Rows × columns calamine lays out for a sheet (every cell of the rectangle up to the farthest one, 32
# bytes each: about 1 GB), each dimension within its limit: two cells, A1 and GR999999, in a 1.6 KB
# file would ask for 6.4 GB.
MAX_CELLS = 30_000_000
MAX_UNPACKED_BYTES = 300 * 1024 * 1024      # a zip's members together
MAX_MEMBERS = 10_000
MAX_RATIO = 200                              # unpacked/packed, for members above RATIO_FLOOR
RATIO_FLOOR = 10 * 1024 * 1024
MAX_XLS_BYTES = 100 * 1024 * 1024
MAX_CSV_BYTES = 100 * 1024 * 1024
MAX_CSV_CELLS_PER_ROW = 16_384               # a row longer than Excel's is refused outright

CHUNK = 1 << 20
_OVERLAP = 64
MAX_TAIL = 16 * CHUNK       # one row of a real sheet is far smaller
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
    marks: dict[str, SheetMarks] = field(default_factory=dict)   # error values, hidden rows, merged cells


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
    """A member's bytes in chunks, counted against the remaining ``budget``; a deflated member is
    inflated by zlib-ng (``core.importers.inflate``, which checks what zipfile checks), any other by
    zipfile; both stop at the declared size and check the CRC at the end."""
    try:
        for chunk in _member_chunks(path, zf, info):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise refuse(path, f"解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
            yield chunk
    except (zipfile.BadZipFile, zlib.error, InflateError, EOFError, OSError, NotImplementedError,
            RuntimeError, UnicodeDecodeError) as exc:     # (the last: a stored member's name, by zipfile)
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(f"文件“{path.name}”无法读取：文件已损坏（部件“{info.filename}”解压出错）",
                             "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试") from None


def _member_chunks(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    if info.compress_type == zipfile.ZIP_DEFLATED:
        yield from inflated(path, info, CHUNK)
        return
    with zf.open(info) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


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
        scan = sheet_scan._scan_sheet(path, zf, info, sheet, budget, keep)
        if scan.marks:
            result.marks[sheet] = scan.marks
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
    marks = [xls_limits.check_records(path, records, lambda rows, cols: check_extent(path, rows, cols, "工作表"))
             for records in xls_limits.workbook_streams(path)]
    return Precheck(marks=marks[0] if len(marks) == 1 else {})     # (several: which one calamine reads is not told)


from core.importers import sheet_scan  # noqa: E402  (it imports this module's limits and stream)
