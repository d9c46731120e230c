"""Blank import templates (.xlsx) the clerk fills in: canonical headers (bold,
frozen), ID and number columns formatted as text so Excel keeps every digit,
and drop-down lists for the enumerated columns."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from core.domain import Location, Ownership, Stage
from core.errors import ValidationError
from core.exports.xlsx_common import put_text
from core.importers.output import display_width, save_atomic
from core.paths import check_replaceable, require_suffix
from core.policy import Policy, default_policy
from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS, Column

KINDS = {"students": STUDENT_COLUMNS, "roster": ROSTER_COLUMNS}
SHEET_TITLES = {"students": "学生名单", "roster": "建档立卡名单"}
TEXT_FORMAT = "@"
MONEY_FORMAT = "0.00"
LAST_ROW = 10000          # drop-downs and formats cover rows 2..LAST_ROW
_INLINE_LIMIT = 255       # Excel's limit for an inline list formula

TEXT_FIELDS = frozenset({"id_number", "student_no", "bank_card", "phone", "household_no",
                         "loan_contract_no", "birth_date"})
MONEY_FIELDS = frozenset({"tuition", "textbook", "lodging"})
_WIDTHS = {"id_number": 22, "bank_card": 24, "student_no": 24, "loan_contract_no": 20,
           "phone": 14, "household_no": 18, "school_name": 24}

_NOTES = {
    "students": [
        "填写说明",
        "1. 第一行是表头，请不要修改或删除；可以删除不需要的非必填列。",
        "2. 必填列：姓名、身份证号、学段。身份证号请按文本填写（本模板已设为文本格式），最后一位可以是X。",
        "3. 学段、就读地、学校性质、家庭类别等请从下拉列表中选择。",
        "4. 空着不填时：就读地按“本地”、学校性质按“公办”、是否全日制正式学籍按“是”、家庭类别按“非困难”处理。",
        "5. 实收学费/书本费/住宿费以“元”为单位；没有收费请填 0，不知道请留空（留空表示“未填写”，不等于0）。",
    ],
    "roster": [
        "填写说明",
        "1. 第一行是表头，请不要修改或删除。",
        "2. 必填列：姓名、证件号码。证件号码请按文本填写（本模板已设为文本格式）。",
    ],
}


def _choices(policy: Policy) -> dict[str, list[str]]:
    yes_no = ["是", "否"]
    return {
        "stage": [s.value for s in Stage],
        "location": [loc.value for loc in Location],
        "ownership": [o.value for o in Ownership],
        "full_time": yes_no,
        "category": [labels[0] for labels in policy.category_labels.values()],
        "has_loan": yes_no,
        "gender": ["男", "女"],
    }


class _Lists:
    """List formulas: inline when short, else a range on a hidden "选项" sheet."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.sheet: Any = None   # an openpyxl Worksheet once needed

    def formula(self, values: list[str], column: int) -> str:
        inline = ",".join(values)
        if len(inline) + 2 <= _INLINE_LIMIT and not any("," in v or '"' in v for v in values):
            return f'"{inline}"'
        if self.sheet is None:
            self.sheet = self.wb.create_sheet("选项")
            self.sheet.sheet_state = "hidden"
        letter = get_column_letter(column)
        for r, v in enumerate(values, start=1):
            put_text(self.sheet, r, column, v)
        return f"{quote_sheetname(self.sheet.title)}!${letter}$1:${letter}${len(values)}"


def write_template(path: str | os.PathLike[str], kind: str, policy: Policy | None = None) -> Path:
    """Write a blank import template of ``kind`` ("students" or "roster") to ``path``.

    Drop-down labels for 家庭类别 come from ``policy`` (the default policy when
    None). The file is written atomically."""
    if kind not in KINDS:
        raise ValidationError(f"不认识的模板类型“{kind}”", "模板类型应为 students（学生名单）或 roster（建档立卡名单）")
    require_suffix(path, (".xlsx",), "导入模板")
    check_replaceable(path)        # (refused before the workbook is built)
    columns: tuple[Column, ...] = KINDS[kind]
    choices = _choices(policy or default_policy()) if kind == "students" else {}
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[kind]
    lists = _Lists(wb)

    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for idx, col in enumerate(columns, start=1):
        letter = get_column_letter(idx)
        cell = put_text(ws, 1, idx, col.header)
        cell.font = bold
        cell.alignment = center
        cell.fill = required_fill if col.required else header_fill
        dim = ws.column_dimensions[letter]
        dim.width = max(_WIDTHS.get(col.field, 0), display_width(col.header) + 4, 10)
        if col.field in TEXT_FIELDS:
            dim.number_format = TEXT_FORMAT
        elif col.field in MONEY_FIELDS:
            dim.number_format = MONEY_FORMAT
        values = choices.get(col.field)
        if values:
            dv = DataValidation(type="list", formula1=lists.formula(values, idx),
                                allow_blank=True, showDropDown=False)
            dv.errorStyle = "warning"
            dv.errorTitle = f"{col.header}填写有误"
            dv.error = "请从下拉列表中选择：" + "、".join(values)
            dv.promptTitle = col.header
            dv.prompt = "请从下拉列表中选择"
            dv.showErrorMessage = True
            dv.showInputMessage = True
            dv.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30

    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 100
    for r, line in enumerate(_NOTES[kind], start=1):
        put_text(notes, r, 1, line).font = bold if r == 1 else Font()
    return save_atomic(wb, path)
