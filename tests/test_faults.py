"""Faults end in a Chinese message and exit 2 (3 for a bug), never a traceback, and lose nothing:
concurrent imports, a second copy of the program, locked / full / read-only / damaged / newer /
unrelated databases, a folder as --db, a closed output pipe."""
import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import numbered_students_file
from sqlalchemy.engine.default import DefaultDialect

from cli.commands import run
from core.errors import DatabaseError
from core.idnumber import make_id
from db.backup import backup, list_backups
from db.session import DamagedDatabaseError, Database, open_database

ROOT = Path(__file__).resolve().parent.parent
IDS = [make_id("110101", date(2000, 1, 1) + timedelta(days=i), 100 + i % 800) for i in range(3000)]
RACE_ROWS = 3000      # enough work between plan and commit that the old code duplicated every time


def env(tmp_path, **extra):
    return {"ZIZHU_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen",
            **extra}


def cli(tmp_path, *args, **extra):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env(tmp_path, **extra), timeout=120)


def students_file(path, n=200):
    return numbered_students_file(path, IDS, n)


@pytest.fixture
def school_db(tmp_path):
    p = tmp_path / "z.sqlite"
    assert run(["--db", str(p), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    return p


def duplicates(p):
    con = sqlite3.connect(p)
    try:
        dup = con.execute("SELECT count(*) FROM (SELECT id_number FROM student GROUP BY id_number "
                          "HAVING count(*) > 1)").fetchone()[0]
        return dup, con.execute("SELECT count(*) FROM student").fetchone()[0]
    finally:
        con.close()


def digest(p):
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


# -- concurrency -----------------------------------------------------------------------------------

IMPORTER = textwrap.dedent("""
    import sys, time
    from db.session import open_database
    from db.workflows import run_import
    db = open_database(sys.argv[1], lock=False)      # the write lock alone must keep them apart
    start = float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.005)
    run_import(db, "students", sys.argv[2])
    db.close()
""")


def concurrent_imports(tmp_path, school_db, trials) -> list[tuple[list[int], tuple[int, int], str]]:
    """Each trial: two processes import the same list into one database at the same moment.
    Per trial: both exit codes, (duplicated IDs, students) afterwards, and their stderr."""
    f = students_file(tmp_path / "s.xlsx", RACE_ROWS)
    script = tmp_path / "importer.py"
    script.write_text(IMPORTER, encoding="utf-8")
    results = []
    for trial in range(trials):
        p = tmp_path / f"c{trial}.sqlite"
        p.write_bytes(school_db.read_bytes())
        start = time.time() + 2.0
        procs = [subprocess.Popen([sys.executable, str(script), str(p), str(f), str(start)], cwd=ROOT,
                                  env={**env(tmp_path), "PYTHONPATH": str(ROOT)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        errors = [proc.communicate(timeout=120)[1] for proc in procs]
        results.append(([proc.returncode for proc in procs], duplicates(p), "\n".join(errors)))
    return results


def test_two_processes_importing_at_once_never_duplicate_students(tmp_path, school_db):
    results = concurrent_imports(tmp_path, school_db, trials=2)
    assert [(codes, found) for codes, found, _err in results] == [([0, 0], (0, RACE_ROWS))] * 2, results


@pytest.mark.slow
def test_two_processes_importing_at_once_ten_trials(tmp_path, school_db):
    results = concurrent_imports(tmp_path, school_db, trials=10)
    assert [(codes, found) for codes, found, _err in results] == [([0, 0], (0, RACE_ROWS))] * 10, results


def test_two_cli_imports_at_once_one_waits_or_is_refused_never_duplicates(tmp_path, school_db):
    f = students_file(tmp_path / "s.xlsx", 200)
    procs = [subprocess.Popen([sys.executable, "main.py", "--db", str(school_db), "import", "students", str(f)],
                              cwd=ROOT, env=env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code in (0, 2) and "Traceback" not in err
        if code == 2:
            assert "正由" in err and socket.gethostname() in err
    assert any(code == 0 for code, _ in results)
    assert duplicates(school_db) == (0, 200)


def test_write_session_waits_then_gives_a_chinese_error(tmp_path, school_db):
    holder = sqlite3.connect(school_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        db = Database(school_db, timeout=0.3)
        t0 = time.monotonic()
        with pytest.raises(DatabaseError) as err, db.write_session() as s:
            s.connection()
        assert time.monotonic() - t0 >= 0.25
        assert "正被另一个程序使用" in err.value.message and "0.3 秒" in err.value.message
        db.close()
    finally:
        holder.rollback()
        holder.close()


def test_lock_held_past_the_timeout_ends_in_exit_2(tmp_path, school_db):
    f = students_file(tmp_path / "s.xlsx", 5)
    holder = sqlite3.connect(school_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        res = cli(tmp_path, "--db", str(school_db), "import", "students", str(f), ZIZHU_BUSY_TIMEOUT="1")
    finally:
        holder.rollback()
        holder.close()
    assert res.returncode == 2, res.stderr
    assert "数据库" in res.stderr and "正被另一个程序使用" in res.stderr and "Traceback" not in res.stderr
    assert duplicates(school_db) == (0, 0)


# -- single instance --------------------------------------------------------------------------------

def test_second_program_on_the_same_database_is_refused_naming_the_holder(tmp_path, school_db):
    db = open_database(school_db)
    try:
        res = cli(tmp_path, "--db", str(school_db), "compute")
        assert res.returncode == 2
        assert f"进程 {os.getpid()}" in res.stderr and socket.gethostname() in res.stderr
        assert "正由" in res.stderr and "Traceback" not in res.stderr
        again = open_database(school_db)          # the same process may open it twice
        again.close()
    finally:
        db.close()
    assert cli(tmp_path, "--db", str(school_db), "compute").returncode == 0


def test_a_killed_holder_never_blocks_the_database(tmp_path, school_db):
    code = ("import sys, time; from db.session import open_database; open_database(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(school_db)], cwd=ROOT, env=env(tmp_path),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseError, match="正由"):
            open_database(school_db)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    open_database(school_db).close()


def test_gui_start_shows_who_holds_the_database(tmp_path, school_db, shown):
    from gui.app import open_for_gui
    code = ("import sys, time; from db.session import open_database; open_database(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(school_db)], cwd=ROOT, env=env(tmp_path),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        assert open_for_gui(school_db) is None
    finally:
        proc.kill()
        proc.wait()
    assert len(shown) == 1 and f"进程 {proc.pid}" in shown[0][0]
    shown.clear()


# -- full disk, read-only: messages without personal data ----------------------------------------

def _raise_on_student_insert(message):
    real_many, real_one = DefaultDialect.do_executemany, DefaultDialect.do_execute

    def student_insert(statement):       # the ORM's INSERT INTO student, db.bulk's INSERT INTO "student"
        return statement.replace('"', "").startswith("INSERT INTO student")

    def many(self, cursor, statement, parameters, context=None):
        if student_insert(statement):
            raise sqlite3.OperationalError(message)
        return real_many(self, cursor, statement, parameters, context)

    def one(self, cursor, statement, parameters, context=None):
        if student_insert(statement):
            raise sqlite3.OperationalError(message)
        return real_one(self, cursor, statement, parameters, context)
    return many, one


def test_full_disk_gives_a_message_without_id_numbers_and_writes_nothing(tmp_path, school_db, monkeypatch,
                                                                        capsys):
    f = students_file(tmp_path / "s.xlsx", 10)
    many, one = _raise_on_student_insert("database or disk is full")
    monkeypatch.setattr(DefaultDialect, "do_executemany", many)
    monkeypatch.setattr(DefaultDialect, "do_execute", one)
    assert run(["--db", str(school_db), "import", "students", str(f)]) == 2
    err = capsys.readouterr().err
    assert "磁盘空间已满" in err and "Traceback" not in err
    assert not any(i in err for i in IDS) and "学生0" not in err
    from core.paths import log_dir
    log_text = (log_dir() / "zizhu.log").read_text(encoding="utf-8")
    assert not any(i in log_text for i in IDS[:10])
    assert duplicates(school_db) == (0, 0)


def test_full_disk_at_commit(tmp_path, school_db, monkeypatch, capsys):
    def full(self, dbapi_connection):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(DefaultDialect, "do_commit", full)
    assert run(["--db", str(school_db), "policy", "set", "tuition_standard.普通高中", "1200"]) == 2
    assert "磁盘空间已满" in capsys.readouterr().err


def test_readonly_database_error_is_mapped(tmp_path, school_db, monkeypatch, capsys):
    f = students_file(tmp_path / "s.xlsx", 3)
    many, one = _raise_on_student_insert("attempt to write a readonly database")
    monkeypatch.setattr(DefaultDialect, "do_executemany", many)
    monkeypatch.setattr(DefaultDialect, "do_execute", one)
    assert run(["--db", str(school_db), "import", "students", str(f)]) == 2
    err = capsys.readouterr().err
    assert "只读" in err and "Traceback" not in err


def test_readonly_file_is_refused_before_opening(tmp_path, school_db, monkeypatch, capsys):
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == school_db and mode == os.W_OK
                        else real(p, mode, **kw))
    assert run(["--db", str(school_db), "compute"]) == 2
    assert "是只读的" in capsys.readouterr().err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_chmod_readonly_database(tmp_path, school_db):  # pragma: no cover - not as root
    school_db.chmod(0o444)
    res = cli(tmp_path, "--db", str(school_db), "policy", "set", "tuition_standard.普通高中", "1200")
    assert res.returncode == 2 and "只读" in res.stderr


# -- files that are not (this version's) Zizhu database ---------------------------------------------

def test_folder_as_db(tmp_path):
    res = cli(tmp_path, "--db", str(tmp_path), "compute")
    assert res.returncode == 2 and "是一个文件夹" in res.stderr and "Traceback" not in res.stderr


def test_unrelated_sqlite_file_is_refused_and_not_changed(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE contacts (name TEXT)")
    con.execute("INSERT INTO contacts VALUES ('x')")
    con.commit()
    con.close()
    before = digest(other)
    res = cli(tmp_path, "--db", str(other), "compute")
    assert res.returncode == 2 and "其他程序" in res.stderr
    assert digest(other) == before
    con = sqlite3.connect(other)
    assert {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")} == {"contacts"}
    con.close()


def alembic_app_db(other):
    """Another program's SQLite file that uses alembic too (a revision unknown here)."""
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    con.execute("INSERT INTO alembic_version VALUES ('abc123')")
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.commit()
    con.close()
    return other


def test_unrelated_alembic_database_is_refused(tmp_path):
    other = alembic_app_db(tmp_path / "alembic-app.db")
    with pytest.raises(DatabaseError, match="其他程序"):
        open_database(other)


def test_newer_schema_is_refused_without_a_backup(tmp_path, school_db):
    con = sqlite3.connect(school_db)
    con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    con.commit()
    con.close()
    before = list_backups(school_db)
    for _ in range(2):
        res = cli(tmp_path, "--db", str(school_db), "compute")
        assert res.returncode == 2 and "更新版本" in res.stderr and "Traceback" not in res.stderr
    assert list_backups(school_db) == before


# -- damaged database ----------------------------------------------------------------------------------

def damage(p):
    """Overwrite the student table's root page: quick_check fails."""
    con = sqlite3.connect(p)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name='student'").fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(p, "r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xa5" * size)
    con = sqlite3.connect(p)
    try:
        assert con.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError:
        pass      # "database disk image is malformed": damaged as well
    finally:
        con.close()


@pytest.fixture
def damaged_db(tmp_path, school_db):
    f = students_file(tmp_path / "s.xlsx", 150)
    assert run(["--db", str(school_db), "import", "students", str(f)]) == 0
    good = backup(school_db, reason="t")
    damage(school_db)
    return school_db, good


def test_damaged_database_is_never_written_and_the_backup_is_offered(tmp_path, damaged_db):
    p, good = damaged_db
    before = digest(p)
    res = cli(tmp_path, "--db", str(p), "compute")
    assert res.returncode == 2 and "已损坏" in res.stderr and "restore --latest" in res.stderr
    assert good.name in res.stderr and "Traceback" not in res.stderr
    assert digest(p) == before
    with pytest.raises(DamagedDatabaseError) as err:
        open_database(p)
    assert err.value.backup == good
    assert digest(p) == before


def test_restore_latest_keeps_the_damaged_file_beside(tmp_path, damaged_db):
    p, _good = damaged_db
    before = digest(p)
    res = cli(tmp_path, "--db", str(p), "restore", "--latest")
    assert res.returncode == 0, res.stderr
    assert "已恢复备份" in res.stdout and "学生 150 人" in res.stdout and "损坏的数据库已改名保留" in res.stdout
    kept = list(tmp_path.glob("z.sqlite.damaged-*"))
    assert len(kept) == 1 and digest(kept[0]) == before
    assert duplicates(p) == (0, 150)
    assert cli(tmp_path, "--db", str(p), "compute").returncode == 0


def test_gui_offers_the_newest_backup_for_a_damaged_database(tmp_path, damaged_db, monkeypatch, shown):
    from gui import app
    p, _good = damaged_db
    asked = []
    monkeypatch.setattr(app, "ask_restore", lambda message: asked.append(message) or True)
    db = app.open_for_gui(p)
    assert db is not None and "已损坏" in asked[0] and "学生 150 人" in asked[0]
    assert len(list(tmp_path.glob("z.sqlite.damaged-*"))) == 1
    db.close()


def test_gui_damaged_database_declined_changes_nothing(tmp_path, damaged_db, monkeypatch, shown):
    from gui import app
    p, _good = damaged_db
    before = digest(p)
    monkeypatch.setattr(app, "ask_restore", lambda message: False)
    assert app.open_for_gui(p) is None
    assert digest(p) == before and not list(tmp_path.glob("z.sqlite.damaged-*"))


# -- internal errors and closed pipes ----------------------------------------------------------------

def test_internal_error_exit_3_with_the_log_path(school_db, monkeypatch, capsys):
    from cli import commands

    def boom(db, args):
        raise RuntimeError("a bug")
    monkeypatch.setitem(commands.COMMANDS, "compute", boom)
    assert run(["--db", str(school_db), "compute"]) == 3
    err = capsys.readouterr().err
    assert "程序内部错误" in err and "zizhu.log" in err and "Traceback" not in err
    from core.paths import log_dir
    assert "RuntimeError: a bug" in (log_dir() / "zizhu.log").read_text(encoding="utf-8")


def test_compute_json_into_head_ends_quietly(tmp_path):
    p = tmp_path / "demo.sqlite"
    assert cli(tmp_path, "--db", str(p), "demo", "--students", "300").returncode == 0
    res = subprocess.run(f"{sys.executable} main.py --db {p} compute --json | head -1", shell=True, cwd=ROOT,
                         capture_output=True, text=True, env=env(tmp_path), timeout=120)
    assert res.stdout.strip() == "{"
    assert "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr, res.stderr


def test_a_database_found_damaged_while_working_names_the_windows_restore_first(tmp_path):
    """The bundle has no command line: a hint giving only ``python main.py restore --latest`` left the
    clerk without a way; it names the 设置 page's button, the command beside it."""
    from db.session import translate_error
    err = translate_error(sqlite3.DatabaseError("database disk image is malformed"), tmp_path / "z.sqlite")
    assert err is not None and "已损坏" in err.message
    assert err.hint.startswith("请在“设置”页点“从备份恢复…”") and "restore --latest" in err.hint
