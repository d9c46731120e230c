"""Reading and editing students; every edit is audited and un-verifies the student."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.pinyin import initials_key
from core.records import grants_of, student_record
from core.domain import StudentRecord
from db import audit
from db.models import STUDENT_DATA_FIELDS, RosterPerson, Student


def get_student(session: Session, student_id: int) -> Student:
    st = session.get(Student, student_id)
    if st is None:
        raise ValidationError(f"找不到编号为 {student_id} 的学生", "该学生可能已被删除，请刷新列表")
    return st


def student_values(st: Student) -> dict[str, Any]:
    return {f: getattr(st, f) for f in STUDENT_DATA_FIELDS}


def to_record(st: Student | Any) -> StudentRecord:
    """Engine view of a stored student (an ORM object or a row mapping)."""
    get = st.__getitem__ if hasattr(st, "__getitem__") else lambda k: getattr(st, k)
    values = {f: get(f) for f in _ENGINE_FIELDS}
    return student_record(values, key=get("id"), prior_grants=grants_of(values.get("prior_grants")))


# What the engine reads of a student (see core.records.student_record).
_ENGINE_FIELDS = ("name", "id_number", "stage", "location", "ownership", "full_time", "category",
                  "tuition_fen", "textbook_fen", "lodging_fen", "has_loan", "prior_grants")


def iter_records(session: Session) -> Iterator[StudentRecord]:
    cols = [Student.id] + [getattr(Student, f) for f in _ENGINE_FIELDS]
    for row in session.execute(select(*cols).order_by(Student.id)):
        yield to_record(row._mapping)


def verified_records(session: Session) -> Iterator[StudentRecord]:
    """Engine view of the verified students."""
    cols = [Student.id] + [getattr(Student, f) for f in _ENGINE_FIELDS]
    for row in session.execute(select(*cols).where(Student.verified.is_(True)).order_by(Student.id)):
        yield to_record(row._mapping)


def update_student(session: Session, student_id: int, changes: dict[str, Any],
                   actor: str | None = None) -> dict[str, tuple[Any, Any]]:
    """Apply ``changes`` (stored field -> new value); returns what really changed.

    Unknown fields are refused. A change un-verifies the student (待核准).
    """
    bad = set(changes) - set(STUDENT_DATA_FIELDS)
    if bad:
        raise ValidationError(f"不能修改字段：{'、'.join(sorted(bad))}")
    st = get_student(session, student_id)
    changes = dict(changes)
    if "id_number" in changes and "id_raw" not in changes:
        # A typed ID replaces what the file held; undo passes id_raw/id_numeric_cell back explicitly.
        changes["id_raw"] = changes["id_number"]
        changes.setdefault("id_numeric_cell", False)
    diff = {f: (getattr(st, f), v) for f, v in changes.items() if getattr(st, f) != v}
    if not diff:
        return {}
    for f, (_old, new) in diff.items():
        setattr(st, f, new)
    if "name" in diff:
        st.name_initials = initials_key(st.name)
    if st.verified:
        diff["verified"] = (True, False)
        st.verified = False
    st.seal = None            # a student is sealed only while verified (core.seal)
    st.updated_at = datetime.now()
    audit.record(session, actor or audit.default_actor(), "student", st.id, diff)
    return diff


def create_student(session: Session, values: dict[str, Any], actor: str | None = None) -> Student:
    bad = set(values) - set(STUDENT_DATA_FIELDS)
    if bad:
        raise ValidationError(f"不能填写字段：{'、'.join(sorted(bad))}")
    if not (values.get("name") or "").strip():
        raise ValidationError("学生姓名不能为空", "请填写姓名")
    st = Student(**values)
    st.name_initials = initials_key(st.name)
    st.id_raw = st.id_raw or st.id_number
    session.add(st)
    session.flush()
    audit.record(session, actor or audit.default_actor(), "student", st.id, {"*": (None, f"新增：{st.name}")})
    return st


def roster_ids(session: Session) -> set[str]:
    return set(session.scalars(select(RosterPerson.id_number).where(RosterPerson.id_number != "")))


