"""Big workbooks written as a stream: openpyxl ``write_only`` sheets, flat in memory.

A sheet is described by a function that yields its rows in order (``Line``, ``Header`` and
``Free``: a title, a note, a section's name, an empty row). ``write_rows`` runs it twice:
first to measure the columns' widths (the ``<cols>`` element comes before the rows in the
file), then to write every row as it is made. Nothing is kept of a written row.

Each cell is one of a few reusable cells, one per kind of cell (money, text, number, header,
free text × bold × fill × border × font × alignment) made with its style once per sheet: a
write_only sheet serialises a cell before the next one is made, so the same cell object can
carry the next value. Text still goes through ``xlsx_common.set_text`` (never a formula).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from core.exports.output import DEMO_NOTE
from core.exports.xlsx_common import (
    DRAFT_FONT,
    HEADER_FILL,
    HEADER_WRAP,
    TITLE,
    TITLE_ALIGN,
    Money,
    cell_style,
    cell_width,
    money_text,
    set_text,
)


class Line(NamedTuple):
    """A row of the table from column A: str -> text cell ("@"), Money -> Decimal yuan,
    int -> number, None -> an empty (bordered) cell. ``fonts`` / ``aligns`` replace the
    font / alignment of the cell at that position (None: the kind's own); the width is
    measured as without them."""

    values: Sequence[Any]
    bold: bool = False
    fill: PatternFill | None = None
    border: bool = True
    fonts: Sequence[Font | None] = ()
    aligns: Sequence[Alignment | None] = ()


class Header(NamedTuple):
    """The table's header row: bold on the header fill; long headers wrap (row height 30)."""

    values: Sequence[str]


class Free(NamedTuple):
    """Text outside the table from column A, each cell (text, font, alignment): a title, a
    note, a section's name; no cells is an empty row. ``measured``: counts for the widths
    (bold +2, a wrapping cell at most HEADER_WRAP); ``merge``: merged across that many
    columns; ``height``: the row's height in points."""

    cells: Sequence[tuple[Any, Font | None, Alignment | None]] = ()
    measured: bool = True
    height: float | None = None
    merge: int = 0


Row = Line | Header | Free
GAP = Free()


def title_row(text: str, ncols: int, *, draft: bool, demo: bool = False) -> Free:
    """The merged, bold title line: a draft's starts with 【草稿】 in red, a demo database's
    with 演示数据 in red (see ``xlsx_common.mark_demo`` for the rest of the demo marks)."""
    text = ("【草稿】" if draft else "") + text
    if demo:
        text = DEMO_NOTE + " " + text
    font = DRAFT_FONT if draft or demo else TITLE
    return Free(((text, font, TITLE_ALIGN),), measured=False, height=24, merge=ncols if ncols > 1 else 0)


def note_row(text: str, font: Font | None = None, *, measured: bool = True) -> Free:
    """One text cell in column A."""
    return Free(((text, font, None),), measured=measured)


def _measure(rows: Iterable[Row]) -> dict[int, int]:
    """The widest cell of each column, as ``xlsx_common.fit_columns`` counts it."""
    widths: dict[int, int] = {}
    get = widths.get
    known: dict[tuple[str | int, bool], int] = {}     # a text's or an amount's width: a list repeats them
    for row in rows:
        if isinstance(row, Line):
            bold = row.bold
            for col, v in enumerate(row.values, start=1):
                if v is None:
                    continue
                if isinstance(v, str):
                    w = known.get((v, bold), -1)
                    if w < 0:
                        w = known[(v, bold)] = cell_width(_clean(v), bold, False)
                elif isinstance(v, Money):
                    w = known.get((v.fen, bold), -1)
                    if w < 0:
                        w = known[(v.fen, bold)] = cell_width(v, bold, False)
                else:
                    w = cell_width(v, bold, False)
                if w > get(col, -1):
                    widths[col] = w
        elif isinstance(row, Header):
            for col, v in enumerate(row.values, start=1):
                w = cell_width(_clean(v), True, True)
                if w > get(col, -1):
                    widths[col] = w
        elif row.measured:
            for col, (v, font, align) in enumerate(row.cells, start=1):
                if v is None:
                    continue
                w = cell_width(_clean(str(v)), bool(font and font.bold), bool(align and align.wrap_text))
                if w > get(col, -1):
                    widths[col] = w
    return widths


def _clean(text: str) -> str:
    """``text`` as ``set_text`` stores it (control characters dropped)."""
    return text if text.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", text)


class _Proto(Cell):  # type: ignore[misc]
    """A reusable cell of one style, its style's index in the workbook found once (openpyxl
    looks it up for every cell it writes otherwise)."""

    __slots__ = ("style_id",)


class _Stream:
    """Makes the cells of one write_only sheet's rows, reusing one cell per style."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._protos: dict[int, tuple[StyleArray, _Proto]] = {}
        self._lines: dict[tuple[Any, ...], tuple[PatternFill | None, tuple[Cell, ...]]] = {}

    def proto(self, kind: str, bold: bool = False, fill: PatternFill | None = None, border: bool = False,
              font: Font | None = None, align: Alignment | None = None) -> Cell:
        """The sheet's one cell of that style."""
        style = cell_style(self.ws, kind, bold, fill, border, font, align)
        found = self._protos.get(id(style))       # (the workbook keeps its styles alive)
        if found is None:
            cell = _Proto(self.ws, style_array=style)
            cell.style_id = self.ws.parent._cell_styles.add(cell._style)
            found = self._protos[id(style)] = (style, cell)
        return found[1]

    def _line_protos(self, line: Line) -> tuple[Cell, Cell, Cell]:
        """The sheet's money, text and number cells of ``line``'s style (found once per style)."""
        key = (line.bold, id(line.fill), line.border)
        found = self._lines.get(key)
        if found is None or found[0] is not line.fill:      # (an id is unique only while its object lives)
            found = self._lines[key] = (line.fill, tuple(self.proto(kind, line.bold, line.fill, line.border)
                                                          for kind in ("money", "text", "number")))
        return found[1]

    def line(self, row: int, line: Line) -> Iterator[Cell]:
        protos = self._line_protos(line)
        special = max(len(line.fonts), len(line.aligns))
        for col, v in enumerate(line.values, start=1):
            kind = 0 if isinstance(v, Money) else 1 if isinstance(v, str) else 2
            if col <= special:
                font = line.fonts[col - 1] if col <= len(line.fonts) else None
                align = line.aligns[col - 1] if col <= len(line.aligns) else None
                cell = self.proto(("money", "text", "number")[kind], line.bold, line.fill, line.border, font, align)
            else:
                cell = protos[kind]
            if kind == 0:
                cell._value = money_text(v.fen)      # (its exact text: xlsx_common.money_text)
                cell.data_type = "n"
            elif kind == 1:
                set_text(cell, v)
            elif v is None or type(v) is int:
                cell._value = v          # (what cell.value = … does for these, without its checks)
                cell.data_type = "n"
            else:
                cell.value = v
            cell.row, cell.column = row, col
            yield cell

    def header(self, row: int, header: Header) -> Iterator[Cell]:
        cell = self.proto("header", True, HEADER_FILL, True)
        for col, v in enumerate(header.values, start=1):
            set_text(cell, v)
            cell.row, cell.column = row, col
            yield cell

    def free(self, row: int, free: Free) -> Iterator[Cell]:
        for col, (v, font, align) in enumerate(free.cells, start=1):
            cell = self.proto("free", font=font, align=align)
            set_text(cell, v)
            cell.row, cell.column = row, col
            yield cell


def write_rows(ws: Any, rows: Callable[[], Iterable[Row]], *, minimum: int = 6,
               maximum: int = 60, widths: dict[str, float] | None = None) -> None:
    """Write the rows ``rows()`` yields into the write_only sheet ``ws`` (its print set-up
    and freeze panes already set): the columns sized to their content
    (``minimum``..``maximum``, ``widths`` fixed by letter), then the rows one by one."""
    for col, w in _measure(rows()).items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(w + 2, minimum), maximum)
    for letter, width in (widths or {}).items():
        ws.column_dimensions[letter].width = width
    stream = _Stream(ws)
    # The rows reach the sheet as the cells ``_Stream`` made (openpyxl would otherwise try
    # each as a value first and wrap it in a new cell).
    ws._values_to_row = lambda cells, _row: cells
    for row, spec in enumerate(rows(), start=1):
        if isinstance(spec, Line):
            ws.append(stream.line(row, spec))
            continue
        if isinstance(spec, Header):
            if any(cell_width(h, False, False) > HEADER_WRAP for h in spec.values):
                ws.row_dimensions[row].height = 30
            ws.append(stream.header(row, spec))
            continue
        if spec.height:
            ws.row_dimensions[row].height = spec.height
        if spec.merge:
            ws.merged_cells.add(f"A{row}:{get_column_letter(spec.merge)}{row}")
        ws.append(stream.free(row, spec))
