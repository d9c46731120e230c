"""The student import reads 全日制正式学籍 and the loan column in their own words (session 20 review).

* 全日制正式学籍 (the plan's condition for every item) was recognised under one header only, and a
  cell "全日制" / "非全日制" was unreadable (taken as 是): a 非全日制 student was subsidised.
* A file without the column takes every student as 全日制 silently: the preview now says so for the
  stages where non-full-time enrolment exists (中职, 高职专科, 本科, 研究生).
* 生源地助学贷款 "已贷款", "有贷款", "贷款", "已办", "已贷" were read as 否 (with a problem): the
  student's 生源地助学贷款一次性就学扶助 (2022 元) was lost. The loan's own words are read for the loan
  column only.
"""
from datetime import date

import pytest

from core.domain import Stage, parse_full_time, parse_loan, parse_yes_no
from core.engine import compute_student
from core.idnumber import make_id
from core.importers import Table, parse_students
from core.importers.coverage import missing_column_warnings
from core.policy import default_policy
from core.records import STUDENT_COLUMNS, student_record
from core.text import header_key

ID1 = make_id("110101", date(2007, 3, 1), 301)
ID2 = make_id("110101", date(2003, 3, 1), 302)
ID3 = make_id("110101", date(2002, 5, 9), 303)


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def parse(rows, policy):
    return parse_students(Table("mem.xlsx", "S", rows), policy)


def values(result):
    return {r.values["name"]: r.values for r in result.rows}


# -- 全日制正式学籍: the column's headers and its cells ------------------------------------------

@pytest.mark.parametrize("header", ["是否全日制正式学籍", "全日制正式学籍", "是否全日制", "全日制", "是否全日制学籍",
                                    "是否为全日制", "是否为全日制正式学籍"])
def test_each_full_time_header_names_the_field(header, policy):
    known = {header_key(t): c.field for c in STUDENT_COLUMNS for t in (c.header, *c.synonyms)}
    assert known[header_key(header)] == "full_time"
    result = parse([["姓名", "身份证号", "学段", header], ["甲", ID1, "中职", "非全日制"]], policy)
    assert result.mapping.matched["full_time"] == header and result.unknown_headers == []
    assert values(result)["甲"]["full_time"] is False


def test_a_student_records_column_never_stands_for_the_full_time_one(policy):
    """学籍类型 (正式学籍, 借读 …) left of the clerk's own 是否全日制正式学籍 column: the clerk's column is read."""
    result = parse([["姓名", "身份证号", "学段", "学籍类型", "是否全日制正式学籍"],
                    ["甲", ID1, "中职", "正式学籍", "否"]], policy)
    assert result.mapping.matched["full_time"] == "是否全日制正式学籍"
    assert values(result)["甲"]["full_time"] is False and not result.rows[0].problems


def test_the_field_s_own_header_wins_over_a_synonym_met_first(policy):
    result = parse([["姓名", "身份证号", "学段", "全日制", "是否全日制正式学籍"],
                    ["甲", ID1, "中职", "是", "否"]], policy)
    assert result.mapping.matched["full_time"] == "是否全日制正式学籍" and result.unknown_headers == ["全日制"]
    assert values(result)["甲"]["full_time"] is False


def test_full_time_cells_read_as_yes_or_no(policy):
    rows = [["姓名", "身份证号", "学段", "是否全日制"],
            ["甲", ID1, "中职", "全日制"], ["乙", ID2, "本科", "非全日制"], ["丙", ID3, "本科", " 否 "],
            ["丁", make_id("110101", date(2006, 1, 1), 304), "中职", "是"],
            ["戊", make_id("110101", date(2006, 1, 2), 305), "中职", "函授"]]
    result = parse(rows, policy)
    got = {name: v["full_time"] for name, v in values(result).items()}
    assert got == {"甲": True, "乙": False, "丙": False, "丁": True, "戊": False}
    assert all(not r.problems for r in result.rows)


def test_a_non_full_time_student_read_from_the_cell_gets_nothing(policy):
    rows = [["姓名", "身份证号", "学段", "家庭类别", "是否全日制", "生源地助学贷款"],
            ["乙", ID2, "本科", "建档立卡", "非全日制", "是"]]
    rec = student_record(values(parse(rows, policy))["乙"], key=1)
    assert compute_student(rec, policy).granted == []


def test_full_time_words_are_not_yes_for_other_columns(policy):
    """“全日制” answers the full-time question only: under 生源地助学贷款 it stays unreadable."""
    assert parse_full_time("全日制") is True and parse_full_time("非全日制") is False
    assert parse_yes_no("全日制") is None and parse_loan("全日制") is None
    rows = [["姓名", "身份证号", "学段", "生源地助学贷款"], ["乙", ID2, "本科", "全日制"]]
    row = parse(rows, policy).rows[0]
    assert row.values["has_loan"] is False and any("生源地助学贷款" in p for p in row.problems)


def test_an_unreadable_full_time_cell_names_the_accepted_words(policy):
    row = parse([["姓名", "身份证号", "学段", "是否全日制"], ["甲", ID1, "中职", "不清楚"]], policy).rows[0]
    (problem,) = row.problems
    assert "是否全日制（D列）的值“不清楚”无法识别" in problem and "全日制" in problem and "非全日制" in problem


# -- a list without the column -----------------------------------------------------------------

def test_a_list_without_a_full_time_column_warns_for_the_stages_with_part_time_study(policy):
    base = {"name", "id_number", "stage", "category", "has_loan", "tuition", "textbook", "lodging"}
    for stage in (Stage.VOCATIONAL, Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE, Stage.MASTER):
        (warning,) = missing_column_warnings(policy, base, {stage})
        assert warning.startswith("没有识别到“是否全日制正式学籍”列：文件中的学生将全部按“全日制正式学籍”处理")
        assert "非全日制" in warning and "请把它的表头改为“是否全日制正式学籍”后重新导入" in warning
    # compulsory education and 普通高中 have no part-time enrolment; the column present: nothing to say
    assert missing_column_warnings(policy, base, {Stage.PRIMARY, Stage.JUNIOR, Stage.HIGH_SCHOOL}) == []
    assert missing_column_warnings(policy, base | {"full_time"}, set(Stage)) == []


def test_the_preview_of_a_list_without_the_column_says_so(policy):
    rows = [["姓名", "身份证号", "学段", "家庭类别", "生源地助学贷款"], ["乙", ID2, "本科", "建档立卡", "是"]]
    assert any("是否全日制正式学籍" in w for w in parse(rows, policy).warnings)
    rows = [["姓名", "身份证号", "学段", "家庭类别", "生源地助学贷款", "全日制"],
            ["乙", ID2, "本科", "建档立卡", "是", "全日制"]]
    assert parse(rows, policy).warnings == []


# -- 生源地助学贷款 ------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, loan", [
    ("已贷款", True), ("有贷款", True), ("贷款", True), ("已办", True), ("已贷", True), ("是", True),
    ("已办理", True), ("未贷款", False), ("无贷款", False), ("未办", False), ("否", False), ("无", False)])
def test_loan_words_are_read(cell, loan, policy):
    rows = [["姓名", "身份证号", "学段", "家庭类别", "生源地助学贷款"], ["乙", ID2, "本科", "建档立卡", cell]]
    row = parse(rows, policy).rows[0]
    assert row.values["has_loan"] is loan and row.problems == []


def test_a_loan_marked_已贷款_gets_the_loan_aid(policy):
    rows = [["姓名", "身份证号", "学段", "家庭类别", "是否全日制正式学籍", "生源地助学贷款"],
            ["乙", ID2, "本科", "建档立卡", "是", "已贷款"]]
    rec = student_record(values(parse(rows, policy))["乙"], key=1)
    assert {d.code: d.amount_fen for d in compute_student(rec, policy).granted}["LOAN_AID"] == 202200


def test_loan_words_are_not_yes_for_the_other_yes_no_columns(policy):
    """“贷款” / “已办” say nothing about 全日制 or an earlier year's aid: those columns keep their words."""
    assert parse_yes_no("已贷款") is None and parse_yes_no("已办") is None and parse_full_time("贷款") is None
    rows = [["姓名", "身份证号", "学段", "往年已享受就学扶助"], ["乙", ID2, "本科", "已贷款"]]
    row = parse(rows, policy).rows[0]
    assert row.values["prior_grants"] == "" and len(row.problems) == 1
