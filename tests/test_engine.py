"""The engine, rule by rule, against the default (seed campaign) policy."""
from dataclasses import replace

import pytest

from core.domain import Category, Location, Ownership, Stage, StudentRecord
from core.engine import PendingCause, Status, compute_all, compute_student, decide
from core.policy import default_policy, load_policy, set_value

POLICY = default_policy()
WITH_STANDARD = load_policy(set_value(set_value(POLICY.text, "tuition_standard.普通高中", "1200"),
                                      "tuition_standard.中职", "2000"))


def student(**kw):
    base = dict(name="张三", id_number="x", stage=Stage.PRIMARY, category=Category.REGISTERED)
    base.update(kw)
    return StudentRecord(**base)


def granted(s, policy=POLICY):
    return {d.code: d.amount_fen for d in compute_student(s, policy).granted}


def test_preschool_local_registered():
    assert granted(student(stage=Stage.PRESCHOOL)) == {"PRESCHOOL": 202200}
    d = decide(student(stage=Stage.PRESCHOOL), POLICY.item("PRESCHOOL"), POLICY)
    assert d.shares == {"city": 101100, "county": 101100}
    assert "符合条件" in d.reason_text


def test_preschool_other_hardship_gets_nothing_with_reason():
    d = decide(student(stage=Stage.PRESCHOOL, category=Category.OTHER_HARDSHIP),
               POLICY.item("PRESCHOOL"), POLICY)
    assert d.status is Status.NOT_ELIGIBLE
    assert "家庭类别为其他经济困难" in d.reason_text and "建档立卡" in d.reason_text


def test_outside_preschool():
    assert granted(student(stage=Stage.PRESCHOOL, location=Location.OUTSIDE)) == {"OUTSIDE_PRESCHOOL": 202200}


def test_not_full_time_gets_nothing():
    s = student(stage=Stage.PRESCHOOL, full_time=False)
    res = compute_student(s, POLICY)
    assert res.total_fen == 0
    assert "不是全日制正式学籍" in res.decisions[0].reason_text


def test_hs_tuition_capped_by_standard():
    s = student(stage=Stage.HIGH_SCHOOL, ownership=Ownership.PRIVATE, tuition_fen=150000, textbook_fen=30000,
                lodging_fen=50000)
    g = granted(s, WITH_STANDARD)
    assert g == {"HS_TUITION": 120000, "HS_TEXTBOOK": 30000, "HS_LODGING": 50000}
    d = decide(s, WITH_STANDARD.item("HS_TUITION"), WITH_STANDARD)
    assert "差额由家庭承担" in d.reason_text      # 民办 only (a 公办 school: tests/test_public_fee_above.py)


def test_hs_tuition_below_standard_pays_fee():
    s = student(stage=Stage.VOCATIONAL, category=Category.OTHER_HARDSHIP, ownership=Ownership.PRIVATE,
                tuition_fen=90000, textbook_fen=0, lodging_fen=0)
    g = granted(s, WITH_STANDARD)
    assert g == {"HS_TUITION": 90000, "HS_TEXTBOOK": 0, "HS_LODGING": 0}


def test_unset_parameter_is_pending_not_zero():
    s = student(stage=Stage.HIGH_SCHOOL, tuition_fen=150000, textbook_fen=1, lodging_fen=1)
    res = compute_student(s, POLICY)
    pend = {d.code: d for d in res.pending}
    assert set(pend) == {"HS_TUITION"}
    assert "未设置公办普通高中学费标准" in pend["HS_TUITION"].reason_text
    assert "tuition_standard" not in pend["HS_TUITION"].reason_text
    assert pend["HS_TUITION"].cause is PendingCause.PARAMETER_UNSET
    assert "HS_TUITION" not in granted(s)


def test_empty_fee_is_pending_and_zero_fee_is_real():
    s = student(stage=Stage.HIGH_SCHOOL, tuition_fen=None, textbook_fen=0, lodging_fen=None)
    res = compute_student(s, WITH_STANDARD)
    assert {d.code for d in res.pending} == {"HS_TUITION", "HS_LODGING"}
    assert "未填写实收住宿费" in next(d for d in res.pending if d.code == "HS_LODGING").reason_text
    assert {d.cause for d in res.pending} == {PendingCause.FEE_NOT_ENTERED}
    assert all(d.cause is None for d in res.decisions if d.status is not Status.PENDING)
    assert granted(s, WITH_STANDARD) == {"HS_TEXTBOOK": 0}


def test_none_category_gets_no_hs_items():
    s = student(stage=Stage.HIGH_SCHOOL, category=Category.NONE, tuition_fen=1, textbook_fen=1, lodging_fen=1)
    assert granted(s, WITH_STANDARD) == {}


def test_hs_outside_registered():
    s = student(stage=Stage.HIGH_SCHOOL, location=Location.OUTSIDE)
    assert granted(s) == {"OUTSIDE_HIGHSCHOOL": 300000, "OUTSIDE_HS_TUITION": 140000}
    d = decide(s, POLICY.item("OUTSIDE_HIGHSCHOOL"), POLICY)
    assert d.shares == {"county": 300000}


def test_outside_vocational():
    assert granted(student(stage=Stage.VOCATIONAL, location=Location.OUTSIDE)) == {"OUTSIDE_VOCATIONAL": 202200}


@pytest.mark.parametrize("stage", [Stage.UNDERGRADUATE, Stage.MASTER])
def test_higher_grant(stage):
    assert granted(student(stage=stage)) == {"HIGHER_GRANT": 300000}


def test_doctor_gets_no_higher_grant_but_loan_aid():
    assert granted(student(stage=Stage.DOCTOR)) == {}
    assert granted(student(stage=Stage.DOCTOR, has_loan=True)) == {"LOAN_AID": 202200}


def test_loan_aid_once_and_other_hardship():
    s = student(stage=Stage.JUNIOR_COLLEGE, category=Category.OTHER_HARDSHIP, has_loan=True)
    assert granted(s) == {"LOAN_AID": 202200}
    assert decide(s, POLICY.item("LOAN_AID"), POLICY).shares == {"city": 202200}
    again = replace(s, prior_grants=frozenset({"LOAN_AID"}))
    d = decide(again, POLICY.item("LOAN_AID"), POLICY)
    assert d.status is Status.NOT_ELIGIBLE and "仅享受一次" in d.reason_text
    no_loan = replace(s, has_loan=False)
    assert "未办理生源地助学贷款" in decide(no_loan, POLICY.item("LOAN_AID"), POLICY).reason_text


def test_primary_and_junior_get_nothing_in_this_policy():
    assert granted(student(stage=Stage.PRIMARY)) == {}
    assert granted(student(stage=Stage.JUNIOR)) == {}


def test_unknown_stage_and_category_explained():
    res = compute_student(student(stage=None, category=None), POLICY)
    assert res.total_fen == 0
    assert all("学段无法识别" in d.reason_text and "家庭类别无法识别" in d.reason_text
               for d in res.decisions)


def test_every_item_has_a_decision_with_reason():
    res = compute_student(student(stage=Stage.HIGH_SCHOOL), POLICY)
    assert [d.code for d in res.decisions] == [i.code for i in POLICY.items]
    assert all(d.reasons for d in res.decisions)


def test_odd_amount_shares_add_up():
    policy = load_policy(set_value(POLICY.text, "items.PRESCHOOL.amount", "2022.01"))
    d = decide(student(stage=Stage.PRESCHOOL), policy.item("PRESCHOOL"), policy)
    assert d.amount_fen == 202201
    assert d.shares == {"city": 101101, "county": 101100}


def test_totals():
    students = [student(stage=Stage.PRESCHOOL), student(stage=Stage.UNDERGRADUATE),
                student(stage=Stage.HIGH_SCHOOL, tuition_fen=1)]
    _results, totals = compute_all(students, POLICY)
    assert totals.total == 202200 + 300000
    assert totals.by_item["PRESCHOOL"] == 202200 and totals.by_item["HIGHER_GRANT"] == 300000
    assert totals.by_source == {"city": 101100, "county": 101100 + 300000}
    assert totals.students_granted == 2
    assert totals.pending == 3  # HS_TUITION (no standard), empty textbook and lodging fees
    assert all(isinstance(v, int) for v in totals.by_source.values())


@pytest.mark.parametrize("explain", [False, True])
def test_calculator_shares_decisions_but_equals_compute_student(explain):
    """The bulk calculator reuses decisions per attribute combination: every student's
    result must still be exactly what compute_student gives, reasons included."""
    from core.demo import generate_demo
    from core.engine import Calculator
    from core.records import student_record

    data = generate_demo(n_students=400, seed=11)
    records = [student_record(v, key=i, prior_grants=frozenset({"LOAN_AID"}) if i % 7 == 0 else frozenset())
               for i, v in enumerate(data.students)]
    records += [student(stage=Stage.HIGH_SCHOOL, tuition_fen=fee, textbook_fen=fee) for fee in (None, 0, 150000)]
    calc = Calculator(WITH_STANDARD, explain=explain)
    bulk = [calc(r) for r in records]
    assert len(calc._memo) < len(records) / 2          # decisions really are shared
    for r, got in zip(records, bulk, strict=True):
        assert got.student is r
        assert got.decisions == compute_student(r, WITH_STANDARD, explain).decisions
    _, totals = compute_all(records, WITH_STANDARD)
    assert totals.total == sum(compute_student(r, WITH_STANDARD).total_fen for r in records)


def test_gc_paused_restores_the_collector():
    import gc

    from core.bulk import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            pass
        assert not gc.isenabled()          # the inner pause does not re-enable early
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()

