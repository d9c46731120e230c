"""Messy real-world lists: a fee header merged over several columns, a hidden or instruction sheet
first, a guardian's name and ID beside the student's, lost characters and lost ID digits."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from core.errors import InputFileError, MissingColumnsError
from core.idnumber import check_id, make_id, normalize_id
from core.importers import Table, parse_roster, parse_students, read_table
from core.importers.common import clean_name
from core.policy import default_policy

ID1 = make_id("422822", date(2008, 3, 1), 10)
ID2 = make_id("422822", date(2008, 3, 2), 11)
GUARDIAN = make_id("422822", date(1975, 1, 1), 1)


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def students_of(rows: list[list], policy, **kw):
    return parse_students(Table("mem.xlsx", "S", rows), policy, **kw)


def save(path: Path, *sheets: tuple[str, list[list]], hidden: tuple[str, ...] = (),
         merges: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    first = wb[sheets[-1][0]] if merges else None
    for area in merges:
        assert first is not None
        first.merge_cells(area)
    wb.save(path)
    return path


# ---------------------------------------------------------------- 1. a fee header over several columns

def test_fee_header_merged_over_two_semesters_is_refused(tmp_path, policy):
    path = save(tmp_path / "s.xlsx", ("名单", [
        ["序号", "姓名", "身份证号", "学段", "实收学费（元）", None, "实收住宿费", None],
        [None, None, None, None, "秋季学期", "春季学期", "秋季学期", "春季学期"],
        [1, "张三", ID1, "普通高中", 600, 600, 400, 400]]), merges=("E1:F1", "G1:H1"))
    with pytest.raises(InputFileError) as exc:
        parse_students(read_table(path), policy)
    assert "“实收学费（元）”跨了E～F列" in exc.value.message and "F列没有表头却有数据" in exc.value.message
    assert "合计成一列" in exc.value.hint and "列对应" in exc.value.hint


def test_fee_header_over_due_waived_paid_is_refused(policy):
    rows = [["姓名", "身份证号", "学段", "学费", "", ""],
            ["", "", "", "应收", "减免", "实收"],
            ["张三", ID1, "普通高中", 1200, 200, 1000]]
    with pytest.raises(InputFileError, match="“学费”跨了D～F列"):
        students_of(rows, policy)


def test_unheaded_column_with_data_is_listed_unused_and_an_empty_one_is_not(policy):
    rows = [["姓名", "身份证号", "学段", "", "实收学费", "", "备注"],
            ["张三", ID1, "普通高中", "x", 1200, "", ""]]
    result = students_of(rows, policy)
    assert result.rows[0].values["tuition_fen"] == 120000
    assert "D列（没有表头，有数据）" in result.unknown_headers
    assert not any(h.startswith("F列") for h in result.unknown_headers)


def test_fee_followed_by_an_empty_unheaded_column_is_imported(policy):
    rows = [["姓名", "身份证号", "学段", "实收学费", ""], ["张三", ID1, "普通高中", 1200, ""]]
    assert students_of(rows, policy).rows[0].values["tuition_fen"] == 120000


# ---------------------------------------------------------------- 2. which sheet

STUDENTS = [["姓名", "身份证号", "学段"], ["张三", ID1, "普通高中"]]


def test_hidden_first_sheet_is_skipped_and_the_sheet_is_named(tmp_path, policy):
    path = save(tmp_path / "h.xlsx", ("去年", [["姓名", "身份证号", "学段"], ["旧生", ID2, "初中"]]),
                ("今年", STUDENTS), hidden=("去年",))
    table = read_table(path)
    assert table.sheet == "今年" and table.sheets == 2
    result = parse_students(table, policy)
    assert [r.values["name"] for r in result.rows] == ["张三"]
    assert result.sheet_line == "读取的工作表：“今年”（文件共有 2 个工作表）"


def test_instruction_sheet_first_is_passed_for_the_list(tmp_path, policy):
    path = save(tmp_path / "i.xlsx", ("填表说明", [["填表说明："], ["1. 身份证号请设为文本格式"]]),
                ("学生名单", STUDENTS))
    table = read_table(path)
    assert table.sheet == "学生名单"
    assert [r.values["name"] for r in parse_students(table, policy).rows] == ["张三"]


def test_a_single_sheet_is_not_named(tmp_path, policy):
    table = read_table(save(tmp_path / "one.xlsx", ("名单", STUDENTS)))
    assert table.sheets == 1 and parse_students(table, policy).sheet_line == ""


def test_no_sheet_with_a_header_keeps_the_first_visible_one(tmp_path):
    path = save(tmp_path / "n.xlsx", ("隐藏", [["x"]]), ("一", [["说明"]]), ("二", [["别的"]]),
                hidden=("隐藏",))
    assert read_table(path).sheet == "一"


def test_cli_names_the_sheet(tmp_path, capsys):
    from cli.commands import run
    db = str(tmp_path / "t.sqlite")
    assert run(["--db", db, "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    path = save(tmp_path / "h.xlsx", ("去年", [["x"]]), ("今年", STUDENTS), hidden=("去年",))
    assert run(["--db", db, "import", "students", str(path), "--dry-run"]) == 0
    assert "读取的工作表：“今年”（文件共有 2 个工作表）" in capsys.readouterr().out


# ---------------------------------------------------------------- 3. the student's name and ID

def test_student_id_header_wins_over_a_guardians_bare_one(policy):
    rows = [["序号", "学生姓名", "学生身份证号", "学段", "监护人姓名", "身份证号"],
            [1, "张三", ID1, "普通高中", "张大山", GUARDIAN]]
    result = students_of(rows, policy)
    values = result.rows[0].values
    assert (values["name"], values["id_number"], values["head_name"]) == ("张三", ID1, "张大山")
    assert "身份证号" in result.unknown_headers


def test_group_headers_tell_the_students_pair(policy):
    rows = [["序号", "监护人信息", "", "学生信息", "", ""],
            ["", "姓名", "身份证号", "姓名", "身份证号", "学段"],
            [1, "张大山", GUARDIAN, "张三", ID1, "普通高中"]]
    values = students_of(rows, policy).rows[0].values
    assert (values["name"], values["id_number"]) == ("张三", ID1)


def test_two_bare_name_columns_with_data_are_refused(policy):
    rows = [["姓名", "身份证号", "学段", "姓名"], ["张三", ID1, "普通高中", "张大山"]]
    with pytest.raises(MissingColumnsError) as exc:
        students_of(rows, policy)
    assert exc.value.missing == ["name"] and "A列“姓名”、D列“姓名”" in exc.value.message
    assert "学生姓名" in exc.value.hint and "列对应" not in exc.value.hint   # same header: only renaming helps
    assert exc.value.mapping.columns["id_number"] == 1


def test_roster_two_id_columns_with_data_are_refused():
    rows = [["姓名", "证件号码", "身份证号"], ["张三", ID1, ID2]]
    with pytest.raises(MissingColumnsError, match="都可能是“证件号码”"):
        parse_roster(Table("r.xlsx", "R", rows))


# ---------------------------------------------------------------- 4. lost and invisible characters

@pytest.mark.parametrize("zw", ["\u200b", "\u200c", "\u200d", "\ufeff"])
def test_zero_width_characters_are_removed_from_names_and_ids(zw, policy):
    assert clean_name(f"张{zw}三") == "张三"
    assert normalize_id(ID1[:9] + zw + ID1[9:]) == ID1
    rows = [["姓名", "身份证号", "学段"], [f"张{zw}三", ID1[:9] + zw + ID1[9:], "普通高中"]]
    row = students_of(rows, policy).rows[0]
    assert (row.values["name"], row.values["id_number"], row.problems) == ("张三", ID1, [])


def test_question_mark_in_a_name_is_a_problem(tmp_path, policy):
    path = tmp_path / "q.csv"
    with open(path, "w", newline="", encoding="gbk") as fh:
        csv.writer(fh).writerows([["姓名", "身份证号", "学段"], ["?祥", ID1, "普通高中"],
                                  ["李？娃", ID2, "普通高中"]])
    rows = parse_students(read_table(path), policy).rows
    assert rows[0].problems == ["姓名（A列）“?祥”中有问号：可能是保存为CSV时丢失了生僻字，请核对后改正"]
    assert "“李？娃”中有问号" in rows[1].problems[0]
    roster = parse_roster(Table("r.xlsx", "R", [["姓名", "证件号码"], ["王\ufffd", ID1]]))
    assert "中有问号" in roster.rows[0].problems[0]


# ---------------------------------------------------------------- 5. lost digits, not a check digit

def test_id_ending_in_000_says_digits_were_lost():
    lost = ID1[:15] + "000"
    info = check_id(lost)
    assert not info.valid and info.problem_code == "CHECKSUM"
    assert "后几位已丢失" in info.problem and "应为" not in info.problem
    wrong = ID1[:17] + ("0" if ID1[17] != "0" else "1")
    assert "最后一位应为" in check_id(wrong).problem
