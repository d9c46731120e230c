"""The pre-check of an OpenDocument spreadsheet (.ods): in content.xml, the extent reached by the cells
and rows that hold a value, repeats (number-columns/rows-repeated) included. Empty repeated rows and
columns (LibreOffice writes them up to the sheet's end) are not counted: calamine does not expand them.
Every other XML part is inflated too, against the size budget (``core.importers.limits``)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from core.bulk import prefetched
from core.importers import limits

_ODS_TOKENS = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s>/])([^>]*?)(/?)>")
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated\s*=\s*["\'](\d+)')
_COLS_REPEATED = re.compile(rb'table:number-columns-repeated\s*=\s*["\'](\d+)')
_ODS_VALUE = re.compile(rb"office:value-type")


class _OdsScan:
    """Tracks, per table, the furthest row and column that may hold a value: a cell with
    a value type or with content (not self-closing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.row = 0            # rows before the current one
        self.row_repeat = 1
        self.col = 0
        self.row_has_value = False

    def feed(self, data: bytes, final: bool) -> int:
        end = len(data) if final else max(0, data.rfind(b"<"))
        for m in _ODS_TOKENS.finditer(data, 0, end):
            closing, tag, attrs, empty = m.group(1), m.group(2), m.group(3), m.group(4)
            if closing and tag != b"table-row":
                continue
            if tag == b"table":
                self.row = 0
            elif tag == b"table-row":
                if not closing:
                    rep = _ROWS_REPEATED.search(attrs)
                    self.row_repeat = int(rep.group(1)) if rep else 1
                    self.col, self.row_has_value = 0, False
                if closing or empty:
                    if self.row_has_value:
                        limits.check_extent(self.path, self.row + self.row_repeat, 0, "表格")
                    self.row += self.row_repeat
            else:
                rep = _COLS_REPEATED.search(attrs)
                self.col += int(rep.group(1)) if rep else 1
                if not empty or _ODS_VALUE.search(attrs):
                    self.row_has_value = True
                    limits.check_extent(self.path, self.row + 1, self.col, "表格")
        return end


def check_ods(path: Path, zf: zipfile.ZipFile) -> limits.Precheck:
    budget = [limits.MAX_UNPACKED_BYTES]
    for info in zf.infolist():
        if info.filename == "content.xml":
            scan, tail = _OdsScan(path), b""
            for chunk in prefetched(limits.stream(path, zf, info, budget)):
                data = tail + chunk
                tail = data[scan.feed(data, final=False):]
                if len(tail) > limits.MAX_TAIL:
                    raise limits.refuse(path, "content.xml 的内容格式异常")
            scan.feed(tail, final=True)
        elif info.filename.endswith((".xml", ".rdf")):
            for _chunk in limits.stream(path, zf, info, budget):
                pass
    return limits.Precheck()
