"""Session 20 review: three checks that said nothing.

* A loan contract number filled while the loan is not marked (LOAN_NOT_MARKED): the student's
  生源地助学贷款一次性就学扶助 is not granted, and nothing said why.
* A 公办 school's fee below its approved standard (PUBLIC_FEE_BELOW_STANDARD): the engine pays what
  was charged (min(fee, standard)); a fee typed for one term, or 0 for a fee not yet entered, halved or
  removed 免学费 without a word.
* ROSTER_NOT_ENROLLED flagged a roster person registered at this school whose 在校生状况 says the
  person left (已毕业, 辍学, 已转出), as the receiving side's version does not.
"""
from dataclasses import replace
from datetime import date

import pytest

from core.checks import RULES_BY_CODE, CheckContext, RosterFacts, Severity, StudentFacts, run_checks
from core.idnumber import make_id
from core.policy import default_policy, load_policy, set_value

POLICY = load_policy(set_value(default_policy().text, "tuition_standard.普通高中", "1200"))
HS_ID = make_id("110101", date(2008, 5, 1), 123)
UNI_ID = make_id("110101", date(2003, 3, 1), 125)


def run(students, roster=(), policy=POLICY):
    ctx = CheckContext(students=list(students), roster=list(roster), policy=policy, school_name="第一中学",
                       school_year=2023, today=date(2024, 4, 1))
    return run_checks(ctx)


def found(code, students, roster=(), policy=POLICY):
    return [f for f in run(students, roster, policy) if f.code == code]


def high_school(key=1, **kw):
    base = dict(stage="普通高中", ownership="公办", category="REGISTERED", tuition_fen=120000, textbook_fen=0,
                lodging_fen=0, notified=True, id_raw=HS_ID)
    return StudentFacts(key=key, name=f"学生{key}", id_number=HS_ID, **{**base, **kw})


def undergraduate(**kw):
    base = dict(stage="本科", category="REGISTERED", notified=True, id_raw=UNI_ID)
    return StudentFacts(key=7, name="王五", id_number=UNI_ID, **{**base, **kw})


# -- a contract number without the loan ---------------------------------------------------------

def test_a_contract_number_without_the_loan_is_a_warning_saying_what_to_do():
    (f,) = found("LOAN_NOT_MARKED", [undergraduate(loan_contract_no="HT-2023-0101")])
    assert f.severity is Severity.WARNING and f.field == "has_loan" and f.student_key == 7 and f.name == "王五"
    assert "已填贷款合同号“HT-2023-0101”但未标记已办理生源地助学贷款" in f.message
    assert "生源地助学贷款一次性就学扶助" in f.message          # what is lost, for a student it applies to
    hint = RULES_BY_CODE["LOAN_NOT_MARKED"].hint
    assert "已办生源地助学贷款" in hint and "贷款合同号" in hint


@pytest.mark.parametrize("contract", ["", "  ", "无", "/", "—", "0", "未办理", "#N/A", "NULL", "N/A", "none", "x"])
def test_no_contract_number_or_a_placeholder_is_no_finding(contract):
    assert found("LOAN_NOT_MARKED", [undergraduate(loan_contract_no=contract)]) == []


def test_a_marked_loan_with_its_contract_is_no_finding_either_way():
    s = undergraduate(loan_contract_no="HT-2023-0101", has_loan=True)
    assert found("LOAN_NOT_MARKED", [s]) == [] and found("LOAN_CONTRACT_MISSING", [s]) == []
    assert found("LOAN_CONTRACT_MISSING", [replace(s, loan_contract_no="")])     # the existing opposite rule


# -- a 公办 fee below the standard -----------------------------------------------------------------

def test_a_public_fee_below_the_standard_is_a_warning_naming_fee_standard_and_amount():
    (f,) = found("PUBLIC_FEE_BELOW_STANDARD", [high_school(tuition_fen=60000)])
    assert f.severity is Severity.WARNING and f.field == "tuition_fen" and f.part == "HS_TUITION"
    assert "公办学校实收学费 600.00 元低于公办普通高中学费标准 1200.00 元" in f.message
    assert "“免学费”按实收金额 600.00 元计算" in f.message
    hint = RULES_BY_CODE["PUBLIC_FEE_BELOW_STANDARD"].hint
    assert "全学年" in hint and "可接受" in hint


def test_a_public_fee_of_zero_is_not_flagged():
    """A public school that charges nothing (中职's national free tuition) enters 0, as FEE_MISSING
    asks: no fee below its standard to correct."""
    assert found("PUBLIC_FEE_BELOW_STANDARD", [high_school(tuition_fen=0)]) == []


@pytest.mark.parametrize("kw", [
    dict(tuition_fen=120000),                       # at the standard
    dict(tuition_fen=150000),                       # above: PUBLIC_FEE_ABOVE_STANDARD's
    dict(tuition_fen=None),                         # not entered: FEE_MISSING's
    dict(tuition_fen=60000, ownership="民办"),      # a 民办 school charges what it charges
    dict(tuition_fen=60000, category="NONE"),       # not eligible: no amount depends on it
    dict(tuition_fen=60000, ownership="私立"),       # unreadable ownership: VALUE_UNREADABLE's
])
def test_no_below_standard_finding(kw):
    assert found("PUBLIC_FEE_BELOW_STANDARD", [high_school(**kw)]) == []


def test_no_below_standard_finding_while_the_standard_is_unset():
    assert found("PUBLIC_FEE_BELOW_STANDARD", [high_school(tuition_fen=60000)], policy=default_policy()) == []


# -- the roster's people who left this school ------------------------------------------------------

def test_roster_people_of_this_school_who_left_are_not_missing_from_the_list():
    statuses = {2: "已毕业", 3: "辍学", 4: "已转出", 5: "非在校生", 6: "", 7: "高中一年级", 8: "在校生",
                9: "休学", 10: "在籍", 11: "学龄前儿童", 12: "外出务工", 13: "初中毕业班", 14: "在校生（毕业班）",
                15: "毕业年级", 16: "应届毕业生", 17: "学龄前儿童（未入学）", 18: "初中毕业", 19: "往届毕业生"}
    roster = [RosterFacts(k, f"某{k}", make_id("110101", date(2007, 1, k), 400 + k), "第一中学", status)
              for k, status in statuses.items()]
    keys = [f.roster_key for f in found("ROSTER_NOT_ENROLLED", [high_school()], roster)]
    # an empty status, or one that does not say the person left, stands beside the roster's 就读学校
    assert keys == [6, 7, 8, 10, 11, 13, 14, 15, 16, 17]
