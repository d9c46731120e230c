"""The seal's version 2 covers the bank card, 户编号, 村 and the rest of the catalogue (core.seal);
version-1 seals stored before it are checked as version 1 and kept so."""
import sqlite3
from datetime import date

import pytest
from conftest import two_student_school
from sqlalchemy import select

from cli.commands import run
from core.engine import Calculator, ItemDecision, Status
from core.fields import IMPORTER_FIELDS, STUDENT_FIELDS
from core.idnumber import make_id, mask_id
from core.seal import SEAL_EXTRA_V2, SEAL_FIELDS, SEAL_FIELDS_V2, seal_holds, seal_of, version_of
from db import store
from db.findings import run_and_store
from db.models import Student
from db.seals import seal_stands, seal_student
from db.session import open_database

HS = make_id("110101", date(2008, 5, 1), 123)
PRE = make_id("110101", date(2019, 3, 1), 124)
CONTACT = {"bank_name": "农村信用社", "bank_card": "6217998130149145693", "household_no": "4228221022020018",
           "village": "向岩村", "township": "高坪镇", "phone": "13357117383"}


def _values(**changed):
    values = {f: "" for f in SEAL_FIELDS_V2}
    values.update(name="张丽", id_number=HS, id_raw=HS, id_numeric_cell=False, full_time=True,
                  has_loan=False, tuition_fen=100000, textbook_fen=None, lodging_fen=0)
    return {**values, **changed}


DECISIONS = [ItemDecision("HS_GRANT", "国家助学金", Status.GRANTED, 100000)]


def test_version_2_covers_every_catalogue_field_and_the_importers_id_fields():
    catalogue = {f.name for f in STUDENT_FIELDS} | {f for f in IMPORTER_FIELDS if f != "full_time_text"}
    assert set(SEAL_FIELDS_V2) == catalogue and len(SEAL_FIELDS_V2) == len(catalogue)
    assert SEAL_FIELDS_V2[:len(SEAL_FIELDS)] == SEAL_FIELDS and not set(SEAL_EXTRA_V2) & set(SEAL_FIELDS)


def test_version_1_is_the_seal_stored_before_version_2():
    """A seal stored by an earlier Zizhu still holds: version 1's digest is unchanged (frozen here)."""
    values = _values()
    assert seal_of(values, DECISIONS, version=1) == \
        "07d53da50d1bcc0ce26e20ab6ac1cad584dc9e3f0a62b77a38acaf690628a0cb"   # (session 26's seal_of)


@pytest.mark.parametrize("field", SEAL_EXTRA_V2)
def test_a_change_of_any_field_beyond_version_1_breaks_a_version_2_seal_only(field):
    before, after = _values(), _values(**{field: "改过"})
    v2 = seal_of(before, DECISIONS)
    assert len(v2) == 64 and version_of(v2) == 2 and seal_holds(v2, before, DECISIONS)
    assert not seal_holds(v2, after, DECISIONS)
    v1 = seal_of(before, DECISIONS, version=1)
    assert version_of(v1) == 1 and seal_holds(v1, after, DECISIONS)      # (outside version 1)


def test_an_amount_or_a_version_1_field_breaks_both_versions():
    values = _values()
    for version in (1, 2):
        seal = seal_of(values, DECISIONS, version)
        assert not seal_holds(seal, _values(tuition_fen=1), DECISIONS)
        assert not seal_holds(seal, values, [ItemDecision("HS_GRANT", "国家助学金", Status.GRANTED, 1)])


@pytest.fixture
def school(tmp_path):
    path = two_student_school(tmp_path / "s.sqlite", contact=CONTACT)
    assert run(["--db", str(path), "verify-student", HS]) == 0
    assert run(["--db", str(path), "verify-student", PRE]) == 0
    return path


def tamper(path, sql, *params):
    con = sqlite3.connect(path)
    with con:
        con.execute(sql, params)
    con.close()


def tampered(path):
    d = open_database(path)
    try:
        with d.session() as s:
            return {f.id_number for f in run_and_store(s).findings if f.code == "TAMPERED_AFTER_VERIFY"}
    finally:
        d.close()


@pytest.mark.parametrize("field, value", [("bank_card", "6217998130149140000"), ("household_no", "4228221022029999"),
                                          ("village", "别的村")])
def test_a_bank_card_household_or_village_changed_behind_zizhus_back_is_caught(school, field, value, capsys):
    assert tampered(school) == set()
    tamper(school, f"UPDATE student SET {field} = ? WHERE id_number = ?", value, HS)
    assert tampered(school) == {HS}
    capsys.readouterr()
    assert run(["--db", str(school), "check"]) == 1
    assert "核准后数据或资助金额被改动" in capsys.readouterr().out


def _to_version_1(path, id_number):
    """The student's seal made again in version 1's form: a student verified before version 2."""
    d = open_database(path)
    try:
        with d.session() as s:
            st = s.scalars(select(Student).where(Student.id_number == id_number)).one()
            seal = seal_student(st, Calculator(store.get_policy(s)), version=1)
    finally:
        d.close()
    tamper(path, "UPDATE student SET seal = ? WHERE id_number = ?", seal, id_number)


def test_a_version_1_seal_is_checked_as_version_1_and_verifying_again_seals_version_2(school):
    _to_version_1(school, HS)
    assert tampered(school) == set()                 # it holds, as it did: no one is flagged at the upgrade
    tamper(school, "UPDATE student SET bank_card = '6217998130149140000' WHERE id_number = ?", HS)
    assert tampered(school) == set()                 # outside version 1: what that seal never covered
    tamper(school, "UPDATE student SET lodging_fen = 5 WHERE id_number = ?", HS)
    assert tampered(school) == {HS}                  # inside it: caught as before
    tamper(school, "UPDATE student SET lodging_fen = 0 WHERE id_number = ?", HS)
    assert tampered(school) == set()
    assert run(["--db", str(school), "unverify-student", HS]) == 0   # the clerk verifies it anew: version 2
    assert run(["--db", str(school), "verify-student", HS]) == 0
    d = open_database(school)
    try:
        with d.session() as s:
            assert s.scalars(select(Student.seal).where(Student.id_number == HS)).one().startswith("2:")
    finally:
        d.close()
    tamper(school, "UPDATE student SET bank_card = '6217998130149141111' WHERE id_number = ?", HS)
    assert tampered(school) == {HS}


def seals(path):
    d = open_database(path)
    try:
        with d.session() as s:
            return dict(s.execute(select(Student.id_number, Student.seal)).all())
    finally:
        d.close()


def test_verifying_again_leaves_a_holding_version_1_seal_as_it_is(school):
    """核准筛选出的学生 sends the verified students too: one whose version-1 seal holds is not made
    version 2 (that would bless a bank card nobody looked at), and is not counted as verified."""
    from db.usecases import verify
    _to_version_1(school, HS)
    assert run(["--db", str(school), "unverify-student", PRE]) == 0
    before = seals(school)
    d = open_database(school)
    try:
        with d.session() as s:
            ids = list(s.scalars(select(Student.id)))
        assert verify(d, ids).done == 1                      # 李四 only
    finally:
        d.close()
    after = seals(school)
    assert after[HS] == before[HS] and version_of(after[HS]) == 1
    assert before[PRE] is None and version_of(after[PRE]) == 2


def test_a_version_2_seal_without_its_fields_read_is_not_confirmed():
    """A context without the fields a version-2 seal covers (a caller that did not read them) flags
    the student instead of failing or passing it."""
    from core.checks import CheckContext, StudentFacts, run_checks
    from core.policy import default_policy
    facts = StudentFacts(key=1, name="张丽", id_number=HS, id_raw=HS, stage="普通高中", category="REGISTERED",
                         tuition_fen=100000, verified=True, seal="2:" + "0" * 62)
    ctx = CheckContext(students=[facts], roster=[], policy=default_policy(), school_name="第一中学",
                       school_year=2023, today=date(2024, 4, 1))
    assert "TAMPERED_AFTER_VERIFY" in {f.code for f in run_checks(ctx)}


def test_a_policy_change_reseals_each_student_in_its_own_version(school):
    """An item added changes every student's seal, not their amounts: each is sealed again in the
    version it had, and both still hold."""
    from core.policy_edit import ItemDraft, with_item
    from db.policy_versions import save_version
    _to_version_1(school, HS)
    before = seals(school)
    draft = ItemDraft(code="PHD_LIVING", name="博士研究生补助", stages=("普通高中",), categories=("REGISTERED",),
                      kind="fixed", amount="500", needs_application=False, locations=("外地",))
    d = open_database(school)
    try:
        with d.session() as s:
            text = with_item(store.get_policy_text(s), draft)
        assert save_version(d, text).unverified == 0
        with d.session() as s:
            calc = Calculator(store.get_policy(s))
            students = {st.id_number: st for st in s.scalars(select(Student))}
            assert all(st.verified and seal_stands(st, calc) for st in students.values())
            assert {f.code for f in run_and_store(s).findings} & {"TAMPERED_AFTER_VERIFY"} == set()
    finally:
        d.close()
    after = seals(school)
    assert after[HS] != before[HS] and version_of(after[HS]) == 1 and len(after[HS]) == 64
    assert after[PRE] != before[PRE] and version_of(after[PRE]) == 2


@pytest.mark.parametrize("command", ["verify-student", "unverify-student"])
def test_an_unknown_id_is_echoed_masked(school, command, capsys):
    """The refusal names the number typed as every listing does: masked (110101********1234)."""
    unknown = make_id("110101", date(2009, 9, 9), 555)
    capsys.readouterr()
    assert run(["--db", str(school), command, unknown]) == 2
    err = capsys.readouterr().err
    assert "学生名单中没有身份证号为" in err and mask_id(unknown) in err and unknown not in err


def test_a_name_typed_for_the_id_is_said_to_be_no_id(school, capsys):
    """`remove-student 李娜 …` said “没有身份证号为 ** 的学生”: the name masked to stars."""
    capsys.readouterr()
    assert run(["--db", str(school), "remove-student", "李娜", "--reason", "毕业"]) == 2
    err = capsys.readouterr().err
    assert "“李娜”不是身份证号：这里要写学生的身份证号，不是姓名" in err and "**" not in err
