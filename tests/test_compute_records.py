"""The fast compute path (issue 13): stored students read as Core rows and built by the
trusted constructor give exactly the results of the checked, one-student-at-a-time path."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update

from core.engine import compute_student, totals_of
from core.fields import ENGINE_FIELDS
from core.money import format_fen
from core.records import RECORD_COLUMNS, grants_of, stored_records, student_record
from db.compute import compute_json, compute_school
from db.models import Student
from db.store import get_policy
from db.students import to_record, verified_records

# Stored values as a clerk's files leave them: aliases, unknown labels, empty cells, fees of 0.
ODD_VALUES: list[dict[str, object]] = [
    {"stage": "高中", "location": "县外", "ownership": "民办学校", "category": "REGISTERED",
     "tuition_fen": 0, "textbook_fen": None, "lodging_fen": 80000, "has_loan": True,
     "prior_grants": "LOAN_AID", "full_time": False},
    {"stage": "火星大学", "location": "月球", "ownership": "", "category": "贫困户",
     "tuition_fen": None, "prior_grants": "", "has_loan": False},
    {"stage": None, "location": None, "ownership": None, "category": None, "name": None,
     "prior_grants": None},
    {"stage": "中职", "location": "本地", "category": "OTHER_HARDSHIP", "tuition_fen": 250000,
     "textbook_fen": 30000, "prior_grants": "LOAN_AID,OTHER"},
]


def _row(values: dict[str, object], key: int) -> tuple[object, ...]:
    full = {"id": key, "name": "张三", "id_number": "110101200501011234", "stage": "小学",
            "location": "本地", "ownership": "公办", "full_time": True, "category": "NONE",
            "tuition_fen": None, "textbook_fen": None, "lodging_fen": None, "has_loan": False,
            "prior_grants": "", **values}
    return tuple(full[c] for c in RECORD_COLUMNS)


def test_record_columns_are_the_engine_fields():
    assert RECORD_COLUMNS[0] == "id"
    assert sorted(RECORD_COLUMNS[1:]) == sorted(ENGINE_FIELDS)


def test_trusted_constructor_equals_the_checked_one():
    rows = [_row(v, i) for i, v in enumerate(ODD_VALUES, 1)]
    fast = stored_records(rows)
    checked = [student_record(dict(zip(RECORD_COLUMNS, r, strict=True)), key=r[0],
                              prior_grants=grants_of(r[-1])) for r in rows]
    assert fast == checked
    # the odd values really were odd: unknown labels are None, empty ones the defaults
    assert fast[1].stage is None and fast[1].category is None
    assert fast[2].name == "" and fast[2].category is not None and fast[2].prior_grants == frozenset()
    assert fast[3].prior_grants == {"LOAN_AID", "OTHER"}


def _odd_demo(db) -> None:
    """Give some demo students the odd stored values above, verify a few, take one off the list."""
    with db.session() as s:
        ids = s.scalars(select(Student.id).order_by(Student.id)).all()
        for sid, values in zip(ids[::7], ODD_VALUES * 4, strict=False):
            s.execute(update(Student).where(Student.id == sid).values(
                **{k: "" if v is None and not k.endswith("_fen") else v     # NOT NULL text columns
                   for k, v in values.items() if k != "name"}))
        s.execute(update(Student).where(Student.id.in_(ids[::3])).values(verified=True))
        s.execute(update(Student).where(Student.id == ids[2]).values(removed_at=datetime(2026, 9, 1),
                                                                     removed_reason="转学"))
        s.commit()


def test_compute_school_equals_the_one_by_one_path(demo_db):
    _odd_demo(demo_db)
    results, totals = compute_school(demo_db)
    with demo_db.session() as s:
        policy = get_policy(s)
        students = s.scalars(select(Student).where(Student.removed_at.is_(None)).order_by(Student.id)).all()
        expected = [compute_student(to_record(st), policy, explain=False) for st in students]
    assert len(results) == len(expected) == 119
    for got, want in zip(results, expected, strict=True):
        assert got.student == want.student
        assert got.decisions == want.decisions
    # the calculator's tally per combination equals the student-by-student totals
    assert totals == totals_of(expected, policy)
    assert totals.total == sum(r.total_fen for r in expected) > 0
    assert totals.students_granted == sum(bool(r.granted) for r in expected)
    assert totals.pending == sum(len(r.pending) for r in expected) > 0


def test_verified_records_are_the_verified_students_removed_ones_too(demo_db):
    from db.plain_reads import LISTED
    from db.students import remove_students
    _odd_demo(demo_db)
    with demo_db.write_session() as s:
        gone = s.scalars(select(Student.id).where(Student.verified.is_(True)).order_by(Student.id)).first()
        remove_students(s, [gone], "转学待核实", actor="t")
    with demo_db.session() as s:
        verified = select(Student).where(Student.verified.is_(True)).order_by(Student.id)
        want = [to_record(st) for st in s.scalars(verified)]
        listed = [to_record(st) for st in s.scalars(verified.where(Student.removed_at.is_(None)))]
        got, got_listed = verified_records(s), verified_records(s, LISTED)
    assert got == want and len(got) == 40 and gone in {r.key for r in got}
    assert got_listed == listed and len(got_listed) == 39


def test_compute_json_shares_items_and_keeps_the_contract(demo_db):
    _odd_demo(demo_db)
    results, totals = compute_school(demo_db)
    doc = json.loads(json.dumps(compute_json(results, totals), ensure_ascii=False))
    assert [s["id_number"] for s in doc["students"]] == [r.student.id_number for r in results]
    for got, r in zip(doc["students"], results, strict=True):
        assert got["items"] == [{"code": d.code, "amount": format_fen(d.amount_fen),
                                 "shares": {k: format_fen(v) for k, v in d.shares.items()}}
                                for d in r.granted]
        assert got["total"] == format_fen(r.total_fen)
    assert len(doc["pending"]) == totals.pending
