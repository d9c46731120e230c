"""Reading the student list for the GUI (runs in the worker, never on the GUI thread).

One SELECT of the columns the engine and the list need; every student's
subsidies computed with ``core.engine``; plain rows handed to the model.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.domain import Category
from core.engine import compute_student
from core.idnumber import mask_id
from core.money import format_fen
from core.policy import Policy
from db.models import STUDENT_DATA_FIELDS, Student
from db.session import Database
from db.store import get_policy
from db.students import to_record
from gui.collation import name_key_function
from gui.search import haystack
from gui.students.model import StudentRow

_COLUMNS = [Student.id, Student.verified, Student.import_problems, Student.name_initials,
            *(getattr(Student, f) for f in STUDENT_DATA_FIELDS)]


@dataclass(frozen=True)
class StudentList:
    rows: list[StudentRow]
    policy: Policy


def category_label(policy: Policy, stored: str) -> str:
    """The label the clerk knows for a stored category (unknown text as it is)."""
    try:
        return policy.category_label(Category(stored or "NONE"))
    except ValueError:
        return stored


def make_row(m: Any, policy: Policy, name_key: Callable[[str], Any] | None) -> StudentRow:
    """A list row from a row mapping of ``_COLUMNS``."""
    result = compute_student(to_record(m), policy, explain=False)
    total = result.total_fen
    idn = m["id_number"] or m["id_raw"] or ""
    name = m["name"] or ""
    return StudentRow(
        id=m["id"], name=name, id_number=idn, id_masked=mask_id(idn),
        gender=m["gender"] or "", stage=m["stage"] or "", grade=m["grade"] or "",
        class_name=m["class_name"] or "", category=category_label(policy, m["category"]),
        location=m["location"] or "", total_fen=total, total_text=format_fen(total),
        pending=len(result.pending), verified=bool(m["verified"]),
        problems=m["import_problems"] or "", initials=m["name_initials"] or "",
        name_key=name_key(name) if name_key else None,
        haystack=haystack(name, idn, m["name_initials"] or ""),
    )


def load_students(db: Database) -> StudentList:
    with db.session() as s:
        policy = get_policy(s)
        result = s.execute(select(*_COLUMNS).order_by(Student.id)).all()
    key = name_key_function()
    return StudentList([make_row(r._mapping, policy, key) for r in result], policy)


def load_student_row(db: Database, student_id: int) -> StudentRow | None:
    with db.session() as s:
        policy = get_policy(s)
        r = s.execute(select(*_COLUMNS).where(Student.id == student_id)).first()
    return None if r is None else make_row(r._mapping, policy, name_key_function())
