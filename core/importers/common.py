"""Pieces shared by the student and roster importers: cell text, ID cells,
row skipping, progress reporting and the result type."""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.idnumber import birth_dates, check_id, is_valid_id, looks_scientific, normalize_id
from core.importers.header import Mapping
from core.importers.reader import Table, column_letter
from core.records import ParsedRow
from core.text import clean_cell, header_key, value_key

Progress = Callable[[int, int], None]

# What follows a long code's column name when its cell lost digits (学籍号, 银行卡号, 户编号 …)
LOST_DIGITS = "来自数字格式单元格，后几位可能已丢失：请把该列设为文本格式后重新录入"
NUMERIC_ID_PROBLEM = "身份证号来自数字格式单元格，后几位已丢失：请把该列设为文本格式后重新录入"
WHOLE_NUMBER_CELL = "身份证号来自数字格式单元格（不到16位，数字没有丢失）："     # then what is wrong with it
SKIPPED_NO_NAME_ID = "这一行既没有姓名也没有身份证号，未导入"
SKIPPED_TOTAL = "这一行是合计/小计行，不是学生，未导入"
SKIPPED_FOOTER = "这一行是签名或说明行（如“制表人：… 审核人：…”“填表说明…”），不是学生，未导入"
SKIPPED_REPEATED_HEADER = "这一行是重复的表头，未导入"

_TOTAL_WORDS = {"合计", "总计", "小计", "共计", "总数"}
# A total cell: "合计", "小计：", "合计(300人)", "合计人数 12".
_TOTAL_CELL = re.compile(r"^(合计|总计|小计|共计|总数)")
# A signature or note cell of a sheet's footer: a label such as 制表人/审核人/填表说明, then a colon
# (or nothing more, or the explanation's text).
_FOOTER_LABELS = ("填表说明|填报说明|制表说明|说明|备注|附注|注|制表人|制表日期|制表|填表人|填表日期|填表|"
                  "填报人|填报日期|"
                  "填报单位|填报|审核人|审核|审批人|审批|复核人|复核|负责人|学校负责人|校长|经办人|联系人|联系电话|电话|"
                  "日期|签字|签名|盖章|单位盖章|学校盖章|公章|单位")
_FOOTER_CELL = re.compile(rf"^(?:{_FOOTER_LABELS})\s*(?:[:：]|$)|^(?:填表说明|填报说明|制表说明)")
_CJK_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•．.\s]+$")
_WS = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")      # invisible: left by a copy from a web page
_LOST_CHAR = re.compile("[?？\ufffd]")      # a character the file's encoding lacked (saved as CSV in GBK)


@dataclass
class ParseResult:
    """What an importer found in a table."""

    mapping: Mapping
    rows: list[ParsedRow] = field(default_factory=list)      # kept rows, with their problems
    skipped: list[ParsedRow] = field(default_factory=list)   # rows with content but no name/ID
    unknown_headers: list[str] = field(default_factory=list)  # extra columns, ignored
    warnings: list[str] = field(default_factory=list)         # important columns not found (coverage)
    path: str = ""
    sheet: str = ""
    sheets: int = 1          # the workbook's sheets: the one read is named when there are several
    notes: list[str] = field(default_factory=list)            # what the sheet hides or merges (sheet_notes)

    @property
    def sheet_line(self) -> str:
        """"读取的工作表：“今年”（文件共有 2 个工作表）" for a workbook of several sheets, else ""."""
        return f"读取的工作表：“{self.sheet}”（文件共有 {self.sheets} 个工作表）" if self.sheets > 1 else ""

    @property
    def headers(self) -> list[str]:
        return self.mapping.headers

    @property
    def problem_rows(self) -> list[ParsedRow]:
        return [r for r in self.rows if r.problems]


def cell_text(value: Any) -> str:
    """A cell as trimmed text: whole numbers without ".0", dates as YYYY-MM-DD."""
    kind = type(value)
    if kind is str:
        text: str = value.replace("\u3000", " ").strip()
        return text
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.hour or value.minute or value.second:
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return clean_cell(value)


def raw_cells(row: list[Any], width: int) -> list[str]:
    """The row's cells as text (str cells unchanged), padded to ``width``."""
    raw = [c if type(c) is str else cell_text(c) for c in row]
    if len(raw) < width:
        raw.extend([""] * (width - len(raw)))
    return raw


def clean_name(value: Any) -> str:
    """A name as text; the spaces clerks put inside Chinese names to line them up
    ("张  三") are removed."""
    text = value.strip() if type(value) is str else cell_text(value)
    if text.isalnum() or not text:     # the usual name (Chinese characters are alphanumeric): as it is
        return text
    if _ZERO_WIDTH.search(text):
        text = _ZERO_WIDTH.sub("", text).strip()
    if " " in text or "\u3000" in text or "\t" in text:
        text = _WS.sub(" ", text.replace("\u3000", " ")).strip()
        if _CJK_NAME.match(text):
            text = text.replace(" ", "")
    return text


def lost_char_problem(mapping: Mapping, name: str) -> str:
    """A problem for a name with a question mark: what Excel (or WPS) writes for a character the
    file's encoding lacks (a rare character saved as CSV in GBK: "?祥"); "" for any other name."""
    if name.isalnum() or not _LOST_CHAR.search(name):
        return ""
    return (f"{where(mapping, 'name')}“{name}”中有问号：可能是保存为CSV时丢失了生僻字，"
            "请核对后改正")


def is_numeric_cell(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def lost_digits(value: Any) -> bool:
    """A long number (16+ digits) typed into a number cell, or shown as "4.1E+17":
    Excel keeps only 15 significant digits, so the rest is gone."""
    if is_numeric_cell(value):
        return bool(abs(value) >= 1e15)
    return type(value) is str and looks_scientific(value)


class IdChecker:
    """ID cell -> (id_number, id_raw, id_numeric_cell, problem).

    Valid IDs are recognised without ``check_id``'s region look-up (the slow
    part, and not part of validity); any ID that fails the quick test goes
    through ``check_id`` for its problem text, so the rules are the same.
    """

    def __init__(self, today: date | None = None) -> None:
        self.today = today or date.today()
        self._today_key = self.today.strftime("%Y%m%d")

    def valid_cells(self, rows: list[list[Any]], index: int) -> set[str]:
        """The cells of column ``index`` that are valid IDs already in their normalised form, checked
        a column at a time (``core.idnumber.birth_dates``): a row whose ID cell is in this set has
        ``(cell, cell, False, "")``, what ``self(cell)`` answers, without a call per row."""
        texts = [r[index] for r in rows if len(r) > index and type(r[index]) is str]
        return {t for t, born in zip(texts, birth_dates(texts, self.today), strict=True)
                if born is not None and t.isascii()}

    def __call__(self, cell: Any) -> tuple[str, str, bool, str]:
        if type(cell) is str and len(cell) == 18 and cell.isascii() and cell.isalnum() \
                and is_valid_id(cell, self.today):
            return cell, cell, False, ""      # the usual cell: already normalised and valid
        if is_numeric_cell(cell):
            raw = cell_text(cell)
            # Stored as before (no ID, the number cell marked: matched by its text and name, as the
            # rows an older version stored). Under 15 significant digits Excel kept them all (an old
            # 15-digit ID, a short number): nothing was lost, and the number's own problem is said.
            return "", raw, True, NUMERIC_ID_PROBLEM if abs(cell) >= 1e15 else WHOLE_NUMBER_CELL + self._problem(raw)
        raw = cell if type(cell) is str else cell_text(cell)
        stripped = raw.strip()
        if not stripped:
            return "", raw, False, "身份证号为空：请补填18位身份证号"
        if looks_scientific(stripped):
            return "", raw, True, NUMERIC_ID_PROBLEM
        number = normalize_id(stripped)
        if is_valid_id(number, self.today):
            return number, raw, False, ""
        return number, raw, False, self._problem(stripped)

    def _problem(self, text: str) -> str:
        """What is wrong with an invalid ID, and what to do."""
        problem = check_id(text, self.today).problem
        return problem if "请" in problem else problem + "：请核对原始证件后改正"


# "以下空白" (the forms' end mark under the last row), "以下为空", "此页以下无数据", "（以 下 空 白）" …
_BLANK_BELOW = re.compile(r"^[（(]?(?:此页|本页|此行|本行)?(?:以下|下面)(?:为|均为)?(?:空白|空|无)")


def is_total_or_note(name: str) -> bool:
    """A "合计" row, a "填表人：……" footer or the "以下空白" end mark in the name column."""
    return value_key(name) in _TOTAL_WORDS or ":" in name or "：" in name \
        or _BLANK_BELOW.match(_WS.sub("", name)) is not None


def footer_kind(text: str) -> str:
    """SKIPPED_TOTAL for a total cell ("合计", "小计："), SKIPPED_FOOTER for a signature or
    note cell ("制表人：张三", "审核人:", "填表说明：…"), "" for anything else."""
    if not text:
        return ""
    key = value_key(text)
    if _TOTAL_CELL.match(key):
        return SKIPPED_TOTAL
    if _FOOTER_CELL.match(key):
        return SKIPPED_FOOTER
    return ""


def row_is_empty(row: list[Any]) -> bool:
    for c in row:
        if c is None or c == "":
            continue
        if type(c) is str and not c.strip():
            continue
        return False
    return True


def iter_data_rows(table: Table, mapping: Mapping, progress: Progress | None,
                   keep: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
                   fills: Fills | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(1-based line, row padded to the header width) for every row after the
    header that is not entirely empty (a row holding a formula cell of ``keep``,
    read as empty, is not skipped), merged cells filled (``fills``: ``merge_fills``, computed here
    when not given); reports progress at most ~100 times."""
    keep_rows = {r for r, _c in keep}
    rows = table.rows
    start = mapping.header_row + 1
    total = max(0, len(rows) - start)
    width = len(mapping.headers)
    step = max(1, -(-total // 100))      # ceil: at most 100 calls, plus the last
    pad = [""] * width
    if fills is None:
        fills = sheet_fills(table, mapping)
    for i in range(total):
        if progress is not None and i % step == 0:
            progress(i, total)
        row = rows[start + i]
        if len(row) < width:
            row = list(row) + pad[len(row):]
        if fills and (start + i) in fills:
            row = list(row)
            for col, value in fills[start + i]:
                row[col] = value
        if row_is_empty(row) and (start + i) not in keep_rows:
            continue
        yield start + i + 1, row
    if progress is not None:
        progress(total, total)


def _blank(cell: Any) -> bool:
    return cell is None or (type(cell) is str and not cell.strip())


_NOT_FILLED = ("name", "id_number")   # a student over several rows (one a family member): not two students


Fills = dict[int, list[tuple[int, Any]]]       # 0-based row -> (column, value) of merged cells read blank


def sheet_fills(table: Table, mapping: Mapping) -> Fills:
    """``merge_fills`` of a sheet with merged ranges (none: nothing to fill)."""
    return merge_fills(table, mapping) if table.merged else {}


def merge_fills(table: Table, mapping: Mapping) -> Fills:
    """0-based row -> (column, value) for the blank cells under the first of a merged range of one
    mapped column that begins in the data rows: the clerk sees the merged value on each of its rows
    (a family category merged over two siblings), calamine gives it to the first only. Ranges over
    several columns (a note across the row), unmapped columns, and 姓名 and 身份证号 (a form giving a
    student two rows, merged over both, is one student) are left as read. Each cell is filled once,
    and the work is bounded by the table's rows whatever ranges a file declares."""
    rows, start, width = table.rows, mapping.header_row + 1, len(mapping.headers)
    columns = {c for fld, c in mapping.columns.items() if fld not in _NOT_FILLED and c < width}
    fills: Fills = {}
    seen: set[tuple[int, int]] = set()
    steps = len(rows) * 4        # overlapping ranges (no spreadsheet program writes them): no more
    for r0, c0, r1, c1 in table.merged:
        if c0 != c1 or c0 not in columns or r1 <= r0 or not start <= r0 < len(rows) or c0 >= len(rows[r0]) \
                or _blank(value := rows[r0][c0]):
            continue
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            steps -= 1
            if steps < 0:
                return fills
            if (r, c0) not in seen and (c0 >= len(rows[r]) or _blank(rows[r][c0])):
                seen.add((r, c0))
                fills.setdefault(r, []).append((c0, value))
    return fills


_MAX_LINES_NAMED = 10


def _lines_text(lines: list[int]) -> str:
    """"第 5、8 行" (the first ten named, then how many in all)."""
    named = "、".join(map(str, lines[:_MAX_LINES_NAMED]))
    return f"第 {named} 行" + (f"等共 {len(lines)} 行" if len(lines) > _MAX_LINES_NAMED else "")


def sheet_notes(table: Table, mapping: Mapping, skipped: Collection[int] = (),
                fills: Fills | None = None) -> list[str]:
    """What the sheet showed the clerk otherwise than it was read: hidden (or filtered out) rows that
    were read, merged cells whose value was given to each of their rows (``skipped``: the 1-based
    lines skipped as no student's, of which nothing was read; ``fills``: the rows' ``merge_fills``, as
    ``iter_data_rows`` filled them, computed here when not given)."""
    notes = []
    start = mapping.header_row + 1
    rows = table.rows
    hidden = sorted(r + 1 for r in table.hidden if start <= r < len(rows) and not row_is_empty(rows[r])
                    and r + 1 not in skipped)
    if hidden:
        notes.append(f"{_lines_text(hidden)}在表格中是隐藏的（或被筛选隐藏），也已读入：如果其中有不应导入的行，"
                     "请在表格中删除这些行（不要只隐藏）后重新导入")
    if fills is None:
        fills = sheet_fills(table, mapping)
    filled = {r: cells for r, cells in fills.items() if r + 1 not in skipped}
    if filled:
        cols = [column_letter(c) for c in sorted({c for cells in filled.values() for c, _v in cells})]
        notes.append(f"{_lines_text(sorted(r + 1 for r in filled))}的{'、'.join(cols)}列是与上一行合并的单元格，"
                     "已按合并单元格的内容读入（与表格中看到的一致）")
    return notes


class RowSkipper:
    """Decides whether a row without a usable name/ID is skipped, and why."""

    def __init__(self, mapping: Mapping) -> None:
        self.name_key = header_key(mapping.matched.get("name", ""))
        self.id_key = header_key(mapping.matched.get("id_number", ""))

    def reason(self, name: str, id_raw: str, id_valid: bool = False, raw: list[str] | None = None) -> str:
        """"" when the row is kept. Only rows without a valid ID get here past the first
        test, so the footer checks cost nothing on a clean list.

        A footer row — a 合计/小计 row, a signature line ("制表人：… 审核人：…") or a note
        ("填表说明…") — is recognised in the name cell, the ID cell, or (the name
        being empty or the row starting with it) in any cell ``raw`` of the row."""
        if id_valid:
            return ""
        has_id = bool(id_raw.strip())
        footer = footer_kind(name) or footer_kind(id_raw.strip())
        if footer:
            return footer
        if raw is not None:
            first = next((c for c in raw if c.strip()), "")
            if footer_kind(first.strip()):
                return footer_kind(first.strip())
            if not name:
                for c in raw:
                    kind = footer_kind(c.strip())
                    if kind:
                        return kind
        if not name and not has_id:
            return SKIPPED_NO_NAME_ID
        if header_key(name) == self.name_key and header_key(id_raw) == self.id_key:
            return SKIPPED_REPEATED_HEADER
        if not has_id and is_total_or_note(name):
            return SKIPPED_TOTAL if value_key(name) in _TOTAL_WORDS else SKIPPED_FOOTER
        return ""


UNCOMPUTED_HINT = "请在Excel中打开并保存，或把公式改为数值"
ERROR_VALUE_HINT = "请在表格中改正这个单元格后重新导入（#N/A 多是查找公式没有找到对应的值）"


def formula_problems(table: Table, mapping: Mapping, line: int) -> list[str]:
    """"姓名（A列）的单元格是公式，但没有计算结果…" for each used column of this
    (1-based) line whose cell is a formula without a cached value (read as empty), and
    "…是Excel错误值 #N/A…" for one holding an error value (read as empty too)."""
    if not table.uncomputed:
        return []
    out = []
    for fld, idx in mapping.columns.items():
        cell = (line - 1, idx)
        if cell not in table.uncomputed:
            continue
        error = table.errors.get(cell)
        if error:
            out.append(f"{where(mapping, fld)}的单元格是Excel错误值 {error}（读出为空）：" + ERROR_VALUE_HINT)
        else:
            out.append(f"{where(mapping, fld)}的单元格是公式，但文件中没有公式的计算结果（读出为空）："
                       + UNCOMPUTED_HINT)
    return out


def where(mapping: Mapping, fld: str) -> str:
    """"就读地（J列）" for messages."""
    idx = mapping.columns.get(fld)
    if idx is None:
        return ""
    return f"{mapping.matched[fld]}（{column_letter(idx)}列）"
