"""A workbook written fast, member for member what openpyxl's ``write_only`` mode writes.

The benchmark's import files hold a quarter of a million rows; openpyxl spends about 80 µs a
cell in its pure-Python XML serialiser (et_xmlfile), a minute for the county's roster. Here
openpyxl still writes every part of the workbook except the sheet's rows (styles, theme,
content types, the sheets' frames), and the rows are formatted as openpyxl formats them: inline
strings (``xml:space="preserve"`` when the text has outer white space), numbers as ``%.16g``,
booleans as 1/0, an empty string as an empty cell, ``None`` as no cell, a text starting with ``=``
as a formula without a cached value (the cross-check's VLOOKUP workbook). Anything else (dates, a
control character openpyxl would refuse) raises instead of being written differently.
``tests/test_bench_data.py`` compares the result with openpyxl's, byte for byte.
"""
from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

_SHEET = "xl/worksheets/sheet1.xml"
_EMPTY = b"<sheetData></sheetData>"
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_CHUNK = 2000          # rows formatted before each write to the zip stream


def _frame(sheet_names: Iterable[str]) -> list[tuple[str, bytes]]:
    """Every member of openpyxl's write-only workbook with these empty sheets, in its order."""
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    for name in sheet_names:
        wb.create_sheet(name)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as zf:
        return [(name, zf.read(name)) for name in zf.namelist()]


def _cell(ref: str, value: Any) -> str:
    if isinstance(value, str):
        if not value:
            return f'<c r="{ref}" t="inlineStr" />'
        if value[0] == "=" and len(value) > 1:
            return f'<c r="{ref}"><f>{value[1:].translate(_ESCAPE)}</f><v /></c>'
        stripped = value.strip()
        space = ' xml:space="preserve"' if stripped and stripped != value else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{value.translate(_ESCAPE)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}" t="n"><v>{value:.16g}</v></c>'
    raise TypeError(f"{ref}: {type(value).__name__} is not written by this writer")


def _rows_xml(rows: Iterable[Sequence[Any]], letters: list[str], start: int) -> str:
    out = []
    for r, values in enumerate(rows, start):
        cells = "".join(_cell(f"{letters[c]}{r}", v) for c, v in enumerate(values) if v is not None)
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


def write_sheet(path: Path, sheet_name: str, rows: Sequence[Sequence[Any]]) -> Path:
    """``rows`` as the only sheet of a new workbook at ``path``."""
    return write_sheets(path, {sheet_name: rows})


def write_sheets(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """Each sheet's rows, the sheets in this order, as a new workbook at ``path``."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter
    by_member = {f"xl/worksheets/sheet{i}.xml": rows for i, rows in enumerate(sheets.values(), start=1)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _frame(sheets):
            rows = by_member.get(name)
            if rows is None:
                zf.writestr(name, data)
                continue
            width = max((len(r) for r in rows), default=0)
            letters = [get_column_letter(i + 1) for i in range(width)]
            head, tail = data.split(_EMPTY)
            with zf.open(name, "w", force_zip64=True) as out:
                out.write(head + b"<sheetData>")
                for i in range(0, len(rows), _CHUNK):
                    text = _rows_xml(rows[i:i + _CHUNK], letters, i + 1)
                    if ILLEGAL_CHARACTERS_RE.search(text):
                        raise ValueError(f"rows {i + 1}–{i + _CHUNK}: a control character openpyxl refuses")
                    out.write(text.encode("utf-8"))
                out.write(b"</sheetData>" + tail)
    return path
