"""GUI: the student list model, search, filters and sorting."""
from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QUndoStack

from core.idnumber import make_id
from core.records import ParsedRow
from db import store
from db.importing import apply_plan, plan_import
from gui.search import SearchIndex, haystack
from gui.students.model import COL
from gui.students.proxy import HAS_PROBLEMS
from gui.students.view import StudentsPage

pytestmark = pytest.mark.usefixtures("shown")

ID_ZS = make_id("110101", date(2008, 5, 1), 123)
ID_ZXH = make_id("110101", date(2012, 3, 4), 222)
ID_LS = make_id("110101", date(2010, 7, 8), 335)
ID_WW = make_id("110101", date(2019, 9, 9), 441)
ID_AN = make_id("110101", date(2003, 1, 2), 552)


def student(name, idn, stage, category, **kw):
    return {"name": name, "id_number": idn, "id_raw": idn, "id_numeric_cell": False,
            "stage": stage, "category": category, **kw}


PEOPLE = [
    student("张三", ID_ZS, "普通高中", "REGISTERED", tuition_fen=150000, textbook_fen=30000,
            lodging_fen=None, class_name="1班"),
    student("曾小红", ID_ZXH, "小学", "NONE"),
    student("李四", ID_LS, "初中", "OTHER_HARDSHIP"),
    student("王五", ID_WW, "学前教育", "REGISTERED"),
    student("安娜", ID_AN, "本科", "NONE"),
]


def fill_people(db):
    with db.session() as s:
        store.init_school(s, "第一中学", "4115", 2023, actor="t")
        rows = [ParsedRow(i + 2, v) for i, v in enumerate(PEOPLE)]
        rows[2].problems.append("联系电话格式不对")
        plan = plan_import(s, "students", rows, [], {f for v in PEOPLE for f in v})
        apply_plan(s, plan, actor="t")
    return db


@pytest.fixture
def people_db(db):
    return fill_people(db)


@pytest.fixture
def page(qtbot, people_db):
    p = StudentsPage(people_db, QUndoStack())
    qtbot.addWidget(p)
    p.resize(1200, 600)
    p.show()
    p.reload()
    return p


def visible_names(page):
    proxy = page.proxy
    return [proxy.index(r, COL["姓名"]).data() for r in range(proxy.rowCount())]


def search(page, text):
    page.proxy.set_search_text(text, immediate=True)
    return set(visible_names(page))


def test_model_passes_the_model_tester(page, qtmodeltester):
    qtmodeltester.check(page.model)


def test_proxy_passes_the_model_tester(page, qtmodeltester):
    search(page, "z")
    qtmodeltester.check(page.proxy)


def test_rows_show_masked_ids_totals_and_status(page):
    m = page.model
    pos = {m.row_at(r).name: r for r in range(m.rowCount())}
    zs = pos["张三"]
    assert m.index(zs, COL["身份证号"]).data() == ID_ZS[:6] + "********" + ID_ZS[-4:]
    assert m.index(zs, COL["家庭类别"]).data() == "建档立卡"
    assert m.index(zs, COL["状态"]).data() == "待核准"
    # 免书本费 300.00 granted; 免学费 pending (standard unset), 免住宿费 pending (fee blank)
    assert m.index(zs, COL["资助合计（元）"]).data() == "300.00"
    assert m.index(pos["王五"], COL["资助合计（元）"]).data() == "2022.00"
    # 问题 shows open findings (none before a check), never the messages from import time
    assert m.index(pos["李四"], COL["问题"]).data() == ""
    assert page.count_label.text() == "共 5 人"


def test_search_by_pinyin_initials(page):
    assert search(page, "zs") == {"张三"}
    assert search(page, "ZS") == {"张三"}
    assert search(page, "zxh") == {"曾小红"}
    assert search(page, "cxh") == {"曾小红"}     # 曾 also reads céng
    assert search(page, "z") == {"张三", "曾小红"}
    assert search(page, "c") == {"曾小红"}
    assert search(page, "an") == {"安娜"}
    assert page.count_label.text() == "共 5 人，筛选出 1 人"


def test_search_by_name_and_full_id_substring(page):
    assert search(page, "小红") == {"曾小红"}
    assert search(page, ID_ZS) == {"张三"}
    assert search(page, "20080501") == {"张三"}          # hidden (masked) digits still match
    assert search(page, ID_ZS[8:15]) == {"张三"}
    assert search(page, "") == {"张三", "曾小红", "李四", "王五", "安娜"}
    assert search(page, "不存在") == set()


def test_a_cheap_search_filters_at_each_keystroke_a_slow_one_waits_for_a_pause(page, qtbot):
    page.search.setText("ls")
    assert visible_names(page) == ["李四"]          # at once: filtering five rows costs nothing
    page.proxy.last_cost = 1.0                      # as if the last filtering had been slow
    page.search.setText("zs")
    assert visible_names(page) == ["李四"]          # not yet: waits for a pause in typing
    qtbot.waitUntil(lambda: visible_names(page) == ["张三"], timeout=2000)


def test_filtering_keeps_the_selection_of_rows_still_shown(page):
    zs = next(r.id for r in page.model.rows() if r.name == "张三")
    assert page.select_key(zs)
    search(page, "z")
    assert page.selected_key() == zs
    search(page, "ls")
    assert page.selected_key() is None              # filtered out: nothing selected
    assert visible_names(page) == ["李四"]


def test_column_filters(page):
    page.stage_filter.setCurrentIndex(page.stage_filter.findData("普通高中"))
    assert set(visible_names(page)) == {"张三"}
    page.stage_filter.setCurrentIndex(0)
    page.category_filter.setCurrentIndex(page.category_filter.findData("建档立卡"))
    assert set(visible_names(page)) == {"张三", "王五"}
    assert search(page, "ww") == {"王五"}
    search(page, "")
    page.category_filter.setCurrentIndex(0)
    page.status_filter.setCurrentIndex(page.status_filter.findData(HAS_PROBLEMS))
    assert set(visible_names(page)) == set()          # no check ran: no open finding yet


def click_header(qtbot, page, column):
    header = page.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_header_click_sorts_in_the_source_model(page, qtbot):
    # initial order: by name in pinyin order (曾 may collate as céng or zēng)
    names = visible_names(page)
    assert [n for n in names if n != "曾小红"] == ["安娜", "李四", "王五", "张三"]
    click_header(qtbot, page, COL["姓名"])
    assert visible_names(page) == names[::-1]
    proxy = page.proxy                              # the proxy never sorts: source order
    assert [proxy.mapToSource(proxy.index(r, 0)).row() for r in range(proxy.rowCount())] == list(range(5))
    click_header(qtbot, page, COL["资助合计（元）"])
    column, order = page.model.sort_state()
    assert column == COL["资助合计（元）"]
    totals = [page.model.row_at(r).total_fen for r in range(5)]
    assert totals == sorted(totals, reverse=order == Qt.SortOrder.DescendingOrder)


def test_sorting_keeps_filter_and_selection(page, qtbot):
    search(page, "z")
    assert page.select_key(next(r.id for r in page.model.rows() if r.name == "曾小红"))
    click_header(qtbot, page, COL["姓名"])
    assert set(visible_names(page)) == {"张三", "曾小红"}
    assert page.model.row_at(page.proxy.mapToSource(page.view.currentIndex()).row()).name == "曾小红"


def test_search_index_one_pass():
    idx = SearchIndex([(1, haystack("单田芳", "", "dtf|stf|ctf")), (2, haystack("张三", "X1", "zs"))])
    assert idx.matching("s") == {1, 2}
    assert idx.matching("ctf") == {1}
    assert idx.matching("x1") == {2}
    assert idx.matching("   ") is None
    assert idx.matching("fz") == set()              # no match across readings or fields
