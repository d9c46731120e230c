"""A new database is made with 16 KB pages (``db.session.PAGE_SIZE``); one made earlier keeps its own.
Either way the WAL is checkpointed once it holds about 4 MB (``CHECKPOINT_BYTES``), as SQLite's default
does for 4 KB pages: the larger pages do not widen what a power cut may take back."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from db.session import CHECKPOINT_BYTES, PAGE_SIZE, open_database

DATA = Path(__file__).parent / "data"


def _settings(db) -> tuple[int, int]:
    with db.engine.connect() as conn:
        return (conn.exec_driver_sql("PRAGMA page_size").scalar_one(),
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_a_new_database_has_16_kb_pages_and_a_4_mb_checkpoint(tmp_path):
    db = open_database(tmp_path / "new.sqlite")
    try:
        assert PAGE_SIZE == 16384
        assert _settings(db) == (16384, CHECKPOINT_BYTES // 16384) == (16384, 256)
    finally:
        db.close()
    con = sqlite3.connect(tmp_path / "new.sqlite")       # in the file itself, for every reader
    assert con.execute("PRAGMA page_size").fetchone() == (16384,)
    con.close()


def test_a_database_made_earlier_keeps_its_pages(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copy(DATA / "schema-0010.sqlite", path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA page_size").fetchone() == (4096,)
    students = con.execute("SELECT count(*) FROM student").fetchone()
    con.close()
    db = open_database(path)           # migrated to the head (a backup first), the pages as they were
    try:
        assert _settings(db) == (4096, 1024)
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM student").one() == students
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    finally:
        db.close()
