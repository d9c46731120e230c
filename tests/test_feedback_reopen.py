"""撤销已改正: a receiver's finding the clerk marked 已改正 by mistake goes back to what it was before
the mark (未处理, or 已接受 with its reason), audited — in the 核查问题 page (the 撤销 button) and on
the command line (``reopen-fixed``); one a newer feedback closed, and the school's own, are not."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import open_main_window
from feedback_fixtures import LI, STATION, ZHANG, duplicate, round_trip, send
from sqlalchemy import select
from test_gui_feedback import _select

from cli.commands import run
from core.checks import FindingState
from core.errors import ValidationError
from db.feedback import SUPERSEDED, import_feedback, mark_fixed_findings, reopen_findings
from db.models import AuditEntry
from db.trust_store import read_key_file, register
from db.usecases import accept_findings
from db.views import finding_rows


@pytest.fixture
def rt(tmp_path):
    trip = round_trip(tmp_path)
    register(trip.school, read_key_file(trip.station_key, STATION))
    import_feedback(trip.school, send(trip, [duplicate(ZHANG), duplicate(LI, "李四")]))
    yield trip
    trip.school.close()
    trip.station.close()


def fed(db, name):
    return next(r for r in finding_rows(db) if r.origin and r.name == name)


def test_a_finding_marked_fixed_from_open_is_open_again_and_audited(rt):
    db = rt.school
    row = fed(db, "张丽")
    mark_fixed_findings(db, [row.id], "已将该生移出名单")
    assert fed(db, "张丽").state == FindingState.FIXED
    done = reopen_findings(db, [row.id])
    assert done.count == 1 and done.changes
    again = fed(db, "张丽")
    assert (again.state, again.reason) == (FindingState.OPEN, "")
    with db.session() as s:
        log = [(e.field, e.old, e.new) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "finding", AuditEntry.entity_id == row.id).order_by(AuditEntry.id))]
    assert log[-2:] == [("state", "fixed", "open"), ("reason", "已将该生移出名单", "")]
    with pytest.raises(ValidationError, match="没有标记为“已改正”"):       # nothing left to undo
        reopen_findings(db, [row.id])


def test_an_accepted_finding_marked_fixed_is_accepted_again_with_its_reason(rt):
    db = rt.school
    row = fed(db, "李四")
    accept_findings(db, [row.id], "已电话核实，该生在本校就读")
    mark_fixed_findings(db, [row.id], "第二中学已移出该生")
    reopen_findings(db, [row.id])
    again = fed(db, "李四")
    assert (again.state, again.reason) == (FindingState.ACCEPTED, "已电话核实，该生在本校就读")


def test_findings_a_newer_feedback_closed_and_the_schools_own_are_not_reopened(rt):
    db = rt.school
    own = next(r for r in finding_rows(db) if not r.origin)
    newer = send(rt, [duplicate(LI, "李四")], "fb2.zip", now=datetime.now() + timedelta(minutes=1))
    assert import_feedback(db, newer).superseded == 1
    closed = fed(db, "张丽")
    assert closed.state == FindingState.FIXED and closed.reason.startswith(SUPERSEDED)
    for ids in ([closed.id], [own.id]):
        with pytest.raises(ValidationError):
            reopen_findings(db, ids)
    assert fed(db, "张丽").state == FindingState.FIXED


def test_the_command_line_reopens_what_mark_fixed_marked(rt, capsys):
    path = str(rt.school.path)
    assert run(["--db", path, "mark-fixed", "DUPLICATE_ACROSS_SCHOOLS", ZHANG, "--note", "已移出"]) == 0
    assert fed(rt.school, "张丽").state == FindingState.FIXED
    capsys.readouterr()
    assert run(["--db", path, "reopen-fixed", "DUPLICATE_ACROSS_SCHOOLS", ZHANG]) == 0
    assert "已撤销 1 个问题的“已改正”标记" in capsys.readouterr().out
    assert fed(rt.school, "张丽").state == FindingState.OPEN
    assert run(["--db", path, "reopen-fixed", "DUPLICATE_ACROSS_SCHOOLS", ZHANG]) == 2
    assert "没有标记为“已改正”" in capsys.readouterr().err


def test_the_findings_page_offers_the_undo_on_a_marked_finding(qtbot, rt, shown, app_font, monkeypatch):
    from gui.main_window import FINDINGS
    win = open_main_window(qtbot, rt.school, FINDINGS)
    win.resize(1024, 768)
    page = win.findings
    page.state_filter.setCurrentIndex(0)                 # every state (the default hides 已改正)
    _select(page, "张丽")
    assert page.revoke_button.text() == "撤销接受"
    monkeypatch.setattr(page, "ask_fix_note", lambda rows: "已将该生移出名单")
    page.fixed_button.click()
    _select(page, "张丽")
    assert page.revoke_button.text() == "撤销已改正" and "标记前" in page.revoke_button.toolTip()
    from screenfit import fit_problems
    qtbot.wait(10)
    assert fit_problems(win) == []
    import os
    if os.environ.get("ZIZHU_SHOTS"):
        win.grab().save(os.path.join(os.environ["ZIZHU_SHOTS"], "findings-reopen.png"))
    page.revoke_button.click()
    assert fed(rt.school, "张丽").state == FindingState.OPEN
    assert "已撤销 1 个问题的“已改正”标记" in win.statusBar().currentMessage()
    _select(page, "张丽")
    assert page.revoke_button.text() == "撤销接受"
