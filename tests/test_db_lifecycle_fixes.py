"""The database's life cycle, refusals and recoveries that lose nothing (review 3): a full disk while the
lock file is written, another program's file with a Zizhu table name, an older backup restored into the
open database, refusals that leave the file's bytes (and journal mode) as they were, a leftover rollback
journal, an emptied (0-byte) database with backups beside it."""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_faults import alembic_app_db

from cli.commands import run
from core.errors import DatabaseError
from db import integrity, lock
from db.backup import backup, list_backups
from db.migrate import current_revision, head_revision, upgrade
from db.session import ZIZHU_TABLES, DamagedDatabaseError, Database, EmptyDatabaseError, open_database

DATA = Path(__file__).resolve().parent / "data"


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def journal_mode(p: Path) -> str:
    con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return str(con.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        con.close()


def in_delete_mode(p: Path) -> Path:
    con = sqlite3.connect(p)
    try:
        assert con.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    finally:
        con.close()
    return p


@pytest.fixture
def school_db(tmp_path, home):
    p = tmp_path / "z.sqlite"
    assert run(["--db", str(p), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    return p


def student_names(p: Path) -> list[str]:
    con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT name FROM student ORDER BY id")]
    finally:
        con.close()


def add_students(p: Path, *names: str) -> None:
    from datetime import date

    from core.idnumber import make_id
    from core.records import ParsedRow
    from db.importing import apply_plan, plan_import
    d = open_database(p)
    try:
        rows = [ParsedRow(i, {"name": n, "id_number": (x := make_id("110101", date(2008, 5, 1), 100 + i)),
                              "id_raw": x, "stage": "普通高中", "category": "REGISTERED"})
                for i, n in enumerate(names)]
        with d.session() as s:
            apply_plan(s, plan_import(s, "students", rows, [], ["name", "id_number", "stage", "category"]))
    finally:
        d.close()


# -- 1. a full disk while the lock file gets its holder's details ------------------------------------------

def _lock_file_fd(fd: int, db_path: Path) -> bool:
    path = lock.lock_path(db_path.resolve())
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


@pytest.mark.parametrize("call", ["write", "ftruncate"])
def test_a_full_disk_writing_the_lock_holder_does_not_stop_the_command(tmp_path, school_db, monkeypatch, capsys,
                                                                        call):
    real = getattr(os, call)

    def full(fd, *args):
        if _lock_file_fd(fd, school_db):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, *args)
    monkeypatch.setattr(lock.os, call, full)
    usb = tmp_path / "usb"
    usb.mkdir()
    assert run(["--db", str(school_db), "backup", str(usb)]) == 0, capsys.readouterr().err
    assert "已备份到" in capsys.readouterr().out and len(list(usb.iterdir())) == 1
    assert not lock.is_held(school_db)          # given back at the command's end
    d = open_database(school_db)                # and taken again in the same process
    try:
        assert lock.is_held(school_db)
        assert lock.lock_path(school_db).read_bytes() == b""     # nothing half written
    finally:
        d.close()
    assert not lock.is_held(school_db)
    monkeypatch.undo()
    d = open_database(school_db)
    d.close()


# -- 2. another program's SQLite file with a table named like one of Zizhu's ------------------------------

def foreign_file(p: Path, table: str) -> Path:
    con = sqlite3.connect(p)
    con.execute(f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, name TEXT)')
    con.execute(f'INSERT INTO "{table}" (name) VALUES (\'x\')')
    con.commit()
    con.close()
    return p


@pytest.mark.parametrize("table", sorted(ZIZHU_TABLES))
def test_another_programs_file_with_a_zizhu_table_name_is_refused_unchanged(tmp_path, home, table, capsys):
    other = foreign_file(tmp_path / "other.sqlite", table)
    before = digest(other)
    with pytest.raises(DatabaseError, match="其他程序的 SQLite 数据库"):
        open_database(other)
    assert run(["--db", str(other), "compute"]) == 2
    assert "其他程序" in capsys.readouterr().err
    assert digest(other) == before and journal_mode(other) == "delete"
    assert not (tmp_path / "backups").exists() and not lock.is_held(other)


def test_upgrade_refuses_another_programs_file_before_its_backup(tmp_path):
    other = foreign_file(tmp_path / "other.sqlite", "student")
    before = digest(other)
    d = Database(other)
    try:
        with pytest.raises(DatabaseError, match="其他程序"):
            upgrade(d)
    finally:
        d.close()
    assert digest(other) == before and not (tmp_path / "backups").exists()


def test_every_zizhu_database_has_alembic_version_with_its_tables(tmp_path):
    """What the refusal above relies on: every frozen schema (0001 on) and a new database."""
    frozen = sorted(DATA.glob("schema-*.sqlite"))
    assert any(f.name == "schema-0001.sqlite" for f in frozen)
    for f in frozen:
        copy = tmp_path / f.name
        for side in ("", "-wal"):
            if f.with_name(f.name + side).exists():
                shutil.copy(f.with_name(f.name + side), copy.with_name(copy.name + side))
        found = integrity.probe(copy)
        assert found.error is None and "alembic_version" in found.tables and found.tables & ZIZHU_TABLES, f.name
    d = open_database(tmp_path / "new.sqlite")
    d.close()
    assert "alembic_version" in integrity.probe(tmp_path / "new.sqlite").tables


# -- 3. an older-schema backup restored into the open database (设置 › 备份与恢复) ---------------------------

def test_restoring_an_older_schema_backup_in_settings_migrates_it(tmp_path, home):
    from db import usecases
    from db.workflows import counts
    from gui.backup_box import restore_into
    p = tmp_path / "z.sqlite"
    shutil.copy(DATA / "schema-0001.sqlite", p)
    d = open_database(p)             # migrated, after its before-migration backup
    try:
        old = next(b for b in list_backups(p) if "before-migration-0001" in b.name)
        students = counts(d)["students"]
        result = restore_into(d, old)
        assert result.previous is not None
        assert current_revision(d) == head_revision()
        assert counts(d)["students"] == students
        usecases.check(d)          # reads and writes the tables of the newer schema
    finally:
        d.close()
    assert any("before-migration-0001" in b.name for b in list_backups(p)[:2])   # the upgrade's own


# -- 4. refusals leave the file as it was: bytes and journal mode --------------------------------------------

def test_a_newer_database_in_delete_mode_is_refused_with_its_bytes_unchanged(tmp_path, school_db, capsys):
    in_delete_mode(school_db)
    con = sqlite3.connect(school_db)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    before = digest(school_db)
    with pytest.raises(DatabaseError, match="更新版本"):
        open_database(school_db)
    assert run(["--db", str(school_db), "compute"]) == 2 and "更新版本" in capsys.readouterr().err
    assert digest(school_db) == before and journal_mode(school_db) == "delete"
    assert not school_db.with_name("z.sqlite-wal").exists()


def test_a_foreign_alembic_database_in_delete_mode_is_refused_with_its_bytes_unchanged(tmp_path, home):
    other = alembic_app_db(tmp_path / "alembic-app.db")
    before = digest(other)
    with pytest.raises(DatabaseError, match="其他程序"):
        open_database(other)
    assert digest(other) == before and journal_mode(other) == "delete"


def test_reading_the_revision_does_not_change_a_delete_mode_file(tmp_path, school_db):
    in_delete_mode(school_db)
    before = digest(school_db)
    d = Database(school_db)
    try:
        assert current_revision(d) == head_revision()
    finally:
        d.close()
    assert digest(school_db) == before and journal_mode(school_db) == "delete"


# -- 6. a rollback journal left by another tool -------------------------------------------------------------

def leave_hot_journal(p: Path) -> None:
    """Another tool, writing in DELETE mode, stops in the middle of a transaction (pages already
    written to the file, the journal holding the old ones)."""
    in_delete_mode(p)
    code = textwrap.dedent(f"""
        import os, sqlite3
        con = sqlite3.connect({str(p)!r}, isolation_level=None)
        con.execute("PRAGMA cache_size=10")
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE student SET name = name || '（半途）'")
        con.execute("CREATE TABLE scratch (b BLOB)")
        for _ in range(300):
            con.execute("INSERT INTO scratch VALUES (randomblob(4000))")
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_leftover_rollback_journal_is_rolled_back_and_the_database_opens(tmp_path, school_db, capsys):
    add_students(school_db, "张丽", "李四")
    leave_hot_journal(school_db)
    journal = school_db.with_name("z.sqlite-journal")
    assert journal.stat().st_size > 0
    assert "readonly" in str(integrity.probe(school_db).error)       # what the read-only check meets
    assert run(["--db", str(school_db), "compute"]) == 0, capsys.readouterr().err
    assert not journal.exists()
    assert student_names(school_db) == ["张丽", "李四"]               # the committed data, not the half-way
    d = open_database(school_db)
    d.close()


# -- 7. an emptied (0-byte) database with backups beside it --------------------------------------------------

@pytest.fixture
def emptied(school_db):
    add_students(school_db, "张丽", "李四")
    good = backup(school_db, reason="t")
    school_db.write_bytes(b"")
    return school_db, good


def test_an_emptied_database_with_backups_is_refused_naming_the_newest_good_one(tmp_path, emptied, capsys):
    p, good = emptied
    with pytest.raises(EmptyDatabaseError) as err:
        open_database(p)
    assert isinstance(err.value, DamagedDatabaseError) and err.value.backup == good
    assert good.name in err.value.message and "restore --latest" in err.value.hint
    assert run(["--db", str(p), "compute"]) == 2 and "空文件" in capsys.readouterr().err
    assert p.stat().st_size == 0 and list_backups(p) == [good]
    assert not lock.is_held(p)
    assert run(["--db", str(p), "restore", "--latest"]) == 0
    assert student_names(p) == ["张丽", "李四"]


def test_an_emptied_database_without_a_good_backup_is_still_refused(tmp_path, emptied):
    p, good = emptied
    good.write_bytes(b"not a database")
    with pytest.raises(EmptyDatabaseError, match="空文件") as err:
        open_database(p)
    assert err.value.backup is None and p.stat().st_size == 0


def test_an_empty_file_without_backups_is_still_a_new_database(tmp_path, home):
    p = tmp_path / "new.sqlite"
    p.write_bytes(b"")
    d = open_database(p)
    try:
        assert current_revision(d) == head_revision()
    finally:
        d.close()


def test_the_gui_start_offers_the_backup_of_an_emptied_database(tmp_path, emptied, monkeypatch, shown):
    from db.workflows import counts
    from gui import app
    p, _good = emptied
    asked: list[str] = []
    monkeypatch.setattr(app, "ask_restore", lambda message: asked.append(message) or True)
    d = app.open_for_gui(p)
    assert d is not None
    try:
        assert "空文件" in asked[0] and "学生 2 人" in asked[0] and "damaged" not in asked[0]
        assert counts(d)["students"] == 2
    finally:
        d.close()
