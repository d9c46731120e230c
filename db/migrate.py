"""Schema migrations with alembic, run from code, after an automatic backup."""
from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.session import Database

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
KEEP_BACKUPS = 10


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup(db: Database, reason: str = "backup", keep: int = KEEP_BACKUPS) -> Path:
    """Copy the database with SQLite's online backup API into ``backups/``
    beside it; keep the newest ``keep`` copies."""
    folder = db.path.parent / "backups"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{db.path.stem}-{stamp}-{reason}.sqlite"
    src = sqlite3.connect(db.path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    olds = sorted(folder.glob(f"{db.path.stem}-*.sqlite"))
    for old in olds[:-keep]:
        old.unlink(missing_ok=True)
    log.info("backup written: %s", target.name)
    return target


def _has_tables(db: Database) -> bool:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type='table'").scalar()
    return bool(rows)


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; back up first when data exists."""
    current = current_revision(db)
    if current == head_revision() and revision == "head":
        return
    if _has_tables(db):
        backup(db, reason=f"before-migration-{current or 'none'}")
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
