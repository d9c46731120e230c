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
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from json.encoder import c_encode_basestring, c_make_encoder  # type: ignore[attr-defined]
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.bulk import insert_tuples, stored_time
from db.models import AuditEntry

GENESIS = "0" * 64          # prev_hash of the first entry
TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace")
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


def _encoder() -> Callable[[list[Any]], str]:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, made once: the C encoder
    itself when the json module has it (``JSONEncoder.encode`` builds one on every call, half the
    time of hashing a county's log), else the encoder object. Same text either way (a test)."""
    if c_make_encoder is None or c_encode_basestring is None:   # pragma: no cover - CPython has both
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    encode = c_make_encoder(None, None, c_encode_basestring, None, ":", ",", False, False, True)
    join = "".join
    return lambda value: join(encode(value, 0))


_ENCODE = _encoder()
_SHA256 = hashlib.sha256


def entry_hash(prev_hash: str, entry_id: int, at: str, actor: str, entity: str, entity_id: int | None,
               field_name: str, old: str | None, new: str | None) -> str:
    """The chain hash of one entry; ``at`` is the stored text (see ``stored_time``)."""
    body = _ENCODE([entry_id, at, actor, entity, entity_id, field_name, old, new])
    return _SHA256(f"{prev_hash}\n{body}".encode()).hexdigest()


_COLUMNS = ("id", "at", "actor", "entity", "entity_id", "field", "old", "new", "prev_hash", "hash")


def _last(session: Session) -> tuple[int, str]:
    row = session.execute(text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")).first()
    return (row[0], row[1] or GENESIS) if row else (0, GENESIS)


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
    when = stored_time(at or datetime.now())
    entries = [(eid, name, _text(old), _text(new))
               for eid, changes in batch for name, (old, new) in changes.items()]
    if not entries:
        return 0
    session.flush()   # entries written earlier in this session come first in the chain
    last_id, prev = _last(session)
    rows = []
    for entry_id, (eid, name, old, new) in enumerate(entries, last_id + 1):
        digest = entry_hash(prev, entry_id, when, actor, entity, eid, name, old, new)
        rows.append((entry_id, when, actor, entity, eid, name, old, new, prev, digest))
        prev = digest
    insert_tuples(session.connection(), AuditEntry.__table__, _COLUMNS, rows)
    return len(rows)


@dataclass
class ChainStatus:
    intact: bool
    entries: int
    first_broken_id: int | None = None
    missing_triggers: list[str] = field(default_factory=list)
    head: str = GENESIS          # the last entry's hash (recorded in the export package)
    last_id: int = 0             # the last entry's id

    @property
    def message(self) -> str:
        """One Chinese line for the CLI, the report and the finding."""
        if self.intact:
            return f"审计日志完整：共 {self.entries} 条，哈希链未断，防改触发器齐全"
        parts = []
        if self.first_broken_id is not None:
            parts.append(f"第 {self.first_broken_id} 条起的记录被改动、删除或插入")
        if self.missing_triggers:
            parts.append("防改触发器被删除：" + "、".join(self.missing_triggers))
        return f"审计日志已被改动：{'；'.join(parts)}（共 {self.entries} 条）"


def audit_chain_status(session: Session, since: ChainStatus | None = None) -> ChainStatus:
    """Check every link of the chain and that the three protecting triggers exist.

    ``since``: a status this transaction found intact earlier; only the entries appended after it
    are checked, linked to its head (the check run verifies the chain as it starts and again after
    writing its own entries, in one transaction: what it verified cannot have changed)."""
    session.flush()
    conn = session.connection()
    present = {r[0] for r in conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"))}
    missing = [t for t in TRIGGERS if t not in present]
    if since is None or not since.intact:
        since = ChainStatus(True, 0)
    prev, broken = since.head, None
    # Plain tuples of ten columns (a text() query's rows are typed as one-column rows).
    rows = cast(list[tuple[Any, ...]], conn.exec_driver_sql(
        "SELECT id, at, actor, entity, entity_id, field, old, new, prev_hash, hash FROM audit_log "
        "WHERE id > ? ORDER BY id", (since.last_id,)
    ).fetchall())   # one fetch: a county's log is a few hundred thousand short rows
    for eid, at, actor, entity, entity_id, name, old, new, prev_hash, hash_ in rows:
        if prev_hash != prev or hash_ != entry_hash(prev, eid, str(at), actor, entity, entity_id, name, old, new):
            broken = eid
            break
        prev = hash_ or ""
    count = since.entries + len(rows)
    head, last_id = (rows[-1][9] or "", rows[-1][0]) if rows else (since.head, since.last_id)
    return ChainStatus(broken is None and not missing, count, broken, missing, head, last_id)
