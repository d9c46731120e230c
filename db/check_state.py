"""Whether the stored findings are current: the change marker.

The checks read the students, the roster, the payments, the settings, the school, the policy
versions, the audit log (its chain) and reconcile the stored findings. Triggers in the schema
(migration 0009, ``TRIGGER_SQL``) bump ``change_counter`` when any of these tables changes after a
stored check, whoever writes: the program, or sqlite3 and any other tool from outside. An
``INSERT OR REPLACE`` deletes the old row without firing the delete triggers (recursive triggers
are off), but its insert fires the insert trigger. A dropped trigger (or any other DDL) moves
``PRAGMA schema_version``, which the stored check keeps too; and a stored check is never reused
while any of the triggers is missing or not as ``TRIGGER_SQL`` writes it (``current_check``: a
check run after the triggers were changed would otherwise stamp the new schema version). The
program's own bulk imports drop a table's insert trigger for the insert and move the marker
themselves, in the import's transaction (``marker_deferred``).

``run_and_store`` (db.findings) stamps ``check_state`` with the counter, today's date (the checks
compare ages and dates with it), the policy's hash, the schema version and the program's version
and rules. ``current_check`` says whether all of them still match; ``check_unless_current`` is
what the exports call instead of the check.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from db.audit import ChainStatus
from db.audit_chain import ANCHOR_KEY, anchor_text

# The tables whose content the checks read (or reconcile: finding).
WATCHED = ("school", "setting", "student", "roster_person", "payment", "policy_version", "audit_log", "finding")
_TRIGGER = ("CREATE TRIGGER {table}_changed_{op} AFTER {OP} ON {table} "
            "WHEN (SELECT dirty FROM change_counter WHERE id = 1) = 0 "
            "BEGIN UPDATE change_counter SET value = value + 1, dirty = 1 WHERE id = 1; END")
# The SQL of the triggers (the migration creates them; the tests look for every one).
TRIGGER_SQL = {f"{table}_changed_{op}": _TRIGGER.format(table=table, op=op, OP=op.upper())
               for table in WATCHED for op in ("insert", "update", "delete")}


@dataclass(frozen=True)
class StoredCheck:
    """The stored check, when current: its counter, the day it ran as of, when it ran."""
    counter: int
    day: date
    checked_at: datetime


@lru_cache(maxsize=1)
def program_mark() -> str:
    """The program's version and its rules (a program with other checks checks again)."""
    from core.checks import RULES_BY_CODE
    from core.version import program_version
    rules = hashlib.sha256(",".join(sorted(RULES_BY_CODE)).encode()).hexdigest()[:16]
    return f"{program_version()} {rules}"


def _policy_mark(session: Session) -> str:
    from db.store import get_policy_text
    return hashlib.sha256(get_policy_text(session).encode("utf-8")).hexdigest()


def _schema_version(session: Session) -> int:
    return int(session.connection().exec_driver_sql("PRAGMA schema_version").scalar_one())


def current_check(session: Session, today: date | None = None) -> StoredCheck | None:
    """The stored check when its findings are what the checks would find now, else None:
    nothing the checks read changed since (the counter, the schema), the policy is the same,
    and it ran as of ``today`` (the date the checks compare ages with) by this program."""
    session.flush()        # pending ORM changes fire the triggers first
    row = session.connection().exec_driver_sql(
        "SELECT c.value, c.dirty, s.counter, s.day, s.policy_sha256, s.schema_version, s.program, s.checked_at "
        "FROM change_counter AS c, check_state AS s WHERE c.id = 1 AND s.id = 1").first()
    if row is None:
        return None
    value, dirty, counter, day, policy, schema, program, checked_at = cast(tuple[Any, ...], row)
    if dirty or value != counter or day != (today or date.today()).isoformat() or program != program_mark():
        return None
    if schema != _schema_version(session) or policy != _policy_mark(session) or not _triggers_intact(session):
        return None
    return StoredCheck(int(counter), date.fromisoformat(day),
                       checked_at if isinstance(checked_at, datetime) else datetime.fromisoformat(str(checked_at)))


def _triggers_intact(session: Session) -> bool:
    """Every trigger of the marker is in the schema as ``TRIGGER_SQL`` writes it."""
    rows = session.connection().exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    found = {str(name): str(sql) for name, sql in rows}
    return all(found.get(name) == sql for name, sql in TRIGGER_SQL.items())


def mark_current(session: Session, today: date | None = None, chain: ChainStatus | None = None) -> None:
    """Stamp the check just stored in this transaction (called last by ``run_and_store``), with
    the audit chain as it verified it (``chain``, kept when intact)."""
    if chain is not None and chain.intact and (anchor := anchor_text(chain)):
        from db.store import get_setting, put_setting
        if get_setting(session, ANCHOR_KEY) != anchor:      # (where the chain stood: db.audit_chain)
            put_setting(session, ANCHOR_KEY, anchor)
    session.flush()
    conn = session.connection()
    conn.exec_driver_sql("INSERT INTO change_counter (id, value, dirty) VALUES (1, 0, 0) "
                         "ON CONFLICT (id) DO UPDATE SET dirty = 0")
    value: int = conn.exec_driver_sql("SELECT value FROM change_counter WHERE id = 1").scalar_one()
    intact = chain is not None and chain.intact
    conn.execute(text(
        "INSERT INTO check_state (id, counter, day, policy_sha256, schema_version, program, checked_at, "
        "chain_entries, chain_head, chain_last_id) "
        "VALUES (1, :counter, :day, :policy, :schema, :program, :at, :entries, :head, :last) "
        "ON CONFLICT (id) DO UPDATE SET counter = excluded.counter, day = excluded.day, "
        "policy_sha256 = excluded.policy_sha256, schema_version = excluded.schema_version, "
        "program = excluded.program, checked_at = excluded.checked_at, chain_entries = excluded.chain_entries, "
        "chain_head = excluded.chain_head, chain_last_id = excluded.chain_last_id"),
        {"counter": value, "day": (today or date.today()).isoformat(), "policy": _policy_mark(session),
         "schema": _schema_version(session), "program": program_mark(),
         "at": datetime.now().isoformat(sep=" ", timespec="microseconds"),
         "entries": chain.entries if chain and intact else None, "head": chain.head if chain and intact else None,
         "last": chain.last_id if chain and intact else None})


def audit_chain(session: Session) -> ChainStatus:
    """The audit log's chain status (``audit.audit_chain_status``). While the stored check is
    current and found the chain intact, only the entries appended after it are verified, linked
    to the head it verified: nothing before can have changed (the log's triggers refuse UPDATE
    and DELETE, dropping them moves the schema version, an insert moves the counter)."""
    from db.audit import audit_chain_status
    return audit_chain_status(session, since=_stored_chain(session))


def _stored_chain(session: Session) -> ChainStatus | None:
    if current_check(session) is None:
        return None
    row = session.connection().exec_driver_sql(
        "SELECT chain_entries, chain_head, chain_last_id FROM check_state WHERE id = 1").first()
    if row is None or row[0] is None:
        return None
    return ChainStatus(True, int(row[0]), head=str(row[1]), last_id=int(row[2]))


def check_unless_current(session: Session, actor: str | None = None, today: date | None = None) -> bool:
    """Run the checks and store their findings unless the stored ones are current (True: reused)."""
    if current_check(session, today) is not None:
        return True
    from db import findings
    findings.run_and_store(session, actor=actor, today=today)
    return False


@contextmanager
def unchanged_for_checks(session: Session) -> Iterator[None]:
    """Around a write of the program that no check reads — the signer key in the settings, an
    export's own audit entry (appended with its link, ``audit.record_many``) — so the stored
    check stays current through it. Only when it was current before and found the audit chain
    intact (an entry appended to a broken chain changes that finding's message)."""
    keep = _stored_chain(session) is not None
    yield
    if keep:
        session.flush()
        conn = session.connection()
        conn.exec_driver_sql("UPDATE change_counter SET dirty = 0 WHERE id = 1")
        conn.exec_driver_sql("UPDATE check_state SET counter = (SELECT value FROM change_counter WHERE id = 1) "
                             "WHERE id = 1")


_BUMP = "UPDATE change_counter SET value = value + 1, dirty = 1 WHERE id = 1 AND dirty = 0"


@contextmanager
def marker_deferred(conn: Connection, table: str, defer: bool = True) -> Iterator[None]:
    """Around a bulk insert into a ``WATCHED`` table (the imports, beside ``db.bulk.indexes_deferred``):
    the marker moved once, as the table's insert trigger does at the first row, and the trigger
    dropped for the insert and created again after it with its own SQL (in the caller's
    transaction: a failure rolls back the drop too; refused outside one). SQLite evaluates the
    trigger's condition, a subquery, at every row: 0.045 s of 50,000 students' insert (a quarter of
    it), 0.17 s of 200,000 roster people's. Nothing when not ``defer``. (Should the drop ever be kept,
    ``current_check`` never reuses a stored check without the trigger.)"""
    if defer and not conn.in_transaction():
        raise RuntimeError("marker_deferred needs the caller's transaction (its rollback restores the trigger)")
    name = f"{table}_changed_insert"
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                               (name,)).scalar() if defer else None
    if sql is None:           # (not deferred, or no trigger to defer: a database from before 0009's)
        yield
        return
    conn.exec_driver_sql(_BUMP)       # (a safeguard: the import's first row, inserted alone, has moved it)
    conn.exec_driver_sql(f"DROP TRIGGER main.{name}")
    yield
    conn.exec_driver_sql(sql)
