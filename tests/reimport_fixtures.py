"""Shared helpers of the re-import tests (test_reimport_*.py): a school, its list files, its students."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from conftest import xlsx
from sqlalchemy import select, text

from core.idnumber import make_id
from db import store
from db.models import Student

HS = make_id("110101", date(2008, 5, 1), 123)
HS2 = make_id("110101", date(2008, 6, 1), 125)
HS3 = make_id("110101", date(2008, 7, 1), 127)
WRONG = make_id("110101", date(2008, 5, 2), 123)     # HS with a typo in the birth day: still a valid ID

_SHOWN = ("id", "name", "id_number", "id_raw", "id_numeric_cell", "category", "tuition_fen", "prior_grants",
          "location", "full_time", "phone", "verified", "removed_at")


def school(db: Any) -> Any:
    with db.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="t")
    return db


def sheet(path: Path, header: list[str], *rows: list[Any]) -> Path:
    return xlsx(path, header, *rows)


def students(db: Any) -> list[dict[str, Any]]:
    """Every stored student (removed too), in id order, with the fields these tests look at."""
    with db.session() as s:
        return [{k: getattr(st, k) for k in _SHOWN} | {"sealed": st.seal is not None}
                for st in s.scalars(select(Student).order_by(Student.id))]


def audit_since(db: Any, last: int) -> list[tuple[Any, ...]]:
    """(entity, entity_id, field, old, new) of the audit entries after id ``last``."""
    with db.session() as s:
        return [tuple(r) for r in s.execute(text(
            "SELECT entity, entity_id, field, old, new FROM audit_log WHERE id > :i ORDER BY id"), {"i": last})]


def audit_top(db: Any) -> int:
    with db.session() as s:
        return s.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar()
