"""GUI lists at county size: what a keystroke, a load and the start-up cost, asserted as behaviour
(which work runs where and how often), not as timings."""
import gc
import sqlite3

import pytest
from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QUndoStack
from test_gui_students import fill_people

from core.pinyin import initials_key
from core.text import haystack, haystacks
from db.changes import Changes
from db.roster_columns import initials_of
from db.usecases import check, startup_check
from db.views import roster_rows
from gui import worker
from gui.roster_view import RosterPage
from gui.students.view import StudentsPage

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def page(qtbot, db):
    fill_people(db)
    p = StudentsPage(db, QUndoStack())
    qtbot.addWidget(p)
    p.show()
    p.reload()
    return p


def names(page):
    return [page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount())]


def test_the_proxy_keeps_its_rows_and_never_asks_python_per_row(page, qtmodeltester):
    assert not isinstance(page.proxy, QSortFilterProxyModel)      # no filterAcceptsRow per row
    page.proxy.set_search_text("z", immediate=True)
    rows = page.proxy.accepted_rows()
    assert rows is not None and rows == sorted(rows)               # source rows, in source order
    assert [page.model.row_at(r).name for r in rows] == names(page)
    page.sort_by(0, Qt.SortOrder.DescendingOrder)                  # a source sort: mapped again
    assert set(names(page)) == {"张三", "曾小红"}
    qtmodeltester.check(page.proxy)
    page.proxy.set_search_text("", immediate=True)
    assert page.proxy.accepted_rows() is not None                  # the status filter (on the list)
    assert len(names(page)) == 5


def test_column_filters_are_evaluated_once_per_change_not_per_keystroke(page):
    calls = []
    page.proxy.set_predicate("counting", lambda r: calls.append(r) or True)     # r: a position
    assert len(calls) == 5                                         # once per row
    for text in ("z", "zs", "z", ""):
        page.proxy.set_search_text(text, immediate=True)
    assert len(calls) == 5                                         # typing re-used the verdicts
    page.sort_by(0, Qt.SortOrder.DescendingOrder)
    assert len(calls) == 10                                        # rows moved: evaluated again


def test_the_rows_are_prepared_in_the_worker_with_the_tables_sort(page, monkeypatch):
    from gui.students.model import StudentTableModel
    page.sort_by(8, Qt.SortOrder.DescendingOrder)
    seen = []
    real = StudentTableModel.prepare.__func__

    def prepare(cls, rows, sort):
        seen.append(sort)
        return real(cls, rows, sort)
    monkeypatch.setattr(StudentTableModel, "prepare", classmethod(prepare))
    page.reload()
    assert seen == [(8, Qt.SortOrder.DescendingOrder)]
    totals = [page.model.row_at(r).total_fen for r in range(5)]
    assert totals == sorted(totals, reverse=True)


def test_the_roster_is_read_when_its_page_is_first_shown(qtbot, demo_db):
    page = RosterPage(demo_db)
    qtbot.addWidget(page)
    page.on_changes(Changes.ROSTER)
    assert page.model.rowCount() == 0                              # not shown: nothing read
    page.show()
    assert page.model.rowCount() > 0


def test_roster_rows_carry_the_same_texts_as_row_by_row(demo_db):
    rows = roster_rows(demo_db)
    assert rows
    for r in rows:
        assert r.initials == initials_key(r.name)
        assert r.haystack == haystack(r.name, r.id_number, r.initials)
    assert len({id(r.township) for r in rows}) == len({r.township for r in rows})    # one object each


def test_column_wise_texts_equal_row_by_row():
    names_ = ["张三", "ＡＢｃ", "", "曾 小红", "Ⅻ世", "a\u0301", "\u0301x", "两\n行"]
    ids = ["110101200805011234", "１１０１０１x", "4.22822E+17", "", "X", "", "ß", "1"]
    readings = ["zs|cs", "", "a", "", "s", "", "x", ""]
    assert haystacks(names_, ids, readings) == [haystack(*t) for t in zip(names_, ids, readings, strict=True)]
    many = ["张三", "曾小红", "", "单田芳", "A B", "王 五", "李4", "Ann", "长"]
    assert initials_of(many) == {n: initials_key(n) for n in many}


def test_start_up_check_reports_findings_only_when_they_changed(demo_db):
    check(demo_db)
    assert startup_check(demo_db) == Changes.NONE            # nothing changed since the last check
    conn = sqlite3.connect(demo_db.path)                      # a change behind the program's back
    conn.execute("DELETE FROM roster_person")
    conn.commit()
    conn.close()
    assert startup_check(demo_db) == Changes.FINDINGS
    assert startup_check(demo_db) == Changes.NONE


def test_start_up_check_reports_findings_when_none_ran_before(db):
    fill_people(db)
    assert startup_check(db) == Changes.FINDINGS


def test_the_window_shows_the_stored_state_then_checks(qtbot, demo_db, monkeypatch):
    from gui.main_window import MainWindow
    check(demo_db)
    order = []
    import db.usecases as usecases
    real = usecases.startup_check
    monkeypatch.setattr(usecases, "startup_check", lambda d: order.append("check") or real(d))
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.feed.ready.connect(lambda _s: order.append("rows"))
    w.start_up()
    assert order == ["rows", "check"]                        # the rows first; no second read
    assert w.students.model.rowCount() == 120


def test_worker_tasks_run_with_the_collector_paused(qtbot, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    seen = []
    worker.run_task(gc.isenabled, on_success=seen.append)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [False] and gc.isenabled()


def test_filling_the_policy_parameters_does_not_parse_the_policy_per_field(qtbot, db, monkeypatch):
    from gui import policy_parameters
    from gui.policy_view import PolicyPage, load_policy_page
    fill_people(db)
    page = PolicyPage(db)
    qtbot.addWidget(page)
    calls = []
    real = policy_parameters.set_value
    monkeypatch.setattr(policy_parameters, "set_value", lambda *a: calls.append(a) or real(*a))
    page.show_data(load_policy_page(db))
    assert calls == []


def test_a_load_the_window_keeps_is_frozen_as_it_ends(qtbot, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    gc.unfreeze()
    seen = []
    worker.run_task(lambda: [[i] for i in range(1000)], on_success=seen.append, keep=True)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert gc.get_freeze_count() >= 1000                   # the rows made: out of every collection
    gc.unfreeze()
