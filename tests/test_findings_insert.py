"""A check's new findings are inserted as plain tuples (db.bulk, issue 13): every column's value
and SQLite type is what SQLAlchemy's insert of the same findings stored (the oracle below)."""
from __future__ import annotations

import re
import shutil
from datetime import datetime

from sqlalchemy import insert

from core.finding_state import FindingState
from db import findings
from db.models import FindingRow
from db.session import open_database


def _dump(db) -> list[tuple]:
    with db.session() as s:
        conn = s.connection()
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(finding)")]
        picks = ", ".join(f"typeof({c}), {c}" for c in cols)
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {picks} FROM finding ORDER BY id")]


def _columns(path) -> list[tuple]:
    import sqlite3
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA table_info(finding)").fetchall()
    finally:
        con.close()


def _by_sqlalchemy(conn, table, columns, rows):
    """What store_findings did before: SQLAlchemy's insert of one dict per finding, the state as a
    FindingState and the times as datetimes (the columns' types turn them into stored text)."""
    dicts = []
    for row in rows:
        d = dict(zip(columns, row, strict=True))
        d["state"] = FindingState(d["state"])
        d["created_at"], d["updated_at"] = datetime.fromisoformat(d["created_at"]), datetime.fromisoformat(d["updated_at"])
        dicts.append(d)
    conn.execute(insert(FindingRow.__table__), dicts)
    return len(rows)


def test_new_findings_are_stored_as_sqlalchemy_stored_them(demo_db, tmp_path, monkeypatch):
    from db.usecases import check
    demo_db.close()
    shutil.copy(demo_db.path, tmp_path / "oracle.sqlite")
    ours = open_database(demo_db.path)
    run = check(ours, actor="tester")
    got = _dump(ours)
    with ours.session() as s:          # each stored finding is its Finding, column by column
        stored = {(r.code, r.subject, r.part): r for r in s.query(FindingRow)}
        assert len(stored) == len(run.findings)
        for f in run.findings:
            r = stored[f.identity]
            assert (r.severity, r.student_id, r.roster_id, r.id_number, r.name, r.message, r.field, r.fingerprint) == \
                (f.severity.value, f.student_key, f.roster_key, f.id_number, f.name, f.message, f.field, f.fingerprint)
            assert (r.state, r.reason, r.feedback_id, r.origin, r.title, r.details) == (FindingState.OPEN, "", None, "", "", "")
            assert r.created_at == r.updated_at
    ours.close()

    monkeypatch.setattr(findings, "insert_tuples", _by_sqlalchemy)
    oracle = open_database(tmp_path / "oracle.sqlite")
    check(oracle, actor="tester")
    want = _dump(oracle)
    oracle.close()

    cols = [r[1] for r in _columns(tmp_path / "oracle.sqlite")]
    value = {c: 2 * i + 1 for i, c in enumerate(cols)}
    assert len(got) > 20 and {r[value["state"]] for r in got} == {"open"}
    times = {r[value["created_at"]] for r in got} | {r[value["updated_at"]] for r in got}
    assert len(times) == 1
    for rows in (got, want):      # the two runs' times differ: their stored form is compared
        for i, row in enumerate(rows):
            for c in ("created_at", "updated_at"):
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", row[value[c]])
            row = list(row)
            row[value["created_at"]] = row[value["updated_at"]] = "<time>"
            rows[i] = tuple(row)
    assert got == want
    kinds = {t for row in got for t in row[0::2]}
    assert kinds == {"integer", "text", "null"}
