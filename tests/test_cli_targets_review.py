"""The files a command writes where the clerk says (review, session 21): `backup PATH`, `key export PATH`
and `import … --problems PATH` never replace a database another 资助助手 is using, nor a file of another
kind; a --problems file that cannot be written is refused before the import writes; a path the system
refuses is a message, not an internal error; Ctrl-D at the passphrase prompt cancels."""
from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from conftest import numbered_students_file

from cli.commands import run
from core.errors import DatabaseError
from core.idnumber import make_id
from db import backup as bk
from db import lock

ROOT = Path(__file__).resolve().parent.parent
IDS = [make_id("110101", date(2008, 2, 1 + i), 500 + i) for i in range(5)]
IN_USE = "另一个资助助手窗口（或正在运行的命令）正在使用的数据库文件"


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def students(p: Path) -> int:
    with sqlite3.connect(p) as con:
        return con.execute("SELECT count(*) FROM student").fetchone()[0]


def init(p: Path, name: str = "第一中学", code: str = "4115") -> Path:
    assert run(["--db", str(p), "init", "--school", name, "--code", code, "--school-year", "2023"]) == 0
    return p


@pytest.fixture
def school(tmp_path, home):
    return init(tmp_path / "学校.sqlite")


def another_database(p: Path) -> Path:
    """Another school's database file (made without opening it here: a file this process opened is
    protected as its own, core.paths.protect, and refused for that reason first)."""
    with sqlite3.connect(p) as con:
        con.execute("CREATE TABLE school (name TEXT)")
        con.execute("INSERT INTO school VALUES ('乙校')")
    con.close()
    return p


@contextmanager
def held_by_another_program(db_path: Path, home: Path):
    """``db_path``'s single-instance lock held by another process, as a 资助助手 window holds it."""
    code = ("import sys, time; from pathlib import Path; from db import lock; lock.acquire(Path(sys.argv[1])); "
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={"ZIZHU_HOME": str(home), "PATH": "/usr/bin:/bin"})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield db_path
    finally:
        proc.kill()
        proc.wait()


# -- 1. another program's database, a file of another kind ----------------------------------------------

def test_a_backup_never_replaces_a_database_another_program_is_using(school, tmp_path, home, capsys):
    other = another_database(tmp_path / "乙校.sqlite")
    before = digest(other)
    with held_by_another_program(other, home):
        assert run(["--db", str(school), "backup", str(other)]) == 2
        err = capsys.readouterr().err
        assert "不能保存为“乙校.sqlite”" in err and IN_USE in err and "进程" in err   # the holder named
        assert digest(other) == before
    assert not lock.is_held(other)
    assert run(["--db", str(school), "backup", str(other)]) == 0          # nobody's now: replaced as asked


def test_a_plain_old_backup_is_replaced_week_after_week(school, tmp_path, capsys):
    weekly = tmp_path / "每周备份.sqlite"
    assert run(["--db", str(school), "backup", str(weekly)]) == 0
    lock.lock_path(weekly).touch()          # opened once (by the GUI, say): a lock file left, held by nobody
    assert run(["--db", str(school), "import", "students",
                str(numbered_students_file(tmp_path / "名单.xlsx", IDS, 3))]) == 0
    assert run(["--db", str(school), "backup", str(weekly)]) == 0
    assert students(weekly) == 3
    assert run(["--db", str(school), "backup", str(tmp_path / "备份.db")]) == 0


@pytest.mark.parametrize("name", ["notes.docx", "名单.xlsx", "备份"])
def test_a_backup_is_a_sqlite_or_db_file(school, tmp_path, capsys, name):
    target = tmp_path / name
    target.write_bytes(b"the clerk's document")
    assert run(["--db", str(school), "backup", str(target)]) == 2
    err = capsys.readouterr().err
    assert "不支持的文件类型" in err and ".sqlite 或 .db" in err
    assert target.read_bytes() == b"the clerk's document"


def test_the_rows_with_problems_never_replace_a_database_in_use_and_nothing_is_imported(school, tmp_path,
                                                                                         home, capsys):
    other = another_database(tmp_path / "乙校.xlsx")        # a database under any name
    before = digest(other)
    listing = numbered_students_file(tmp_path / "名单.xlsx", IDS, 3)
    with held_by_another_program(other, home):
        assert run(["--db", str(school), "import", "students", str(listing), "--problems", str(other)]) == 2
        assert IN_USE in capsys.readouterr().err
        assert digest(other) == before
    assert students(school) == 0


@pytest.mark.parametrize("kind", ["students", "roster", "payments"])
def test_the_rows_with_problems_are_an_xlsx_file(school, tmp_path, capsys, kind):
    target = tmp_path / "问题.docx"
    target.write_bytes(b"doc")
    listing = numbered_students_file(tmp_path / "名单.xlsx", IDS, 3)
    assert run(["--db", str(school), "import", kind, str(listing), "--problems", str(target)]) == 2
    assert "不支持的文件类型“.docx”" in capsys.readouterr().err and target.read_bytes() == b"doc"
    assert students(school) == 0


def test_a_public_key_never_replaces_a_database_in_use_nor_a_document(school, tmp_path, home, capsys):
    pw = tmp_path / "pw.txt"
    pw.write_text("口令123456\n", encoding="utf-8")
    assert run(["--db", str(school), "key", "new", "--yes", "--passphrase-file", str(pw)]) == 0
    other = another_database(tmp_path / "乙校.pub")
    before = digest(other)
    with held_by_another_program(other, home):
        assert run(["--db", str(school), "key", "export", str(other)]) == 2
        assert IN_USE in capsys.readouterr().err and digest(other) == before
    doc = tmp_path / "notes.docx"
    doc.write_bytes(b"doc")
    assert run(["--db", str(school), "key", "export", str(doc)]) == 2
    assert "公钥请保存为 .txt 或 .pub 文件" in capsys.readouterr().err and doc.read_bytes() == b"doc"
    for name in ("公钥.txt", "公钥.pub"):
        assert run(["--db", str(school), "key", "export", str(tmp_path / name)]) == 0


def test_the_in_use_check_takes_no_lock_and_makes_no_file(tmp_path):
    never = tmp_path / "x.sqlite"
    lock.check_not_in_use(never)
    assert not lock.lock_path(never).exists()


# -- 2. a --problems file that cannot be written is refused before the import -----------------------------

@pytest.mark.parametrize("where", ["missing folder", "the list", "the database", "a folder", "open in Excel",
                                   "read-only folder"])
@pytest.mark.parametrize("kind", ["students", "roster"])
def test_a_problems_file_that_cannot_be_written_is_refused_before_importing(school, tmp_path, capsys, where,
                                                                             kind, monkeypatch):
    listing = numbered_students_file(tmp_path / "名单.xlsx", IDS, 3)
    folder = tmp_path / "文件夹.xlsx"
    folder.mkdir()
    target = {"missing folder": tmp_path / "没有" / "问题.xlsx", "the list": listing, "the database": school,
              "a folder": folder}.get(where, tmp_path / "问题.xlsx")
    denied = PermissionError(13, "Permission denied")
    if where == "open in Excel":             # (Windows refuses to open it for writing; root here is never refused)
        target.write_bytes(b"PK")
        real_open = Path.open

        def held(self, *args, **kwargs):
            if self == target:
                raise denied
            return real_open(self, *args, **kwargs)
        monkeypatch.setattr(Path, "open", held)
    elif where == "read-only folder":
        import tempfile

        def refused(*args, **kwargs):
            raise denied
        monkeypatch.setattr(tempfile, "NamedTemporaryFile", refused)
    with sqlite3.connect(school) as con:
        audit = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert run(["--db", str(school), "import", kind, str(listing), "--problems", str(target)]) == 2
    out, err = capsys.readouterr()
    assert "导入完成" not in out and "错误：" in err
    if where in ("open in Excel", "read-only folder"):
        assert "无法保存“问题.xlsx”" in err and "这次没有导入" in err
    with sqlite3.connect(school) as con:
        assert con.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit    # nothing written
        assert con.execute("SELECT count(*) FROM student").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM roster_person").fetchone()[0] == 0
    assert not bk.list_backups(school)          # not even the import's backup


# -- 3. a path the system refuses --------------------------------------------------------------------------

def test_a_path_the_system_refuses_is_a_message_not_an_internal_error(school, tmp_path, capsys, monkeypatch):
    import db.workflows

    def refused(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", "x.xlsx")
    monkeypatch.setattr(db.workflows, "run_import", refused)
    listing = numbered_students_file(tmp_path / "名单.xlsx", IDS, 3)
    assert run(["--db", str(school), "import", "students", str(listing)]) == 2
    err = capsys.readouterr().err
    assert "“x.xlsx”" in err and "没有访问权限" in err and "程序内部错误" not in err and "Traceback" not in err


def test_a_name_too_long_is_a_message(tmp_path, capsys):
    long = tmp_path / ("名" * 200 + ".sqlite")
    assert run(["--db", str(long), "compute"]) == 2
    err = capsys.readouterr().err
    assert "文件名或路径太长" in err and "程序内部错误" not in err and "…" in err    # the name shortened


# -- 4. Ctrl-D at the passphrase prompt ----------------------------------------------------------------

@pytest.mark.parametrize("typed", [EOFError, KeyboardInterrupt])
def test_end_of_input_at_the_passphrase_prompt_cancels(school, tmp_path, capsys, monkeypatch, typed):
    import getpass

    def prompt(_text=""):
        raise typed()
    monkeypatch.setattr(getpass, "getpass", prompt)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    code = run(["--db", str(school), "export", str(tmp_path / "包.zip"), "--draft"])
    assert code not in (0, 3) and code == 130
    err = capsys.readouterr().err
    assert "已取消" in err and "程序内部错误" not in err
    assert not (tmp_path / "包.zip").exists()


# -- 5. a backup that cannot be written names its target ---------------------------------------------------

def test_a_backup_that_cannot_be_written_names_the_backup_not_the_database(school, tmp_path):
    not_a_folder = tmp_path / "文件"
    not_a_folder.write_bytes(b"x")
    target = not_a_folder / "x.sqlite"
    with pytest.raises(DatabaseError) as err:
        bk.backup(school, reason="manual", target=target)
    assert err.value.message.startswith(f"无法写入备份 {target}：")
    assert school.name not in err.value.message.removeprefix(f"无法写入备份 {target}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc refuses new files on Linux")
def test_backup_into_a_folder_the_system_refuses(school, capsys):
    assert run(["--db", str(school), "backup", "/proc/x.sqlite"]) == 2
    err = capsys.readouterr().err
    assert "无法写入备份 /proc/x.sqlite" in err and "学校.sqlite" not in err


@pytest.mark.parametrize("command", [["check"], ["compute"], ["policy", "versions"]])
def test_an_empty_file_is_not_made_a_database_by_a_command_that_does_not_create_one(tmp_path, capsys, command):
    from cli.commands import run as run_cli
    empty = tmp_path / "笔记.docx"
    empty.write_bytes(b"")
    assert run_cli(["--db", str(empty), *command]) == 2
    assert "空文件" in capsys.readouterr().err
    assert empty.read_bytes() == b""
