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
from core.domain import Stage, parse_gender, parse_location, parse_ownership, parse_stage, parse_yes_no
from core.errors import ValidationError
from core.importers.common import (
    IdChecker,
    ParseResult,
    Progress,
    RowSkipper,
    cell_text,
    clean_name,
    formula_problems,
    iter_data_rows,
    lost_digits,
    raw_cells,
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

_TEXT_FIELDS = ("grade", "class_name", "household_no", "head_name", "relation", "township",
                "village", "phone", "loan_contract_no", "bank_name")
_LONG_NUMBER_FIELDS = ("student_no", "bank_card")
_FEES = (("tuition", "tuition_fen"), ("textbook", "textbook_fen"), ("lodging", "lodging_fen"))


def _birth_text(cell: Any) -> str:
    """A birth month typed as a number (2009.10) arrives as the float 2009.1: keep two decimals."""
    if isinstance(cell, float) and not cell.is_integer():
        return f"{cell:.2f}"
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

    def cell(self, row: list[Any], fld: str) -> Any:
        idx = self.cols.get(fld)
        return "" if idx is None else row[idx]

    def bad(self, problems: list[str], fld: str, text: str, accepted: str) -> None:
        problems.append(f"{where(self.mapping, fld)}的值“{text}”无法识别，{accepted}")

    def choice(self, row: list[Any], fld: str, problems: list[str],
               parse: Callable[[str], Any], accepted: str, default: Any) -> Any:
        """Parsed value, the default when empty, or the raw text plus a problem."""
        text = cell_text(self.cell(row, fld))
        if not text:
            return default
        value = parse(text)
        if value is None:
            self.bad(problems, fld, text, accepted)
            return text
        return value

    def yes_no(self, row: list[Any], fld: str, problems: list[str], default: bool) -> bool:
        cell = self.cell(row, fld)
        if isinstance(cell, bool):
            return cell
        text = cell_text(cell)
        if not text:
            return default
        value = parse_yes_no(text)
        if value is None:
            self.bad(problems, fld, text, f"应填“是”或“否”（已按“{'是' if default else '否'}”处理）")
            return default
        return value

    def location(self, row: list[Any], problems: list[str]) -> str:
        if not self.location_yes_no:
            loc = self.choice(row, "location", problems, parse_location,
                              "应填“本地”或“外地”", STUDENT_DEFAULTS["location"])
            return str(getattr(loc, "value", loc))
        cell = self.cell(row, "location")
        text = cell_text(cell)
        if not text:
            return STUDENT_DEFAULTS["location"]
        outside = cell if isinstance(cell, bool) else parse_yes_no(text)
        if outside is None:
            loc = parse_location(text)     # "本地"/"外地" written under 是否外地就学
            if loc is not None:
                return loc.value
            self.bad(problems, "location", text, "应填“是”（外地就学）或“否”（本地就学）")
            return text
        return "外地" if outside else "本地"

    def fee(self, row: list[Any], fld: str, problems: list[str]) -> int | None:
        cell = self.cell(row, fld)
        if cell is None or (type(cell) is str and not cell.strip()):
            return None
        try:
            return parse_yuan(cell)
        except ValidationError as exc:
            problems.append(f"{where(self.mapping, fld)}：{exc.message}，{exc.hint}")
            return None

    def gender(self, row: list[Any], problems: list[str]) -> str:
        text = cell_text(self.cell(row, "gender"))
        if not text:
            return ""
        value = parse_gender(text)
        if value is None:
            self.bad(problems, "gender", text, "应填“男”或“女”")
            return text
        return value

    def parse(self, line: int, row: list[Any]) -> tuple[ParsedRow, str]:
        problems: list[str] = []
        id_number, id_raw, numeric, id_problem = self.ids(self.cell(row, "id_number"))
        name = clean_name(self.cell(row, "name"))
        raw = raw_cells(row, self.width)
        skip = self.skipper.reason(name, id_raw, not id_problem, raw)
        formulas = formula_problems(self.table, self.mapping, line) if self.table.uncomputed else []
        if skip:
            return ParsedRow(line, {"name": name, "id_raw": id_raw}, [*formulas, skip], raw), skip
        problems.extend(formulas)
        if not name:
            problems.append(f"{where(self.mapping, 'name')}为空：请补填学生姓名")
        if id_problem:
            problems.append(id_problem)
        birth = self.cell(row, "birth_date")
        values: dict[str, Any] = {
            "name": name, "id_number": id_number, "id_raw": id_raw, "id_numeric_cell": numeric,
            "gender": self.gender(row, problems),
            "birth_date": _birth_text(birth),
        }
        serial = date_serial(birth)
        if serial is not None:
            problems.append(f"{where(self.mapping, 'birth_date')}的值“{values['birth_date']}”是Excel的日期序号"
                            f"（单元格为“常规”格式，对应 {serial.isoformat()}）：请把该列设为日期或文本格式，"
                            "重新填写出生日期后再导入")
        for fld in _LONG_NUMBER_FIELDS:
            cell = self.cell(row, fld)
            values[fld] = cell_text(cell)
            if lost_digits(cell):
                problems.append(f"{where(self.mapping, fld)}来自数字格式单元格，后几位可能已丢失："
                                "请把该列设为文本格式后重新录入")
        stage = self.choice(row, "stage", problems, parse_stage, "应填：" + STAGE_LABELS, None)
        if stage is None:
            problems.append(f"{where(self.mapping, 'stage')}为空：请填写学段（{STAGE_LABELS}）")
            stage = ""
        values["stage"] = stage.value if isinstance(stage, Stage) else stage
        values["location"] = self.location(row, problems)
        own = self.choice(row, "ownership", problems, parse_ownership, "应填“公办”或“民办”",
                          STUDENT_DEFAULTS["ownership"])
        values["ownership"] = getattr(own, "value", own)
        values["full_time"] = self.yes_no(row, "full_time", problems, STUDENT_DEFAULTS["full_time"])
        values["has_loan"] = self.yes_no(row, "has_loan", problems, False)
        prior = self.yes_no(row, "prior_loan_aid", problems, False)
        values["prior_grants"] = ",".join(self.policy.once_codes) if prior else ""
        cat = self.choice(row, "category", problems, self.policy.parse_category,
                          self.category_hint, STUDENT_DEFAULTS["category"])
        values["category"] = getattr(cat, "value", cat)
        for fld in _TEXT_FIELDS:
            values[fld] = cell_text(self.cell(row, fld))
        values["head_name"] = clean_name(self.cell(row, "head_name"))
        for fld, key in _FEES:
            values[key] = self.fee(row, fld, problems)
        return ParsedRow(line, values, problems, raw), ""


@gc_paused()
def parse_students(table: Table, policy: Policy, overrides: dict[str, str] | None = None,
                   progress: Progress | None = None) -> ParseResult:
    """Parse a student list. Raises InputFileError when the header row or a
    required column (姓名, 身份证号, 学段) cannot be found."""
    mapping = find_header(table, STUDENT_COLUMNS, overrides, what="学生名单")
    result = ParseResult(mapping=mapping, unknown_headers=list(mapping.unknown),
                         path=table.path, sheet=table.sheet)
    parser = _StudentParser(result, policy, table)
    for line, row in iter_data_rows(table, mapping, progress, keep=table.uncomputed):
        parsed, skipped = parser.parse(line, row)
        (result.skipped if skipped else result.rows).append(parsed)
    stages = {st for st in (parse_stage(r.values.get("stage") or "") for r in result.rows) if st is not None}
    result.warnings = missing_column_warnings(policy, mapping.columns.keys(), stages)
    return result
