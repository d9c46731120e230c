"""Compute every stored student's subsidies and shape the `compute --json` contract."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.bulk import gc_paused
from core.engine import StudentResult, Totals, compute_all
from core.money import format_fen
from db.session import Database
from db.store import get_policy
from db.students import iter_records


def compute_store(session: Session) -> tuple[list[StudentResult], Totals]:
    """Every listed student computed: one bulk pass, the cyclic collector paused throughout."""
    with gc_paused():
        return compute_all(iter_records(session), get_policy(session))


def compute_school(db: Database) -> tuple[list[StudentResult], Totals]:
    """Every student of the school computed (refused before a school exists)."""
    from db.store import get_school
    with db.session() as s:
        get_school(s)
        return compute_store(s)


def compute_json(results: list[StudentResult], totals: Totals) -> dict[str, Any]:
    """Every amount a string in yuan with two decimals."""
    students = []
    pending = []
    # The engine shares its decisions among the students of one combination (core.engine.
    # Calculator): each distinct list of decisions is shaped once, keyed by their identities.
    shaped: dict[tuple[int, ...], tuple[list[dict[str, Any]], str, list[tuple[str, str]]]] = {}
    for r in results:
        key = tuple(map(id, r.decisions))
        shape = shaped.get(key)
        if shape is None:
            shape = shaped[key] = (
                [{"code": d.code, "amount": format_fen(d.amount_fen),
                  "shares": {k: format_fen(v) for k, v in d.shares.items()}} for d in r.granted],
                format_fen(r.total_fen),
                [(d.code, d.reasons[-1] if d.reasons else "") for d in r.pending])
        items, total, reasons = shape
        student = r.student
        students.append({"id_number": student.id_number, "name": student.name, "items": items, "total": total})
        for code, reason in reasons:
            pending.append({"id_number": student.id_number, "name": student.name, "code": code, "reason": reason})
    by_source = {"city": 0, "county": 0, **totals.by_source}
    return {
        "students": students,
        "pending": pending,
        "totals": {
            "by_item": {k: format_fen(v) for k, v in totals.by_item.items()},
            "by_source": {k: format_fen(v) for k, v in by_source.items()},
            "total": format_fen(totals.total),
        },
    }
