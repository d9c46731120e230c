"""STAGE_GRADE: a 年级 that clearly names another 学段 is a warning; a blank, unknown or
ambiguous grade never is. The grade is a checked field: the checks read it from the store and a
saved change of it re-checks."""
from datetime import date

import pytest

from core.checks import RULES_BY_CODE, CheckContext, Severity, StudentFacts, rule_code, run_checks
from core.checks.rules_grade import GRADE_STAGES, grade_stages
from core.demo_people import STAGE_PLAN
from core.domain import Stage
from core.fields import CHECK_FIELDS
from core.idnumber import make_id
from core.policy import default_policy

HS_ID = make_id("110101", date(2007, 5, 20), 131)      # 16 on 2023-09-01: 普通高中, 中职


def run(*pairs):
    students = [StudentFacts(key=k, name=f"学生{k}", id_number="", id_raw="", stage=stage, grade=grade,
                             category="NONE") for k, (stage, grade) in enumerate(pairs, 1)]
    ctx = CheckContext(students=students, roster=[], policy=default_policy(), school_name="第一中学",
                       school_year=2023, today=date(2024, 4, 1))
    return [f for f in run_checks(ctx) if f.code == "STAGE_GRADE"]


def test_the_reviewers_case_is_flagged_with_what_where_and_what_to_do():
    (f,) = run(("初中", "高二"))
    assert f.severity is Severity.WARNING and f.field == "stage" and f.student_key == 1
    assert "“高二”" in f.message and "普通高中或中职" in f.message and "初中" in f.message
    assert "改正学段或年级" in f.message
    rule = RULES_BY_CODE["STAGE_GRADE"]
    assert rule.title == "年级与学段不符" and rule_code(rule.title) == "STAGE_GRADE" and "改正" in rule.hint


@pytest.mark.parametrize("stage,grade", [
    ("初中", "高二"), ("小学", "初一"), ("小学", "七年级"), ("初中", "大班"), ("学前教育", "小学三年级"),
    ("普通高中", "初三"), ("普通高中", "中职二年级"), ("中职", "普通高中一年级"),
    ("本科", "高三"), ("高职专科", "研一"), ("本科", "博二"), ("硕士研究生", "大一"), ("普通高中", "大班"),
    ("初中", "高2"), ("初中", "高二(3)班"), ("初中", "高二３班"), ("小学", " 初 一 "), ("本科", "大专二年级"),
])
def test_a_grade_naming_another_stage_is_flagged(stage, grade):
    assert len(run((stage, grade))) == 1


@pytest.mark.parametrize("stage,grade", [
    ("初中", ""), ("初中", "   "), ("初中", "2023级"), ("初中", "一年级"), ("中职", "一年级"), ("本科", "四年级"),
    ("小学", "六年级"), ("中职", "高一"), ("普通高中", "高一"), ("高中", "高二"), ("高职专科", "大一"), ("本科", "大四"),
    ("博士研究生", "研三"), ("学前教育", "大班"), ("幼儿园", "中班"), ("初中", "九年级"), ("初中", "初二(1)班"),
    ("小学", "小学五年级"), ("学前教育", "大班1班"), ("无法识别的学段", "高二"), ("", "高二"),
    ("学前教育", "小一"), ("学前教育", "大一"), ("学前教育", "大2"), ("小学", "小一"), ("中职", "高职一年级"),
    ("高职专科", "高职二年级"),
])
def test_a_blank_unknown_ambiguous_or_agreeing_grade_is_not(stage, grade):
    assert run((stage, grade)) == []


def test_the_demo_and_roster_grades_agree_with_their_stages():
    """How grades are written in the demo (and the roster's 在校生状况 words) never flags its own stage."""
    for stage, _weight, grades in STAGE_PLAN:
        for grade, _age, status in grades:
            assert run((stage.value, grade)) == [], grade
            found = grade_stages(status)
            assert found is None or stage in found, status


def test_grade_words_name_stages_the_project_has():
    assert all(v and v <= set(Stage) for v in GRADE_STAGES.values())
    assert grade_stages("高一") == {Stage.HIGH_SCHOOL, Stage.VOCATIONAL}
    assert grade_stages("一年级") is None and grade_stages("") is None


def test_one_finding_per_student_and_the_same_pair_decided_once():
    found = run(("初中", "高二"), ("初中", "高二"), ("初中", "初二"))
    assert [f.student_key for f in found] == [1, 2]


# -- the grade as a checked field -------------------------------------------------------------

def test_grade_is_a_checked_field():
    assert "grade" in CHECK_FIELDS


def test_the_stored_grade_is_checked_and_a_saved_correction_fixes_it(db):
    from core.checks import FindingState
    from core.records import ParsedRow
    from db import store, usecases
    from db.importing import apply_plan, plan_import
    from db.views import finding_rows
    with db.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        row = {"name": "乙", "id_number": HS_ID, "id_raw": HS_ID, "stage": "初中", "grade": "高二", "category": "NONE"}
        apply_plan(s, plan_import(s, "students", [ParsedRow(0, row)], [], list(row)))
    usecases.check(db)
    (f,) = [r for r in finding_rows(db) if r.code == "STAGE_GRADE"]
    assert f.state == FindingState.OPEN and "高二" in f.message
    edited = usecases.edit_student(db, f.student_id, {"grade": "初二"})
    assert edited.diff == {"grade": ("高二", "初二")}
    assert [r.state for r in finding_rows(db) if r.code == "STAGE_GRADE"] == [FindingState.FIXED]
