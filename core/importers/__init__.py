"""Importers: read a spreadsheet or CSV, find its header, parse student lists and
rosters into ParsedRows (core.records), export problem rows, write templates.

Typical use::

    table = read_table(path)
    result = parse_students(table, policy, overrides=saved_mapping)
    write_problem_rows(out_path, result.headers, result.problem_rows)

The names below are loaded at their first use (PEP 562): importing ``core.importers.reader``
runs this package first, and an import must not pay for openpyxl (about 0.2 s), which only
the problem rows' and the templates' writers need.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.importers.common import ParseResult, cell_text
    from core.importers.header import Mapping, find_header
    from core.importers.problems import write_problem_rows
    from core.importers.reader import Table, column_letter, read_table
    from core.importers.roster import parse_roster
    from core.importers.students import parse_students
    from core.importers.templates import write_template

_WHERE = {
    "ParseResult": "common", "cell_text": "common", "Mapping": "header", "find_header": "header",
    "write_problem_rows": "problems", "Table": "reader", "column_letter": "reader",
    "read_table": "reader", "parse_roster": "roster", "parse_students": "students",
    "write_template": "templates",
}

__all__ = [
    "Mapping", "ParseResult", "Table", "cell_text", "column_letter", "find_header",
    "parse_roster", "parse_students", "read_table", "write_problem_rows", "write_template",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
