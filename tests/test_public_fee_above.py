"""A 公办 school's fee above the approved standard is a wrong figure or an over-charge: the check
warns (PUBLIC_FEE_ABOVE_STANDARD) and neither the engine's explanation nor the letter tells the
family to pay the difference; only at a 民办 school does the family bear it (seed plan 二.3: 民办
学校学杂费高于补助的部分，学校可以按规定继续向学生收取)."""
from dataclasses import replace
from datetime import date

import pytest
from pdftext import pdf_text

from core.checks import RULES_BY_CODE, CheckContext, Severity, StudentFacts, run_checks
from core.domain import Category, Ownership, Stage, StudentRecord
from core.engine import Calculator, compute_student, decide, totals_of
from core.exports.letters import write_letters
from core.exports.output import family_pays
from core.exports.sample import sample_export_data
from core.policy import default_policy, load_policy, set_value

POLICY = load_policy(set_value(default_policy().text, "tuition_standard.普通高中", "1200"))
FAMILY_PAYS = "差额由家庭承担"


def record(ownership, tuition_fen=150000):
    return StudentRecord("甲", "x", stage=Stage.HIGH_SCHOOL, ownership=ownership, category=Category.REGISTERED,
                         tuition_fen=tuition_fen, textbook_fen=0, lodging_fen=0)


def basis(ownership, tuition_fen=150000):
    return decide(record(ownership, tuition_fen), POLICY.item("HS_TUITION"), POLICY).reasons[-1]


# -- the engine's explanation ------------------------------------------------------------------

def test_a_private_school_family_bears_the_difference():
    assert FAMILY_PAYS in basis(Ownership.PRIVATE)


def test_a_public_school_family_is_never_told_to_pay_the_over_charge():
    text = basis(Ownership.PUBLIC)
    assert FAMILY_PAYS not in text and "家庭承担" not in text
    assert "1500.00" in text and "1200.00" in text and "不应向家庭收取" in text


def test_the_amount_is_the_standard_whatever_the_ownership():
    for own in Ownership:
        assert {d.code: d.amount_fen for d in compute_student(record(own), POLICY).granted}["HS_TUITION"] == 120000


def test_at_or_below_the_standard_nothing_is_said_about_the_difference():
    for own in Ownership:
        assert "差额" not in basis(own, 120000) and "不应向家庭收取" not in basis(own, 120000)


def test_the_shared_calculator_tells_public_and_private_apart():
    """Students alike but for the ownership are computed apart (the explanation differs)."""
    calc = Calculator(POLICY, explain=True)
    private, public = calc(record(Ownership.PRIVATE)), calc(record(Ownership.PUBLIC))
    assert any(FAMILY_PAYS in d.reason_text for d in private.granted)
    assert not any(FAMILY_PAYS in d.reason_text for d in public.granted)


# -- the check ---------------------------------------------------------------------------------

def run(*students):
    ctx = CheckContext(students=list(students), roster=[], policy=POLICY, school_name="第一中学",
                       school_year=2023, today=date(2024, 4, 1))
    return run_checks(ctx)


def facts(key, ownership, tuition_fen=150000):
    return StudentFacts(key=key, name=f"学生{key}", id_number="", stage="普通高中", ownership=ownership,
                        category="REGISTERED", tuition_fen=tuition_fen, textbook_fen=0, lodging_fen=0, notified=True)


def test_a_public_school_above_the_standard_is_a_warning_naming_amount_standard_and_what_to_do():
    found = [f for f in run(facts(1, "公办")) if f.code == "PUBLIC_FEE_ABOVE_STANDARD"]
    (f,) = found
    assert f.severity is Severity.WARNING and f.field == "tuition_fen" and f.part == "HS_TUITION"
    assert "实收学费 1500.00 元" in f.message and "公办普通高中学费标准 1200.00 元" in f.message
    assert "300.00" in f.message and "核对" in f.message and FAMILY_PAYS not in f.message
    assert "改正" in RULES_BY_CODE["PUBLIC_FEE_ABOVE_STANDARD"].hint


def test_the_warning_is_for_public_schools_only_and_only_above_the_standard():
    found = run(facts(1, "民办"), facts(2, "公办", 120000), facts(3, "公办", 100000), facts(4, "公办学校"))
    public = [f.student_key for f in found if f.code == "PUBLIC_FEE_ABOVE_STANDARD"]
    private = [f.student_key for f in found if f.code == "FEE_ABOVE_STANDARD"]
    assert public == [4] and private == [1]


def test_an_unreadable_ownership_gets_neither_ownership_finding():
    found = run(facts(1, "私立"))
    assert not {"PUBLIC_FEE_ABOVE_STANDARD", "FEE_ABOVE_STANDARD"} & {f.code for f in found}
    assert "VALUE_UNREADABLE" in {f.code for f in found}


# -- the letter --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def over_charged():
    """The sample with the 普通高中 standard lowered below what its 公办 schools charge."""
    data = sample_export_data()
    policy = load_policy(set_value(data.policy.text, "tuition_standard.普通高中", "1000"))
    results = [compute_student(r.student, policy) for r in data.results]
    return replace(data, policy=policy, results=results, totals=totals_of(results, policy))


def test_the_public_school_letter_does_not_ask_the_family_to_pay(over_charged, tmp_path):
    public = next(s for s, r in over_charged.pairs() if s.ownership == "公办" and s.stage == "普通高中"
                  and s.tuition_fen and s.tuition_fen > 100000 and r.granted)
    private = next(s for s, r in over_charged.pairs() if s.ownership == "民办" and s.tuition_fen
                   and s.tuition_fen > 100000 and r.granted)
    assert family_pays(public, over_charged.results[over_charged.students.index(public)], over_charged.policy) is None
    path = tmp_path / "letters.pdf"
    write_letters(path, over_charged, keys=[public.key, private.key])
    pages = ["".join(pdf_text(path, n).split()) for n in (1, 2)]
    (mine,) = [p for p in pages if public.name in p]
    (theirs,) = [p for p in pages if private.name in p]
    assert "高于公办标准1000.00元" in mine and "家庭承担" not in mine and "不应向家庭收取" in mine
    assert FAMILY_PAYS in theirs and "仍由家庭承担" in theirs
