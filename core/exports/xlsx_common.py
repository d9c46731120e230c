"""openpyxl helpers shared by the workbook and the notice list.

Text cells (ID numbers, student numbers) are written as str with the "@"
format so Excel never turns them into 4.22822E+17; money cells are Decimal
with a two-decimal currency format; widths count CJK characters double.

A spreadsheet is data, never code: every text Zizhu writes into any workbook
goes through ``set_text`` (a string cell, even when it starts with "=", "+",
"-" or "@") and every page header/footer text through ``header_text`` ("&"
escaped, so a school name cannot inject header codes).
"""
from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from core.exports.data import ExportData
from core.exports.output import DEMO_MARK, DEMO_NOTE
from core.money import format_fen
from core.paths import write_atomic
from core.version import program_version

MONEY_FORMAT = "#,##0.00"
TEXT_FORMAT = "@"
FONT_NAME = "宋体"
BOLD = Font(name=FONT_NAME, bold=True)
NORMAL = Font(name=FONT_NAME)
TITLE = Font(name=FONT_NAME, bold=True, size=14)
DRAFT_FONT = Font(name=FONT_NAME, bold=True, size=14, color="C00000")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
TITLE_ALIGN = Alignment(horizontal="left", vertical="center")
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_WRAP = 16   # header cells wider than this wrap onto two lines


def set_text(cell: Cell, text: Any) -> Cell:
    """Write ``text`` into ``cell`` as a string cell: never a formula or an error
    value, whatever it starts with. Control characters a worksheet cannot hold
    are dropped (an imported name may carry them); None leaves the cell empty."""
    if text is None:
        cell.value = None
        return cell
    text = str(text)                          # (a printable text has no control character: no search)
    cell._value = (text if text.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", text))[:32767]
    cell.data_type = "s"                      # what cell.value = … checks, then a string, never "f" / "e"
    return cell


def put_text(ws: Worksheet, row: int, column: int, text: Any) -> Cell:
    """``ws.cell(row, column)`` holding ``text`` as a string cell (see ``set_text``)."""
    return set_text(ws.cell(row=row, column=column), text)


def header_text(text: str) -> str:
    """Text for a page header/footer: "&" starts a code there (&P page, &F file…),
    so a literal "&" is written "&&"."""
    clean: str = ILLEGAL_CHARACTERS_RE.sub("", text)
    return clean.replace("&", "&&")


class Money:
    """Marks a fen amount for ``write_row``: written as Decimal yuan."""

    __slots__ = ("fen",)

    def __init__(self, fen: int) -> None:
        self.fen = fen


def text_width(value: Any) -> int:
    """Display width: East Asian wide/full-width characters count 2."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        value = f"{value:,.2f}"
    text = str(value)
    return len(text) if text.isascii() else _wide_width(text)


def money_width(fen: int) -> int:
    """``text_width`` of the fen amount as yuan ("1,234,567.89"), without making it a Decimal."""
    return (fen < 0) + len(f"{abs(fen) // 100:,}") + 3


@lru_cache(maxsize=1 << 16)
def _wide_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Sheet:
    """What ``write_row`` remembers of a worksheet: the widest cell of each column and
    the rows it wrote, so ``fit_columns`` re-reads only the few other cells."""

    __slots__ = ("rows", "widths")

    def __init__(self) -> None:
        self.widths: dict[int, int] = {}
        self.rows: set[int] = set()


# Per workbook: one style (openpyxl's StyleArray of font, fill, border, alignment and
# number format ids) per kind of cell, made once and copied into each cell. Assigning
# the style objects cell by cell hashes them every time (half of a big export's time).
_STYLES: WeakKeyDictionary[Workbook, dict[tuple[Any, ...], tuple[tuple[Any, ...], StyleArray]]] = (
    WeakKeyDictionary())
_SHEETS: WeakKeyDictionary[Worksheet, _Sheet] = WeakKeyDictionary()


def cell_style(ws: Any, kind: str, bold: bool = False, fill: PatternFill | None = None, border: bool = False,
               font: Font | None = None, align: Alignment | None = None) -> StyleArray:
    """The style of a cell of ``kind`` in ``ws``'s workbook: money, text, number or header
    (``write_row``'s kinds; ``font`` / ``align`` replace the kind's own) or free (only
    ``font`` and ``align``, as ``put_text`` and a font set after)."""
    styles = _STYLES.setdefault(ws.parent, {})
    objects = (fill, font, align)
    key = (kind, bold, border, *map(id, objects))
    found = styles.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], objects, strict=True)):
        return found[1]                  # (an id is unique only while its object lives)
    cell = Cell(ws, style_array=StyleArray())    # a detached probe: styled the one slow way, once
    if kind == "money":
        cell.number_format = MONEY_FORMAT
        cell.alignment = Alignment(horizontal="right", vertical="center")
    elif kind in ("text", "header"):
        cell.number_format = TEXT_FORMAT
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    elif kind == "number":
        cell.alignment = Alignment(horizontal="right", vertical="center")
    if kind != "free":
        cell.font = BOLD if bold else NORMAL
    if fill is not None:
        cell.fill = fill
    if border:
        cell.border = BORDER
    if kind == "header":
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if font is not None:
        cell.font = font
    if align is not None:
        cell.alignment = align
    styles[key] = (objects, cell._style)
    return cell._style


def money_text(fen: int) -> str:
    """A money cell's number as written into the sheet: its exact decimal text ("600.07"). openpyxl
    writes a number through "%.16g" of a float, 600.0700000000001 for Decimal("600.07") (money review,
    session 17); a cell holding this text with the number type is written as it is."""
    return format_fen(fen)


def cell_width(value: Any, bold: bool, wrap: bool) -> int:
    """The width a cell's value (or a ``Money``) asks of its column: bold text is 2 wider,
    a wrapping cell (a long header) asks HEADER_WRAP at most."""
    w = (money_width(value.fen) if isinstance(value, Money) else text_width(value)) + (2 if bold else 0)
    return min(w, HEADER_WRAP) if wrap else w


def write_row(ws: Worksheet, row: int, values: Sequence[Any], *, bold: bool = False,
              fill: PatternFill | None = None, border: bool = True) -> list[Cell]:
    """One row from column A. str -> text cell ("@"), Money -> Decimal yuan,
    int -> number, None -> empty cell."""
    return _write_row(ws, row, values, bold, fill, border, header=False)


def _write_row(ws: Worksheet, row: int, values: Sequence[Any], bold: bool, fill: PatternFill | None,
               border: bool, header: bool) -> list[Cell]:
    sheet = _SHEETS.get(ws)
    if sheet is None:
        sheet = _SHEETS[ws] = _Sheet()
    sheet.rows.add(row)
    widths = sheet.widths
    store = ws._cells
    ws._current_row = max(row, ws._current_row)
    cells = []
    for col, v in enumerate(values, start=1):
        if isinstance(v, Money):
            kind = "money"
        elif isinstance(v, str):
            kind = "header" if header else "text"
        else:
            kind = "number"
        # a new cell (what ws.cell would make) with a copy of the kind's style
        cell = store[(row, col)] = Cell(ws, row, col, None, cell_style(ws, kind, bold, fill, border))
        if kind == "money":
            cell._value, cell.data_type = money_text(v.fen), "n"
        elif kind == "number":
            cell.value = v
        else:
            set_text(cell, v)
        if cell._value is not None:
            w = cell_width(v if kind == "money" else cell._value, bold, kind == "header")
            if w > widths.get(col, -1):
                widths[col] = w
        cells.append(cell)
    return cells


def write_header(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    """Bold header cells; long headers wrap (``fit_columns`` caps their width)."""
    _write_row(ws, row, headers, True, HEADER_FILL, True, header=True)
    if any(text_width(h) > HEADER_WRAP for h in headers):
        ws.row_dimensions[row].height = 30


def write_title(ws: Worksheet, title: str, ncols: int, draft: bool, row: int = 1) -> None:
    """A merged, bold title line; a draft title starts with 【草稿】 in red."""
    cell = put_text(ws, row, 1, ("【草稿】" if draft else "") + title)
    cell.font = DRAFT_FONT if draft else TITLE
    cell.alignment = TITLE_ALIGN
    ws.row_dimensions[row].height = 24
    if ncols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)


def fit_columns(ws: Worksheet, skip_rows: Iterable[int] = (), minimum: int = 6, maximum: int = 60) -> None:
    """Column widths sized to content (merged title rows skipped; wrapping
    header cells count at most HEADER_WRAP). The rows ``write_row`` wrote count
    as it measured them while writing (a font set on such a cell afterwards is not
    seen); only the other cells are read here."""
    skip = set(skip_rows)
    sheet = _SHEETS.get(ws) or _Sheet()
    if skip & sheet.rows:                # a skipped row among the measured ones: measure all again
        sheet = _Sheet()
    widths = dict(sheet.widths)
    cells = ws._cells
    for row in range(1, ws.max_row + 1):
        if row in skip or row in sheet.rows:
            continue
        for col in range(1, ws.max_column + 1):
            cell = cells.get((row, col))
            if cell is None or cell.value is None:
                continue
            value = cell.value
            if cell.data_type == "n" and isinstance(value, str):     # a money cell's text (money_text)
                value = Decimal(value)
            w = cell_width(value, bool(cell.font and cell.font.bold),
                           bool(cell.alignment is not None and cell.alignment.wrap_text))
            widths[col] = max(widths.get(col, 0), w)
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(w + 2, minimum), maximum)


def setup_print(ws: Worksheet, *, header_row: int, school: str, title: str, draft: bool,
                landscape: bool = True) -> None:
    """A4, landscape, fit to one page wide, header row frozen and repeated,
    header/footer with the school, page numbers and 草稿 when a draft."""
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddHeader.left.text = header_text(school)
    ws.oddHeader.center.text = header_text(("草稿　" if draft else "") + title)
    ws.oddHeader.center.font = "宋体,Bold"
    if draft:
        ws.oddHeader.right.text = "草稿（未最终核准）"
        ws.oddHeader.right.color = "C00000"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.right.text = "草稿" if draft else ""


def mark_demo(wb: Workbook, data: ExportData) -> None:
    """A demo database's workbook says 演示数据 on every sheet: in the printed header and
    footer and in the document properties (before the title in red: ``xlsx_stream.title_row``).
    Call it before the workbook is saved."""
    if not data.demo:
        return
    for ws in wb.worksheets:
        ws.oddHeader.right.text = DEMO_MARK + ("　" + ws.oddHeader.right.text if ws.oddHeader.right.text else "")
        ws.oddHeader.right.color = "C00000"
        ws.oddFooter.left.text = DEMO_NOTE
    wb.properties.title = f"（{DEMO_MARK}）" + (wb.properties.title or "")
    wb.properties.keywords = " ".join(filter(None, [DEMO_MARK, wb.properties.keywords]))


def save_workbook(wb: Workbook, path: str | Path) -> Path:
    """Write ``wb`` atomically, naming the program and its version as the document's creator.
    A write_only workbook that could not be saved has its sheets' temporary files removed."""
    wb.properties.creator = f"Zizhu {program_version()}"
    try:
        return write_atomic(path, lambda tmp: save_into(wb, tmp))
    finally:
        if wb.write_only:
            for ws in wb.worksheets:
                if not ws.closed and ws._writer is not None:
                    ws.close()           # ends the sheet's stream (its generator, its file)
                    ws._writer.cleanup()


def save_into(wb: Workbook, tmp: Path) -> None:
    """Save ``wb`` into the file ``tmp`` as ``Workbook.save`` does, through a file and a zip archive
    opened here and closed here whatever happens. A failed save (a full disk) leaves neither open:
    core.paths' atomic write can remove the temporary (Windows cannot delete an open file), and no
    archive is left for the collector to close later, writing to a dead file ("Exception ignored in
    ZipFile.__del__" after the Chinese error)."""
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)
    with open(tmp, "wb") as fh:
        archive = ZipFile(fh, "w", ZIP_DEFLATED, allowZip64=True)
        try:
            ExcelWriter(wb, archive).save()           # closes the archive when it succeeds
        finally:
            with contextlib.suppress(Exception):      # after a failure: ended now, while its file is open
                archive.close()
