"""Import the school's student list (学生名单) into ParsedRows.

Every row with a name or an ID is kept, even with bad values: the raw value
is stored and a problem (Chinese, naming the column and the accepted values)
is added, so the clerk can fix it in the review table or in the exported
problem rows.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from core.bulk import gc_paused
from core.domain import (
    EVERY_ONCE_ONLY,
    Stage,
    parse_full_time,
    parse_gender,
    parse_loan,
    parse_location,
    parse_ownership,
    parse_stage,
    parse_yes_no,
    stage_grade_hint,
)
from core.errors import ValidationError
from core.importers.common import (
    LOST_DIGITS,
    IdChecker,
    ParseResult,
    Progress,
    RowSkipper,
    cell_text,
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
from core.importers.coverage import missing_column_warnings
from core.importers.header import find_header
from core.importers.reader import Table
from core.money import parse_yuan
from core.policy import Policy
from core.records import STUDENT_COLUMNS, STUDENT_DEFAULTS, ParsedRow
from core.text import header_key

STAGE_LABELS = "、".join(s.value for s in Stage)
LOCATION_YES_NO_HEADERS = {header_key("是否外地就学")}

_TEXT_FIELDS = ("grade", "class_name", "head_name", "relation", "township",
                "village", "phone", "bank_name")
# Codes longer than the 15 digits a number cell keeps (户编号 has 16 or more: two households typed into
# number cells became one, and the letters' 每户一页 put them on one page): a number cell, or one
# shown as "4.2E+15", is flagged (``long_number``).
_LONG_NUMBER_FIELDS = ("student_no", "bank_card", "household_no", "loan_contract_no")
_FEES = (("tuition", "tuition_fen"), ("textbook", "textbook_fen"), ("lodging", "lodging_fen"))


def _birth_text(cell: Any) -> str:
    """A birth month typed as a number (2009.10) arrives as the float 2009.1: keep two decimals,
    unless they make no month (2011.5 is May: "2011.50" was month 50). 2009.1 may as well have
    been typed for January: the row reads it as its ID's month when that is January."""
    if isinstance(cell, float) and not cell.is_integer():
        text = f"{cell:.2f}"
        return text if 1 <= int(text[-2:]) <= 12 else f"{cell:.1f}"
    return cell_text(cell)


_EXCEL_EPOCH = date(1899, 12, 30)
_SERIALS = (10_000, 100_000)     # 1927-05-18 .. 2173-10-14: never a year, a YYYYMM or a YYYYMMDD


def date_serial(cell: Any) -> date | None:
    """The date of an Excel date serial number (38500 = 2005-05-28) read from a cell in
    "常规" (General) format, where a date was expected; None for anything else."""
    if isinstance(cell, bool) or not isinstance(cell, (int, float)):
        return None
    if not _SERIALS[0] <= cell < _SERIALS[1]:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(cell))


def _category_hint(policy: Policy) -> str:
    shown = [labels[0] for labels in policy.category_labels.values()]
    others = [label for labels in policy.category_labels.values() for label in labels[1:]]
    hint = "应填：" + "、".join(shown)
    if others:
        hint += "（也可填：" + "、".join(others) + "）"
    return hint


Parsed = tuple[Any, tuple[str, ...]]     # a cell's value and its problems




class _StudentParser:
    def __init__(self, result: ParseResult, policy: Policy, table: Table) -> None:
        self.table = table
        self.mapping = result.mapping
        self.policy = policy
        self.cols = self.mapping.columns
        self.ids = IdChecker()
        self.skipper = RowSkipper(self.mapping)
        self.width = len(self.mapping.headers)
        loc_header = self.mapping.matched.get("location", "")
        self.location_yes_no = (header_key(loc_header) in LOCATION_YES_NO_HEADERS
                                or "是否" in loc_header)
        self.category_hint = _category_hint(policy)
        # Each column's cell parser (cell -> value, problems) in the order of the problems: the
        # stored field, the column it reads, its parser and the memo of its answers: a column such
        # as 学段 or 学费 holds a handful of values in 50,000 rows, parsed once per distinct cell
        # (None: the columns whose every value differs). A text cell is its own key; other cells are
        # keyed with their type, so that True, 1 and 1.0 stay apart.
        self.parsers: list[tuple[str, int | None, dict[Any, Parsed] | None, Callable[[Any], Parsed]]] = [
            (key, self.cols.get(fld), None if fld in _LONG_NUMBER_FIELDS else {}, parse)
            for key, fld, parse in (
                ("gender", "gender", self.gender),
                ("birth_date", "birth_date", self.birth),
                *((fld, fld, self.long_number(fld)) for fld in _LONG_NUMBER_FIELDS),
                ("stage", "stage", self.stage),
                ("location", "location", self.location),
                ("ownership", "ownership", self.choice("ownership", parse_ownership, "应填“公办”或“民办”",
                                                       STUDENT_DEFAULTS["ownership"])),
                ("full_time", "full_time", self.yes_no("full_time", STUDENT_DEFAULTS["full_time"], parse_full_time,
                                                       "应填“是”“否”或“全日制”“非全日制”")),
                ("full_time_text", "full_time", self.unread(parse_full_time)),
                ("has_loan", "has_loan", self.yes_no("has_loan", False, parse_loan)),
                ("prior_grants", "prior_loan_aid", self.prior),
                ("category", "category", self.choice("category", policy.parse_category, self.category_hint,
                                                     STUDENT_DEFAULTS["category"])),
                *((key, fld, self.fee(fld)) for fld, key in _FEES),
            )]
        self.text_fields = [(fld, self.cols.get(fld)) for fld in _TEXT_FIELDS if fld != "head_name"]
        self.valid_ids: set[str] = set()      # the ID cells known valid (IdChecker.valid_cells)
        self.name_at, self.head_at = self.cols.get("name"), self.cols.get("head_name")
        self.lines: dict[str, int] = {}       # each ID number's first line (one repeated is a problem)

    def bad(self, fld: str, text: str, accepted: str) -> str:
        return f"{where(self.mapping, fld)}的值“{text}”无法识别，{accepted}"

    def choice(self, fld: str, parse: Callable[[str], Any], accepted: str,
               default: Any) -> Callable[[Any], Parsed]:
        """Parsed value (an enum's value), the default when empty, or the raw text plus a problem."""
        def parsed(cell: Any) -> Parsed:
            text = cell_text(cell)
            if not text:
                return default, ()
            value = parse(text)
            if value is None:
                return text, (self.bad(fld, text, accepted),)
            return getattr(value, "value", value), ()
        return parsed

    def yes_no(self, fld: str, default: bool, parse: Callable[[str], bool | None] = parse_yes_no,
               accepted: str = "应填“是”或“否”") -> Callable[[Any], Parsed]:
        """A yes/no column: ``parse`` reads its words (the column's own: 全日制, 已贷款 …)."""
        def parsed(cell: Any) -> Parsed:
            if isinstance(cell, bool):
                return cell, ()
            text = cell_text(cell)
            if not text:
                return default, ()
            value = parse(text)
            if value is None:
                return default, (self.bad(fld, text, f"{accepted}（已按“{'是' if default else '否'}”处理）"),)
            return value, ()
        return parsed

    @staticmethod
    def unread(parse: Callable[[str], bool | None]) -> Callable[[Any], Parsed]:
        """A yes/no cell's text when ``parse`` cannot read it ("待定"), "" when read or blank: stored
        beside the guess (全日制 as 是), so that the checks ask for the answer (the problem is the
        yes/no column's own)."""
        def parsed(cell: Any) -> Parsed:
            if isinstance(cell, bool):
                return "", ()
            text = cell_text(cell)
            return (text if text and parse(text) is None else ""), ()
        return parsed

    def prior(self, cell: Any) -> Parsed:
        prior, problems = self.yes_no("prior_loan_aid", False)(cell)
        return (EVERY_ONCE_ONLY if prior else ""), problems

    def stage(self, cell: Any) -> Parsed:
        stage, problems = self.choice("stage", parse_stage, "应填：" + STAGE_LABELS, None)(cell)
        if stage is None:
            return "", (f"{where(self.mapping, 'stage')}为空：请填写学段（{STAGE_LABELS}）",)
        if problems and (hint := stage_grade_hint(stage)):     # a grade naming two stages: 六年级, 高一
            return stage, (f"{where(self.mapping, 'stage')}的值“{stage}”是年级，{hint}",)
        return stage, problems

    def location(self, cell: Any) -> Parsed:
        if not self.location_yes_no:
            return self.choice("location", parse_location, "应填“本地”或“外地”",
                               STUDENT_DEFAULTS["location"])(cell)
        text = cell_text(cell)
        if not text:
            return STUDENT_DEFAULTS["location"], ()
        outside = cell if isinstance(cell, bool) else parse_yes_no(text)
        if outside is None:
            loc = parse_location(text)     # "本地"/"外地" written under 是否外地就学
            if loc is not None:
                return loc.value, ()
            return text, (self.bad("location", text, "应填“是”（外地就学）或“否”（本地就学）"),)
        return ("外地" if outside else "本地"), ()

    def long_number(self, fld: str) -> Callable[[Any], Parsed]:
        def parsed(cell: Any) -> Parsed:
            if not lost_digits(cell):
                return cell_text(cell), ()
            return cell_text(cell), (f"{where(self.mapping, fld)}{LOST_DIGITS}",)
        return parsed

    def fee(self, fld: str) -> Callable[[Any], Parsed]:
        def parsed(cell: Any) -> Parsed:
            if cell is None or (type(cell) is str and not cell.strip()):
                return None, ()
            try:
                return parse_yuan(cell), ()
            except ValidationError as exc:
                return None, (f"{where(self.mapping, fld)}：{exc.message}，{exc.hint}",)
        return parsed

    def gender(self, cell: Any) -> Parsed:
        text = cell_text(cell)
        if not text:
            return "", ()
        value = parse_gender(text)
        if value is None:
            return text, (self.bad("gender", text, "应填“男”或“女”"),)
        return value, ()

    def birth(self, cell: Any) -> Parsed:
        text = _birth_text(cell)
        serial = date_serial(cell)
        if serial is None:
            return text, ()
        return text, (f"{where(self.mapping, 'birth_date')}的值“{text}”是Excel的日期序号"
                      f"（单元格为“常规”格式，对应 {serial.isoformat()}）：请把该列设为日期或文本格式，"
                      "重新填写出生日期后再导入",)

    def note_blanks(self, rows: list[tuple[ParsedRow, list[Any]]]) -> None:
        """Each row's ``blank``: the fields whose cell (in a column the file has) is empty or white
        space, whatever the field's parser made of it (the column's default)."""
        at = [(fld, idx) for fld, idx in (("name", self.name_at), ("head_name", self.head_at),
                                          *((fld, idx) for fld, idx, _memo, _parse in self.parsers),
                                          *self.text_fields) if idx is not None]
        for parsed, row in rows:      # (inline: a call per cell cost 0.1 s more at 50,000 rows)
            blank = [fld for fld, idx in at
                     if (cell := row[idx]) is None or (type(cell) is str and (not cell or cell.isspace()))]
            if blank:
                parsed.blank = frozenset(blank)

    def parse(self, line: int, row: list[Any]) -> tuple[ParsedRow, str]:
        id_cell = row[self.cols["id_number"]]
        if id_cell in self.valid_ids:       # the usual cell: what self.ids(id_cell) answers for it
            id_number = id_raw = id_cell
            numeric, id_problem = False, ""
        else:
            id_number, id_raw, numeric, id_problem = self.ids(id_cell)
        name = clean_name("" if self.name_at is None else row[self.name_at])
        problems = formula_problems(self.table, self.mapping, line) if self.table.uncomputed else []
        raw: list[str] = []           # the row as text: only a row with a problem is written back
        if id_problem:
            raw = raw_cells(row, self.width)
            skip = self.skipper.reason(name, id_raw, False, raw)
            if skip:
                return ParsedRow(line, {"name": name, "id_raw": id_raw}, [*problems, skip], raw), skip
        if not name:
            problems.append(f"{where(self.mapping, 'name')}为空：请补填学生姓名")
        elif not name.isalnum() and (lost := lost_char_problem(self.mapping, name)):
            problems.append(lost)
        if id_problem:
            problems.append(id_problem)
        elif id_number and (first := self.lines.setdefault(id_number, line)) != line:
            problems.append(f"第{line}行的身份证号与第{first}行相同：同一名学生填了两次，或其中一行的身份证号填错了")
        values: dict[str, Any] = {"name": name, "id_number": id_number, "id_raw": id_raw,
                                  "id_numeric_cell": numeric}
        for fld, idx, memo, parse in self.parsers:
            cell = "" if idx is None else row[idx]
            if memo is None:         # a long number (学籍号, 银行卡号): every value differs
                if type(cell) is str and "e" not in cell and "E" not in cell:
                    values[fld] = cell.replace("\u3000", " ").strip()    # text without an exponent:
                    continue                                              # its text, no problem
                value, found = parse(cell)
            else:
                key = cell if type(cell) is str else (type(cell), cell)
                hit = memo.get(key)
                if hit is None:
                    hit = memo[key] = parse(cell)
                value, found = hit
            values[fld] = value
            if found:
                problems.extend(found)
        if len(id_number) == 18 and not id_problem:       # blank: from the ID, as the student form fills them
            if not values["gender"]:
                values["gender"] = "男" if ord(id_number[16]) % 2 else "女"
            if not values["birth_date"]:
                values["birth_date"] = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
            elif values["birth_date"][-3:] == ".10" and id_number[6:12] == values["birth_date"][:4] + "01" \
                    and type(row[self.cols["birth_date"]]) is float:
                # the number 2010.1 is what Excel keeps of 2010.10 and of 2010.1 alike: the ID's January
                values["birth_date"] = values["birth_date"][:5] + "01"
        for fld, idx in self.text_fields:
            cell = "" if idx is None else row[idx]
            values[fld] = cell.replace("\u3000", " ").strip() if type(cell) is str else cell_text(cell)
        values["head_name"] = clean_name("" if self.head_at is None else row[self.head_at])
        if problems and not raw:
            raw = raw_cells(row, self.width)
        return ParsedRow(line, values, problems, raw), ""


@gc_paused()
def parse_students(table: Table, policy: Policy, overrides: dict[str, str] | None = None,
                   progress: Progress | None = None, blanks: bool = True) -> ParseResult:
    """Parse a student list. Raises InputFileError when the header row or a
    required column (姓名, 身份证号, 学段) cannot be found. Each row's ``blank`` names the fields
    whose cells are blank (a stored student keeps its value there); ``blanks`` False (no student is
    stored yet: every row is added, none updated) leaves them empty and costs nothing."""
    mapping = find_header(table, STUDENT_COLUMNS, overrides, what="学生名单", mappable=True)
    result = ParseResult(mapping=mapping, unknown_headers=list(mapping.unknown),
                         path=table.path, sheet=table.sheet, sheets=table.sheets)
    parser = _StudentParser(result, policy, table)
    parser.valid_ids = parser.ids.valid_cells(table.rows[mapping.header_row + 1:], mapping.columns["id_number"])
    kept: list[tuple[ParsedRow, list[Any]]] | None = [] if blanks else None
    fills = sheet_fills(table, mapping)          # (once: the rows and the notes)
    try:
        for line, row in iter_data_rows(table, mapping, progress, keep=table.uncomputed, fills=fills):
            parsed, skipped = parser.parse(line, row)
            (result.skipped if skipped else result.rows).append(parsed)
            if kept is not None and not skipped:
                kept.append((parsed, row))
        if kept:
            parser.note_blanks(kept)
    finally:     # the parsers' closures hold the parser and its table (a cycle): freed when dropped, not collected
        parser.parsers.clear()
    stages = {st for st in map(parse_stage, {r.values.get("stage") or "" for r in result.rows}) if st is not None}
    result.warnings = missing_column_warnings(policy, mapping.columns.keys(), stages)
    result.notes = sheet_notes(table, mapping, {r.line for r in result.skipped}, fills)
    return result
