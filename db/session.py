"""One engine and one sessionmaker per database file; a session per user action."""
from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DatabaseError

log = logging.getLogger(__name__)


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=15000")   # wait for a background write instead of failing
    cur.close()


class Database:
    """An open database file. ``session()`` gives a transaction per user action."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.engine: Engine = create_engine(f"sqlite:///{self.path}")
        event.listen(self.engine, "connect", _on_connect)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit on success, roll back on any error: all or nothing."""
        with self._factory() as session:
            try:
                yield session
                session.commit()
            except Exception:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()


def open_database(path: str | Path, migrate: bool = True) -> Database:
    """Open (creating if needed) the database at ``path`` and bring its schema
    to the latest version, after a backup when there was data to protect."""
    from db.migrate import upgrade

    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"无法创建数据库所在文件夹 {p.parent}：{exc.strerror}",
                            "请检查路径和写入权限") from None
    if p.exists() and p.stat().st_size > 0:
        with open(p, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise DatabaseError(f"文件 {p} 不是资助助手的数据库", "请选择正确的数据库文件（.sqlite）")
    db = Database(p)
    if migrate:
        upgrade(db)
    return db
