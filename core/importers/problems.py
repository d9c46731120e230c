"""Export the rows that have problems, so the clerk can fix them in Excel and
import the fixed file again: the original header, the row's cells as they were
read, and a last column "问题"."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.exports.xlsx_common import set_text
from core.importers.output import display_width, save_atomic
from core.paths import check_replaceable
from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS, ParsedRow
from core.text import header_key

PROBLEM_HEADER = "问题"
PROBLEM_SEPARATOR = "；"
TEXT_FORMAT = "@"

# Columns whose values are long digit strings: written and formatted as text.
_TEXT_FIELDS = {"id_number", "student_no", "bank_card", "phone", "household_no",
                "loan_contract_no", "birth_date"}
TEXT_HEADER_KEYS = frozenset(
    header_key(text)
    for col in (*STUDENT_COLUMNS, *ROSTER_COLUMNS) if col.field in _TEXT_FIELDS
    for text in (col.header, *col.synonyms)
)


def write_problem_rows(path: str | os.PathLike[str], headers: Sequence[str],
                       rows: Sequence[ParsedRow]) -> Path:
    """Write ``rows`` (their ``raw`` cells) under ``headers`` plus a "问题"
    column to a new .xlsx at ``path`` (atomically). Every cell is written as
    a string cell (``set_text``: never a formula), so IDs keep all their digits; ID-like columns are also formatted as
    text ("@") so what the clerk types there stays text."""
    check_replaceable(path)        # (refused before the workbook is built)
    width = len(headers)
    text_cols = {i for i, h in enumerate(headers) if header_key(h) in TEXT_HEADER_KEYS}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题行")
    widths = [max(6, display_width(str(h))) for h in headers]
    problem_width = display_width(PROBLEM_HEADER)
    for row in rows:
        for i, value in enumerate(row.raw[:width]):
            widths[i] = max(widths[i], display_width(str(value)))
        problem_width = max(problem_width, display_width(PROBLEM_SEPARATOR.join(row.problems)))
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(w + 2, 40)
    ws.column_dimensions[get_column_letter(width + 1)].width = min(problem_width + 2, 80)
    ws.freeze_panes = "A2"

    bold = Font(bold=True)
    header_cells = []
    for text in [*headers, PROBLEM_HEADER]:
        cell = set_text(WriteOnlyCell(ws), text)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)

    red = Font(color="C00000")
    fill = PatternFill("solid", fgColor="FFF2CC")
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        raw = list(row.raw[:width])
        raw.extend([""] * (width - len(raw)))
        out = []
        for i, value in enumerate(raw):
            cell = set_text(WriteOnlyCell(ws), value if value != "" else None)
            if i in text_cols:
                cell.number_format = TEXT_FORMAT
            out.append(cell)
        problem = set_text(WriteOnlyCell(ws), PROBLEM_SEPARATOR.join(row.problems))
        problem.font = red
        problem.fill = fill
        problem.alignment = wrap
        out.append(problem)
        ws.append(out)
    return save_atomic(wb, path)
