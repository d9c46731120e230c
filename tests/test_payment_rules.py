"""The disbursement record compared with the entitlements (PAYMENT_MISSING / _MISMATCH / _UNDUE):
a payment of an item that is only pending for the student, items named by their names, and two
students sharing an ID number."""
from datetime import date

from core.checks import CheckContext, Payment, RosterFacts, StudentFacts, run_checks
from core.idnumber import make_id
from core.policy import default_policy, load_policy, set_value
from core.policy_edit import retire_item

TODAY = date(2026, 11, 28)
POLICY = load_policy(set_value(set_value(default_policy().text, "tuition_standard.普通高中", "1200"),
                               "tuition_standard.中职", "2000"))
HS_ID = make_id("110101", date(2008, 5, 1), 123)         # 普通高中 by age
OTHER_ID = make_id("110101", date(2008, 6, 1), 321)


def stu(key=1, name="张丽", id_number=HS_ID, **kw):
    # REGISTERED 普通高中: HS_TUITION 1000.00, HS_TEXTBOOK 200.00, HS_LODGING 300.00
    base = dict(stage="普通高中", category="REGISTERED", tuition_fen=100000, textbook_fen=20000,
                lodging_fen=30000, notified=True, id_raw=id_number)
    base.update(kw)
    return StudentFacts(key=key, name=name, id_number=id_number, **base)


def pay(*lines, id_number=HS_ID):
    """The record paying ``lines`` (code, fen) to ``id_number``."""
    return [Payment(n, id_number, code, fen) for n, (code, fen) in enumerate(lines, start=2)]


FULL = (("HS_TUITION", 100000), ("HS_TEXTBOOK", 20000), ("HS_LODGING", 30000))


def payment_findings(students, payments, policy=POLICY):
    roster = [RosterFacts(key=i, name=s.name, id_number=s.id_number) for i, s in enumerate(students, 1)]
    ctx = CheckContext(students=students, roster=roster, policy=policy, school_name="第一中学",
                       school_year=2023, today=TODAY, payments=payments)
    return [f for f in run_checks(ctx) if f.code.startswith("PAYMENT")]


# -- an item pending for the student ----------------------------------------------------------

def test_paying_an_item_pending_for_a_blank_fee_is_not_called_undue():
    """免住宿费 is pending (实收住宿费 blank): the student is entitled, only the amount is unknown."""
    found = payment_findings([stu(lodging_fen=None)], pay(*FULL[:2], ("HS_LODGING", 60000)))
    assert [f.code for f in found] == ["PAYMENT_MISMATCH"]
    f = found[0]
    assert f.part == "HS_LODGING" and f.student_key == 1 and f.field == "lodging_fen"
    assert "不应享受" not in f.message and "HS_LODGING" not in f.message
    assert f.message == ("“免住宿费”待补充（未填写实收住宿费），发放记录中的 600.00 元无法核对，"
                         "请先补填实收住宿费（确实未收费请填 0）")


def test_paying_an_item_pending_for_an_unset_standard_names_the_parameter():
    """免学费 pending because 公办普通高中学费标准 is unset (the default policy leaves it blank)."""
    found = payment_findings([stu()], pay(*FULL), policy=default_policy())
    assert [(f.code, f.part) for f in found] == [("PAYMENT_MISMATCH", "HS_TUITION")]
    msg = found[0].message
    assert msg.startswith("“免学费”待补充（未设置公办普通高中学费标准）") and "1000.00 元无法核对" in msg
    assert "政策参数" in msg and "不应享受" not in msg


def test_a_pending_item_left_unpaid_is_no_finding():
    assert payment_findings([stu(lodging_fen=None)], pay(*FULL[:2])) == []


def test_an_item_the_student_is_not_eligible_for_is_still_undue_by_its_name():
    found = payment_findings([stu()], pay(*FULL, ("PRESCHOOL", 202200)))
    assert [(f.code, f.part) for f in found] == [("PAYMENT_UNDUE", "PRESCHOOL")]
    assert found[0].message == "发放记录中“学前教育资助”发放 2022.00 元，但按政策不应享受"


def test_undue_payments_name_retired_and_unknown_items_and_unknown_ids():
    retired = load_policy(retire_item(POLICY.text, "OUTSIDE_HS_TUITION"))
    payments = pay(*FULL, ("OUTSIDE_HS_TUITION", 140000), ("GONE", 500)) + pay(("HS_TUITION", 100000),
                                                                                id_number=OTHER_ID)
    msgs = {f.part: f.message for f in payment_findings([stu()], payments, policy=retired)}
    assert msgs["OUTSIDE_HS_TUITION"] == ("发放记录中“外地就学普高免学费”（已停用的项目）发放 1400.00 元，"
                                          "但按政策不应享受")
    assert msgs["GONE"].startswith("发放记录中项目 GONE（当前政策中没有该项目）发放 5.00 元")
    assert msgs[f"{OTHER_ID}:HS_TUITION"] == "发放记录中“免学费”发放 1000.00 元，但按政策不应享受（身份证号不在学生名单中）"
    for code in ("OUTSIDE_HS_TUITION", "HS_TUITION", "PRESCHOOL"):
        assert not any(f"项目 {code}" in m for m in msgs.values())


# -- two students sharing an ID number -------------------------------------------------------

def test_two_students_with_one_id_are_due_the_sum_of_their_entitlements():
    twins = [stu(1, "张丽"), stu(2, "张莉", tuition_fen=80000)]   # 免学费 1000.00 + 800.00
    both = pay(("HS_TUITION", 180000), ("HS_TEXTBOOK", 40000), ("HS_LODGING", 60000))
    assert payment_findings(twins, both) == []
    found = payment_findings(twins, pay(*FULL))      # one child's payments only
    assert {f.part: (f.code, f.student_key) for f in found} == {
        "HS_TUITION": ("PAYMENT_MISMATCH", 1), "HS_TEXTBOOK": ("PAYMENT_MISMATCH", 1),
        "HS_LODGING": ("PAYMENT_MISMATCH", 1)}
    tuition = next(f for f in found if f.part == "HS_TUITION")
    assert tuition.message == "“免学费”应发 1800.00 元（身份证号相同的 2 名学生合计），实发 1000.00 元"


def test_two_students_with_one_id_unpaid_are_missing_the_sum_under_the_first():
    twins = [stu(1, "张丽", tuition_fen=80000), stu(2, "张莉")]
    found = payment_findings(twins, pay(("HS_TEXTBOOK", 40000), ("HS_LODGING", 60000)))
    assert [(f.code, f.student_key, f.message) for f in found] == [
        ("PAYMENT_MISSING", 1, "应享受“免学费” 1800.00 元（身份证号相同的 2 名学生合计），发放记录中没有")]


def test_one_student_keeps_the_old_wording():
    found = payment_findings([stu()], pay(("HS_TUITION", 100000), ("HS_TEXTBOOK", 10000)))
    assert sorted(f.message for f in found) == ["“免书本费”应发 200.00 元，实发 100.00 元",
                                                "应享受“免住宿费” 300.00 元，发放记录中没有"]
