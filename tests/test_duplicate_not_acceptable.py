"""DUPLICATE_ID cannot be accepted: one child twice on the list would be verified and paid twice.
Every copy of the ID is flagged (the first one too), so none can be verified until the clerk removes
the copy (移出名单) or corrects the ID; an acceptance stored before this rule is reopened."""
from datetime import date

import pytest
from sqlalchemy import select, update

from core.checks import CheckContext, FindingState, StudentFacts, run_checks
from core.errors import ValidationError
from core.idnumber import make_id
from core.policy import default_policy
from core.records import ParsedRow
from db import store, usecases
from db.findings import accept, accept_rows, not_acceptable, run_and_store
from db.importing import apply_plan, plan_import
from db.models import FindingRow, Student
from db.session import open_database

PRE = make_id("110101", date(2019, 3, 1), 124)          # 4 on 2023-09-01: 学前教育
OTHER = make_id("110101", date(2019, 4, 2), 131)
FIELDS = ["name", "id_number", "stage", "category", "grade"]


def test_every_copy_of_a_repeated_id_is_flagged_naming_the_others():
    students = [StudentFacts(key=k, name=n, id_number=PRE, id_raw=PRE, stage="学前教育", category="NONE")
                for k, n in ((1, "张三"), (2, "张叁"), (3, "张山"))]
    ctx = CheckContext(students=students, roster=[], policy=default_policy(), school_name="第一中学",
                       school_year=2023, today=date(2024, 4, 1))
    dups = [f for f in run_checks(ctx) if f.code == "DUPLICATE_ID"]
    assert [f.student_key for f in dups] == [1, 2, 3]
    assert "张叁、张山" in dups[0].message and "张三、张山" in dups[1].message and "3 次" in dups[2].message
    assert all(f.field == "id_number" for f in dups)


def test_duplicate_id_is_not_acceptable():
    assert not_acceptable("DUPLICATE_ID", "error")


@pytest.fixture
def db(tmp_path):
    d = open_database(tmp_path / "dup.sqlite")
    with d.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        rows = [{"name": "张三", "id_number": PRE, "id_raw": PRE, "stage": "学前教育", "category": "NONE",
                 "grade": g} for g in ("中班", "大班")]
        apply_plan(s, plan_import(s, "students", [ParsedRow(i, v) for i, v in enumerate(rows)], [], FIELDS))
    yield d
    d.close()


def ids(db):
    with db.session() as s:
        return list(s.scalars(select(Student.id).order_by(Student.id)))


def dup_states(db):
    with db.session() as s:
        return {r.student_id: r.state for r in s.scalars(select(FindingRow).where(FindingRow.code == "DUPLICATE_ID"))}


def test_the_command_line_acceptance_is_refused_saying_what_to_do(db):
    usecases.check(db)
    with db.session() as s, pytest.raises(ValidationError) as e:
        accept(s, "DUPLICATE_ID", PRE, "同名同号，经核实无误")
    assert "不能接受" in e.value.message
    assert "移出名单" in e.value.hint and "改正" in e.value.hint
    assert set(dup_states(db).values()) == {FindingState.OPEN}


def test_accepting_selected_rows_is_refused_saying_what_to_do(db):
    usecases.check(db)
    with db.session() as s, pytest.raises(ValidationError) as e:
        accept_rows(s, s.scalars(select(FindingRow).where(FindingRow.code == "DUPLICATE_ID")).all(), "核实无误")
    assert "身份证号重复" in e.value.message and "移出名单" in e.value.hint
    assert set(dup_states(db).values()) == {FindingState.OPEN}


def test_neither_copy_can_be_verified_until_one_is_removed(db):
    first, second = ids(db)
    usecases.check(db)
    assert set(dup_states(db)) == {first, second}
    for one in (first, second):
        with pytest.raises(ValidationError):
            usecases.verify(db, [one])
    assert usecases.verify(db, [first, second], skip_blocked=True).done == 0
    usecases.remove(db, second, "重复录入")                 # the copy taken off the list
    assert dup_states(db) == {first: FindingState.FIXED, second: FindingState.FIXED}
    assert usecases.verify(db, [first]).done == 1


def test_correcting_the_id_of_one_copy_clears_both(db):
    first, second = ids(db)
    usecases.check(db)
    usecases.edit_student(db, second, {"id_number": OTHER})
    assert set(dup_states(db).values()) == {FindingState.FIXED}
    assert usecases.verify(db, [first, second]).done == 2


def test_an_acceptance_stored_before_the_rule_is_reopened_by_the_next_check(db):
    """A database where DUPLICATE_ID was accepted (and both copies verified) by an earlier version."""
    first, second = ids(db)
    usecases.check(db)
    with db.session() as s:
        s.execute(update(FindingRow).where(FindingRow.code == "DUPLICATE_ID")
                  .values(state=FindingState.ACCEPTED, reason="同名同号，经核实无误"))
    with db.session() as s:
        run = run_and_store(s)
        assert run.reopened == 2
    assert dup_states(db) == {first: FindingState.OPEN, second: FindingState.OPEN}
    with pytest.raises(ValidationError):
        usecases.verify(db, [first, second])
