"""The audit log's hash chain: each entry's hash and the check of every link (``chain_status``).

Only hashlib, json and the SQL text here, no SQLAlchemy: ``db.audit`` checks the chain through a
session with it, and ``db.chain_ahead`` through a read-only sqlite3 connection in a child process
(``check`` verifies the chain there while it imports its modules). One implementation for both.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from json.encoder import c_encode_basestring, c_make_encoder  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from db.readonly import connect_read_only

GENESIS = "0" * 64          # prev_hash of the first entry
TRIGGERS = ("audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace")
# The setting that keeps where the chain stood at the last check that found it intact: "entries last_id
# head" (written by db.check_state.mark_current). A chain is its own proof of every link, not of its
# length: rows deleted from its end behind the program's back (its no-delete trigger dropped first)
# leave a shorter chain that holds. The anchor catches that, and a last entry rewritten with its hash.
ANCHOR_KEY = "audit.anchor"

# (sql, parameters) -> the rows as tuples: a session's connection or a plain sqlite3 one.
Execute = Callable[[str, tuple[Any, ...]], Sequence[tuple[Any, ...]]]


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


@dataclass
class ChainStatus:
    intact: bool
    entries: int
    first_broken_id: int | None = None
    missing_triggers: list[str] = field(default_factory=list)
    head: str = GENESIS          # the last entry's hash (recorded in the export package)
    last_id: int = 0             # the last entry's id
    anchored: int | None = None  # the entries an earlier check found, when the chain no longer reaches them
                                 # (0: the anchor itself unreadable)

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
        if self.anchored:
            parts.append(f"上次核查时有 {self.anchored} 条，其中最后的记录已被删除或改动")
        elif self.anchored is not None:
            parts.append("上次核查时记下的审计日志位置被改动")
        return f"审计日志已被改动：{'；'.join(parts)}（共 {self.entries} 条）"


def chain_status(execute: Execute, since: ChainStatus | None = None) -> ChainStatus:
    """Check every link of the chain and that the three protecting triggers exist.

    ``since``: a status this transaction found intact earlier; only the entries appended after it
    are checked, linked to its head (the check run verifies the chain as it starts and again after
    writing its own entries, in one transaction: what it verified cannot have changed)."""
    present = {r[0] for r in execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'", ())}
    missing = [t for t in TRIGGERS if t not in present]
    if since is None or not since.intact:
        since = ChainStatus(True, 0)
    prev, broken = since.head, None
    rows = execute("SELECT id, at, actor, entity, entity_id, field, old, new, prev_hash, hash FROM audit_log "
                   "WHERE id > ? ORDER BY id", (since.last_id,))   # one fetch: a few hundred thousand short rows
    for eid, at, actor, entity, entity_id, name, old, new, prev_hash, hash_ in rows:
        if prev_hash != prev or hash_ != entry_hash(prev, eid, str(at), actor, entity, entity_id, name, old, new):
            broken = eid
            break
        prev = hash_ or ""
    count = since.entries + len(rows)
    head, last_id = (rows[-1][9] or "", rows[-1][0]) if rows else (since.head, since.last_id)
    anchored = _short_of_anchor(execute, count)
    return ChainStatus(broken is None and not missing and anchored is None, count, broken, missing, head, last_id,
                       anchored)


def anchor_text(status: ChainStatus) -> str:
    """The ``ANCHOR_KEY`` setting's value for an intact chain ("" for an empty one: nothing to anchor)."""
    return f"{status.entries} {status.last_id} {status.head}" if status.entries else ""


def _short_of_anchor(execute: Execute, count: int) -> int | None:
    """The entries the anchor recorded, when the chain no longer reaches them: fewer entries now, or its
    last entry gone or with another hash; None when it does (or there is no anchor)."""
    stored = execute("SELECT value FROM setting WHERE key = ?", (ANCHOR_KEY,))
    if not stored:
        return None               # (none yet: no check found the chain intact since session 27)
    parts = str(stored[0][0] or "").split()
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return 0                  # the program writes none such: changed behind its back
    entries, last_id, head = int(parts[0]), int(parts[1]), parts[2]
    there = execute("SELECT hash FROM audit_log WHERE id = ?", (last_id,))
    return entries if count < entries or not there or there[0][0] != head else None


def read_chain_status(path: Path) -> ChainStatus | None:
    """``chain_status`` of the database file at ``path``, read-only in one read transaction
    (None when it cannot be read: the caller checks through its session)."""
    try:
        con = connect_read_only(path)
    except sqlite3.Error:
        return None
    try:
        con.execute("BEGIN")
        return chain_status(lambda sql, params: con.execute(sql, params).fetchall())
    except sqlite3.Error:
        return None
    finally:
        con.close()
