"""An import's audit entries written on the writer thread (db.bulk.Writer, json_insert): the same
stored values and SQLite types as bound by executemany, and all or nothing when a chunk fails.

The chunk size is made small so that the fixture's rows pass through many chunks: the audit
entries of chunk k are inserted on the writer thread while chunk k + 1 is prepared.
"""
from __future__ import annotations

import traceback
from datetime import datetime

import pytest
from spy import spy
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from test_import_identity import _roster_rows, _student_rows, _write

from core.records import ParsedRow
from db import bulk, importing

_TABLES = ("student", "roster_person", "audit_log", "change_counter", "setting")


class _FixedNow(datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2026, 12, 2, 7, 30, 0, 123456)


def _dump(db) -> dict[str, list[tuple]]:
    """Every column of every row of the tables an import writes, each value with its typeof()."""
    out = {}
    with db.session() as s:
        conn = s.connection()
        for table in _TABLES:
            cols = [r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")]
            picks = ", ".join(f"typeof({c}), {c}" for c in cols)
            out[table] = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {picks} FROM {table} ORDER BY 1, 2")]
    return out


def _odd_rows() -> list[ParsedRow]:
    """Hand-made student rows whose texts JSON could mistake: number-like, JSON words, quotes,
    backslashes, a NUL character (SQLite's JSON would cut the text there), emoji."""
    names = ["0123", "12", "1e5", "true", "null", '"引号"', "反\\斜杠", "空\x00字符", "😀表情", "长" * 300,
             "-0", "[1,2]", "{}", "\u2028行", " 前后空格 "]
    return [ParsedRow(i + 3, {"name": name, "id_number": f"4228222008010{i:04d}X", "stage": "普通高中",
                              "tuition_fen": [None, 0, 120000][i % 3], "full_time": i % 2 == 0})
            for i, name in enumerate(names)]


def _import_all(db, tmp_path, monkeypatch, chunk: int) -> None:
    from db.workflows import run_import
    monkeypatch.setattr(importing, "CHUNK", chunk)
    monkeypatch.setattr(importing, "spare_core", lambda: True)    # the writer thread, whatever the load
    monkeypatch.setattr(importing, "datetime", _FixedNow)
    run_import(db, "students", _write(tmp_path / "students.xlsx", _student_rows()), actor="tester")
    run_import(db, "roster", _write(tmp_path / "roster.xlsx", _roster_rows()), actor="tester")
    rows = _odd_rows()
    with db.write_session() as s:
        importing.apply_plan(s, importing.plan_import(s, "students", rows, [], {f for r in rows for f in r.values}),
                             actor="tester")


def _executemany_form(table, columns, rows, fixed):
    """The statement as executemany binds it: the reference for the JSON form."""
    values = tuple(fixed.values())
    return bulk._insert_sql(table, [*columns, *fixed]), [(*row, *values) for row in rows]


def test_json_insert_stores_the_values_and_types_executemany_binds(tmp_path, monkeypatch):
    from db.session import open_database
    calls = spy(monkeypatch, importing.audit, "json_insert")
    a = open_database(tmp_path / "a.sqlite")
    (tmp_path / "a").mkdir()
    _import_all(a, tmp_path / "a", monkeypatch, chunk=7)
    got = _dump(a)
    a.close()
    forms = [bulk.json_insert(*args, **kw)[0] for args, kw in list(calls)]
    assert len(forms) > 8                                    # the entries went chunk by chunk
    assert sum("json_each" in sql for sql in forms) >= len(forms) - 1
    assert sum("json_each" not in sql for sql in forms) == 1  # the chunk holding the NUL name

    monkeypatch.setattr(importing.audit, "json_insert", _executemany_form)
    b = open_database(tmp_path / "b.sqlite")
    (tmp_path / "b").mkdir()
    _import_all(b, tmp_path / "b", monkeypatch, chunk=7)
    want = _dump(b)
    b.close()

    assert len(got["student"]) == len(want["student"]) > 45
    assert len(got["audit_log"]) == len(want["audit_log"]) > 45
    for table in _TABLES:
        assert got[table] == want[table], table
    types = {t for row in got["student"] for t in row[0::2]} | {t for row in got["audit_log"] for t in row[0::2]}
    assert types == {"integer", "text", "null"}
    stored = {row[row.index("text") + 1] for row in got["student"]}
    assert {"0123", "12", "true", "null", "空\x00字符", "长" * 300} <= stored
    assert any(row[1::2].count("导入新增：空\x00字符") for row in got["audit_log"])


def test_the_json_form_keeps_each_type():
    """Directly: a text that looks like a number, an integer, True/False, None and a float
    come out of json_each as sqlite3 binds them."""
    import sqlite3
    rows = [("0123", 12, True, None, 1.5), ("null", -7, False, "é\n\t\"\\", 0.1)]
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (a TEXT, b INTEGER, c BOOLEAN, d TEXT, e REAL, f TEXT)")
    from sqlalchemy import Column, MetaData, Table
    table = Table("t", MetaData(), *(Column(c) for c in "abcdef"))
    sql, params = bulk.json_insert(table, list("abcde"), rows, {"f": "同一"})
    con.execute(sql, params)
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", [(*r, "同一") for r in rows])
    got = con.execute("SELECT " + ", ".join(f"typeof({c}), {c}" for c in "abcdef") + " FROM t").fetchall()
    assert got[0] == got[2] and got[1] == got[3]


def _school_file(tmp_path, n: int, bad: str | None = None):
    from datetime import date

    from conftest import xlsx

    from core.idnumber import make_id
    names = [f"学生{i}" for i in range(n)]
    if bad:
        names[n // 2] = bad
    ids = [make_id("422822", date(2008, 1 + i % 12, 1 + i % 28), i + 1) for i in range(n)]
    return xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段"], *([names[i], ids[i], "普通高中"] for i in range(n)))


@pytest.mark.parametrize("threaded", [True, False])
@pytest.mark.parametrize("table", ["audit_log", "student"])
def test_a_failing_middle_chunk_changes_nothing(db, tmp_path, monkeypatch, table, threaded):
    """A constraint error in the middle chunk — of the audit entries, written on the writer thread
    (or on the import's thread when no core is free), or of the rows, on the import's thread —
    is raised as itself and rolls everything back, the entries and rows of the chunks before it
    included."""
    from db.workflows import run_import
    monkeypatch.setattr(importing, "spare_core", lambda: threaded)
    run_import(db, "students", _school_file(tmp_path, 5), actor="tester")      # something stored before
    column = "new" if table == "audit_log" else "name"
    value = "导入新增：坏人" if table == "audit_log" else "坏人"
    with db.session() as s:
        s.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
    before = _dump(db)
    monkeypatch.setattr(importing, "CHUNK", 10)
    with pytest.raises(sa_exc.IntegrityError, match="refused by the test") as caught:
        run_import(db, "students", _school_file(tmp_path, 35, bad="坏人"), actor="tester")
    on_writer = any("concurrent/futures/thread.py" in f.filename.replace("\\", "/")
                    for f in traceback.extract_tb(caught.value.__traceback__))
    assert on_writer is (table == "audit_log" and threaded)
    assert _dump(db) == before
    from db.session import translate_error
    assert translate_error(caught.value) is None         # the CLI's internal-error message, as before


def test_the_cli_reports_a_failing_chunk_and_changes_nothing(db, tmp_path, monkeypatch, capsys):
    from cli.commands import EXIT_INTERNAL, run
    with db.session() as s:
        s.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN NEW.new = '导入新增：坏人' "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))
    before = _dump(db)
    monkeypatch.setattr(importing, "CHUNK", 10)
    monkeypatch.setattr(importing, "spare_core", lambda: True)
    path = _school_file(tmp_path, 35, bad="坏人")
    db.close()
    assert run(["--db", str(db.path), "import", "students", str(path)]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "程序内部错误" in err and "数据库中的数据没有因此改变" in err
    from db.session import open_database
    again = open_database(db.path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


def test_the_writer_raises_its_error_once_and_joins(db):
    """Writer: a failed statement's error comes out of the next call as itself; the thread ends."""
    import threading
    with db.write_session() as s:
        conn = s.connection()
        w = bulk.Writer(conn)
        w.submit("SELECT no_such_function()", ())
        with pytest.raises(sa_exc.OperationalError, match="no_such_function"):
            w.idle()
        w.idle()                       # raised once
        w.close()
        assert not [t for t in threading.enumerate() if t.name.startswith("zizhu-writer")]
        with pytest.raises(RuntimeError), bulk.writer(conn) as w2:
            w2.submit("SELECT 1", ())
            raise RuntimeError("the body's own error")
        assert not [t for t in threading.enumerate() if t.name.startswith("zizhu-writer")]


@pytest.mark.parametrize(("width", "count"), [(13, 123), (38, 60), (3, 7), (3, 50), (600, 3)])
def test_insert_tuples_stores_what_one_row_per_statement_stores(width, count, monkeypatch):
    """Several rows per statement (and the rows left over one by one): the same rows, values
    and types as an executemany of single rows; a row too wide for several goes alone."""
    from sqlalchemy import Column, MetaData, Table, create_engine
    engine = create_engine("sqlite://")
    meta = MetaData()
    names = [f"c{i}" for i in range(width)]
    a = Table("a", meta, *(Column(n) for n in names))
    affinity = ["TEXT", "INTEGER", "BOOLEAN", "", "REAL", "VARCHAR(40)"]      # SQLite converts per column
    with engine.begin() as conn:
        for t in ("a", "b"):
            conn.exec_driver_sql(f"CREATE TABLE {t} ({', '.join(f'{n} {affinity[i % 6]}' for i, n in enumerate(names))})")
    kinds = [None, True, False, 0, -5, 2**62, "0123", "", "文本", 1.5]
    rows = [tuple(kinds[(r * 7 + c) % len(kinds)] for c in range(width)) for r in range(count)]
    statements = spy(monkeypatch, bulk, "_insert_sql")
    with engine.begin() as conn:
        assert bulk.insert_tuples(conn, a, names, rows) == count
        conn.exec_driver_sql(f"INSERT INTO b VALUES ({', '.join('?' * width)})", rows)
        picks = ", ".join(f"typeof({n}), {n}" for n in names)
        got = conn.exec_driver_sql(f"SELECT rowid, {picks} FROM a ORDER BY rowid").fetchall()
        want = conn.exec_driver_sql(f"SELECT rowid, {picks} FROM b ORDER BY rowid").fetchall()
    assert got == want and len(got) == count
    per = [args[2] if len(args) > 2 else 1 for args, _kw in statements]
    several = max(1, min(50, 999 // width))
    assert max(per) == (several if count >= several else 1)


def test_without_a_free_core_the_entries_go_by_executemany_on_the_import_thread(db, tmp_path, monkeypatch):
    """On a busy machine no writer thread is started and no JSON made: the entries are inserted
    by the import's own thread, the same entries as with the writer (chain intact)."""
    import threading

    from db.audit import audit_chain_status
    from db.workflows import run_import
    monkeypatch.setattr(importing, "spare_core", lambda: False)
    monkeypatch.setattr(importing, "CHUNK", 10)
    made = spy(monkeypatch, importing.audit, "json_insert")
    started = spy(monkeypatch, threading.Thread, "start")
    run_import(db, "students", _school_file(tmp_path, 35), actor="tester")
    assert made == []
    assert not [t for (t,), _kw in started if t.name.startswith("zizhu-writer")]
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'student'")).scalar() == 35
        assert audit_chain_status(s).intact
