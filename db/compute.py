"""Compute every stored student's subsidies and shape the `compute --json` contract.

``compute_school`` reads through a plain sqlite3 connection (``Database.reading``, the SQL of
``db.plain_reads``): the command ``compute`` never imports SQLAlchemy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.bulk import gc_paused
from core.engine import StudentResult, Totals, compute_all
from core.money import format_fen
from core.policy import default_policy_text, load_policy
from core.records import stored_records
from db.plain_reads import compute_inputs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from db.session import Database


def compute_store(session: Session) -> tuple[list[StudentResult], Totals]:
    """Every listed student computed: one bulk pass, the cyclic collector paused throughout."""
    from db.store import get_policy
    from db.students import iter_records
    with gc_paused():
        return compute_all(iter_records(session), get_policy(session))


def compute_school(db: Database) -> tuple[list[StudentResult], Totals]:
    """Every student of the school computed (refused before a school exists): the school, the
    active policy and the students read in one read transaction, the same rows as ``compute_store``."""
    with db.reading() as con:
        text, rows = compute_inputs(con)
    with gc_paused():
        return compute_all(stored_records(rows), load_policy(text if text is not None else default_policy_text()))


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
