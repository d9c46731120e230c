"""建档立卡名单 as a windowed model: the page is shown from the ids and names alone (the first
screen read in full), the search index and the other rows follow in the worker; a search typed
before the index is in waits for it and then gives the right answer."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import db.roster_columns as roster_columns
import gui.roster_view as roster_view
from db.views import roster_rows
from gui import worker
from gui.collation import name_key_function, name_ranks
from gui.roster_view import COLUMNS, RosterPage
from gui.search import matching_positions

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def deferred(monkeypatch):
    """The index and the rows read as they come on screen wait here until run (``run(fn)``):
    what the page shows between its load and them. Every other task runs inline."""
    waiting: list = []
    inline = worker.run_task

    def run_task(fn, *args, **kwargs):
        if fn in (roster_view.read_index_shown, roster_view.read_rows):
            waiting.append((fn, args, kwargs))
        else:
            inline(fn, *args, **kwargs)
    monkeypatch.setattr(roster_view.worker, "run_task", run_task)

    def run(fn):
        done = 0
        for task in [t for t in waiting if t[0] is fn]:
            waiting.remove(task)
            inline(task[0], *task[1], **task[2])
            done += 1
        return done
    return run


@pytest.fixture
def page(qtbot, demo_db, monkeypatch):
    monkeypatch.setattr(roster_view, "FIRST_ROWS", 10)
    monkeypatch.setattr(roster_view, "BLOCK", 10)
    p = RosterPage(demo_db)
    qtbot.addWidget(p)
    p.resize(1024, 400)
    return p


def cells(page, row):
    return [page.proxy.index(row, c).data() for c in range(len(COLUMNS))]


def test_the_page_is_shown_from_names_alone_then_reads_rows_as_they_come_on_screen(page, deferred, monkeypatch):
    monkeypatch.setattr(roster_columns, "read_roster_columns", None)   # the whole roster is never read
    page.show()
    rows = {r.id: r for r in roster_rows(page.db)}
    assert page.model.rowCount() == len(rows) > 30
    assert page.count_label.text() == f"共 {len(rows)} 人"
    assert not page.model.index_ready                                  # the index: still to come
    names = [page.proxy.index(r, 0).data() for r in range(len(rows))]
    assert names == sorted(names, key=name_key_function())             # in name order already
    first = rows[page.model.row_key(0)]
    assert cells(page, 0) == [c.text(first) for c in COLUMNS]         # the first screen read in full
    last = len(rows) - 1
    assert cells(page, last)[0] == names[last] and set(cells(page, last)[1:]) == {""}   # not read yet
    page.view.scrollToBottom()                                         # painted: asked for, in the worker
    QApplication.processEvents()
    assert deferred(roster_view.read_rows) >= 1
    assert cells(page, last) == [c.text(rows[page.model.row_key(last)]) for c in COLUMNS]
    assert len(page.model._cache) < len(rows)                          # only what was on screen and near it


def test_a_search_typed_before_the_index_is_ready_waits_then_answers_right(page, deferred):
    page.show()
    total = page.model.rowCount()
    page.search.setText("z")
    assert page.proxy.waiting and page.proxy.rowCount() == total        # nothing hidden by a guess
    assert "正在准备搜索" in page.count_label.text()
    assert deferred(roster_view.read_index_shown) == 1
    rows = {r.id: r for r in roster_rows(page.db)}
    hays = [rows[page.model.row_key(r)].haystack for r in range(total)]
    expected = matching_positions(hays, "z")
    assert not page.proxy.waiting and page.proxy.accepted_rows() == expected and 0 < len(expected) < total
    assert page.count_label.text() == f"共 {total} 人，筛选出 {len(expected)} 人"
    page.search.setText("zs")                                           # and after: at once
    assert page.proxy.accepted_rows() == matching_positions(hays, "zs")


def test_the_search_texts_come_in_display_order_from_the_worker_or_follow_a_sort_made_meanwhile(page, deferred,
                                                                                              monkeypatch):
    """The index's task also gives the search texts in the order shown when it was asked (not 200,000
    lookups on the GUI thread); a sort made before it arrives gets them in its own order."""
    page.show()
    made = page.model.rows()
    page.sort_by(0, Qt.SortOrder.DescendingOrder)                      # names: sorted at once, before the index
    assert page.model.rows() is not made
    deferred(roster_view.read_index_shown)
    rows = {r.id: r for r in roster_rows(page.db)}
    total = page.model.rowCount()
    hays = [rows[page.model.row_key(r)].haystack for r in range(total)]
    assert page.model.haystacks() == hays
    page.reload()                                                       # the order when asked: the worker's texts
    got = {}
    real = roster_view.RosterTableModel.take_index

    def take_index(self, index, shown=None):
        got["shown"] = shown
        real(self, index, shown)
    monkeypatch.setattr(roster_view.RosterTableModel, "take_index", take_index)
    deferred(roster_view.read_index_shown)
    assert got["shown"] is not None and got["shown"].rows is page.model.rows()
    assert page.model.haystacks() == [rows[page.model.row_key(r)].haystack for r in range(total)]


def test_a_filter_chosen_before_the_index_is_ready_waits_too(page, deferred):
    page.show()
    page.enrolled_filter.setCurrentIndex(2)                            # 未在学生名册
    assert page.proxy.waiting and page.proxy.rowCount() == page.model.rowCount()
    deferred(roster_view.read_index_shown)
    shown = page.proxy.rowCount()
    assert 0 < shown < page.model.rowCount()
    assert {page.proxy.index(r, 9).data() for r in range(shown)} <= {roster_view.NOT_IN_LIST, ""}  # asked for
    QApplication.processEvents()
    assert deferred(roster_view.read_rows) == 1                          # every block asked at once
    assert {page.proxy.index(r, 9).data() for r in range(shown)} == {roster_view.NOT_IN_LIST}


def test_a_sort_by_a_column_not_read_reads_it_then_sorts(page, deferred):
    page.show()
    deferred(roster_view.read_index_shown)
    assert "household_no" not in page.model.data_.columns
    page.sort_by(3, Qt.SortOrder.AscendingOrder)                       # the read runs inline here
    rows = {r.id: r for r in roster_rows(page.db)}
    shown = [rows[page.model.row_key(r)].household_no for r in range(page.model.rowCount())]
    assert shown == sorted(shown)


def test_a_sort_waiting_for_the_index_is_done_when_it_arrives(page, deferred):
    page.show()
    page.sort_by(1, Qt.SortOrder.DescendingOrder)                      # ID numbers: in the index
    before = [page.model.row_key(r) for r in range(page.model.rowCount())]
    deferred(roster_view.read_index_shown)
    rows = {r.id: r for r in roster_rows(page.db)}
    ids = [rows[page.model.row_key(r)].id_number for r in range(page.model.rowCount())]
    assert ids == sorted(ids, reverse=True) and [page.model.row_key(r) for r in range(len(ids))] != before


def test_a_changed_roster_between_the_reads_is_read_again(page, deferred, monkeypatch):
    page.show()
    loads = []
    monkeypatch.setattr(page, "reload", lambda: loads.append(1))
    monkeypatch.setattr(roster_columns, "_INDEX", roster_columns._INDEX.replace("ORDER BY r.id", "ORDER BY r.id LIMIT 3"))
    deferred(roster_view.read_index_shown)
    assert loads == [1] and not page.model.index_ready


def test_surnames_are_ordered_by_their_surname_reading():
    names = ["曾小红", "蔡文", "张三", "杨光", "单田芳", "丁一", "邵华", "覃明", "谭华", "王曾", "王层"]
    expected = ["蔡文", "丁一", "覃明", "单田芳", "邵华", "谭华", "王层", "王曾", "杨光", "曾小红", "张三"]
    assert sorted(names, key=name_key_function()) == expected         # 曾 zēng, 单 shàn, 覃 qín
    ranks = name_ranks(names)
    assert [n for _r, n in sorted(zip(ranks, names, strict=True))] == expected


def test_the_index_holds_the_same_texts_and_flags_as_the_whole_columns(demo_db):
    whole = roster_columns.read_roster_columns(demo_db)
    ids, names = roster_columns.read_roster_names(demo_db)
    index = roster_columns.read_roster_index(demo_db, ids, names)
    assert list(ids) == list(whole.ids) and names == list(whole.names)
    assert index.enrolled == whole.enrolled and 0 < sum(index.enrolled) < len(ids)
    assert list(index.haystacks) == list(whole.haystacks) and list(index.township) == list(whole.township)
    assert roster_columns.read_roster_index(demo_db, ids[1:], names[1:]) is None     # changed meanwhile


def test_initials_of_names_with_one_or_more_polyphonic_characters():
    from core.pinyin import initials_key
    names = ["曾小红", "单田芳", "曾长", "曾 长", "单单单单单", "a曾", "行长行长", "", "张三", "\U000f0000曾"]
    assert roster_columns.initials_of(names) == {n: initials_key(n) for n in names}
