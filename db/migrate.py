"""Schema migrations with alembic, run from code, after an automatic backup.

A database written by a newer Zizhu (an alembic revision this program does not
know), and another program's SQLite file (tables but no ``alembic_version``, or a
revision unknown here without Zizhu's tables), are refused before anything is written
or backed up: the schema is read on a read-only connection, since a read-write one
would first switch the file to WAL.

Opening a database whose schema is already the newest is the common case (every
command, every start): it reads ``alembic_version`` with one query and compares it
with the head read from the migration files' own ``revision``/``down_revision``
lines, so alembic (70 ms of imports) is imported only when there is something to
migrate. The migration files stay the one source of truth; a test checks this reading
against alembic's ``ScriptDirectory``.
"""
from __future__ import annotations

import logging
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DatabaseError
from core.resources import MIGRATIONS_DIR
from db.backup import (
    backup,  # noqa: F401 - kept importable from here (older callers, tests)
    backup_before_change,
)
from db.readonly import connect_read_only
from db.session import ZIZHU_TABLES, Database, foreign_file_error, refuse_foreign, translate_error

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = MIGRATIONS_DIR

# `revision = '0008'`, `down_revision = '0007'` / `None` (optionally annotated, as newer templates write)
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)\s*$", re.M)


def _config() -> Config:
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@lru_cache(maxsize=1)
def revision_graph() -> dict[str, str | None]:
    """Each migration's revision and the one it revises, read from the files' text."""
    graph: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = {name: value or None for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8"))}
        if found.get("revision"):
            graph[str(found["revision"])] = found.get("down_revision")
    return graph


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision: the one no other migration revises."""
    graph = revision_graph()
    heads = sorted(set(graph) - {down for down in graph.values() if down})
    if len(heads) != 1:      # a broken checkout (two branches): alembic's own answer, or its error
        from alembic.script import ScriptDirectory
        return ScriptDirectory.from_config(_config()).get_current_head() or ""
    return heads[0]


def known_revisions() -> frozenset[str]:
    return frozenset(revision_graph())


def _schema(db: Database) -> tuple[set[str], list[str]]:
    """The file's tables and the rows of its ``alembic_version``, read on a read-only connection: the
    refusals below come before anything touches the file (a connection of ``Database.reading`` or the
    engine would first switch it to WAL). A missing or empty file has neither."""
    p = Path(db.path)
    try:
        if not p.is_file() or p.stat().st_size == 0:
            return set(), []
    except OSError:
        return set(), []
    try:
        con = connect_read_only(p, timeout=db.timeout,
                              isolation_level=None)
        try:
            con.execute("BEGIN")        # one snapshot for both reads
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            rows = [str(r[0]) for r in con.execute("SELECT version_num FROM alembic_version")] \
                if "alembic_version" in tables else []
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.warning("reading the schema version failed: %s", exc)
        raise translate_error(exc, db.path, db.timeout) or exc from None
    return tables, rows


def _revision_of(db: Database, rows: list[str]) -> str | None:
    if len(rows) > 1:
        raise DatabaseError(f"数据库 {db.path} 的结构版本记录不唯一，程序没有改动它",
                            "请在“设置”页点“从备份恢复…”恢复最近的完好备份（命令行：python main.py restore --latest）")
    return rows[0] if rows else None


def current_revision(db: Database) -> str | None:
    """The revision stored in ``alembic_version`` (None for a new, empty database); read-only."""
    return _revision_of(db, _schema(db)[1])    # plain sqlite3: SQLAlchemy is not needed at the head


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; back up first when data exists. Another program's file and
    a newer Zizhu's are refused before anything is written to them or backed up."""
    tables, rows = _schema(db)
    refuse_foreign(db.path, tables)
    current = _revision_of(db, rows)
    if current is not None and current not in known_revisions():
        if not tables & ZIZHU_TABLES:
            raise foreign_file_error(db.path)
        log.warning("database revision %s unknown to this program", current)
        raise DatabaseError(f"数据库 {db.path} 由更新版本的资助助手创建（结构版本 {current}），本程序无法使用它，"
                            "数据库没有被改动",
                            "请安装最新版本的资助助手后再打开这个数据库")
    if current == head_revision() and revision == "head":
        return
    if tables:
        backup_before_change(db, reason=f"before-migration-{current or 'none'}")
    from alembic import command
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
