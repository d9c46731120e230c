"""Backups: when they are made, how they are kept and checked, restoring (CLI and 设置)."""
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import numbered_students_file

from cli.commands import run
from core.errors import DatabaseError
from core.idnumber import make_id
from db import backup as bk
from db.session import open_database

IDS = [make_id("110101", date(2008, 2, 1 + i), 300 + i) for i in range(20)]


def students_file(path, n):
    return numbered_students_file(path, IDS, n)


def student_count(p):
    con = sqlite3.connect(p)
    try:
        return con.execute("SELECT count(*) FROM student").fetchone()[0]
    finally:
        con.close()


def reasons(p):
    return [b.name.split("-", 4)[-1].removesuffix(".sqlite") for b in bk.list_backups(p)]


@pytest.fixture
def dbp(tmp_path):
    p = tmp_path / "z.sqlite"
    assert run(["--db", str(p), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    return p


def test_backup_is_verified_atomic_and_complete(dbp, tmp_path):
    run(["--db", str(dbp), "import", "students", str(students_file(tmp_path / "s.xlsx", 5))])
    out = bk.backup(dbp, reason="t")
    assert out.parent == tmp_path / "backups"
    assert not list(out.parent.glob(".*.tmp"))
    con = sqlite3.connect(out)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"   # one self-contained file
    con.close()
    assert student_count(out) == 5
    assert bk.inspect_backup(out).students == 5 and bk.inspect_backup(out).school == "第一中学"


def test_a_backup_that_fails_its_check_leaves_nothing(dbp, monkeypatch):
    def bad(path, expected=None):
        raise DatabaseError("备份文件校验未通过", "")
    monkeypatch.setattr(bk, "check_copy", bad)
    with pytest.raises(DatabaseError, match=r"无法写入备份|校验未通过"):
        bk.backup(dbp, reason="t")
    folder = dbp.parent / "backups"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_kept_newest_twenty_plus_one_per_day_for_thirty_days(dbp):
    folder = bk.backups_dir(dbp)
    folder.mkdir(exist_ok=True)
    now = datetime(2026, 12, 1, 12, 0)
    made = []
    for day in range(40):            # three a day for 40 days, none after ``now`` (see test_backup_safety.py)
        for hour in (10, 11, 12):
            t = now - timedelta(days=day) + timedelta(hours=hour - 12)
            p = folder / f"z-{t.strftime(bk.STAMP_FORMAT)}-t.sqlite"
            p.write_bytes(b"")
            made.append(p)
    bk.prune(dbp, now=now)
    kept = bk.list_backups(dbp)
    newest = sorted(made, reverse=True)
    assert newest[:20] == kept[:20]
    days = {bk.taken_at(p).date() for p in kept}
    assert len(days) == 31 and len(kept) == 20 + (31 - 7)   # the newest 20 span today and 6 more days
    assert min(days) == (now - timedelta(days=30)).date()


def test_an_old_backup_that_cannot_be_deleted_is_kept_and_the_change_goes_on(dbp, monkeypatch):
    """Windows refuses to delete a backup another program holds open (a second window opened it): the
    prune's PermissionError stopped every import, policy change and start backup."""
    folder = bk.backups_dir(dbp)
    folder.mkdir(exist_ok=True)
    old = [folder / f"z-{(datetime.now() - timedelta(days=40 + i)).strftime(bk.STAMP_FORMAT)}-t.sqlite"
           for i in range(30)]
    for p in old:
        p.write_bytes(b"")
    held = old[-1]
    real = Path.unlink

    def unlink(self, missing_ok=False):
        if self == held:
            raise PermissionError(32, "另一个程序正在使用此文件，进程无法访问。")
        return real(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, "unlink", unlink)
    taken = bk.backup(open_database(dbp, lock=False), reason="before-import-students")
    assert taken.exists() and held.exists()
    assert [p for p in old if p.exists()] == [*old[:bk.KEEP_NEWEST - 1], held]    # the others went as before
    assert held not in bk.prune(dbp)                          # and again: kept, said in the log only


def test_start_backup_at_most_once_in_twenty_hours(dbp, capsys):
    assert run(["--db", str(dbp), "compute"]) == 0          # reads only: no start backup
    assert run(["--db", str(dbp), "settings", "show"]) == 0
    assert run(["--db", str(dbp), "check"]) in (0, 1)        # writes only derived findings (tests/test_check_backup.py)
    assert reasons(dbp).count("start") == 0
    assert run(["--db", str(dbp), "settings", "set", "县名", "建始县"]) == 0    # changes what a clerk entered
    assert run(["--db", str(dbp), "settings", "set", "县名", "巴东县"]) == 0
    assert reasons(dbp).count("start") == 1
    db = open_database(dbp)
    try:
        later = datetime.now() + bk.START_INTERVAL + timedelta(minutes=1)
        assert bk.backup_if_due(db, now=later) is not None
    finally:
        db.close()


def test_backups_before_import_policy_change_and_payments(dbp, tmp_path):
    f = students_file(tmp_path / "s.xlsx", 3)
    assert run(["--db", str(dbp), "import", "students", str(f)]) == 0
    assert run(["--db", str(dbp), "import", "students", str(f), "--dry-run"]) == 0
    assert run(["--db", str(dbp), "policy", "set", "tuition_standard.普通高中", "1200"]) == 0
    got = reasons(dbp)
    assert got.count("before-import-students") == 1            # not for a dry run
    assert "start" not in got            # the import's own backup was the day's: not a second copy
    assert "before-policy" in got
    before_policy = next(b for b in bk.list_backups(dbp) if b.name.endswith("before-policy.sqlite"))
    assert student_count(before_policy) == 3


def test_empty_database_needs_no_backup(tmp_path):
    db = open_database(tmp_path / "new.sqlite")
    try:
        assert bk.backup_before_change(db, "before-import-students") is None
    finally:
        db.close()


def test_cli_backup_and_restore(dbp, tmp_path, capsys):
    assert run(["--db", str(dbp), "import", "students", str(students_file(tmp_path / "a.xlsx", 3))]) == 0
    target = tmp_path / "mine.sqlite"
    assert run(["--db", str(dbp), "backup", str(target)]) == 0
    assert "已备份到" in capsys.readouterr().out and student_count(target) == 3
    assert run(["--db", str(dbp), "import", "students", str(students_file(tmp_path / "b.xlsx", 8))]) == 0
    assert student_count(dbp) == 8
    assert run(["--db", str(dbp), "restore", str(target)]) == 0
    out = capsys.readouterr().out
    assert "已恢复备份" in out and "学生 3 人" in out and "恢复前的数据库已备份到" in out
    assert student_count(dbp) == 3
    previous = next(b for b in bk.list_backups(dbp) if b.name.endswith("before-restore.sqlite"))
    assert student_count(previous) == 8
    assert run(["--db", str(dbp), "compute"]) == 0


def test_restore_refuses_a_bad_backup_and_keeps_the_database(dbp, tmp_path, capsys):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    assert run(["--db", str(dbp), "restore", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "校验未通过" in err or "不是资助助手的备份" in err
    assert run(["--db", str(dbp), "restore"]) == 2
    assert "--latest" in capsys.readouterr().err
    assert run(["--db", str(tmp_path / "none.sqlite"), "restore", "--latest"]) == 2
    assert "没有找到" in capsys.readouterr().err
    assert run(["--db", str(dbp), "restore", str(tmp_path)]) == 2          # a folder: said to be one
    assert f"“{tmp_path}”是一个文件夹，不是备份文件" in capsys.readouterr().err
    assert run(["--db", str(dbp), "compute"]) == 0


def test_restore_refused_while_another_program_holds_the_database(dbp, tmp_path):
    import subprocess
    import sys
    root = Path(__file__).resolve().parent.parent
    good = bk.backup(dbp, reason="t")
    code = ("import sys, time; from db.session import open_database; open_database(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(dbp)], cwd=root, stdout=subprocess.PIPE, text=True,
                            env={"ZIZHU_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"})
    try:
        assert proc.stdout.readline().strip() == "held"
        assert run(["--db", str(dbp), "restore", str(good)]) == 2
    finally:
        proc.kill()
        proc.wait()


# -- 设置 › 备份与恢复 ------------------------------------------------------------------------------------

def test_settings_backup_now_and_status(qtbot, db, shown):
    from conftest import open_main_window
    from test_gui_students import fill_people

    from gui.main_window import SETTINGS
    fill_people(db)
    w = open_main_window(qtbot, db, SETTINGS)
    box = w.settings.backup_box
    box.backup_now()
    found = bk.list_backups(db.path)
    assert len(found) == 1 and found[0].name.endswith("-manual.sqlite")
    assert "校验通过" in box.message.text()
    assert str(bk.backups_dir(db.path)) in box.status.text() and found[0].name in box.status.text()


def test_a_policy_save_backs_up_first(qtbot, db, shown, monkeypatch):
    from conftest import open_main_window
    from test_gui_policy import save_parameter
    from test_gui_students import fill_people

    from gui.main_window import POLICY, SETTINGS
    fill_people(db)
    w = open_main_window(qtbot, db, POLICY)
    save_parameter(w.policy, monkeypatch, "tuition_standard.普通高中", "1200")
    assert [b for b in bk.list_backups(db.path) if b.name.endswith("before-policy.sqlite")]
    w.show_page(SETTINGS)
    assert "before-policy" in w.settings.backup_box.status.text()     # 设置 names the backup just taken


def test_settings_restore_asks_with_date_and_count_then_reloads(qtbot, db, shown, monkeypatch):
    from conftest import open_main_window
    from test_gui_students import fill_people

    from gui.main_window import SETTINGS
    fill_people(db)
    n_before = student_count(db.path)
    good = bk.backup(db, reason="t")
    with db.session() as s:
        from sqlalchemy import delete

        from db.models import Student
        s.execute(delete(Student))
    w = open_main_window(qtbot, db, SETTINGS)
    assert w.students.model.rowCount() == 0
    box = w.settings.backup_box
    asked = []
    monkeypatch.setattr(box, "choose_backup", lambda: good)
    monkeypatch.setattr(box, "confirm_restore", lambda info: asked.append(box.confirm_text(info)) or True)
    box.restore_from_backup()
    assert f"学生 {n_before} 人" in asked[0] and bk.taken_at(good).strftime("%Y-%m-%d %H:%M") in asked[0]
    assert student_count(db.path) == n_before
    assert w.students.model.rowCount() == n_before          # the window shows the restored data
    assert "已恢复" in box.message.text()


def test_settings_restore_declined_changes_nothing(qtbot, db, shown, monkeypatch):
    from conftest import open_main_window
    from test_gui_students import fill_people

    from gui.main_window import SETTINGS
    fill_people(db)
    good = bk.backup(db, reason="t")
    w = open_main_window(qtbot, db, SETTINGS)
    box = w.settings.backup_box
    monkeypatch.setattr(box, "choose_backup", lambda: good)
    monkeypatch.setattr(box, "confirm_restore", lambda info: False)
    box.restore_from_backup()
    assert not [b for b in bk.list_backups(db.path) if b.name.endswith("before-restore.sqlite")]
    assert box.restore_button.isEnabled()


def test_temporary_copies_left_by_a_killed_backup_or_restore_are_swept_at_open(dbp):
    folder = bk.backups_dir(dbp)
    folder.mkdir(exist_ok=True)
    leftovers = [folder / ".z-20261201-101010-000001-start.sqlite.tmp",      # (the name before session 9)
                 folder / ".z-20261201-101010-000001-start.sqlite.tmp-journal",
                 folder / ".z-20261201-101010-000001-start.sqlite.4242-139876.tmp",
                 folder / ".z-20261201-101010-000001-start.sqlite.4242-139876.tmp-journal",
                 dbp.with_name(".z.sqlite.restore.tmp")]
    for p in leftovers:
        p.write_bytes(b"personal data")
    unrelated = folder / ".other-20261201-101010-000001-start.sqlite.tmp"
    unrelated.write_bytes(b"x")
    open_database(dbp).close()
    assert not any(p.exists() for p in leftovers) and unrelated.exists()


def test_two_backups_to_one_name_at_once_both_succeed(dbp, tmp_path, monkeypatch):
    """Two imports started at once can stamp their backups with the same microsecond: each writes,
    checks and renames its own temporary file (once a test of two processes failed: 'No such file')."""
    import threading
    target = tmp_path / "same-name.sqlite"
    both_written = threading.Barrier(2, timeout=10)
    real = bk._fsync

    def fsync_when_both_wrote(path):
        both_written.wait()               # neither renames before the other has written its copy
        real(path)
    monkeypatch.setattr(bk, "_fsync", fsync_when_both_wrote)
    errors: list[BaseException] = []

    def copy():
        try:
            bk._copy_database(dbp, target)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
    threads = [threading.Thread(target=copy) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and bk.inspect_backup(target).school
    assert not list(tmp_path.glob(".*tmp*"))


def _school_db(path: Path, name: str) -> Path:
    assert run(["--db", str(path), "init", "--school", name, "--code", "4115", "--school-year", "2023"]) == 0
    return path


def test_two_databases_of_one_stem_keep_their_own_backups(tmp_path, capsys):
    """学校.db and 学校.sqlite in one folder (the GUI opens both kinds): a restore of one never takes the
    other's backup, and pruning one never removes the other's (found by review, session 15)."""
    a = _school_db(tmp_path / "学校.db", "甲校")
    b = _school_db(tmp_path / "学校.sqlite", "乙校")
    assert run(["--db", str(a), "backup"]) == 0
    assert bk.list_backups(a) and all(p.name.startswith("学校.db-") for p in bk.list_backups(a))
    assert bk.list_backups(b) == []
    assert run(["--db", str(b), "backup"]) == 0
    capsys.readouterr()
    assert run(["--db", str(b), "restore", "--latest"]) == 0
    assert "乙校" in capsys.readouterr().out
    theirs = bk.list_backups(a)
    for _ in range(3):
        bk.backup(b)
    bk.prune(b, keep=1, days=0)
    assert bk.list_backups(a) == theirs and len(bk.list_backups(b)) == 1
    legacy = bk.backups_dir(a) / "学校-20261201-101010-000001-start.sqlite"   # a stem-named backup of before
    legacy.write_bytes(bk.list_backups(a)[0].read_bytes())
    assert legacy in bk.list_backups(b) and legacy not in bk.list_backups(a)   # its .sqlite twin claims it


def test_a_stem_named_backup_of_a_db_file_is_still_found(tmp_path):
    a = _school_db(tmp_path / "学校.db", "甲校")
    bk.backup(a)
    legacy = bk.backups_dir(a) / "学校-20261201-101010-000001-start.sqlite"
    legacy.write_bytes(bk.list_backups(a)[0].read_bytes())
    assert legacy in bk.list_backups(a)          # no 学校.sqlite beside it: taken for this one


def test_the_sweep_leaves_another_database_s_backup_in_progress(tmp_path):
    a = _school_db(tmp_path / "学校.sqlite", "甲校")
    folder = bk.backups_dir(a)
    folder.mkdir(exist_ok=True)
    theirs = folder / ".学校-2-20261201-101010-000001-start.sqlite.4242-139876.tmp"
    mine = folder / ".学校-20261201-101010-000001-start.sqlite.4242-139876.tmp"
    theirs.write_bytes(b"x")
    mine.write_bytes(b"x")
    assert bk.sweep_stale(a) == [mine] and theirs.exists()


def test_a_database_without_an_extension_keeps_its_own_backups(tmp_path):
    a = _school_db(tmp_path / "学校", "甲校")
    b = _school_db(tmp_path / "学校.sqlite", "乙校")
    bk.backup(a)
    bk.backup(b)
    assert bk.list_backups(a) and bk.list_backups(b)
    assert not set(bk.list_backups(a)) & set(bk.list_backups(b))


def test_backups_flush_through_a_handle_windows_accepts(dbp, tmp_path, monkeypatch):
    """Windows' os.fsync (FlushFileBuffers) refuses a handle opened read-only (EBADF): flushing the
    copy that way failed every backup there, and every import and restore that needs one."""
    import errno
    import fcntl
    import os
    real = os.fsync

    def windows_fsync(fd):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            raise OSError(errno.EBADF, "Bad file descriptor")
        return real(fd)
    monkeypatch.setattr(os, "fsync", windows_fsync)
    assert run(["--db", str(dbp), "import", "students", str(students_file(tmp_path / "s.xlsx", 3))]) == 0
    assert run(["--db", str(dbp), "import", "students", str(students_file(tmp_path / "t.xlsx", 5))]) == 0
    assert student_count(dbp) == 5
    newest = bk.list_backups(dbp)[0]
    assert student_count(newest) == 3
    bk.restore(dbp, newest)
    assert student_count(dbp) == 3
