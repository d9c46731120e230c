"""An import's write side (db.importing._insert_added, db.bulk.insert_tuples): several rows per
statement store the same values and SQLite types as one row per statement, and a chunk that
fails leaves the database as it was.

The chunk size is made small so that the fixtures' rows pass through many chunks.
"""
from __future__ import annotations

import json
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
    """Hand-made student rows with texts that look like numbers or other types, a NUL character,
    emoji, a long text; fees None, 0 and a number; True and False."""
    names = ["0123", "12", "1e5", "true", "null", '"引号"', "反\\斜杠", "空\x00字符", "😀表情", "长" * 300,
             "-0", "[1,2]", "{}", "\u2028行", " 前后空格 "]
    return [ParsedRow(i + 3, {"name": name, "id_number": f"4228222008010{i:04d}X", "stage": "普通高中",
                              "tuition_fen": [None, 0, 120000][i % 3], "full_time": i % 2 == 0})
            for i, name in enumerate(names)]


def _import_all(db, tmp_path, monkeypatch) -> None:
    from db.workflows import run_import
    monkeypatch.setattr(importing, "CHUNK", 7)
    monkeypatch.setattr(importing, "datetime", _FixedNow)
    run_import(db, "students", _write(tmp_path / "students.xlsx", _student_rows()), actor="tester")
    run_import(db, "roster", _write(tmp_path / "roster.xlsx", _roster_rows()), actor="tester")
    rows = _odd_rows()
    with db.write_session() as s:
        importing.apply_plan(s, importing.plan_import(s, "students", rows, [], {f for r in rows for f in r.values}),
                             actor="tester")


def test_an_import_stores_the_values_and_types_of_one_row_per_statement(tmp_path, monkeypatch):
    """Every column's value and typeof() of the students, the roster, the audit entries (their
    hashes included), the change counter and the settings: several rows per statement against
    one row per statement (the executemany the imports used before)."""
    from db.session import open_database
    statements = spy(monkeypatch, bulk, "_insert_sql")
    a = open_database(tmp_path / "a.sqlite")
    (tmp_path / "a").mkdir()
    _import_all(a, tmp_path / "a", monkeypatch)
    got = _dump(a)
    a.close()
    assert max(args[2] if len(args) > 2 else 1 for args, _kw in statements) > 1

    monkeypatch.setattr(bulk, "_MAX_ROWS", 1)
    b = open_database(tmp_path / "b.sqlite")
    (tmp_path / "b").mkdir()
    _import_all(b, tmp_path / "b", monkeypatch)
    want = _dump(b)
    b.close()

    assert len(got["student"]) == len(want["student"]) > 45
    assert len(got["audit_log"]) == len(want["audit_log"]) == 3       # one entry per import that added people
    new = got["audit_log"][-1][2 * 7 + 1]                              # (typeof, value) pairs; "new" is column 7
    assert [name for _id, name in json.loads(new.split("：", 1)[1])] == [r.values["name"] for r in _odd_rows()]
    for table in _TABLES:
        assert got[table] == want[table], table
    types = {t for row in got["student"] for t in row[0::2]} | {t for row in got["audit_log"] for t in row[0::2]}
    assert types == {"integer", "text", "null"}
    stored = {row[row.index("text") + 1] for row in got["student"]}
    assert {"0123", "12", "true", "null", "空\x00字符", "长" * 300} <= stored


def _school_file(tmp_path, n: int, bad: str | None = None):
    from datetime import date

    from conftest import xlsx

    from core.idnumber import make_id
    names = [f"学生{i}" for i in range(n)]
    if bad:
        names[n // 2] = bad
    ids = [make_id("422822", date(2008, 1 + i % 12, 1 + i % 28), i + 1) for i in range(n)]
    return xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段"], *([names[i], ids[i], "普通高中"] for i in range(n)))


def _refuse(db, table: str) -> None:
    """A trigger refusing the row (student) or the audit entry (the import's, which names every
    student added) of the student named 坏人."""
    when = "NEW.new LIKE '%\"坏人\"%'" if table == "audit_log" else "NEW.name = '坏人'"
    with db.session() as s:
        s.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} WHEN {when} "
                       "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))


@pytest.mark.parametrize("table", ["audit_log", "student"])
def test_a_failing_middle_chunk_changes_nothing(db, tmp_path, monkeypatch, table):
    """A constraint error in the middle chunk's rows, or in the import's audit entry after the last
    chunk, is raised as itself and rolls everything back, the rows of the chunks before it included."""
    from db.session import translate_error
    from db.workflows import run_import
    run_import(db, "students", _school_file(tmp_path, 5), actor="tester")      # something stored before
    _refuse(db, table)
    before = _dump(db)
    monkeypatch.setattr(importing, "CHUNK", 10)
    with pytest.raises(sa_exc.IntegrityError, match="refused by the test") as caught:
        run_import(db, "students", _school_file(tmp_path, 35, bad="坏人"), actor="tester")
    assert _dump(db) == before
    assert translate_error(caught.value) is None         # the CLI's internal-error message, as before


def test_the_cli_reports_a_failing_chunk_and_changes_nothing(db, tmp_path, monkeypatch, capsys):
    from cli.commands import EXIT_INTERNAL, run
    from db.session import open_database
    _refuse(db, "audit_log")
    before = _dump(db)
    monkeypatch.setattr(importing, "CHUNK", 10)
    path = _school_file(tmp_path, 35, bad="坏人")
    db.close()
    assert run(["--db", str(db.path), "import", "students", str(path)]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "程序内部错误" in err and "数据库中的数据没有因此改变" in err
    again = open_database(db.path)
    try:
        assert _dump(again) == before
    finally:
        again.close()


@pytest.mark.parametrize(("width", "count"), [(13, 123), (38, 60), (3, 7), (3, 50), (600, 3)])
def test_insert_tuples_stores_what_one_row_per_statement_stores(width, count, monkeypatch):
    """Several rows per statement (and the rows left over in one more): the same rows, values
    and types as an executemany of single rows; a row too wide for several goes alone."""
    from sqlalchemy import Column, MetaData, Table, create_engine
    engine = create_engine("sqlite://")
    names = [f"c{i}" for i in range(width)]
    a = Table("a", MetaData(), *(Column(n) for n in names))
    affinity = ["TEXT", "INTEGER", "BOOLEAN", "", "REAL", "VARCHAR(40)"]      # SQLite converts per column
    kinds = [None, True, False, 0, -5, 2**62, "0123", "", "文本", 1.5]
    rows = [tuple(kinds[(r * 7 + c) % len(kinds)] for c in range(width)) for r in range(count)]
    statements = spy(monkeypatch, bulk, "_insert_sql")
    with engine.begin() as conn:
        for t in ("a", "b"):
            conn.exec_driver_sql(f"CREATE TABLE {t} ({', '.join(f'{n} {affinity[i % 6]}' for i, n in enumerate(names))})")
        assert bulk.insert_tuples(conn, a, names, rows) == count
        conn.exec_driver_sql(f"INSERT INTO b VALUES ({', '.join('?' * width)})", rows)
        picks = ", ".join(f"typeof({n}), {n}" for n in names)
        got = conn.exec_driver_sql(f"SELECT rowid, {picks} FROM a ORDER BY rowid").fetchall()
        want = conn.exec_driver_sql(f"SELECT rowid, {picks} FROM b ORDER BY rowid").fetchall()
    assert got == want and len(got) == count
    per = [args[2] if len(args) > 2 else 1 for args, _kw in statements]
    several = max(1, min(50, 999 // width))
    assert max(per) == min(several, count)
