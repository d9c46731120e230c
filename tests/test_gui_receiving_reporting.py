"""汇总 › 汇总 shows the 报送情况 (应报, 已报, 缺报, 迟报) before the export: the same ``Reporting`` the
汇总包 states (db.consolidation, core.consolidate.reporting), read with the page's data in the worker
and refreshed with it; the 缺报 schools named in the line when few, every one in its tooltip. Without
a list of expected schools it says so and names the button 导入应报学校名单…. It fits 1024×768 and
1366×768 at 150 %."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import open_main_window, xlsx
from PySide6.QtCore import QRect
from receiving_fixtures import receiver_db, two_kid_school
from screenfit import fit_problems

from db import receiving_status, trust_store
from db.consolidation import reporting
from db.receiving_status import import_expected_schools
from db.session import open_database
from gui.receiving.page import ReceivingPage, load_receiving

pytestmark = pytest.mark.usefixtures("shown")

A, B, C = "4228220101", "4228220105", "4228220106"      # A and B send packages, C nothing
HEADER = ["学校代码", "学校名称", "乡镇", "学段"]
ROWS = ([A, "龙坪乡中心小学", "龙坪乡", "中心校"], [B, "花坪小学", "花坪镇", "村小"], [C, "石门小学", "龙坪乡", "村小"])


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schools")
    return two_kid_school(folder), two_kid_school(folder, code=B, name="花坪小学", township="花坪镇", first=3)


@pytest.fixture
def station(tmp_path, schools):
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    for pkg in schools:
        trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name), "")
    yield d
    d.close()


def open_page(qtbot, database, monkeypatch, deadline=None):
    monkeypatch.setattr(receiving_status, "deadline", lambda session, year: deadline)
    p = ReceivingPage(database)
    qtbot.addWidget(p)
    p.resize(1000, 700)
    p.show()
    monkeypatch.setattr(p, "show_intake_result", lambda report: None)
    monkeypatch.setattr(p, "show_done", lambda title, text: None)
    p.reload()
    return p


def the_list(station, tmp_path, *rows):
    import_expected_schools(station, xlsx(tmp_path / "应报学校.xlsx", HEADER, *rows))


def exported(station):
    """The 报送情况 the 汇总包 would state now (its export's own computation)."""
    with station.session() as s:
        return reporting(s)


def test_without_a_list_the_tab_says_so_and_names_the_button(qtbot, station, schools, monkeypatch):
    page = open_page(qtbot, station, monkeypatch)
    page.take_in([schools[0].path])
    page.tabs.setCurrentWidget(page.summary)
    line = page.summary.reporting
    assert line.isVisible() and line.objectName() == "reportingLine"
    assert "还没有应报学校名单" in line.text() and "导入应报学校名单…" in line.text()
    assert not any(ch.isdigit() for ch in line.text()) and " 所" not in line.text()     # no numbers, no claim
    assert page.data is not None and page.data.reporting is None and exported(station) is None


def test_the_list_imported_from_the_page_shows_the_counts_and_the_missing_schools(qtbot, station, schools,
                                                                                   monkeypatch, tmp_path):
    page = open_page(qtbot, station, monkeypatch)
    page.take_in([schools[0].path])
    monkeypatch.setattr(page, "ask_schools_file", lambda: xlsx(tmp_path / "名单.xlsx", HEADER, *ROWS))
    page.schools_button.click()                  # the page reloads: the line follows
    line = page.summary.reporting
    assert line.text().startswith("报送情况：应报 3 所、已报 1 所；缺报 2 所：花坪小学、石门小学；迟报：无。")
    assert "未计入本次汇总的任何合计，汇总数据不完整" in line.text()
    tip = line.toolTip()
    assert f"花坪小学（{B}，花坪镇）：尚未报送" in tip and f"石门小学（{C}，龙坪乡）" in tip
    assert "rgb(176, 0, 32)" in line.styleSheet()                  # red while schools are missing
    # the export's computation, read in the worker with the page's data
    r = exported(station)
    assert r is not None and page.data is not None and page.data.reporting == r
    assert load_receiving(station).reporting == r
    assert line.text() == f"报送情况：{r.line(3)}{r.consequence()}"


def test_the_line_is_refreshed_when_the_page_reloads(qtbot, station, schools, monkeypatch, tmp_path):
    a, b = schools
    the_list(station, tmp_path, *ROWS)
    page = open_page(qtbot, station, monkeypatch)
    assert page.summary.reporting.text().startswith("报送情况：应报 3 所、已报 0 所；缺报 3 所：")
    page.take_in([a.path, b.path])
    line = page.summary.reporting
    assert line.text().startswith("报送情况：应报 3 所、已报 2 所；缺报 1 所：石门小学；迟报：无。")
    the_list(station, tmp_path, *ROWS[:2])
    page.reload()
    assert line.text() == "报送情况：应报 2 所、已报 2 所；缺报：无；迟报：无。"
    assert line.styleSheet() == ""                                # complete: not red
    assert "缺报" not in line.toolTip()


def test_after_the_deadline_a_late_package_is_late_and_a_school_without_one_overdue(qtbot, station, schools,
                                                                                     monkeypatch, tmp_path):
    the_list(station, tmp_path, *ROWS)
    page = open_page(qtbot, station, monkeypatch, deadline=date(2000, 1, 1))
    page.take_in([schools[0].path])
    line = page.summary.reporting
    assert line.text().startswith("报送情况：应报 3 所、已报 1 所；缺报 2 所：花坪小学、石门小学；"
                                  "迟报 1 所：龙坪乡中心小学。")
    tip = line.toolTip()
    assert "报送截止：2000-01-01" in tip and "迟报（已计入合计） 1 所：" in tip
    assert f"花坪小学（{B}，花坪镇）：逾期未报" in tip


def many_schools(n: int) -> list[list[str]]:
    return [[f"42282202{i:02d}", f"长阳土家族自治县第{i}中心完全小学", "高坪镇", "小学"] for i in range(n)]


def test_many_missing_schools_are_counted_in_the_line_and_named_in_the_tooltip(qtbot, station, monkeypatch,
                                                                                tmp_path):
    rows = many_schools(35)
    the_list(station, tmp_path, *rows)
    page = open_page(qtbot, station, monkeypatch)
    line = page.summary.reporting
    assert "缺报 35 所：长阳土家族自治县第0中心完全小学、长阳土家族自治县第1中心完全小学、长阳土家族自治县第2中心完全小学 等；" \
           in line.text()
    assert "第3中心" not in line.text()
    tip = line.toolTip()
    assert all(f"（{code}，高坪镇）" in tip for code, *_ in rows[:30]) and rows[30][0] not in tip
    assert "……另有 5 所" in tip


@pytest.mark.parametrize("small", [QRect(0, 0, 1024, 768 - 40), QRect(0, 0, 911, 512 - 40)],
                         ids=["1024x768", "1366x768-at-150%"])
def test_the_summary_tab_with_the_line_fits_a_small_screen(qtbot, app_font, station, schools, monkeypatch,
                                                           tmp_path, small):
    from gui import screen
    monkeypatch.setattr(receiving_status, "deadline", lambda session, year: date(2000, 1, 1))
    monkeypatch.setattr(screen, "screen_geometry", lambda widget=None: QRect(small))
    the_list(station, tmp_path, *ROWS, *many_schools(8))
    win = open_main_window(qtbot, station)
    page = win.receiving
    monkeypatch.setattr(page, "show_intake_result", lambda report: None)
    win.show_receiving()
    page.take_in([schools[0].path])
    page.tabs.setCurrentWidget(page.summary)
    qtbot.wait(30)
    line = page.summary.reporting
    assert line.isVisible() and "迟报 1 所" in line.text() and "缺报 10 所" in line.text()
    assert small.contains(QRect(win.pos(), win.size() + screen.FRAME))
    assert fit_problems(win) == []
    assert line.height() >= line.heightForWidth(line.width())
    win.close()
