"""汇总 › 导入应报学校名单…: the clerk imports the list of expected schools from the page (the
windowed program has no console for ``consolidate schools``); the package list then shows each
expected school's state (已接收, 缺报, 迟报), a bad list changes nothing and says why in Chinese,
and the button row fits a 1024×768 screen."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import open_main_window, xlsx
from PySide6.QtCore import QRect, Qt
from receiving_fixtures import receiver_db, two_kid_school
from screenfit import fit_problems

from db import receiving_status, trust_store
from db.changes import Changes
from db.receiving import expected_schools
from db.session import open_database
from gui.receiving.models import ACCEPTED, MISSING
from gui.receiving.page import ReceivingPage

A, B, C = "4228220101", "4228220105", "4228220106"      # A sends its package, B and C send nothing
HEADER = ["学校代码", "学校名称", "乡镇", "学段"]
ROWS = ([A, "龙坪乡中心小学", "龙坪乡", "中心校"], [B, "花坪小学", "花坪镇", "村小"],
        [C, "石门小学", "龙坪乡", "村小"], ["合计", "", "", ""])


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    return two_kid_school(tmp_path_factory.mktemp("school"))


@pytest.fixture
def station(tmp_path, school):
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    trust_store.register(d, trust_store.read_key_file(school.key_file, school.name), "")
    yield d
    d.close()


def open_page(qtbot, database, monkeypatch, deadline=None, size=(1000, 700)):
    """The page alone; the campaign's deadline as given (None: nothing is late); each intake's report
    and each done message collected instead of their dialogs."""
    monkeypatch.setattr(receiving_status, "deadline", lambda session, year: deadline)
    p = ReceivingPage(database)
    qtbot.addWidget(p)
    p.resize(*size)
    p.show()
    p.reports, p.done = [], []
    monkeypatch.setattr(p, "show_intake_result", p.reports.append)
    monkeypatch.setattr(p, "show_done", lambda title, text: p.done.append((title, text)))
    p.reload()
    return p


def states(page) -> dict[str, tuple[str, str]]:
    """School code → (state, school name) of the package list's school rows."""
    m = page.packages.model
    return {r.school_code: (r.state, r.school_name) for r in m.rows() if r.id.startswith("s")}


def choose(page, monkeypatch, path) -> list[int]:
    """The file dialog answers ``path``; returns the list of times it was asked."""
    asked: list[int] = []

    def ask():
        asked.append(1)
        return path
    monkeypatch.setattr(page, "ask_schools_file", ask)
    return asked


def test_the_button_sits_after_the_add_buttons_and_says_what_the_list_is_for(qtbot, shown, station, monkeypatch):
    page = open_page(qtbot, station, monkeypatch)
    button = page.schools_button
    assert button.text() == "导入应报学校名单…" and button.objectName() == "importExpectedSchools"
    assert "缺报" in button.toolTip() and "迟报" in button.toolTip() and "学校代码" in button.toolTip()
    row = page.layout().itemAt(0).layout()
    widgets = [row.itemAt(i).widget() for i in range(row.count())]
    assert widgets.index(button) == widgets.index(page.folder_button) + 1
    assert widgets.index(page.add_button) < widgets.index(page.folder_button)
    # the empty list names the button, not the command line
    assert "导入应报学校名单…" in page.packages.empty_label.text()
    assert "consolidate" not in page.packages.empty_label.text()


def test_importing_the_list_shows_each_expected_school_missing_or_received(qtbot, shown, station, school,
                                                                            monkeypatch, tmp_path):
    page = open_page(qtbot, station, monkeypatch)
    page.take_in([school.path])
    assert states(page) == {A: (ACCEPTED, school.name)}
    seen: list[Changes] = []
    page.changed.connect(seen.append)
    asked = choose(page, monkeypatch, xlsx(tmp_path / "应报学校.xlsx", HEADER, *ROWS))
    qtbot.mouseClick(page.schools_button, Qt.MouseButton.LeftButton)
    assert asked == [1] and seen == [Changes.RECEIVING]
    [(title, text)] = page.done
    assert title == "导入应报学校名单"
    assert "已导入应报学校名单：3 所（新增 3 所，移出 0 所）" in text and "跳过第5行" in text
    assert states(page) == {A: (ACCEPTED, school.name), B: (MISSING, "花坪小学"), C: (MISSING, "石门小学")}
    assert "缺报 2" in page.packages.count_label.text()
    assert expected_schools_of(station) == [A, B, C]


def test_after_the_deadline_the_schools_without_a_package_are_missing_and_overdue(qtbot, shown, station, monkeypatch, tmp_path):
    page = open_page(qtbot, station, monkeypatch, deadline=date(2000, 1, 1))
    choose(page, monkeypatch, xlsx(tmp_path / "应报学校.xlsx", HEADER, *ROWS[1:3]))
    page.schools_button.click()
    assert "已导入应报学校名单：2 所" in page.done[0][1]
    # 缺报 as the exported 报送情况 says (not in the totals), noted 逾期未报
    assert states(page) == {B: (MISSING, "花坪小学"), C: (MISSING, "石门小学")}
    reasons = {r.school_code: r.reason for r in page.packages.model.rows() if r.id.startswith("s")}
    assert reasons == {B: "逾期未报", C: "逾期未报"}


def test_a_second_list_replaces_the_first_and_says_what_changed(qtbot, shown, station, monkeypatch, tmp_path):
    page = open_page(qtbot, station, monkeypatch)
    choose(page, monkeypatch, xlsx(tmp_path / "一.xlsx", HEADER, *ROWS[1:3]))
    page.schools_button.click()
    choose(page, monkeypatch, xlsx(tmp_path / "二.xlsx", HEADER, ROWS[0], ROWS[1]))
    page.schools_button.click()
    assert "已导入应报学校名单：2 所（新增 1 所，移出 1 所）" in page.done[1][1]
    assert set(states(page)) == {A, B}


def test_a_list_without_the_code_column_shows_a_chinese_error_and_changes_nothing(qtbot, shown, station,
                                                                                  monkeypatch, tmp_path):
    page = open_page(qtbot, station, monkeypatch)
    choose(page, monkeypatch, xlsx(tmp_path / "好.xlsx", HEADER, ROWS[1]))
    page.schools_button.click()
    seen: list[Changes] = []
    page.changed.connect(seen.append)
    choose(page, monkeypatch, xlsx(tmp_path / "坏.xlsx", ["学校名称", "乡镇"], ["石门小学", "龙坪乡"]))
    page.schools_button.click()
    [(message, hint)] = shown
    shown.clear()
    assert "缺少必需的列：“学校代码”" in message and "坏.xlsx" in message
    assert "表头改为“学校代码”" in hint and "导入向导" not in hint     # (this import has no wizard)
    assert "Traceback" not in message and "内部错误" not in message
    assert len(page.done) == 1 and seen == []
    assert expected_schools_of(station) == [B]
    assert states(page) == {B: (MISSING, "花坪小学")}


def test_a_list_with_a_bad_line_names_it(qtbot, shown, station, monkeypatch, tmp_path):
    page = open_page(qtbot, station, monkeypatch)
    choose(page, monkeypatch, xlsx(tmp_path / "坏.xlsx", HEADER, ROWS[1], ["", "无代码小学", "", ""]))
    page.schools_button.click()
    [(message, _hint)] = shown
    shown.clear()
    assert "第3行" in message and "没有导入" in message
    assert page.done == [] and expected_schools_of(station) == []


def test_a_cancelled_dialog_does_nothing(qtbot, shown, station, monkeypatch):
    page = open_page(qtbot, station, monkeypatch)
    seen: list[Changes] = []
    page.changed.connect(seen.append)
    asked = choose(page, monkeypatch, None)
    page.schools_button.click()
    assert asked == [1] and seen == [] and page.done == [] and shown == []
    assert expected_schools_of(station) == []


def test_importing_the_list_makes_the_page_appear_at_the_next_start(qtbot, shown, tmp_path, monkeypatch):
    """A database that receives nothing yet: 汇总 switched on, the list imported on it; the next start
    shows 汇总 (db.receiving_views.receives: it has expected schools)."""
    d = open_database(receiver_db(tmp_path / "plain.sqlite"))
    try:
        win = open_main_window(qtbot, d)
        assert win.receiving_item.isHidden()
        win.action_collection.receiving.trigger()
        page = win.receiving
        monkeypatch.setattr(page, "show_done", lambda title, text: None)
        choose(page, monkeypatch, xlsx(tmp_path / "应报学校.xlsx", HEADER, ROWS[1]))
        page.schools_button.click()
        assert list(states(page)) == [B]             # 缺报 (逾期未报): the real deadline of the test year has passed
        win.close()
        again = open_main_window(qtbot, d)
        assert not again.receiving_item.isHidden()
        again.close()
    finally:
        d.close()


def test_the_button_row_fits_1024x768(qtbot, shown, app_font, station, monkeypatch):
    page = open_page(qtbot, station, monkeypatch, size=(1024, 768))
    qtbot.wait(30)
    assert page.schools_button.isVisible()
    assert fit_problems(page) == []


@pytest.mark.parametrize("small", [QRect(0, 0, 1024, 768 - 40), QRect(0, 0, 911, 512 - 40)],
                         ids=["1024x768", "1366x768-at-150%"])
def test_the_page_fits_the_main_window_on_a_small_screen(qtbot, shown, app_font, station, monkeypatch, small):
    """In the main window the page is narrower (the navigation is beside it); a Windows task bar at the
    bottom; at 150 % scaling the drop hint wraps onto two lines beside the buttons."""
    from gui import screen
    monkeypatch.setattr(screen, "screen_geometry", lambda widget=None: QRect(small))
    win = open_main_window(qtbot, station)
    win.show_receiving()
    qtbot.wait(30)
    assert win.stack.currentWidget() is win.receiving and win.receiving.schools_button.isVisible()
    assert small.contains(QRect(win.pos(), win.size() + screen.FRAME))
    assert fit_problems(win) == []
    win.close()


def expected_schools_of(database):
    """The codes of the stored list (db.receiving.expected_schools in its own read)."""
    with database.session() as s:
        return [e.code for e in expected_schools(s)]
