"""The append-only audit log: who changed what, when, from what to what.

Every entry is chained: it stores the previous entry's hash (``prev_hash``) and
its own ``hash`` = SHA-256 over ``prev_hash`` and a canonical serialisation of its
fields (``entry_hash``). Entries are only written here, in id order, so an
entry changed, removed or replaced later breaks the chain from that entry on.
SQLite triggers refuse UPDATE, DELETE and an INSERT over an existing id (the
REPLACE conflict path, whose delete fires no delete trigger);
``audit_chain_status`` checks the links and that those triggers still exist.
"""
from __future__ import annotations

import getpass
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.audit_chain import (  # noqa: F401 - GENESIS, TRIGGERS, _ENCODE: importable from here as before
    _ENCODE,
    GENESIS,
    TRIGGERS,
    ChainStatus,
    chain_status,
    entry_hash,
)
from db.bulk import insert_tuples, stored_time
from db.models import AuditEntry

# The SQL of the triggers (the migration creates them; ``audit_chain_status`` looks for them).
TRIGGER_SQL = {
    "audit_log_no_update": "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "audit_log_no_delete": "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                           "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    "audit_log_no_replace": "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
                            "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
                            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
}


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (ImportError, KeyError, OSError):  # pragma: no cover - no user name on some systems
        return "unknown"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


COLUMNS = ("id", "at", "actor", "entity", "entity_id", "field", "old", "new", "prev_hash", "hash")


def record(session: Session, actor: str, entity: str, entity_id: int | None,
           changes: dict[str, tuple[Any, Any]], at: datetime | None = None) -> None:
    """Log one entry per changed field."""
    record_many(session, actor, entity, [(entity_id, changes)], at)


def record_many(session: Session, actor: str, entity: str,
                batch: Iterable[tuple[int | None, dict[str, tuple[Any, Any]]]],
                at: datetime | None = None) -> int:
    """Log many entries in one bulk insert; the chain is computed here, in id order.

    The last hash is read inside the caller's transaction: a concurrent writer that
    appended meanwhile makes this transaction fail on write (SQLite's snapshot
    rule) instead of forking the chain.
    """
    entries = [(eid, name, _text(old), _text(new))
               for eid, changes in batch for name, (old, new) in changes.items()]
    if not entries:
        return 0
    session.flush()   # entries written earlier in this session come first in the chain
    rows, _last_entry = chained(last_entry(session), stored_time(at or datetime.now()), actor, entity, entries)
    insert_tuples(session.connection(), AuditEntry.__table__, COLUMNS, rows)
    return len(rows)


def last_entry(session: Session) -> tuple[int, str]:
    """The id and hash of the chain's last entry ((0, GENESIS) for an empty log), in the
    session's transaction as it stands (flush first what must come before)."""
    row = session.execute(text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")).first()
    return (row[0], row[1] or GENESIS) if row else (0, GENESIS)


def chained(last: tuple[int, str], when: str, actor: str, entity: str,
            entries: Iterable[tuple[int | None, str, str | None, str | None]],
            ) -> tuple[list[tuple[Any, ...]], tuple[int, str]]:
    """The rows (``COLUMNS``) of ``entries`` (entity id, field, old and new as stored text)
    chained after ``last`` (id, hash) at ``when`` (``stored_time``), and the new last (id, hash).
    No database work: the caller inserts the rows, in this order, in the same transaction."""
    last_id, prev = last
    rows = []
    for entry_id, (eid, name, old, new) in enumerate(entries, last_id + 1):
        digest = entry_hash(prev, entry_id, when, actor, entity, eid, name, old, new)
        rows.append((entry_id, when, actor, entity, eid, name, old, new, prev, digest))
        prev = digest
    return rows, (last_id + len(rows), prev)


def audit_chain_status(session: Session, since: ChainStatus | None = None) -> ChainStatus:
    """Check every link of the chain and that the three protecting triggers exist, in the
    session's transaction (``db.audit_chain.chain_status``; ``since``: see there)."""
    session.flush()
    conn = session.connection()
    # Plain tuples of ten columns (a driver-level query's rows; no type processing)
    return chain_status(lambda sql, params: cast(list[tuple[Any, ...]], conn.exec_driver_sql(sql, params).fetchall()),
                        since)
