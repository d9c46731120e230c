"""The start-up check is not run again while the stored check is current (the change marker,
db.check_state): same data — whoever wrote —, day, policy, schema and program. A change from
outside the program, or another day, runs it again."""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from db import findings
from db.changes import Changes
from db.usecases import check, startup_check


def test_a_current_stored_check_is_not_run_again_at_start(demo_db, monkeypatch):
    check(demo_db)
    runs: list[int] = []
    real = findings.run_and_store
    monkeypatch.setattr(findings, "run_and_store", lambda s, **kw: runs.append(1) or real(s, **kw))
    assert startup_check(demo_db) == Changes.NONE and runs == []

    conn = sqlite3.connect(demo_db.path)                       # an outside tool changes a student
    conn.execute("UPDATE student SET name = name || '改' WHERE id = (SELECT min(id) FROM student)")
    conn.commit()
    conn.close()
    startup_check(demo_db)
    assert runs == [1]                                          # the counter moved: checked again
    assert startup_check(demo_db) == Changes.NONE and runs == [1]


def test_the_next_day_the_start_up_check_runs_again(demo_db, monkeypatch):
    check(demo_db)
    runs: list[int] = []
    real = findings.run_and_store
    monkeypatch.setattr(findings, "run_and_store", lambda s, **kw: runs.append(1) or real(s, **kw))
    from db import check_state
    tomorrow = date.today() + timedelta(days=1)
    real_current = check_state.current_check
    monkeypatch.setattr(check_state, "current_check", lambda s, today=None: real_current(s, today or tomorrow))
    startup_check(demo_db)
    assert runs == [1]                                          # ages and dates compare with today
