"""Schema migrations with alembic, run from code, after an automatic backup.

A database written by a newer Zizhu (an alembic revision this program does not
know) is refused before anything is written or backed up.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.errors import DatabaseError
from core.resources import MIGRATIONS_DIR
from db.backup import (
    backup,  # noqa: F401 - kept importable from here (older callers, tests)
    backup_before_change,
)
from db.session import ZIZHU_TABLES, Database

log = logging.getLogger(__name__)
MIGRATIONS = MIGRATIONS_DIR


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions())


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}


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
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
