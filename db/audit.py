"""The append-only audit log: who changed what, when, from what to what."""
from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.models import AuditEntry


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user name on some systems
        return "unknown"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def record(session: Session, actor: str, entity: str, entity_id: int | None,
           changes: dict[str, tuple[Any, Any]], at: datetime | None = None) -> None:
    """Log one entry per changed field."""
    record_many(session, actor, entity, [(entity_id, changes)], at)


def record_many(session: Session, actor: str, entity: str,
                batch: Iterable[tuple[int | None, dict[str, tuple[Any, Any]]]],
                at: datetime | None = None) -> int:
    at = at or datetime.now()
    rows = [
        {"at": at, "actor": actor, "entity": entity, "entity_id": eid,
         "field": field, "old": _text(old), "new": _text(new)}
        for eid, changes in batch for field, (old, new) in changes.items()
    ]
    if rows:
        session.execute(insert(AuditEntry), rows)
    return len(rows)
