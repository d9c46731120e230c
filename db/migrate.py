"""Schema migrations with alembic, run from code, after an automatic backup.

A database written by a newer Zizhu (an alembic revision this program does not
know) is refused before anything is written or backed up.

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
from functools import lru_cache
from typing import TYPE_CHECKING

from core.errors import DatabaseError
from core.resources import MIGRATIONS_DIR
from db.backup import (
    backup,  # noqa: F401 - kept importable from here (older callers, tests)
    backup_before_change,
)
from db.session import ZIZHU_TABLES, Database

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


def current_revision(db: Database) -> str | None:
    """The revision stored in ``alembic_version`` (None for a new, empty database)."""
    with db.reading() as con:       # plain sqlite3: SQLAlchemy is not needed to open a database at the head
        if con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
                       ).fetchone() is None:
            return None
        rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
    if len(rows) > 1:
        raise DatabaseError(f"数据库 {db.path} 的结构版本记录不唯一，程序没有改动它",
                            "请用“从备份恢复”恢复最近的完好备份：python main.py restore --latest")
    return str(rows[0][0]) if rows else None


def _tables(db: Database) -> set[str]:
    with db.reading() as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; back up first when data exists."""
    current = current_revision(db)
    if current is not None and current not in known_revisions():
        if not _tables(db) & ZIZHU_TABLES:
            raise DatabaseError(f"文件 {db.path} 是其他程序的 SQLite 数据库，不是资助助手的数据库，程序没有改动它",
                                "请选择资助助手的数据库文件，或指定一个新的文件名来创建数据库")
        log.warning("database revision %s unknown to this program", current)
        raise DatabaseError(f"数据库 {db.path} 由更新版本的资助助手创建（结构版本 {current}），本程序无法使用它，"
                            "数据库没有被改动",
                            "请安装最新版本的资助助手后再打开这个数据库")
    if current == head_revision() and revision == "head":
        return
    if _tables(db):
        backup_before_change(db, reason=f"before-migration-{current or 'none'}")
    from alembic import command
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
