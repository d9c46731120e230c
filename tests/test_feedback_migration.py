"""Migration 0008 (feedback packages) on the frozen schema-0007 database."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from feedback_fixtures import STATION_PASS, station_db

from core.checks import FindingState
from core.feedback import ORIGIN_VISIT, FeedbackFinding
from db.audit import audit_chain_status
from db.feedback import import_feedback
from db.feedback_send import feedback_for_school, sign_feedback
from db.findings import run_and_store
from db.migrate import current_revision, head_revision
from db.session import open_database
from db.views import finding_rows

DATA = Path(__file__).parent / "data"


def test_frozen_v0007_database_migrates_and_takes_feedback(tmp_path):
    target = tmp_path / "old7.sqlite"
    shutil.copy(DATA / "schema-0007.sqlite", target)
    con = sqlite3.connect(target)
    assert con.execute("select version_num from alembic_version").fetchone()[0] == "0007"
    old = con.execute("select id, code, state, message from finding order by id").fetchall()
    entries = con.execute("select count(*) from audit_log").fetchone()[0]
    con.close()
    d = open_database(target)
    station, key = station_db(tmp_path, year=2023)
    try:
        assert current_revision(d) == head_revision()
        rows = finding_rows(d)
        assert [(r.id, r.code, r.state, r.message) for r in rows] == old
        assert all(r.origin == "" and r.origin_text == "" for r in rows)     # the school's own findings
        with d.session() as s:
            status = audit_chain_status(s)
            assert status.intact and status.entries == entries
            codes = {f.code for f in run_and_store(s).findings}
            assert "TAMPERED_AFTER_VERIFY" not in codes and "AUDIT_CHAIN_BROKEN" not in codes
        visit = FeedbackFinding("VISIT:1", "SPOT_CHECK_FALSE", "warning", "暗访核查不属实", "告知书已收到：不属实",
                                ORIGIN_VISIT, "", "", (("核查点", "告知书已收到"),))
        with station.session() as s:
            fb = feedback_for_school(s, "4228220001", "冻结测试中心校", [visit])
        [written] = sign_feedback(station, [(fb, tmp_path / "fb.zip")], STATION_PASS)
        assert import_feedback(d, written.path, [key]).added == 1
        [row] = [r for r in finding_rows(d) if r.origin]
        assert row.state == FindingState.OPEN and row.student_id is None and row.title == "暗访核查不属实"
        now = {r.id: (r.id, r.code, r.state) for r in finding_rows(d) if not r.origin}
        assert [now.get(o[0]) for o in old] == [o[:3] for o in old]      # (later rules may add findings)
    finally:
        d.close()
        station.close()
