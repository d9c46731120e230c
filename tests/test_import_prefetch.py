# ruff: noqa: F811 - the fixture imported from test_cli is the test functions' argument
"""`import students|roster FILE` reads FILE on a helper thread while the command starts (db.import_prefetch):
the file is read once (calamine opened once, on that thread), a refused file gives the same message and
exit code as a read made in the import and changes nothing, a file changed since the read started is read
again, and the helper thread is joined on every path, errors included."""
import os
import sqlite3
import threading
import time
from datetime import date
from types import SimpleNamespace

import pytest
import python_calamine
from conftest import xlsx
from test_cli import dbp  # noqa: F401 - the fixture: an initialised school database
from test_spreadsheet_safety import far_cell, inline, write_xlsx

from cli.commands import run
from core.errors import InputFileError
from core.idnumber import make_id
from core.importers import reader
from db import import_prefetch

IDS = [make_id("110101", date(2007, 3, 1), 100 + i) for i in range(5)]
THREAD = "zizhu-import-read"


@pytest.fixture
def opened(monkeypatch):
    """Every calamine open of a file: the thread it ran on."""
    threads: list[str] = []

    def from_path(path):
        threads.append(threading.current_thread().name)
        return python_calamine.CalamineWorkbook.from_path(path)

    fake = SimpleNamespace(CalamineWorkbook=SimpleNamespace(from_path=from_path,
                                                            from_filelike=python_calamine.CalamineWorkbook.from_filelike),
                           PasswordError=python_calamine.PasswordError)
    monkeypatch.setattr(reader, "python_calamine", fake)
    return threads


@pytest.fixture
def slow_read(monkeypatch):
    """The read ahead takes a while: a thread not joined would still be alive when the command returns."""
    real = import_prefetch.read_now

    def slow(kind, path, parsing=None):
        if threading.current_thread().name == THREAD:
            time.sleep(0.3)
        return real(kind, path, parsing)

    monkeypatch.setattr(import_prefetch, "read_now", slow)


def _students(path, n=5):
    return xlsx(path, ["姓名", "身份证号", "学段", "家庭类别"],
                *([f"学生{i}", IDS[i], "高中", "建档立卡"] for i in range(n)), title="学生名单")


def _dump(path):
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def _no_thread_left():
    return not [t for t in threading.enumerate() if t.name == THREAD]


@pytest.mark.parametrize("kind", ["students", "roster"])
def test_the_file_is_read_once_on_the_helper_thread(dbp, tmp_path, capsys, opened, slow_read, kind):
    f = _students(tmp_path / "s.xlsx") if kind == "students" else \
        xlsx(tmp_path / "r.xlsx", ["姓名", "身份证号", "户编号"], *([f"人{i}", IDS[i], "H1"] for i in range(5)))
    assert run(["--db", str(dbp), "import", kind, str(f), "--dry-run"]) == 0
    assert opened == [THREAD] and "预览（未写入）" in capsys.readouterr().out and _no_thread_left()
    opened.clear()
    assert run(["--db", str(dbp), "import", kind, str(f)]) == 0
    assert opened == [THREAD] and "已新增 5 行" in capsys.readouterr().out and _no_thread_left()


def _refused(dbp, f, capsys, monkeypatch, early):
    if not early:
        monkeypatch.setattr(import_prefetch, "start_for", lambda args: None)
    before = _dump(dbp)
    code = run(["--db", str(dbp), "import", "students", str(f)])
    err = capsys.readouterr().err
    assert _dump(dbp) == before and _no_thread_left()
    monkeypatch.undo()
    return code, err


@pytest.mark.parametrize("bad", ["far", "wide", "html", "no header", "missing"])
def test_a_refused_file_gives_the_same_message_and_changes_nothing(dbp, tmp_path, capsys, monkeypatch, bad):
    f = tmp_path / "bad.xlsx"
    if bad == "far":                 # beyond the limits: refused by the precheck, calamine never opens it
        far_cell(f, "XFD")
    elif bad == "wide":
        write_xlsx(f, f'<row r="1">{inline("A1", "姓名")}{inline("GS1", "x")}</row>')
    elif bad == "html":
        f.write_text("<html><table><tr><td>姓名</td></tr></table></html>")
    elif bad == "no header":         # read, then refused by the import's parse
        xlsx(f, ["甲", "乙"], ["1", "2"])
    early = _refused(dbp, f, capsys, monkeypatch, early=True)
    late = _refused(dbp, f, capsys, monkeypatch, early=False)
    assert early == late and early[0] == 2 and "错误：" in early[1] and "提示：" in early[1]


def test_the_thread_is_joined_when_the_command_stops_before_the_import(dbp, tmp_path, capsys, slow_read):
    f = _students(tmp_path / "s.xlsx")
    # refused before the file is read (an option the student list does not take)
    assert run(["--db", str(dbp), "import", "students", str(f), "--replace"]) == 2
    assert "--replace" in capsys.readouterr().err and _no_thread_left()
    # the database cannot be opened
    not_a_db = tmp_path / "x.sqlite"
    not_a_db.write_bytes(b"this is not a database" * 100)
    assert run(["--db", str(not_a_db), "import", "students", str(f)]) == 2
    assert "错误：" in capsys.readouterr().err and _no_thread_left()


def _join_reads():
    for t in threading.enumerate():
        if t.name == THREAD:
            t.join()


def test_a_file_changed_after_the_read_started_is_read_again(tmp_path, opened):
    f = _students(tmp_path / "s.xlsx", n=2)
    import_prefetch.start("students", f)
    _join_reads()
    _students(f, n=4)
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))     # (a file system's coarse clock)
    table = import_prefetch.read_import_table("students", f)
    assert len(table.rows) == 6 and opened == [THREAD, "MainThread"] and _no_thread_left()
    assert len(import_prefetch.read_import_table("students", f).rows) == 6      # taken once: read again
    assert opened == [THREAD, "MainThread", "MainThread"]


def test_a_read_of_another_file_is_not_taken(tmp_path, opened, slow_read):
    a, b = _students(tmp_path / "a.xlsx", n=2), _students(tmp_path / "b.xlsx", n=3)
    import_prefetch.start("students", a)
    try:
        assert len(import_prefetch.read_import_table("students", b).rows) == 5
    finally:
        import_prefetch.forget()          # joins the read nothing took
    assert _no_thread_left() and sorted(opened) == ["MainThread", THREAD]
    assert len(import_prefetch.read_import_table("students", a).rows) == 4      # forgotten: read again
    assert sorted(opened) == ["MainThread", "MainThread", THREAD]


def test_the_table_read_ahead_does_not_depend_on_the_kind(tmp_path, opened):
    """Only the warm-up depends on the kind: an import of either kind takes the read of its file."""
    a = _students(tmp_path / "a.xlsx", n=2)
    import_prefetch.start("students", a)
    assert len(import_prefetch.read_import_table("roster", a).rows) == 4 and opened == [THREAD]


def test_a_refusal_read_ahead_is_raised_as_itself(tmp_path):
    f = far_cell(tmp_path / "far.xlsx", "XFD")
    import_prefetch.start("roster", f)
    with pytest.raises(InputFileError) as err:
        import_prefetch.read_import_table("roster", f)
    assert "太大或范围异常" in err.value.message and _no_thread_left()


def test_start_returns_once_the_precheck_is_done_and_the_parse_began(tmp_path, monkeypatch):
    """The precheck's scan holds Python's lock: the command's imports wait for it and then run beside
    calamine's parse, which does not."""
    from core.importers import limits
    steps = []
    real = limits.precheck_spreadsheet

    def precheck(*a, **k):
        time.sleep(0.2)
        result = real(*a, **k)
        steps.append("precheck")
        return result

    monkeypatch.setattr(limits, "precheck_spreadsheet", precheck)
    f = _students(tmp_path / "s.xlsx")
    import_prefetch.start("students", f)
    steps.append("started")
    assert len(import_prefetch.read_import_table("students", f).rows) == 7
    assert steps == ["precheck", "started"]


@pytest.mark.parametrize("name, content", [("s.csv", "姓名,身份证号,学段\n张三,{id},高中\n"), ("gone.xlsx", None)])
def test_start_does_not_wait_for_a_parse_that_never_comes(tmp_path, name, content):
    f = tmp_path / name
    if content is not None:
        f.write_text(content.format(id=IDS[0]), encoding="utf-8")
    import_prefetch.start("students", f)         # a CSV has no calamine parse; a missing file no read
    if content is None:
        with pytest.raises(InputFileError):
            import_prefetch.read_import_table("students", f)
    else:
        assert import_prefetch.read_import_table("students", f).rows[1][0] == "张三"
    assert _no_thread_left()
