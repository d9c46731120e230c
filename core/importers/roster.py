"""Import the poverty office's roster (建档立卡名单) into ParsedRows.

A county roster can hold 200,000 people, so the per-row work is kept lean:
column indexes are looked up once, text cells take a fast path and valid IDs
skip check_id's region look-up (see IdChecker).
"""
from __future__ import annotations

from operator import itemgetter

from core.bulk import gc_paused
from core.importers.common import (
    LOST_DIGITS,
    IdChecker,
    ParseResult,
    Progress,
    RowSkipper,
    clean_name,
    formula_problems,
    iter_data_rows,
    lost_char_problem,
    lost_digits,
    raw_cells,
    sheet_fills,
    sheet_notes,
    where,
)
from core.importers.header import find_header
from core.importers.reader import Table
from core.records import ROSTER_COLUMNS, ParsedRow
from core.text import clean_cell

_TEXT_FIELDS = ("county", "township", "village", "household_no", "relation",
                "schooling_status", "school_name")


@gc_paused()
def parse_roster(table: Table, overrides: dict[str, str] | None = None,
                 progress: Progress | None = None) -> ParseResult:
    """Parse a roster. Raises InputFileError when the header row or a required
    column (姓名, 证件号码) cannot be found."""
    mapping = find_header(table, ROSTER_COLUMNS, overrides, what="建档立卡名单", mappable=True)
    result = ParseResult(mapping=mapping, unknown_headers=list(mapping.unknown),
                         path=table.path, sheet=table.sheet, sheets=table.sheets)
    cols = mapping.columns
    name_idx = cols["name"]
    id_idx = cols["id_number"]
    text_keys = [fld for fld in _TEXT_FIELDS if fld in cols]
    text_cells = itemgetter(*[cols[fld] for fld in text_keys]) if text_keys else None
    absent = {fld: "" for fld in _TEXT_FIELDS if fld not in cols}
    check = IdChecker()
    skipper = RowSkipper(mapping)
    width = len(mapping.headers)
    empty_name = f"{where(mapping, 'name')}为空：请补填姓名"
    household_at = cols.get("household_no")
    household_lost = f"{where(mapping, 'household_no')}{LOST_DIGITS}"
    kept, skipped = result.rows, result.skipped
    uncomputed = table.uncomputed
    valid = check.valid_cells(table.rows[mapping.header_row + 1:], id_idx)
    fills = sheet_fills(table, mapping)          # (once: the rows and the notes)
    for line, row in iter_data_rows(table, mapping, progress, keep=uncomputed, fills=fills):
        id_cell = row[id_idx]
        if id_cell in valid:        # the usual cell: what check(id_cell) answers for it
            id_number = id_raw = id_cell
            numeric, id_problem = False, ""
        else:
            id_number, id_raw, numeric, id_problem = check(id_cell)
        name = clean_name(row[name_idx])
        problems = formula_problems(table, mapping, line) if uncomputed else []
        raw: list[str] = []           # the row as text: only a row with a problem is written back
        if id_problem or problems or not name:
            raw = raw_cells(row, width)
            reason = skipper.reason(name, id_raw, not id_problem, raw)
            if reason:
                skipped.append(ParsedRow(line, {"name": name, "id_raw": id_raw}, [*problems, reason], raw))
                continue
        values = {"name": name, "id_number": id_number, "id_raw": id_raw, "id_numeric_cell": numeric}
        if text_cells is not None:
            cells = text_cells(row)
            if len(text_keys) == 1:
                cells = (cells,)
            try:
                texts = list(map(str.strip, cells))      # the usual row: every cell is text
            except TypeError:                           # a number or a date among them
                texts = [c.strip() if type(c) is str else clean_cell(c) for c in cells]
            values.update(zip(text_keys, texts, strict=True))
        if absent:
            values.update(absent)
        if not name:
            problems.append(empty_name)
        elif not name.isalnum() and (lost := lost_char_problem(mapping, name)):
            problems.append(lost)
        if id_problem:
            problems.append(id_problem)
        if household_at is not None:      # (a text cell without an exponent: the usual, no look further)
            cell = row[household_at]
            if (type(cell) is not str or "E" in cell or "e" in cell) and lost_digits(cell):
                problems.append(household_lost)
        if problems and not raw:
            raw = raw_cells(row, width)
        kept.append(ParsedRow(line, values, problems, raw))
    result.notes = sheet_notes(table, mapping, {r.line for r in result.skipped}, fills)
    return result
