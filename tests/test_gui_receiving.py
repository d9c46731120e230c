"""The 汇总 page: packages built by the program are dropped on it (a real QDropEvent with file
URLs), taken in through db.receiving.intake, and the package list shows each one's state and
total to the fen; a refused package shows its reason; the page appears in the navigation only
when the database receives (or the clerk switches it on)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import open_main_window
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from receiving_fixtures import receiver_db, tampered, two_kid_school

from db import trust_store
from db.changes import Changes
from db.session import open_database
from gui.receiving.models import ACCEPTED, MISSING, REFUSED, PackageModel
from gui.receiving.page import ReceivingPage


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    """Two schools of two students each (2400.00 each), one tampered copy, one unknown school."""
    folder = tmp_path_factory.mktemp("schools")
    a = two_kid_school(folder)
    b = two_kid_school(folder, code="4228220102", name="白杨坪小学", township="白杨坪镇", first=3)
    c = two_kid_school(folder, code="4228220103", name="未登记小学", township="龙坪乡", first=5)
    bad = tampered(a, folder / "龙坪-被改动.zip")
    return a, b, c, bad


@pytest.fixture
def station(tmp_path, schools):
    a, b, _c, _bad = schools
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    for pkg in (a, b):
        trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name), "")
    yield d
    d.close()


def drop(qtbot, widget, paths: list[Path]) -> None:
    """A real drag-enter and drop of file URLs on ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    assert event.isAccepted()


def drop_twins(qtbot, page, station, schools, tmp_path) -> None:
    """School A and a registered twin school reporting the same two ID numbers, dropped on the page."""
    a, *_ = schools
    twin = two_kid_school(tmp_path, code="4228220104", name="三里乡小学", township="三里乡")
    trust_store.register(station, trust_store.read_key_file(twin.key_file, twin.name), "")
    drop(qtbot, page, [a.path, twin.path])


def rows_by_state(model: PackageModel) -> list[tuple[str, str, str, str, str]]:
    return sorted((model.index(r, 0).data(), model.index(r, 3).data(), model.index(r, 4).data(),
                   model.index(r, 5).data(), model.index(r, 8).data()) for r in range(model.rowCount()))


def open_page(qtbot, database, monkeypatch, size=(1000, 700)):
    """The page alone on ``database``; the campaign's deadline not set (so nothing is late: see the
    test of 迟报); each intake's report collected in ``reports`` instead of the result dialog."""
    from db import receiving_status
    monkeypatch.setattr(receiving_status, "deadline", lambda session, year: None)
    p = ReceivingPage(database)
    qtbot.addWidget(p)
    p.resize(*size)
    p.show()
    p.reports = []
    monkeypatch.setattr(p, "show_intake_result", p.reports.append)
    p.reload()
    return p


@pytest.fixture
def page(qtbot, shown, station, monkeypatch):
    return open_page(qtbot, station, monkeypatch)


def test_dropped_packages_are_taken_in_and_listed_with_state_and_total(page, schools, qtbot):
    a, b, c, bad = schools
    drop(qtbot, page, [a.path, b.path, c.path, bad])
    [report] = page.reports
    assert [(o.file_name, o.result) for o in report.outcomes] == [
        (a.path.name, "accepted"), (b.path.name, "accepted"), (c.path.name, "refused"), (bad.name, "refused")]
    rows = rows_by_state(page.packages.model)
    accepted = [r for r in rows if r[1] == ACCEPTED]
    assert [(r[0], r[2], r[3]) for r in accepted] == [("4228220101", "2", "2400.00"), ("4228220102", "2", "2400.00")]
    refused = [r for r in rows if r[1] == REFUSED]
    assert len(refused) == 2
    unknown = next(r for r in refused if r[0] == "4228220103")
    assert "签名人未知" in unknown[4] and c.fingerprint in unknown[4]
    assert any(r[0] == "4228220101" and "data.json" in r[4] for r in refused)      # the tampered copy
    assert "已接收 2" in page.packages.count_label.text() and "拒收 2" in page.packages.count_label.text()


def test_a_package_dropped_twice_is_already_received(page, schools, qtbot):
    a, *_ = schools
    drop(qtbot, page, [a.path])
    drop(qtbot, page, [a.path])
    assert [o.result for o in page.reports[1].outcomes] == ["duplicate"]
    assert [r[1] for r in rows_by_state(page.packages.model)] == [ACCEPTED]


def test_a_dropped_folder_takes_in_every_package_inside(page, schools, qtbot, tmp_path):
    a, b, *_ = schools
    stick = tmp_path / "U盘" / "上报"
    stick.mkdir(parents=True)
    for pkg in (a, b):
        shutil.copy(pkg.path, stick / pkg.path.name)
    drop(qtbot, page, [tmp_path / "U盘"])
    assert sorted(o.school_code for o in page.reports[0].outcomes if o.accepted) == ["4228220101", "4228220102"]


def test_intake_reports_receiving_changes(page, schools, qtbot):
    a, *_ = schools
    seen = []
    page.changed.connect(seen.append)
    page.take_in([a.path])
    assert seen == [Changes.RECEIVING]


def test_expected_school_without_a_package_is_missing(page, station, schools, qtbot):
    from db.receiving_models import ExpectedSchool
    with station.session() as s:             # the expected-schools import is recv-intake's
        s.add(ExpectedSchool(code="4228220109", name="花坪小学", township="花坪镇", level="小学"))
    page.reload()
    assert ("4228220109", MISSING, "", "", "") in rows_by_state(page.packages.model)


def test_after_the_deadline_a_package_is_late_and_a_school_without_one_missing(page, station, schools, qtbot, monkeypatch):
    from datetime import date

    from db import receiving_status
    from db.receiving_models import ExpectedSchool
    from gui.receiving.models import LATE, MISSING
    a, *_ = schools
    with station.session() as s:
        s.add(ExpectedSchool(code="4228220109", name="花坪小学", township="花坪镇", level="小学"))
    monkeypatch.setattr(receiving_status, "deadline", lambda session, year: date(2000, 1, 1))
    drop(qtbot, page, [a.path])
    assert [(r[0], r[1]) for r in rows_by_state(page.packages.model)] == [("4228220101", LATE),
                                                                           ("4228220109", MISSING)]


def test_a_replaced_package_stays_listed_as_replaced(page, schools, qtbot, tmp_path):
    from receiving_fixtures import high_school_kid, revise_school

    from gui.receiving.models import REPLACED
    a, *_ = schools
    copy = tmp_path / "a"
    shutil.copytree(a.path.parent, copy)
    from dataclasses import replace
    old = replace(a, path=copy / a.path.name, db_path=copy / a.db_path.name)
    newer = revise_school(old, copy / "newer.zip", students=[high_school_kid("学生9", 9)])
    drop(qtbot, page, [old.path])
    drop(qtbot, page, [newer.path])
    [outcome] = page.reports[1].outcomes
    assert outcome.replaced_file == old.path.name and outcome.changes is not None
    rows = rows_by_state(page.packages.model)
    assert [(r[1], r[2], r[3]) for r in rows if r[0] == "4228220101"] == [
        (ACCEPTED, "3", "3600.00"), (REPLACED, "2", "2400.00")]


def test_a_student_subsidised_by_two_schools_shows_in_the_findings_and_the_summary(page, station, schools,
                                                                                   qtbot, tmp_path):
    from receiving_fixtures import kid_id
    drop_twins(qtbot, page, station, schools, tmp_path)
    assert "4800.00 元" in page.summary.line.text() and "2 人在多所学校享受资助" in page.summary.line.text()
    model = page.findings.model
    dup = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())
           if model.row_at(r).code == "DUPLICATE_ACROSS_SCHOOLS"]
    assert len(dup) == 4                                   # two IDs, each named at both schools
    number = kid_id(1)
    assert all(number not in " ".join(row) for row in dup)
    assert any(row[4] == number[:6] + "********" + number[-4:] for row in dup)
    assert page.tabs.tabText(2).startswith("交叉核查（")


def test_package_model(qtmodeltester, page, schools, qtbot):
    a, _b, c, _bad = schools
    drop(qtbot, page, [a.path, c.path])
    qtmodeltester.check(page.packages.model)


def test_the_page_shows_in_the_navigation_only_when_the_database_receives(qtbot, shown, tmp_path, schools):
    a, *_ = schools
    d = open_database(receiver_db(tmp_path / "plain.sqlite"))
    try:
        win = open_main_window(qtbot, d)
        assert win.receiving_item.isHidden()
        win.action_collection.receiving.trigger()          # 汇总（接收各校上报包）: switched on
        assert not win.receiving_item.isHidden()
        assert win.stack.currentWidget() is win.receiving
        trust_store.register(d, trust_store.read_key_file(a.key_file, a.name), "")
        win.close()
        again = open_main_window(qtbot, d)                  # next start: it receives, so 汇总 is there
        assert not again.receiving_item.isHidden()
        again.close()
    finally:
        d.close()


def test_a_trust_box_registration_shows_the_page(qtbot, shown, tmp_path, schools, monkeypatch):
    from gui.main_window import SETTINGS
    from gui.trust_box import KeyDetails
    a, *_ = schools
    d = open_database(receiver_db(tmp_path / "plain.sqlite"))
    try:
        win = open_main_window(qtbot, d, SETTINGS)
        box = win.settings.trust_box
        monkeypatch.setattr(box, "choose_key_file", lambda: a.key_file)
        monkeypatch.setattr(box, "ask_key_details", lambda p, s: KeyDetails(a.name, s.school_code, "龙坪乡"))
        box.add_button.click()
        assert not win.receiving_item.isHidden()             # apply_changes(RECEIVING) reloaded the page
        win.close()
    finally:
        d.close()


def package_data(pkg):
    import zipfile

    from core.package_data import DATA_MEMBER, parse_package_data
    with zipfile.ZipFile(pkg.path) as zf:
        return parse_package_data(zf.read(DATA_MEMBER), pkg.path.name)


def test_summary_tab_shows_townships_items_and_sources_to_the_fen(qtbot, schools, qtmodeltester):
    from core.consolidate import summarise
    from gui.receiving.summary_tab import SummaryTab
    a, b, *_ = schools
    summary = summarise([package_data(a), package_data(b)])
    tab = SummaryTab()
    qtbot.addWidget(tab)
    tab.show_summary(summary)
    assert "2 所学校" in tab.line.text() and "4800.00 元" in tab.line.text()
    assert "市级 2400.00 元" in tab.line.text() and "县级 2400.00 元" in tab.line.text()
    towns = tab.townships.model
    table = [[towns.index(r, c).data() for c in range(towns.columnCount())] for r in range(towns.rowCount())]
    headers = [towns.headerData(c, Qt.Orientation.Horizontal) for c in range(towns.columnCount())]
    assert headers == ["乡镇", "学校数", "学生数", "享受资助", "金额（元）", "市级（元）", "县级（元）"]
    assert table == [["白杨坪镇", "1", "2", "2", "2400.00", "1200.00", "1200.00"],
                     ["龙坪乡", "1", "2", "2", "2400.00", "1200.00", "1200.00"],
                     ["合计", "2", "4", "4", "4800.00", "2400.00", "2400.00"]]
    towns.sort(4, Qt.SortOrder.DescendingOrder)
    assert towns.index(towns.rowCount() - 1, 0).data() == "合计"     # the total stays last
    budget = tab.items.model
    lines = {budget.index(r, 0).data(): [budget.index(r, c).data() for c in range(1, budget.columnCount())]
             for r in range(budget.rowCount())}
    assert lines["免学费"] == ["4", "4000.00", "4", "2000.00", "4", "2000.00"]
    assert lines["免书本费"] == ["4", "800.00", "4", "400.00", "4", "400.00"]
    assert lines["合计"][1] == "4800.00"
    assert [(bar[0], bar[1]) for bar in tab.townships.chart.bars] == [("白杨坪镇", 240000), ("龙坪乡", 240000)]
    assert sorted((bar[0], bar[1]) for bar in tab.items.chart.bars) == [("免书本费", 80000), ("免学费", 400000)]
    for model in (towns, budget, tab.schools_model):
        qtmodeltester.check(model)
    tab.show_summary(None)
    assert towns.rowCount() == 0 and tab.townships.chart.bars == []


def test_findings_model_masks_id_numbers(qtmodeltester):
    from receiving_fixtures import kid_id

    from core.consolidate import CrossFinding, Involved
    from gui.receiving.models import FindingModel, finding_rows
    number = kid_id(1)
    f = CrossFinding("DUPLICATE_ACROSS_SCHOOLS", "error", number, "学生1", "同一学生在两所学校享受资助",
                     "4228220101", "龙坪乡中心小学", amount_fen=120000,
                     others=(Involved("4228220102", "白杨坪小学", "学生1", 120000),))
    model = FindingModel()
    model.set_rows(finding_rows([f]))
    qtmodeltester.check(model)
    shown = [model.index(0, c).data() for c in range(model.columnCount())]
    assert number not in " ".join(shown) and shown[4] == number[:6] + "********" + number[-4:]
    assert shown[:3] == ["错误", "同一学生在多所学校享受资助", "龙坪乡中心小学（4228220101）"]


def test_a_package_failing_midway_refreshes_the_page_and_tells_what_was_stored(qtbot, shown, station, schools,
                                                                               monkeypatch):
    """Each package is its own transaction: the one stored before the failure is on the page (the page
    is told the receiving data changed), and the one error says what was and was not stored."""
    from receiving_fixtures import failing_log
    a, b, *_ = schools
    page = open_page(qtbot, station, monkeypatch)
    seen: list[Changes] = []
    page.changed.connect(seen.append)
    failing_log(monkeypatch, lambda _outcomes, n: n == 2)
    page.take_in([a.path, b.path])
    assert seen == [Changes.RECEIVING]
    assert len(shown) == 1 and "此前的 1 个包" in str(shown[0]) and "没有写入任何数据" not in str(shown[0])
    shown.clear()
