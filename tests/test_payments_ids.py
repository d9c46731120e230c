"""The payments import checks its rows as the student import does: the ID through the same
``IdChecker`` (a number cell that lost digits, "4.22822E+17", an empty cell, a CSV ="…"
wrapper), an item named by a name two items share, and items looked up among every item of
the policy, retired ones too (a payment for an item no longer granted is PAYMENT_UNDUE, not
"not a policy item")."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from core.checks import CheckContext, StudentFacts, run_checks
from core.idnumber import make_id
from core.importers import Table
from core.importers.common import NUMERIC_ID_PROBLEM
from core.importers.payments import parse_payments
from core.importers.reader import read_table
from core.policy import default_policy, load_policy, set_value
from core.policy_edit import retire_item
from db import store
from db.workflows import import_payments

TODAY = date(2026, 11, 28)
POLICY = load_policy(set_value(default_policy().text, "tuition_standard.普通高中", "1200"))
ID = make_id("422822", date(2007, 7, 31), 512)           # a valid ID, 普通高中 age
OTHER = make_id("110101", date(2008, 5, 1), 123)
HEADER = ["身份证号", "姓名", "项目", "金额"]


def parse(rows, policy=POLICY):
    return parse_payments(Table("p.xlsx", "P", [HEADER, *rows]), policy)


def messages(parsed):
    return dict(parsed.problems)


@pytest.mark.parametrize("cell", [
    float(ID[:17] + "0"),                # a number cell: 4.2282220070731514e+17, its last digits gone
    int(float(ID[:17] + "0")),           # the same number read as a whole number
    "4.22822E+17",                       # the text Excel shows for it
])
def test_an_id_that_lost_its_digits_is_refused(cell):
    parsed = parse([[cell, "余萱彤", "HS_TUITION", 1200], [ID, "余萱彤", "HS_TEXTBOOK", 300]])
    assert [(p.id_number, p.item_code) for p in parsed.payments] == [(ID, "HS_TEXTBOOK")]
    assert messages(parsed) == {2: "第2行：身份证号（A列）" + NUMERIC_ID_PROBLEM.removeprefix("身份证号")}
    assert [r.line for r in parsed.problem_rows] == [2]


@pytest.mark.parametrize("cell", ["", None, "  "])
def test_an_empty_id_is_refused(cell):
    parsed = parse([[cell, "余萱彤", "HS_TUITION", 1200]])
    assert parsed.payments == []
    assert messages(parsed) == {2: "第2行：身份证号（A列）为空：请补填18位身份证号"}


def test_an_invalid_id_is_refused_with_what_to_do():
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    parsed = parse([[bad, "余萱彤", "HS_TUITION", 1200], [ID[:15], "余萱彤", "HS_TUITION", 1200]])
    assert parsed.payments == []
    got = messages(parsed)
    assert got[2].startswith("第2行：身份证号（A列）校验位错误") and "请" in got[2]
    assert got[3].startswith("第3行：身份证号（A列）：这是15位的旧式身份证号") and "请" in got[3]


def test_the_id_column_is_named_as_the_file_names_it():
    table = Table("p.xlsx", "P", [["公民身份号码", "项目", "金额"], ["", "HS_TUITION", 1200]])
    parsed = parse_payments(table, POLICY)
    assert messages(parsed) == {2: "第2行：公民身份号码（A列）为空：请补填18位身份证号"}


def test_an_id_written_as_the_student_import_accepts_it_is_normalised():
    parsed = parse([[f" {ID[:6]} {ID[6:]} ", "余萱彤", "HS_TUITION", 1200], [ID.lower(), "余萱彤", "HS_TEXTBOOK", 300]])
    assert parsed.problems == [] and [p.id_number for p in parsed.payments] == [ID, ID]


def test_a_row_with_several_problems_names_each():
    parsed = parse([["4.22822E+17", "余萱彤", "不存在", "349,50"]])
    message = messages(parsed)[2]
    assert "身份证号（A列）来自数字格式单元格" in message and "项目“不存在”不是资助政策中的" in message
    assert "金额（D列）：金额“349,50”的逗号位置不对" in message


def test_a_csv_file_from_excel_the_reviewers_rows(tmp_path):
    """The CSV the reviewer made: ="…" (not unwrapped by the student import either, so refused
    with the same message) and the scientific text; nothing is stored under a made-up ID."""
    path = tmp_path / "pay.csv"
    path.write_text(f'身份证号,姓名,项目,金额\n="{ID}",余萱彤,HS_TUITION,1200\n4.22822E+17,余萱彤,HS_TEXTBOOK,349.5\n'
                    f'{ID},余萱彤,HS_LODGING,100\n', encoding="utf-8")
    parsed = parse_payments(read_table(path), POLICY)
    assert [(p.id_number, p.item_code) for p in parsed.payments] == [(ID, "HS_LODGING")]
    got = messages(parsed)
    assert got[2] == "第2行：身份证号（A列）应为18位，这里是21位：请核对原始证件后改正"
    assert got[3] == "第3行：身份证号（A列）" + NUMERIC_ID_PROBLEM.removeprefix("身份证号")


def test_an_invalid_id_the_list_holds_is_taken():
    """The money went to the ID the school's own list holds (its ID_INVALID finding flags it there):
    refused, the row made the check say the student was never paid."""
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    rows = [[bad, "余萱彤", "HS_TUITION", 1200], [ID[:15], "余萱彤", "HS_TEXTBOOK", 300]]
    parsed = parse_payments(Table("p.xlsx", "P", [HEADER, *rows]), POLICY, listed=frozenset({bad, ID}))
    assert [(p.id_number, p.item_code) for p in parsed.payments] == [(bad, "HS_TUITION")]
    assert list(messages(parsed)) == [3]          # an ID no listed student holds: refused as before


@pytest.fixture
def pdb(db):
    with db.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
    return db


def test_a_number_cell_in_a_workbook_is_refused_on_import(pdb, tmp_path):
    """The reviewer's file: the ID typed into a number cell (Excel keeps 15 digits)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([float(ID), "余萱彤", "HS_TUITION", 1200])
    ws.append([OTHER, "张丽", "HS_TUITION", 1200])
    wb.save(tmp_path / "pay.xlsx")
    result = import_payments(pdb, tmp_path / "pay.xlsx")
    assert [p.id_number for p in result.payments] == [OTHER]
    assert [(line, m.split("：")[0]) for line, m in result.problems] == [(2, "第2行")]
    assert "身份证号（A列）来自数字格式单元格" in result.problems[0][1]


# --- items -------------------------------------------------------------------------------

def twin_policy():
    """免书本费 written twice (a hand-edited document: the 政策 page refuses a second name)."""
    text = POLICY.text.replace('name = "免住宿费"', 'name = "免书本费"', 1)
    policy = load_policy(text)
    assert [i.code for i in policy.items if i.name == "免书本费"] == ["HS_TEXTBOOK", "HS_LODGING"]
    return policy


def test_a_name_two_items_share_is_refused():
    parsed = parse([[ID, "余萱彤", "免书本费", 300], [ID, "余萱彤", " 免 书本费", 300],
                    [ID, "余萱彤", "HS_LODGING", 500], [ID, "余萱彤", "免学费", 1200]], twin_policy())
    assert [(p.line, p.item_code) for p in parsed.payments] == [(4, "HS_LODGING"), (5, "HS_TUITION")]
    assert messages(parsed) == {
        2: "第2行：项目名称“免书本费”对应多个项目（代码 HS_TEXTBOOK、HS_LODGING），请改填项目代码",
        3: "第3行：项目名称“免 书本费”对应多个项目（代码 HS_TEXTBOOK、HS_LODGING），请改填项目代码"}


def test_a_name_a_retired_item_shares_is_refused_too():
    policy = load_policy(retire_item(twin_policy().text, "HS_LODGING"))
    parsed = parse([[ID, "余萱彤", "免书本费", 300]], policy)
    assert messages(parsed) == {
        2: "第2行：项目名称“免书本费”对应多个项目（代码 HS_TEXTBOOK、HS_LODGING（已停用）），请改填项目代码"}


def retired_policy():
    policy = load_policy(retire_item(POLICY.text, "HS_LODGING"))
    assert "HS_LODGING" not in {i.code for i in policy.items}
    return policy


def test_a_payment_for_a_retired_item_is_imported_and_flagged_undue():
    policy = retired_policy()
    parsed = parse([[ID, "余萱彤", "HS_TUITION", 1200], [ID, "余萱彤", "HS_TEXTBOOK", 200],
                    [ID, "余萱彤", "免住宿费", 300], [ID, "余萱彤", "HS_LODGING", 50]], policy)
    assert parsed.problems == []
    assert [p.item_code for p in parsed.payments] == ["HS_TUITION", "HS_TEXTBOOK", "HS_LODGING", "HS_LODGING"]
    student = StudentFacts(key=1, name="余萱彤", id_number=ID, id_raw=ID, stage="普通高中", category="REGISTERED",
                           tuition_fen=120000, textbook_fen=20000, lodging_fen=35000, notified=True)
    ctx = CheckContext(students=[student], roster=[], policy=policy, school_name="第一中学", school_year=2023,
                       today=TODAY, payments=parsed.payments)
    found = [f for f in run_checks(ctx) if f.code.startswith("PAYMENT")]
    assert [(f.code, f.part) for f in found] == [("PAYMENT_UNDUE", "HS_LODGING")]
    assert "350.00 元" in found[0].message


def test_the_import_takes_a_payment_to_a_listed_students_invalid_id(pdb, tmp_path):
    from core.records import ParsedRow
    from db.importing import apply_plan, plan_import
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    with pdb.session() as s:
        apply_plan(s, plan_import(s, "students", [ParsedRow(0, {"name": "余萱彤", "id_number": bad, "id_raw": bad,
                                                                "stage": "普通高中", "category": "REGISTERED"})],
                                  [], ["name", "id_number", "stage", "category"]))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([bad, "余萱彤", "HS_TUITION", 1200])
    ws.append([OTHER[:-1] + ("0" if OTHER[-1] != "0" else "1"), "张丽", "HS_TUITION", 1200])   # no one's
    wb.save(tmp_path / "pay.xlsx")
    result = import_payments(pdb, tmp_path / "pay.xlsx")
    assert [p.id_number for p in result.payments] == [bad]
    assert [line for line, _m in result.problems] == [3]
