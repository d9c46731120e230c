"""Import the poverty office's roster (建档立卡名单) into ParsedRows.

A county roster can hold 200,000 people, so the per-row work is kept lean:
column indexes are looked up once, text cells take a fast path and valid IDs
skip check_id's region look-up (see IdChecker).
"""
from __future__ import annotations

from operator import itemgetter

from core.bulk import gc_paused
from core.importers.common import (
    IdChecker,
    ParseResult,
    Progress,
    RowSkipper,
    clean_name,
    formula_problems,
    iter_data_rows,
    raw_cells,
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
    mapping = find_header(table, ROSTER_COLUMNS, overrides, what="建档立卡名单")
    result = ParseResult(mapping=mapping, unknown_headers=list(mapping.unknown),
                         path=table.path, sheet=table.sheet)
    cols = mapping.columns
    text_keys = [fld for fld in _TEXT_FIELDS if fld in cols]
    absent = {fld: "" for fld in _TEXT_FIELDS if fld not in cols}
    check = IdChecker()
    skipper = RowSkipper(mapping)
    width = len(mapping.headers)
    empty_name = f"{where(mapping, 'name')}为空：请补填姓名"
    kept, skipped = result.rows, result.skipped
    uncomputed = table.uncomputed
    data = list(iter_data_rows(table, mapping, progress, keep=uncomputed))
    lines = [line for line, _row in data]
    rows = [row for _line, row in data]
    # Column by column: the cells of one column in one comprehension, then each row's values
    # zipped together (a county roster is 200,000 rows: no per-row call that is not needed).
    checked = [check(c) for c in map(itemgetter(cols["id_number"]), rows)]
    names = [clean_name(c) for c in map(itemgetter(cols["name"]), rows)]
    texts = [[c.strip() if type(c) is str else clean_cell(c) for c in map(itemgetter(cols[fld]), rows)]
             for fld in text_keys]
    keys = ("name", "id_number", "id_raw", "id_numeric_cell", *text_keys)
    values = [dict(zip(keys, v, strict=True)) for v in zip(
        names, [c[0] for c in checked], [c[1] for c in checked], [c[2] for c in checked], *texts, strict=True)]
    for i, line in enumerate(lines):
        name, (_number, id_raw, _numeric, id_problem) = names[i], checked[i]
        problems = formula_problems(table, mapping, line) if uncomputed else []
        if absent:
            values[i].update(absent)
        if not (id_problem or problems) and name:
            kept.append(ParsedRow(line, values[i], problems))
            continue
        raw = raw_cells(rows[i], width)    # the row as text: only a row with a problem is written back
        reason = skipper.reason(name, id_raw, not id_problem, raw)
        if reason:
            skipped.append(ParsedRow(line, {"name": name, "id_raw": id_raw}, [*problems, reason], raw))
            continue
        if not name:
            problems.append(empty_name)
        if id_problem:
            problems.append(id_problem)
        kept.append(ParsedRow(line, values[i], problems, raw))
    return result
