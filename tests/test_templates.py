"""Import templates: headers, text formats, drop-downs, and that a filled-in
template imports cleanly."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from core.domain import Stage
from core.errors import ValidationError
from core.idnumber import make_id
from core.importers import parse_roster, parse_students, read_table, write_template
from core.policy import default_policy, default_policy_text, load_policy
from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def _validations(ws) -> dict[str, list[str]]:
    """Header of the validated column -> list of allowed values."""
    header = {c.column_letter: c.value for c in ws[1]}
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        ref = str(dv.sqref)
        letter = ref.split(":")[0].rstrip("0123456789")
        assert ref == f"{letter}2:{letter}10000"
        formula = dv.formula1
        if formula.startswith('"'):
            values = formula.strip('"').split(",")
        else:
            sheet, rng = formula.split("!")
            lists = ws.parent[sheet.strip("'")]
            values = [c.value for row in lists[rng.replace("$", "")] for c in row]
        out[header[letter]] = values
    return out


def _letter(ws, header: str) -> str:
    return next(c.column_letter for c in ws[1] if c.value == header)


def test_student_template_headers_formats_and_dropdowns(tmp_path, policy):
    path = write_template(tmp_path / "学生名单模板.xlsx", "students", policy)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "学生名单"
    assert [c.value for c in ws[1]] == [c.header for c in STUDENT_COLUMNS]
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    for header in ("身份证号", "学籍号", "银行卡号", "联系电话", "户编号"):
        dim = ws.column_dimensions[_letter(ws, header)]
        assert dim.number_format == "@", header
        assert dim.width >= 14
    assert ws.column_dimensions[_letter(ws, "身份证号")].width >= 20
    assert ws.column_dimensions[_letter(ws, "实收学费")].number_format == "0.00"
    lists = _validations(ws)
    assert lists == {
        "性别": ["男", "女"],
        "学段": [s.value for s in Stage],
        "就读地": ["本地", "外地"],
        "学校性质": ["公办", "民办"],
        "是否全日制正式学籍": ["是", "否"],
        "家庭类别": ["建档立卡", "其他经济困难", "非困难"],
        "生源地助学贷款": ["是", "否"],
    }
    assert len(lists["学段"]) == 9
    assert "填写说明" in wb.sheetnames
    assert sorted(p.name for p in tmp_path.iterdir()) == ["学生名单模板.xlsx"]


def test_category_labels_come_from_the_policy(tmp_path):
    text = default_policy_text().replace('REGISTERED = ["建档立卡",', 'REGISTERED = ["脱贫家庭", "建档立卡",')
    custom = load_policy(text)
    ws = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", "students", custom)).active
    assert _validations(ws)["家庭类别"] == ["脱贫家庭", "其他经济困难", "非困难"]


def test_labels_with_commas_use_a_hidden_list_sheet(tmp_path):
    text = default_policy_text().replace('NONE = ["非困难",', 'NONE = ["非困难,一般家庭",')
    custom = load_policy(text)
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", "students", custom))
    ws = wb.worksheets[0]
    assert wb["选项"].sheet_state == "hidden"
    assert _validations(ws)["家庭类别"] == ["建档立卡", "其他经济困难", "非困难,一般家庭"]
    assert read_table(tmp_path / "t.xlsx").sheet == "学生名单"


def test_roster_template(tmp_path):
    ws = openpyxl.load_workbook(write_template(tmp_path / "r.xlsx", "roster")).active
    assert [c.value for c in ws[1]] == [c.header for c in ROSTER_COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions[_letter(ws, "证件号码")].number_format == "@"
    assert ws.column_dimensions[_letter(ws, "户编号")].number_format == "@"
    assert not ws.data_validations.dataValidation


def test_unknown_kind(tmp_path):
    with pytest.raises(ValidationError) as exc:
        write_template(tmp_path / "x.xlsx", "teachers")
    assert "teachers" in exc.value.message
    assert not list(tmp_path.iterdir())


def test_filled_templates_import_cleanly(tmp_path, policy):
    sid = make_id("110101", date(2008, 5, 1), 11)
    path = write_template(tmp_path / "s.xlsx", "students", policy)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    values = {"姓名": "张三", "身份证号": sid, "学段": "普通高中", "就读地": "外地",
              "家庭类别": "建档立卡", "实收学费": 1200, "实收书本费": 0, "生源地助学贷款": "否"}
    for col, header in enumerate([c.value for c in ws[1]], start=1):
        if header in values:
            ws.cell(row=2, column=col, value=values[header])
    wb.save(path)
    result = parse_students(read_table(path), policy)
    assert result.unknown_headers == []
    assert len(result.rows) == 1 and result.rows[0].problems == []
    v = result.rows[0].values
    assert (v["id_number"], v["stage"], v["location"], v["category"]) == (sid, "普通高中", "外地", "REGISTERED")
    assert (v["tuition_fen"], v["textbook_fen"], v["lodging_fen"]) == (120000, 0, None)

    rpath = write_template(tmp_path / "r.xlsx", "roster")
    wb = openpyxl.load_workbook(rpath)
    wb.active.append(["XX县", "城关镇", "一村", "001", "张三", sid, "之子", "在校", "XX中学"])
    wb.save(rpath)
    roster = parse_roster(read_table(rpath))
    assert [r.values["id_number"] for r in roster.rows] == [sid]
    assert roster.rows[0].problems == []
