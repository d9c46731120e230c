"""核查问题 with a station's feedback: 导入反馈包…, the 来源 column, the detail pane, 标记已改正…."""
from __future__ import annotations

import pytest
from conftest import open_main_window
from feedback_fixtures import LI, STATION, ZHANG, duplicate, round_trip, send
from PySide6.QtCore import QItemSelectionModel, Qt
from screenfit import fit_problems

from core.checks import FindingState
from db.trust_store import read_key_file, register
from db.views import finding_rows


@pytest.fixture
def rt(tmp_path):
    trip = round_trip(tmp_path)
    register(trip.school, read_key_file(trip.station_key, STATION))       # the school trusts the station
    yield trip
    trip.school.close()
    trip.station.close()


@pytest.fixture
def page(qtbot, rt, shown, app_font):
    from gui.main_window import FINDINGS
    w = open_main_window(qtbot, rt.school, FINDINGS)
    w.resize(1024, 768)
    return w, w.findings


def _select(page, name, feedback=True):
    page.view.clearSelection()
    for r in range(page.proxy.rowCount()):
        row = page.source_row(page.proxy.index(r, 0))
        if row.name == name and bool(row.origin) == feedback:
            page.view.selectionModel().select(page.proxy.index(r, 0), QItemSelectionModel.SelectionFlag.Select
                                              | QItemSelectionModel.SelectionFlag.Rows)


def _cell(page, name, header):
    model = page.model
    column = next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == header)
    row = next(i for i, r in enumerate(model.rows()) if r.name == name and r.origin)
    return model.data(model.index(row, column)), model.data(model.index(row, column), Qt.ItemDataRole.ToolTipRole)


def test_import_action_shows_the_findings_with_their_origin(page, rt, monkeypatch, qtbot, tmp_path):
    win, findings = page
    assert not findings.fixed_button.isVisible() and findings.double_click_hint.isVisible()
    pkg = send(rt, [duplicate(ZHANG), duplicate(LI, "李四", other_fen=250000)])
    win.show_page(0)
    monkeypatch.setattr(findings, "ask_feedback_path", lambda: pkg)
    win.action_collection["import_feedback"].trigger()
    assert win.nav.currentRow() == 3                                     # 核查问题
    assert {r.name for r in findings.model.rows() if r.origin} == {"张丽", "李四"}
    origin, tip = _cell(findings, "张丽", "来源")
    assert origin == "汇总核查" and f"来自：{STATION} 汇总核查" in tip
    assert "跨校重复享受资助（2）" in [findings.code_filter.itemText(i) for i in range(findings.code_filter.count())]
    _select(findings, "李四")
    text = findings.detail.toPlainText()
    assert f"来自：{STATION} 汇总核查" in text and "第二中学（代码 2）：2500.00 元" in text and "标记已改正" in text
    qtbot.wait(10)
    assert findings.fixed_button.isVisible() and not findings.double_click_hint.isVisible()
    assert fit_problems(win) == []                                    # nothing cut at 1024×768
    win.grab().save(str(tmp_path / "findings-feedback.png"))      # docs/screenshots/findings-feedback.png
    # 标记已改正… on 李四's finding (the clerk writes what was changed)
    monkeypatch.setattr(findings, "ask_fix_note", lambda rows: "已与第二中学核实，该生在本校就读，第二中学已移出")
    findings.fixed_button.click()
    li = next(r for r in finding_rows(rt.school) if r.name == "李四" and r.origin)
    assert li.state == FindingState.FIXED and li.reason.startswith("已与第二中学核实")
    assert _cell(findings, "李四", "处理说明")[0].startswith("已与第二中学核实")   # the page reloaded
    # importing it again changes nothing and says so
    win.action_collection["import_feedback"].trigger()
    assert "已导入过" in win.statusBar().currentMessage()


def test_mark_fixed_ignores_the_schools_own_findings_and_refusals_are_shown(page, rt, monkeypatch, shown):
    from core.feedback import ORIGIN_CROSS  # noqa: F401 - the station's findings only
    win, findings = page
    asked = []
    monkeypatch.setattr(findings, "ask_fix_note", lambda rows: asked.append(rows) or "x")
    own = [r for r in findings.model.rows() if not r.origin]
    assert own, "the fixture's school has findings of its own"
    _select(findings, own[0].name, feedback=False)
    findings.fixed_button.click()
    assert asked == [] and "本校核查的问题" in win.statusBar().currentMessage()
    # a package for another school: refused, shown through the one error path, nothing imported
    other = send(rt, [duplicate(ZHANG)], "other.zip", school_code="2", school_name="第二中学")
    findings.import_feedback(other)
    assert len(shown) == 1 and "不是本校" in shown[0][0]
    shown.clear()
    assert not [r for r in finding_rows(rt.school) if r.origin]
