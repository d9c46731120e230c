"""Importers: read a spreadsheet or CSV, find its header, parse student lists and
rosters into ParsedRows (core.records), export problem rows, write templates.

Typical use::

    table = read_table(path)
    result = parse_students(table, policy, overrides=saved_mapping)
    write_problem_rows(out_path, result.headers, result.problem_rows)
"""
from core.importers.common import ParseResult, cell_text
from core.importers.header import Mapping, find_header
from core.importers.problems import write_problem_rows
from core.importers.reader import Table, column_letter, read_table
from core.importers.roster import parse_roster
from core.importers.students import parse_students
from core.importers.templates import write_template

__all__ = [
    "Mapping", "ParseResult", "Table", "cell_text", "column_letter", "find_header",
    "parse_roster", "parse_students", "read_table", "write_problem_rows", "write_template",
]
