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

_RESAVE = "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试"

# Records whose data starts with the cell's row and column (u16 each): FORMULA, BLANK, NUMBER,
# LABEL, BOOLERR, RK, LABELSST, RSTRING, and the two that span columns (MULRK, MULBLANK: their
# last column is the record's last u16). ROW only carries a row.
_CELLS = frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})
_SPANS = frozenset({0x00BD, 0x00BE})
_ROW = 0x0208
_DIMENSIONS = 0x0200
_FILEPASS = 0x002F
_HEADER = struct.Struct("<HH")
_U16 = struct.Struct("<H")
_CELL = struct.Struct("<HH")

Check = Callable[[int, int], None]     # (rows, columns) reached -> raises beyond the limits


def workbook_streams(path: Path) -> list[bytes]:
    """The workbook streams ("Workbook", BIFF5's "Book") of the OLE2 file ``path``: each one
    present, as calamine may read either."""
    streams = []
    try:
        with olefile.OleFileIO(str(path)) as ole:
            for name in ("Workbook", "Book"):
                if ole.exists(name) and ole.get_type(name) == olefile.STGTY_STREAM:
                    with ole.openstream(name) as fh:
                        streams.append(bytes(fh.read()))
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
    """Walk ``stream``'s records; ``check(rows, columns)`` for every cell's 1-based extent."""
    pos, end = 0, len(stream)
    while pos + 4 <= end:
        kind, size = _HEADER.unpack_from(stream, pos)
        start, pos = pos + 4, pos + 4 + size
        if pos > end:
            raise InputFileError(f"文件“{path.name}”无法读取：文件已损坏（工作簿数据不完整）", _RESAVE)
        if kind == _FILEPASS:
            raise InputFileError(f"文件“{path.name}”无法读取：文件设置了打开密码",
                                 "请在Excel中取消密码保护，保存后重试")
        if kind in _CELLS and size >= 4:
            row, col = _CELL.unpack_from(stream, start)
            check(row + 1, col + 1)
        elif kind in _SPANS and size >= 6:
            row, _first = _CELL.unpack_from(stream, start)
            (last,) = _U16.unpack_from(stream, pos - 2)
            check(row + 1, last + 1)
        elif kind == _ROW and size >= 2:
            check(_U16.unpack_from(stream, start)[0] + 1, 0)
        elif kind == _DIMENSIONS:
            _dimensions(stream, start, size, check)


def _dimensions(stream: bytes, start: int, size: int, check: Check) -> None:
    """DIMENSIONS: BIFF8's (first row, last row + 1: u32; first column, last column + 1: u16),
    BIFF5's with u16 rows."""
    if size >= 14:
        _r0, rows, _c0, cols = struct.unpack_from("<IIHH", stream, start)
    elif size >= 10:
        _r0, rows, _c0, cols = struct.unpack_from("<HHHH", stream, start)
    else:
        return
    check(rows, cols)
