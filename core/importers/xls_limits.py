"""The pre-check of an Excel 97-2003 workbook (.xls: BIFF5/BIFF8 records in an OLE2 file).

calamine sizes a sheet's grid from the row and column numbers its cell records carry (16 bits
each, whatever BIFF8's own 256-column limit says): a 5 KB .xls with one cell at row 65,536,
column 65,536 asks for 137 GB and aborts the process. So the workbook stream is walked record by
record before calamine opens the file, and every record that places a cell (or declares the
sheet's extent) is held to the limits the other formats are held to (``core.importers.limits``).

The OLE2 container is read by olefile. A file it cannot read, a stream cut in the middle of a
record, or a workbook protected by a password (its records' contents are encrypted, so their
numbers mean nothing) is refused here with its own message, before calamine sees it.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import olefile

from core.errors import InputFileError
from core.importers import limits

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


def check_records(path: Path, stream: bytes, check: Check) -> None:
    """Walk ``stream``'s records; ``check(rows, columns)`` for every cell's 1-based extent.

    The stream is walked from its start, and again from every sheet's position its BOUNDSHEET record
    gives (where calamine starts reading that sheet: a position inside another record's data would
    show records the walk from the start never meets)."""
    for at in _walk(path, stream, 0, check, to_eof=False):
        if 0 <= at < len(stream):
            _walk(path, stream, at, check, to_eof=True)


def _walk(path: Path, stream: bytes, pos: int, check: Check, to_eof: bool) -> list[int]:
    """The records from ``pos`` (to the first EOF record when ``to_eof``); the sheets' positions seen."""
    sheets: list[int] = []
    end = len(stream)
    while pos + 4 <= end:
        kind, size = _HEADER.unpack_from(stream, pos)
        start, pos = pos + 4, pos + 4 + size
        if pos > end:      # cut short: no reader can go further (calamine stops with an error there too)
            break
        if kind == _FILEPASS:
            raise InputFileError(f"文件“{path.name}”无法读取：文件设置了打开密码",
                                 "请在Excel中取消密码保护，保存后重试")
        if kind in _CELLS and size >= 4:
            row, col = _CELL.unpack_from(stream, start)
            check(row + 1, col + 1)
        elif kind in _SPANS and size >= 6:
            _span(stream, start, size, pos, check)
        elif kind == _ROW and size >= 2:
            check(_U16.unpack_from(stream, start)[0] + 1, 0)
        elif kind == _DIMENSIONS:
            _dimensions(path, stream, start, size, check)
        elif kind == _BOUNDSHEET and size >= 4:
            sheets.append(_U32.unpack_from(stream, start)[0])
        elif kind == _EOF and to_eof:
            break
    return sheets


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
