"""The seals of stored students (core.seal): made at verification (db.findings.verify_students),
checked by TAMPERED_AFTER_VERIFY, made again after a policy change (``reseal_students``)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.engine import Calculator
from core.policy import Policy
from core.seal import fields_of, seal_of, version_of
from db.models import Student


def seal_student(st: Student, calc: Calculator, version: int = 2) -> str:
    """The seal of a stored student as it stands (core.seal), in ``version``'s form."""
    from db.students import to_record
    return seal_of({f: getattr(st, f) for f in fields_of(version)}, calc(to_record(st)).decisions, version)


def seal_stands(st: Student, calc: Calculator) -> bool:
    """Whether a stored student's seal holds (in the version it was made with)."""
    return bool(st.seal) and seal_student(st, calc, version_of(st.seal or "")) == st.seal


def reseal_students(session: Session, old: Policy, new: Policy, skip: Iterable[int]) -> int:
    """After a policy change: the verified students it leaves as they were (not in ``skip``, the
    ones it sends back to 待核准) sealed again under ``new``, so that what was verified still stands
    (a seal covers every item's decision: an added, copied or retired item changes every seal).
    Only a seal that holds under ``old`` is made again: one that no longer held (data changed
    behind the program's back) stays as it was, and TAMPERED_AFTER_VERIFY still finds it."""
    skipped, before, after = set(skip), Calculator(old), Calculator(new)
    n = 0
    for st in session.scalars(select(Student).where(Student.verified.is_(True))):
        if st.id in skipped or not st.seal or not seal_stands(st, before):
            continue
        seal = seal_student(st, after, version_of(st.seal))     # (its own version: see core.seal)
        if seal != st.seal:
            st.seal = seal
            n += 1
    return n
