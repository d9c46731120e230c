"""Backups are never another school's, never misordered by a wrong clock, and restore exactly what was
inspected (review of session 16: twins of one stem, the PC clock, a copy with its -wal, a full disk)."""
import contextlib
import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import numbered_students_file
from test_faults import damage

from cli.commands import run
from core import paths
from core.errors import DatabaseError
from core.idnumber import make_id
from db import backup as bk
from db.session import DamagedDatabaseError, open_database

IDS = [make_id("110101", date(2009, 3, 1 + i), 400 + i) for i in range(10)]


ROOT = Path(__file__).resolve().parent.parent


def school_db(path: Path, name: str, code: str, students: int = 0) -> Path:
    assert run(["--db", str(path), "init", "--school", name, "--code", code, "--school-year", "2023"]) == 0
    if students:
        f = numbered_students_file(path.with_name(path.name + ".xlsx"), IDS, students)
        assert run(["--db", str(path), "import", "students", str(f)]) == 0
    return path


def school_of(p: Path) -> tuple[str, str, int]:
    con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    try:
        name, code = con.execute("SELECT name, code FROM school").fetchone()
        return name, code, con.execute("SELECT count(*) FROM student").fetchone()[0]
    finally:
        con.close()


def stamped(folder: Path, key: str, when: datetime, reason: str = "start", like: Path | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    p = folder / f"{key}-{when.strftime(bk.STAMP_FORMAT)}-{reason}.sqlite"
    p.write_bytes(like.read_bytes() if like else b"")
    return p


# -- 1. 学校.db never takes the backups of 学校.sqlite (another school), moved away ----------------------

@pytest.fixture
def twins(tmp_path):
    """甲 (学校.db, code 111, 2 students) and 乙 (学校.sqlite, code 222, 5 students), each backed up; then
    学校.sqlite leaves the folder (to a USB stick): its backups, named 学校-…, now match 学校.db's stem."""
    a = school_db(tmp_path / "学校.db", "甲学校", "111", students=2)
    b = school_db(tmp_path / "学校.sqlite", "乙学校", "222", students=5)
    mine = bk.backup(a, reason="manual")
    theirs = bk.backup(b, reason="manual")                  # the newer
    (tmp_path / "usb").mkdir()
    b.rename(tmp_path / "usb" / b.name)
    assert theirs in bk.list_backups(a) and bk.list_backups(a)[0] == theirs   # listed as a legacy one
    return a, mine, theirs


def test_restore_latest_of_a_db_file_never_restores_another_school(twins, capsys):
    a, mine, theirs = twins
    capsys.readouterr()
    assert run(["--db", str(a), "restore", "--latest"]) == 0
    out = capsys.readouterr().out
    assert "甲学校" in out and "乙学校" not in out
    assert school_of(a) == ("甲学校", "111", 2)
    assert bk.inspect_backup(theirs).code == "222" and bk.inspect_backup(mine).code == "111"


def test_a_db_file_s_prune_leaves_the_stem_named_backups(twins):
    a, _mine, _theirs = twins
    folder = bk.backups_dir(a)
    stem_named = sorted(p for p in folder.iterdir() if p.name.startswith("学校-"))
    assert len(stem_named) == 2                 # 乙's before-import and manual backups
    for _ in range(3):
        bk.backup(a)
    removed = bk.prune(a, keep=1, days=0)
    assert removed and all(p.name.startswith("学校.db-") for p in removed)
    assert sorted(p for p in folder.iterdir() if p.name.startswith("学校-")) == stem_named


def test_a_damaged_db_file_is_offered_only_its_own_backups(twins):
    a, mine, theirs = twins
    damage(a)
    assert bk.newest_good_backup(a) == mine                  # not 乙's, newer
    with pytest.raises(DamagedDatabaseError) as err:
        open_database(a)
    assert err.value.backup == mine and theirs.name not in err.value.message
    for p in bk.list_backups(a):
        if p.name.startswith("学校.db-"):
            p.unlink()
    assert bk.newest_good_backup(a) is None                  # the stem-named ones may be anyone's


def test_a_stem_named_backup_of_the_same_school_is_still_restored(tmp_path):
    a = school_db(tmp_path / "学校.db", "甲学校", "111", students=2)
    legacy = stamped(bk.backups_dir(a), "学校", datetime.now() - timedelta(days=1), like=bk.backup(a))
    for p in bk.list_backups(a):
        if p != legacy:
            p.unlink()
    assert bk.newest_good_backup(a) == legacy                # before session 15's naming, same code
    con = sqlite3.connect(a)
    con.execute("UPDATE school SET code = '999'")            # another school's file under that name
    con.commit()
    con.close()
    assert bk.newest_good_backup(a) is None


# -- 2. the clock ----------------------------------------------------------------------------------------

def test_a_backup_stamped_in_the_future_neither_stops_the_start_backup_nor_is_restored(tmp_path, capsys):
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115")
    folder = bk.backups_dir(p)
    ahead = stamped(folder, "z", datetime.now() + timedelta(days=365), like=bk.backup(p))   # clock a year ahead
    for other in bk.list_backups(p):
        if other != ahead:
            other.unlink()
    db = open_database(p)
    try:
        took = bk.backup_if_due(db)
    finally:
        db.close()
    assert took is not None and took.exists()
    f = numbered_students_file(tmp_path / "s.xlsx", IDS, 3)
    assert run(["--db", str(p), "import", "students", str(f)]) == 0
    today = bk.backup(p, reason="manual")
    assert bk.list_backups(p)[0] == today and bk.list_backups(p)[-1] == ahead
    assert bk.newest_good_backup(p) == today
    capsys.readouterr()
    assert run(["--db", str(p), "restore", "--latest"]) == 0
    assert "学生 3 人" in capsys.readouterr().out
    assert school_of(p)[2] == 3


def test_after_the_clock_falls_back_today_s_backups_are_kept(tmp_path):
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115")
    for old in bk.list_backups(p):
        old.unlink()
    folder = bk.backups_dir(p)
    month = [stamped(folder, "z", datetime(2026, 11, 2 + day, 8, 0)) for day in range(25)]
    now = datetime(2000, 1, 1, 10, 0)                       # a flat CMOS battery
    before_first_import = stamped(folder, "z", datetime(2000, 1, 1, 9, 0), "before-import-students")
    before_second = stamped(folder, "z", now, "before-import-students")
    removed = bk.prune(p, now=now)
    assert before_first_import.exists() and before_second.exists()
    assert bk.list_backups(p, now=now)[:3] == [before_second, before_first_import, month[-1]]
    assert set(removed) == set(month[:7])                   # the 20 kept: today's two, the 18 newest of the rest
    assert len(bk.list_backups(p, now=now)) == bk.KEEP_NEWEST


def test_a_start_backup_is_due_when_the_only_recent_one_is_stamped_ahead(tmp_path):
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115")
    now = datetime.now()
    for old in bk.list_backups(p):
        old.unlink()
    made = bk.backup(p)
    stamped(bk.backups_dir(p), "z", now + timedelta(hours=1), like=made)   # an hour ahead
    made.unlink()
    db = open_database(p)
    try:
        assert bk.backup_if_due(db, now=now) is not None                          # an hour ahead: not recent
        assert bk.backup_if_due(db, now=datetime.now() + timedelta(minutes=1)) is None   # the one just taken is
    finally:
        db.close()


# -- 3. restore reads the backup as it was inspected, with its -wal -----------------------------------

def test_restore_of_a_copy_with_its_wal_restores_what_was_inspected(tmp_path):
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115", students=3)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(p, work / "z.sqlite")
    stick = tmp_path / "usb"
    stick.mkdir()
    con = sqlite3.connect(work / "z.sqlite")
    try:
        assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("UPDATE student SET name = '张三（改正）' WHERE id = (SELECT min(id) FROM student)")
        con.execute("DELETE FROM student WHERE id = (SELECT max(id) FROM student)")
        con.commit()
        for name in ("z.sqlite", "z.sqlite-wal", "z.sqlite-shm"):     # the power cut: copied as they are
            shutil.copy(work / name, stick / name)
    finally:
        con.close()
    assert (stick / "z.sqlite-wal").stat().st_size > 0
    copy = stick / "z.sqlite"
    main_bytes = copy.read_bytes()
    info = bk.inspect_backup(copy)
    assert info.students == 2
    result = bk.restore(p, copy)
    assert result.restored.students == 2 and result.previous is not None
    con = sqlite3.connect(p)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM student ORDER BY id")]
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()
    assert len(names) == 2 and names[0] == "张三（改正）"
    assert mode == "delete"                                  # a single self-contained file, as a backup
    assert copy.read_bytes() == main_bytes                   # the copy on the stick is not written


# -- 4. a full disk is the backup's --------------------------------------------------------------------

def _full(kind):
    if kind == "sqlite":
        return sqlite3.OperationalError("database or disk is full")
    return OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("kind", ["sqlite", "os"])
def test_a_full_disk_names_the_backup_being_written_not_the_database(tmp_path, monkeypatch, kind):
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115")

    def full(*_args):
        raise _full(kind)
    monkeypatch.setattr(bk, "_table_counts" if kind == "sqlite" else "_fsync", full)
    with pytest.raises(DatabaseError) as err:
        bk.backup(p, reason="t")
    msg, hint = err.value.message, err.value.hint
    assert msg.startswith(f"无法写入备份 {bk.backups_dir(p) / 'z-'}") and "磁盘空间已满" in msg
    assert str(p) not in msg and "无法写入数据库" not in msg
    assert str(bk.backups_dir(p)) in hint and "清理" in hint


def test_a_damaged_source_is_still_named(tmp_path, monkeypatch):
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115")

    def malformed(*_args):
        raise sqlite3.DatabaseError("database disk image is malformed")
    monkeypatch.setattr(bk, "_table_counts", malformed)
    with pytest.raises(DatabaseError) as err:
        bk.backup(p, reason="t")
    assert "无法写入备份" in err.value.message and f"数据库文件 {p}" in err.value.message
    assert "已损坏" in err.value.message


def test_a_full_disk_during_a_restore_leaves_the_database(tmp_path, monkeypatch):
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115", students=2)
    good = bk.backup(p, reason="t")
    monkeypatch.setattr(bk, "_fsync", lambda _p: (_ for _ in ()).throw(_full("os")))
    with pytest.raises(DatabaseError) as err:
        bk.restore(p, good)
    assert err.value.message == f"无法恢复备份到 {p}：磁盘空间已满，恢复没有完成"
    assert str(tmp_path) in err.value.hint
    assert school_of(p) == ("第一中学", "4115", 2) and not list(tmp_path.glob(".*tmp*"))


@contextlib.contextmanager
def held_by_a_scan(monkeypatch, held: Callable[[Path], bool]) -> Iterator[None]:
    """Windows while an antivirus scan holds the files ``held`` names: they can be neither renamed
    (``os.replace``) nor removed; no waiting before the failure stands."""
    monkeypatch.setattr(paths, "REPLACE_WAITS", ())
    real_replace, real_unlink = os.replace, Path.unlink

    def replace(src, dst):
        if held(Path(src)):
            raise PermissionError(32, "being scanned")
        real_replace(src, dst)

    def unlink(self, missing_ok=False):
        if held(self) and self.exists():
            raise PermissionError(32, "being scanned")
        real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    try:
        yield
    finally:
        monkeypatch.setattr(Path, "unlink", real_unlink)
        monkeypatch.setattr(os, "replace", real_replace)


def test_a_restore_copy_windows_will_not_let_go_of_leaves_the_restore_s_own_error(tmp_path, monkeypatch):
    """Windows: the restore's copy cannot be renamed over the database nor removed (an antivirus scan
    holds it): the clerk is told the restore failed, and the database is as it was."""
    p = school_db(tmp_path / "z.sqlite", "第一中学", "4115", students=2)
    good = bk.backup(p, reason="t")
    with held_by_a_scan(monkeypatch, lambda path: path.name.startswith(".z.sqlite.restore.tmp")), \
            pytest.raises(DatabaseError) as err:
        bk.restore(p, good)
    assert err.value.message.startswith(f"无法恢复备份到 {p}：") and "请检查" in err.value.hint
    assert school_of(p) == ("第一中学", "4115", 2)


_KILLED_IN_BACKUP = """
import os, signal, sys
import db.backup as b
b.check_copy = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)     # the copy written, not yet renamed
from cli.commands import run
run(["--db", sys.argv[1], "backup", sys.argv[2]])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_backup_into_a_folder_killed_mid_copy_leaves_nothing_after_the_next_start(tmp_path, monkeypatch):
    """`backup FOLDER` (a USB stick) killed after SQLite wrote the copy: the next start's sweep removes
    it (privacy review, session 17: a whole database of children's data stayed on the stick)."""
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    db = school_db(tmp_path / "a.sqlite", "甲学校", "111", students=3)
    usb = tmp_path / "usb"
    usb.mkdir()
    res = subprocess.run([sys.executable, "-c", _KILLED_IN_BACKUP, str(db), str(usb)], cwd=ROOT,
                         env={**os.environ, "ZIZHU_HOME": str(tmp_path / "home")}, timeout=120)
    assert res.returncode == -signal.SIGKILL
    left = list(usb.iterdir())
    assert left and all(p.name.startswith(".~") for p in left)      # the copy, under its temporary name
    assert paths.sweep_stale_temp() >= 1                             # the next start
    assert list(usb.iterdir()) == []


def test_a_backup_copy_windows_will_not_let_go_of_stays_registered(tmp_path, monkeypatch):
    """Windows: the finished copy on a USB stick cannot be renamed nor removed (an antivirus scan holds
    it). The backup fails with its own message, and the copy — every child's data — stays registered,
    so the next start's sweep removes it."""
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(paths, "_process_tmp", None)
    db = school_db(tmp_path / "a.sqlite", "甲学校", "111", students=3)
    usb = tmp_path / "usb"
    usb.mkdir()
    with held_by_a_scan(monkeypatch, lambda path: path.parent == usb and path.name.startswith(".~")), \
            pytest.raises(DatabaseError) as err:
        bk.backup(db, reason="t", target=usb)
    assert err.value.message.startswith(f"无法写入备份 {usb}") and "请检查" in err.value.hint
    [copy] = list(usb.iterdir())
    registered = [p.read_text(encoding="utf-8") for p in paths.temp_root().glob("pending-*.path")]
    assert str(copy) in registered and not any(r.endswith("-journal") for r in registered)   # (removed: ended)
    for marker in paths.temp_root().glob("pending-*.path"):         # as the next start finds them
        marker.rename(marker.with_name(f"pending-999999999-{marker.name.split('-', 2)[2]}"))
    assert paths.sweep_stale_temp() >= 1 and list(usb.iterdir()) == []


def test_on_windows_a_database_named_in_other_capitals_finds_its_own_backups(tmp_path, monkeypatch):
    """Windows names files without regard to case: `--db School.sqlite` opens school.sqlite, and its
    backups are offered and pruned; on Linux they are two files, two sets of backups."""
    p = school_db(tmp_path / "school.sqlite", "第一中学", "4115")
    taken = bk.backup(p, reason="t")
    other_case = tmp_path / "School.sqlite"
    assert bk.list_backups(other_case) == []                    # Linux: another file
    monkeypatch.setattr(bk, "CASELESS_NAMES", True)
    assert bk.list_backups(other_case) == bk.list_backups(p) and taken in bk.list_backups(other_case)
