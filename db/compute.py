"""Compute every stored student's subsidies and shape the `compute --json` contract."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.engine import StudentResult, Totals, compute_all
from core.money import format_fen
from db.session import Database
from db.store import get_policy
from db.students import iter_records


def compute_store(session: Session) -> tuple[list[StudentResult], Totals]:
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
    for r in results:
        students.append({
            "id_number": r.student.id_number,
            "name": r.student.name,
            "items": [{"code": d.code, "amount": format_fen(d.amount_fen),
                       "shares": {k: format_fen(v) for k, v in d.shares.items()}}
                      for d in r.granted],
            "total": format_fen(r.total_fen),
        })
        for d in r.pending:
            pending.append({"id_number": r.student.id_number, "name": r.student.name,
                            "code": d.code, "reason": d.reasons[-1] if d.reasons else ""})
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
