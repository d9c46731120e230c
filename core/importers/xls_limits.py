"""The pre-check of an Excel 97-2003 workbook (.xls: BIFF5/BIFF8 records in an OLE2 file).

calamine sizes a sheet's grid from the row and column numbers its cell records carry (16 bits
each, whatever BIFF8's own 256-column limit says): a 5 KB .xls with one cell at row 65,536,
column 65,536 asks for 137 GB and aborts the process. So the workbook stream is walked record by
record before calamine opens the file, and every record that places a cell (or declares the
sheet's extent) is held to the limits the other formats are held to (``core.importers.limits``).

The OLE2 container is read by olefile. A file it cannot read, a stream cut in the middle of a
record, or a workbook protected by a password (its records' contents are encrypted, so their
numbers mean nothing) is refused here with its own message, before calamine sees it.

The same walk notes, per sheet, what calamine does not give (``sheet_scan.SheetMarks``, as for an
.xlsx): error values (BOOLERR, and FORMULA with a cached error: calamine reads both as ""), hidden
rows (ROW's fDyZero) and merged ranges (MERGEDCELLS). They are keyed by the sheet's name as calamine
gives it (its BOUNDSHEET record in the globals); a name whose decoding depends on a code page (a
BIFF5 name, or BIFF8's under a code page other than 1200, that is not plain ASCII) is not read
with certainty, and that sheet gets no marks.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import olefile

from core.errors import InputFileError
from core.importers import limits
from core.importers.sheet_scan import MAX_MERGES, SheetMarks

_RESAVE = "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试"

# Records whose data starts with the cell's row and column (u16 each): FORMULA, BLANK, NUMBER,
# LABEL, BOOLERR, RK, LABELSST, RSTRING, and the two that span columns (MULRK, MULBLANK: their
# last column is the record's last u16). ROW only carries a row.
_CELLS = frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})
_MULRK = 0x00BD
_SPANS = frozenset({_MULRK, 0x00BE})
_ROW = 0x0208
_BOUNDSHEET = 0x0085
_EOF = 0x000A
_CONTINUE = 0x003C
_DIMENSIONS = 0x0200
_FILEPASS = 0x002F
_BOF = 0x0809
_CODEPAGE = 0x0042
_BOOLERR = 0x0205
_FORMULA = 0x0006
_MERGEDCELLS = 0x00E5
_FDYZERO = 0x0020           # ROW's grbit: the row is hidden
_UNICODE = 1200             # the code page BIFF8 writes: names as UTF-16 or Latin-1
_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
           0x2A: "#N/A"}
_WORKBOOK_NAMES = ("workbook", "book")
_MINI_CUTOFF = 4096
XLS_MAX_ROWS = 65_536          # BIFF8's own: a DIMENSIONS record declaring more is no real sheet
_HEADER = struct.Struct("<HH")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_CELL = struct.Struct("<HH")

Check = Callable[[int, int], None]     # (rows, columns) reached -> raises beyond the limits


def workbook_streams(path: Path) -> list[bytes]:
    """Every stream of the OLE2 file ``path`` that calamine may read as the workbook.

    calamine does not find it as olefile does: it takes the first entry of the directory's flat list
    named "Workbook" (else "Book"), linked into the directory's tree or not, and reads a stream under
    4,096 bytes from the mini stream whatever the header says. So every directory entry is loaded
    (the tree's and the others), every one whose name is either (in any case) is read, and a file whose
    mini-stream cutoff is not the standard 4,096 is refused."""
    streams = []
    try:
        with olefile.OleFileIO(str(path)) as ole:
            if ole.minisectorcutoff != _MINI_CUTOFF:
                raise ValueError("a non-standard mini-stream cutoff")
            for sid, entry in enumerate(ole.direntries):
                if entry is None:                     # not linked into the tree: calamine may still read it
                    entry = ole._load_direntry(sid)
                if sid and entry.name.lower() in _WORKBOOK_NAMES:
                    streams.append(bytes(ole._open(entry.isectStart, entry.size).read()))
    except PermissionError:
        raise InputFileError(f"文件“{path.name}”无法读取：没有读取权限，或文件正被其他程序占用",
                             "请关闭正在打开该文件的Excel/WPS后重试") from None
    except Exception:  # noqa: BLE001 - olefile raises many kinds on a damaged container: all mean "cannot read"
        raise InputFileError(f"文件“{path.name}”无法读取：不是有效的Excel文件，可能已损坏", _RESAVE) from None
    if not streams:
        raise InputFileError(f"文件“{path.name}”无法读取：文件中没有Excel工作簿数据（可能是Word等其他程序的文件）",
                             "请确认选择了正确的文件；" + _RESAVE)
    return streams


def check_records(path: Path, stream: bytes, check: Check) -> dict[str, SheetMarks]:
    """Walk ``stream``'s records; ``check(rows, columns)`` for every cell's 1-based extent. Returns the
    marks of each sheet calamine names (those that have any).

    The stream is walked from its start, and again from every sheet's position its BOUNDSHEET record
    gives (where calamine starts reading that sheet: a position inside another record's data would
    show records the walk from the start never meets)."""
    marks: dict[str, SheetMarks] = {}
    for at, name in _walk(path, stream, 0, check, to_eof=False):
        if 0 <= at < len(stream):
            sheet = SheetMarks() if name is not None else None
            _walk(path, stream, at, check, to_eof=True, marks=sheet)
            if name is not None and sheet is not None:
                marks[name] = sheet       # (calamine keeps the last sheet of a name)
    return {name: sheet for name, sheet in marks.items() if sheet}


def _walk(path: Path, stream: bytes, pos: int, check: Check, to_eof: bool,
          marks: SheetMarks | None = None) -> list[tuple[int, str | None]]:
    """The records from ``pos`` (to the EOF record that ends the sheet when ``to_eof``: a chart embedded
    in the sheet has its own BOF and EOF, and calamine reads the sheet's cells after it), noting
    ``marks``; the sheets' positions seen, each with its name as calamine reads it (None: not read with
    certainty, or listed after the globals' EOF, where calamine lists no sheet)."""
    sheets: list[tuple[int, str | None]] = []
    end = len(stream)
    names: list[int] | None = [1, _UNICODE]      # while in the globals: BIFF8 (1) or not (0), the code page
    depth = 0                                     # the BOF records not yet closed by an EOF
    while pos + 4 <= end:
        kind, size = _HEADER.unpack_from(stream, pos)
        start, pos = pos + 4, pos + 4 + size
        if pos > end:      # cut short: no reader can go further (calamine stops with an error there too)
            break
        depth += kind == _BOF
        if kind == _FILEPASS:
            raise InputFileError(f"文件“{path.name}”无法读取：文件设置了打开密码",
                                 "请在Excel中取消密码保护，保存后重试")
        if kind in _CELLS and size >= 4:
            row, col = _CELL.unpack_from(stream, start)
            check(row + 1, col + 1)
            if marks is not None and kind in (_BOOLERR, _FORMULA):
                _error(stream, start, size, kind, marks)
        elif kind in _SPANS and size >= 6:
            _span(stream, start, size, pos, check)
        elif kind == _ROW and size >= 2:
            row = _U16.unpack_from(stream, start)[0]
            check(row + 1, 0)
            if marks is not None and size >= 14 and _U16.unpack_from(stream, start + 12)[0] & _FDYZERO:
                marks.hidden.add(row)
        elif kind == _DIMENSIONS:
            _dimensions(path, stream, start, size, check)
        elif kind == _BOUNDSHEET and size >= 4:
            name = _sheet_name(stream[start:pos], names[0], names[1]) if names is not None else None
            sheets.append((_U32.unpack_from(stream, start)[0], name))
        elif kind == _MERGEDCELLS and marks is not None and size >= 2:
            _merges(stream, start, size, marks)
        elif kind == _BOF and names is not None and size >= 2:
            names[0] = _is_biff8(stream[start:pos])
        elif kind == _CODEPAGE and names is not None and size >= 2:
            names[1] = _U16.unpack_from(stream, start)[0]
        elif kind == _EOF:
            depth -= 1
            if to_eof and depth <= 0:
                break
            names = None          # calamine lists the sheets of the globals only (up to their EOF)
    return sheets


def _is_biff8(bof: bytes) -> int:
    """1 when calamine reads the BOF's version as BIFF8 (its default, and any version it does not know)."""
    version = _U16.unpack_from(bof, 0)[0]
    kind = _U16.unpack_from(bof, 2)[0] if len(bof) >= 4 else 0
    return int(version not in (0x0002, 0x0007, 0x0200, 0x0300, 0x0400, 0x0500) and (version, kind) != (0, 0x1000))


def _sheet_name(data: bytes, biff8: int, codepage: int) -> str | None:
    """A BOUNDSHEET's name as calamine decodes it (its NULs dropped): a ShortXLUnicodeString (BIFF8:
    UTF-16LE, or Latin-1 when compressed, under code page 1200), or BIFF5's code-page bytes. None when
    the result depends on a code page (not plain ASCII)."""
    if len(data) < 7 + biff8:
        return None
    cch, wide = data[6], bool(biff8 and data[7] & 1)
    chars = data[7 + biff8:]
    raw = chars[:2 * min(cch, len(chars) // 2)] if wide else chars[:cch]
    if biff8 and codepage == _UNICODE:
        name = raw.decode("utf-16-le" if wide else "latin-1", "replace")
    elif not wide and raw.isascii():
        name = raw.decode("ascii")
    else:
        return None
    return name.replace("\0", "")


def _error(stream: bytes, start: int, size: int, kind: int, marks: SheetMarks) -> None:
    """A BOOLERR holding an error (fError 1: the value is its code) or a FORMULA whose cached result is
    an error (0x02 in its first byte, 0xFFFF in its last two: the code in its third)."""
    data = stream[start:start + size]
    if kind == _BOOLERR and size >= 8 and data[7] == 1:
        code = data[6]
    elif kind == _FORMULA and size >= 14 and data[6] == 0x02 and data[12:14] == b"\xff\xff":
        code = data[8]
    else:
        return
    row, col = _CELL.unpack_from(data, 0)
    marks.errors[(row, col)] = _ERRORS.get(code, "#错误")


def _merges(stream: bytes, start: int, size: int, marks: SheetMarks) -> None:
    """MERGEDCELLS: a count, then (first row, last row, first column, last column) each; at most
    ``MAX_MERGES`` a sheet."""
    count = min(_U16.unpack_from(stream, start)[0], (size - 2) // 8, MAX_MERGES - len(marks.merged))
    for i in range(max(0, count)):
        r0, r1, c0, c1 = struct.unpack_from("<HHHH", stream, start + 2 + 8 * i)
        marks.merged.append((r0, c0, r1, c1))


def _span(stream: bytes, start: int, size: int, end: int, check: Check) -> None:
    """MULRK (6 bytes a cell) or MULBLANK (2): row, first column, the cells, last column. A reader may
    count the columns from the first and the cells, or take the last column written, or read it at the
    end of a CONTINUE record that follows: the furthest of them is measured."""
    row, first = _CELL.unpack_from(stream, start)
    each = 6 if _U16.unpack_from(stream, start - 4)[0] == _MULRK else 2
    cells = max(1, (size - 6) // each)
    last = _U16.unpack_from(stream, end - 2)[0]
    far = max(first + cells, last + 1)
    at = end
    while at + 4 <= len(stream) and _U16.unpack_from(stream, at)[0] == _CONTINUE:   # (as a reader may join them)
        more = _U16.unpack_from(stream, at + 2)[0]
        at += 4 + more
        if more >= 2 and at <= len(stream):
            far = max(far, _U16.unpack_from(stream, at - 2)[0] + 1, first + cells + more // each)
    check(row + 1, far)


def _dimensions(path: Path, stream: bytes, start: int, size: int, check: Check) -> None:
    """DIMENSIONS: BIFF8's (first row, last row + 1: u32; first column, last column + 1: u16),
    BIFF5's with u16 rows. calamine reserves room for the declared rows and columns, counted from the
    first with unsigned arithmetic: a first beyond the last wraps round to four billion."""
    if size >= 14:
        first_row, rows, first_col, cols = struct.unpack_from("<IIHH", stream, start)
    elif size >= 10:
        first_row, rows, first_col, cols = struct.unpack_from("<HHHH", stream, start)
    else:
        return
    if first_row > rows or first_col > cols:
        raise limits.refuse(path, "工作表声明的范围首尾颠倒")
    if rows > XLS_MAX_ROWS:
        raise limits.refuse(path, f"工作表声明到第 {rows} 行，超过 Excel 97-2003 格式的 {XLS_MAX_ROWS} 行")
    check(rows, cols)
