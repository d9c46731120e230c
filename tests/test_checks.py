"""Every check code: data that triggers it and near-miss data that must not."""
from dataclasses import replace
from datetime import date

import pytest

from core.checks import RULES, CheckContext, Payment, RosterFacts, Severity, StudentFacts, run_checks
from core.idnumber import make_id
from core.policy import default_policy, load_policy, set_value

TODAY = date(2026, 11, 28)
POLICY = load_policy(set_value(set_value(default_policy().text, "tuition_standard.普通高中", "1200"),
                               "tuition_standard.中职", "2000"))
HS_ID = make_id("110101", date(2008, 5, 1), 123)         # 15 on 2023-09-01: 普通高中 ok; male
PRE_ID = make_id("110101", date(2019, 3, 1), 124)        # 4: 学前 ok; female
UNI_ID = make_id("110101", date(2003, 3, 1), 125)        # 20: 本科 ok


def stu(key=1, name="张丽", id_number=HS_ID, **kw):
    base = dict(stage="普通高中", category="REGISTERED", tuition_fen=120000, textbook_fen=20000,
                lodging_fen=30000, notified=True, id_raw=id_number)
    base.update(kw)
    return StudentFacts(key=key, name=name, id_number=id_number, **base)


def ros(key=1, name="张丽", id_number=HS_ID, **kw):
    return RosterFacts(key=key, name=name, id_number=id_number, **kw)


def run(students, roster=None, payments=None, policy=POLICY, school="第一中学"):
    ctx = CheckContext(students=students, roster=[ros()] if roster is None else roster, policy=policy,
                       school_name=school, school_year=2023, today=TODAY, payments=payments)
    return run_checks(ctx)


def codes(findings):
    return sorted(f.code for f in findings)


def test_clean_student_has_no_findings():
    assert run([stu()]) == []


def test_every_rule_has_chinese_title_and_hint():
    assert len({r.code for r in RULES}) == len(RULES) == 31
    for r in RULES:
        assert r.title and r.hint and not r.title.isascii() and not r.hint.isascii()


@pytest.mark.parametrize("bad,words", [
    (HS_ID[:-1] + ("0" if HS_ID[-1] != "0" else "1"), "校验位"),
    (HS_ID[:15], "15位的旧式"),
    (HS_ID[:17], "应为18位"),
    (make_id("110101", date(2030, 1, 1), 123), "在今天之后"),
    ("110101" + "20080231" + "1234", "不是有效的日期"),
])
def test_id_invalid(bad, words):
    found = run([stu(id_number=bad)], roster=[])
    inv = [f for f in found if f.code == "ID_INVALID"]
    assert len(inv) == 1 and words in inv[0].message and inv[0].severity is Severity.ERROR
    assert inv[0].field == "id_number"


def test_id_region_unknown_is_a_warning():
    odd = make_id("999999", date(2008, 5, 1), 123)
    found = run([stu(id_number=odd)], roster=[ros(id_number=odd)])
    assert codes(found) == ["ID_REGION_UNKNOWN"] and found[0].severity is Severity.WARNING
    # near miss: a real code in its valid years
    assert run([stu()]) == []


def test_id_numeric_cell():
    s = stu(id_number="", id_raw="4.11521E+17", id_numeric_cell=True, category="NONE")
    found = run([s], roster=[])
    assert codes(found) == ["ID_NUMERIC_CELL"]
    assert "文本" in next(r for r in RULES if r.code == "ID_NUMERIC_CELL").hint
    assert "4.11521E+17" in found[0].message
    digits = run([stu(id_number="", id_raw="110101200805011", id_numeric_cell=True, category="NONE")],
                 roster=[])
    assert "110101200805011" not in digits[0].message and "110101*****" in digits[0].message


@pytest.mark.parametrize("entered,flag", [
    ("2008-05-01", False), ("2008/5/1", False), ("2008年5月1日", False), ("20080501", False),
    ("2008.05", False), ("2008年5月", False),           # month only: compared to the month
    ("2008-05-02", True), ("2008.06", True), ("2009年5月", True),
])
def test_birth_mismatch(entered, flag):
    found = run([stu(birth_date=entered)])
    assert ("ID_BIRTH_MISMATCH" in codes(found)) is flag
    for f in found:   # the ID's own birth date is never quoted (with the masked ID it gives all digits)
        assert "20080501" not in f.message and "2008-05-01" not in f.message.replace(entered, "")


@pytest.mark.parametrize("entered,flag", [("男", False), ("M", False), ("女", True), ("", False)])
def test_gender_mismatch(entered, flag):
    assert ("ID_GENDER_MISMATCH" in codes(run([stu(gender=entered)]))) is flag


def test_duplicate_id_flags_every_occurrence():
    found = run([stu(1, "张丽"), stu(2, "张莉"), stu(3, "张立"), stu(4, "王五", PRE_ID, stage="学前教育")],
                roster=[ros(), ros(2, "王五", PRE_ID)])
    dups = [f for f in found if f.code == "DUPLICATE_ID"]
    assert [f.student_key for f in dups] == [1, 2, 3]        # the first copy too (not acceptable, db.findings)
    assert "张莉" in dups[0].message and "张立" in dups[0].message and "3 次" in dups[0].message


def test_not_on_roster_and_near_miss():
    assert codes(run([stu()], roster=[ros(id_number=PRE_ID)])) == ["NOT_ON_ROSTER"]
    assert run([stu()], roster=[ros()]) == []
    # other categories are not expected on the roster
    assert "NOT_ON_ROSTER" not in codes(run([stu(category="OTHER_HARDSHIP")], roster=[ros(id_number=PRE_ID)]))


def test_name_mismatch_says_when_same_reading():
    found = [f for f in run([stu(name="张莉")]) if f.code == "NAME_MISMATCH"]
    assert len(found) == 1 and "读音相同" in found[0].message
    other = [f for f in run([stu(name="王丽")]) if f.code == "NAME_MISMATCH"]
    assert len(other) == 1 and "读音相同" not in other[0].message
    assert "NAME_MISMATCH" not in codes(run([stu(name="张 丽")]))


def test_category_mismatch():
    assert "CATEGORY_MISMATCH" in codes(run([stu(category="NONE")]))
    assert "CATEGORY_MISMATCH" not in codes(run([stu(category="NONE")], roster=[ros(id_number=PRE_ID)]))


def test_roster_not_enrolled():
    roster = [ros(), ros(2, "李四", PRE_ID, school_name="第 一 中学", schooling_status="学龄前儿童"),
              ros(3, "王五", UNI_ID, school_name="第二中学")]
    found = [f for f in run([stu()], roster=roster) if f.code == "ROSTER_NOT_ENROLLED"]
    assert [f.roster_key for f in found] == [2] and "李四" in found[0].message
    assert found[0].student_key is None


def test_age_stage():
    assert "AGE_STAGE" not in codes(run([stu(stage="小学")]))   # 15 is inside 小学 5–15
    assert "AGE_STAGE" not in codes(run([stu()]))
    found = [f for f in run([stu(stage="学前教育")]) if f.code == "AGE_STAGE"]
    assert "大于学前教育的合理范围 2–7 岁" in found[0].message and "15" not in found[0].message


def test_not_full_time_only_for_hardship_categories():
    assert "NOT_FULL_TIME" in codes(run([stu(full_time=False)]))
    assert "NOT_FULL_TIME" not in codes(run([stu(full_time=False, category="NONE")], roster=[]))


def test_fee_missing_and_zero_fee():
    found = [f for f in run([stu(lodging_fen=None)]) if f.code == "FEE_MISSING"]
    assert len(found) == 1 and "实收住宿费" in found[0].message and found[0].field == "lodging_fen"
    assert "FEE_MISSING" not in codes(run([stu(lodging_fen=0)]))
    # not eligible (not in hardship): an empty fee is no finding
    assert "FEE_MISSING" not in codes(run([stu(category="NONE", lodging_fen=None)], roster=[]))


def test_fee_above_standard_only_private():
    found = [f for f in run([stu(ownership="民办", tuition_fen=150000)]) if f.code == "FEE_ABOVE_STANDARD"]
    assert len(found) == 1 and "300.00" in found[0].message
    assert "FEE_ABOVE_STANDARD" not in codes(run([stu(ownership="民办", tuition_fen=120000)]))
    assert "FEE_ABOVE_STANDARD" not in codes(run([stu(ownership="公办", tuition_fen=150000)]))


def test_missing_policy_param_one_per_parameter():
    found = run([stu(1), stu(2, "李四", PRE_ID)], roster=[ros(), ros(2, "李四", PRE_ID)],
                policy=default_policy())
    params = [f for f in found if f.code == "MISSING_POLICY_PARAM"]
    assert len(params) == 1 and "普通高中" in params[0].message and "2 名学生" in params[0].message
    assert params[0].student_key is None and params[0].severity is Severity.ERROR


def test_loan_contract_missing():
    s = stu(stage="本科", id_number=UNI_ID, has_loan=True)
    assert "LOAN_CONTRACT_MISSING" in codes(run([s], roster=[ros(id_number=UNI_ID)]))
    ok = replace(s, loan_contract_no="HT2023-001")
    assert "LOAN_CONTRACT_MISSING" not in codes(run([ok], roster=[ros(id_number=UNI_ID)]))


def test_payments():
    s = stu(tuition_fen=100000)  # entitled: HS_TUITION 1000, HS_TEXTBOOK 200, HS_LODGING 300
    pay = [Payment(2, HS_ID, "HS_TUITION", 100000), Payment(3, HS_ID, "HS_TEXTBOOK", 10000),
           Payment(4, HS_ID, "PRESCHOOL", 202200), Payment(5, PRE_ID, "PRESCHOOL", 1)]
    found = run([s], payments=pay)
    got = {(f.code, f.part) for f in found}
    assert ("PAYMENT_MISSING", "HS_LODGING") in got
    assert ("PAYMENT_MISMATCH", "HS_TEXTBOOK") in got
    assert ("PAYMENT_UNDUE", "PRESCHOOL") in got
    assert any(f.code == "PAYMENT_UNDUE" and "不在学生名单" in f.message for f in found)
    assert not any(f.part == "HS_TUITION" and f.code.startswith("PAYMENT") for f in found)
    # no disbursement record imported: no payment findings at all
    assert not [f for f in run([s]) if f.code.startswith("PAYMENT")]
    # paid in two parts that add up: no mismatch
    split = [Payment(2, HS_ID, "HS_TUITION", 100000), Payment(3, HS_ID, "HS_TEXTBOOK", 10000),
             Payment(4, HS_ID, "HS_TEXTBOOK", 10000), Payment(5, HS_ID, "HS_LODGING", 30000)]
    assert not [f for f in run([s], payments=split) if f.code.startswith("PAYMENT")]


def test_not_notified():
    assert "NOT_NOTIFIED" in codes(run([stu(notified=False)]))
    assert "NOT_NOTIFIED" not in codes(run([stu(notified=False, category="NONE")], roster=[]))


def test_a_registered_family_whose_child_gets_nothing_is_to_be_told_too():
    """资助结果全部告知 (the plan, of 建档立卡 families): a registered child who gets no item this year
    (not full-time here) was neither listed for a letter nor reported untold (letters review, session 29)."""
    found = [f for f in run([stu(notified=False, full_time=False)]) if f.code == "NOT_NOTIFIED"]
    assert [f.message for f in found] == ["建档立卡学生，本学年暂不享受资助，尚未向家庭告知结果和原因"]
    assert "NOT_NOTIFIED" not in codes(run([stu(notified=True, full_time=False)]))
    other = stu(notified=False, full_time=False, category="OTHER_HARDSHIP")     # not registered, nothing granted
    assert "NOT_NOTIFIED" not in codes(run([other], roster=[]))


def test_findings_have_stable_identity_and_fingerprint():
    a = run([stu(name="张莉")])[0]
    b = run([stu(name="张莉")])[0]
    c = run([stu(name="张俐")])[0]
    assert a.identity == b.identity and a.fingerprint == b.fingerprint
    assert a.identity == c.identity and a.fingerprint != c.fingerprint


def test_one_name_one_birthday_two_ids_is_flagged_on_both():
    """张丽 entered again under her corrected ID (a re-import adds it): paid twice unless one goes."""
    typo = make_id("110101", date(2008, 5, 1), 777)          # born the same day, another number
    found = [f for f in run([stu(1), stu(2, id_number=typo)], roster=[ros(), ros(2, id_number=typo)])
             if f.code == "SAME_CHILD_TWICE"]
    assert sorted(f.student_key for f in found) == [1, 2]
    assert "可能是同一名学生录入了两次" in found[0].message and typo[-4:] in found[0].message
    # near misses: another name, another birthday, the same number (身份证号重复 says that one)
    other_day = make_id("110101", date(2008, 5, 2), 123)
    for second in (stu(2, name="张莉", id_number=typo), stu(2, id_number=other_day), stu(2)):
        assert "SAME_CHILD_TWICE" not in codes(run([stu(1), second]))


def test_one_name_one_student_number_two_ids_is_flagged_once_on_both():
    """A corrected birth date moves the ID's digits 7–14: the corrected child, added by a re-import
    beside the old record, was born on "another day" and went unflagged, paid twice. The 学籍号 (the
    national student number) stays the child's own."""
    corrected = make_id("110101", date(2008, 5, 11), 124)
    found = [f for f in run([stu(1, student_no="G110101200805010123"),
                             stu(2, id_number=corrected, student_no=" G110101200805010123")],
                            roster=[ros(), ros(2, id_number=corrected)]) if f.code == "SAME_CHILD_TWICE"]
    assert sorted(f.student_key for f in found) == [1, 2]
    assert found[0].message.startswith("名单中另有同名、学籍号相同的学生（身份证号 ")
    # born the same day and one 学籍号: one finding each, both reasons said
    typo = make_id("110101", date(2008, 5, 1), 777)
    both = [f for f in run([stu(1, student_no="G1"), stu(2, id_number=typo, student_no="G1")],
                           roster=[ros(), ros(2, id_number=typo)]) if f.code == "SAME_CHILD_TWICE"]
    assert sorted(f.student_key for f in both) == [1, 2]
    assert "名单中另有同名、同一天出生、学籍号相同的学生" in both[0].message
    # near misses: another 学籍号, no 学籍号 (无, blank), another name
    for a, b in (("G1", "G2"), ("无", "无"), ("", "")):
        assert "SAME_CHILD_TWICE" not in codes(run([stu(1, student_no=a), stu(2, id_number=corrected, student_no=b)]))
    assert "SAME_CHILD_TWICE" not in codes(run([stu(1, student_no="G1"),
                                                stu(2, name="张莉", id_number=corrected, student_no="G1")]))


def test_age_and_region_messages_do_not_give_the_masked_birth_year_back():
    """A masked ID hides the birth date (第7–14位); a message beside it quoting the age or the birth
    year gave most of it back. The fingerprint hashes the wording before the change, so a finding the
    clerk accepted stays accepted."""
    from core.checks import Finding
    old_kid = make_id("110101", date(2005, 5, 1), 126)       # 18 on 2023-09-01: too old for 小学
    found = [f for f in run([stu(id_number=old_kid, id_raw=old_kid, stage="小学")],
                            roster=[ros(id_number=old_kid)]) if f.code == "AGE_STAGE"]
    assert len(found) == 1
    f = found[0]
    assert "18" not in f.message and "2005" not in f.message and "大于小学的合理范围" in f.message
    before = Finding(f.code, f.severity, "2023年9月1日年龄为 18 岁，不在小学的合理范围 5–15 岁内",
                     student_key=f.student_key, id_number=f.id_number, name=f.name, field=f.field, part=f.part)
    assert f.fingerprint == before.fingerprint
    region = make_id("422899", date(2009, 2, 26), 22)
    found = [f for f in run([stu(id_number=region, id_raw=region)], roster=[ros(id_number=region)])
             if f.code == "ID_REGION_UNKNOWN"]
    assert len(found) == 1 and "2009" not in found[0].message and "第7–10位" in found[0].message
