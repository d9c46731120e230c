"""建档立卡名单's first load read ahead once the start is idle (gui.roster_ahead): the page is shown
from it, it is dropped by any change the page shows, and it never keeps the clerk's tasks waiting."""
import threading
from datetime import date

import pytest
from conftest import xlsx
from PySide6.QtCore import Qt

import gui.roster_view as roster_view
from core.idnumber import make_id
from core.slicesort import Stopped
from db.changes import Changes
from db.roster_columns import read_names
from db.session import open_database
from db.store import init_school
from db.workflows import counts, fill_demo, run_import
from gui import worker
from gui.databases import DatabaseSwitcher
from gui.roster_view import COLUMNS, RosterPage


def names_shown(page):
    return [page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount())]


def first_cells(page):
    return [page.proxy.index(0, c).data() for c in range(len(COLUMNS))]


@pytest.fixture
def loads(monkeypatch):
    """Every ``load_roster`` call (the page's own and the read ahead's)."""
    calls = []
    real = roster_view.load_roster

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(roster_view, "load_roster", counted)
    return calls


def test_the_page_is_shown_from_the_load_read_ahead(qtbot, demo_db, shown, loads):
    page = RosterPage(demo_db)
    qtbot.addWidget(page)
    page.read_ahead()
    assert page.ahead.ready and len(loads) == 1
    page.show()
    assert len(loads) == 1 and page.ahead.used is not None            # no second load
    assert not page.ahead.ready                                        # handed over, not kept twice
    other = RosterPage(demo_db)                                        # loaded as before
    qtbot.addWidget(other)
    other.show()
    assert len(loads) == 2 and other.ahead.used is None
    assert names_shown(page) == names_shown(other) and len(names_shown(page)) > 30
    assert first_cells(page) == first_cells(other)
    assert page.count_label.text() == other.count_label.text() == f"共 {page.model.rowCount()} 人"
    page.sort_by(3, Qt.SortOrder.DescendingOrder)                      # sorting by other columns as before
    other.sort_by(3, Qt.SortOrder.DescendingOrder)
    assert names_shown(page) == names_shown(other)
    page.search.setText("z")
    other.search.setText("z")
    page.proxy.apply_filter()
    other.proxy.apply_filter()
    assert names_shown(page) == names_shown(other)


def test_a_roster_import_after_the_read_ahead_shows_the_new_roster(qtbot, demo_db, shown, tmp_path):
    page = RosterPage(demo_db)
    qtbot.addWidget(page)
    page.read_ahead()
    assert page.ahead.ready
    path = tmp_path / "roster.xlsx"
    xlsx(path, ["姓名", "证件号码", "与户主关系", "乡(镇)"],
         ["张三", make_id("110101", date(2008, 1, 2), 113), "子", "城关镇"],
         ["李四", make_id("110101", date(2007, 2, 3), 311), "户主", "高坪镇"])
    report = run_import(demo_db, "roster", path, actor="t", replace=True, confirm_removal=True)
    assert report.changes & Changes.ROSTER
    page.on_changes(report.changes)                    # as the main window routes it
    assert not page.ahead.ready
    page.show()
    assert sorted(names_shown(page)) == ["张三", "李四"] and page.ahead.used is None


def test_a_student_change_drops_the_read_ahead_in_flight(qtbot, demo_db, shown):
    page = RosterPage(demo_db)
    qtbot.addWidget(page)
    arrived = []
    real = worker.run_task

    def held(fn, *args, on_success=None, **kwargs):      # the read ahead's answer comes after the change
        if on_success is not None and kwargs.get("low_priority"):
            arrived.append(lambda: real(fn, *args, on_success=on_success, **kwargs))
            return
        real(fn, *args, on_success=on_success, **kwargs)
    worker.run_task = held
    try:
        page.read_ahead()
        assert page.ahead.pending
        page.on_changes(Changes.STUDENTS)                # the 学生名册 column
        arrived.pop()()
    finally:
        worker.run_task = real
    assert not page.ahead.pending and not page.ahead.ready
    page.show()
    assert page.ahead.used is None and page.model.rowCount() > 30


def test_a_database_switch_drops_the_old_read_ahead_and_reads_the_new_one(qtbot, tmp_path, shown, monkeypatch):
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    a, b = open_database(tmp_path / "a.sqlite"), open_database(tmp_path / "b.sqlite")
    fill_demo(a, n_students=60)
    with b.session() as s:
        init_school(s, "乙校", "42", 2023, actor="t")
    b.close()
    switcher = DatabaseSwitcher()
    switcher.start(a)
    old = switcher.window
    assert old.roster.ahead.ready                          # read once the start's work was done
    asked_with_old_open = []
    real = RosterPage.read_ahead
    monkeypatch.setattr(RosterPage, "read_ahead", lambda page: asked_with_old_open.append(old.isVisible()) or real(page))
    switcher.ask_open_path = lambda: tmp_path / "b.sqlite"
    switcher.open_database()
    try:
        w = switcher.window
        assert w is not old and not old.roster.ahead.ready
        assert asked_with_old_open == [False]              # the old window's close waits for an idle worker
        assert w.roster.ahead.ready
        w.show_page(w.stack.indexOf(w.roster))
        assert w.roster.model.rowCount() == counts(switcher.db)["roster"] == 0
        assert w.roster.ahead.used is not None
    finally:
        switcher.window.close()
        switcher.close()


def test_read_names_stops_between_its_parts(demo_db, monkeypatch):
    monkeypatch.setattr("db.roster_columns.SLICE", 10)
    asked = []
    with pytest.raises(Stopped):
        read_names(demo_db, lambda: asked.append(1) or len(asked) == 2)
    assert len(asked) == 2                                 # after the second part
    assert len(read_names(demo_db, lambda: False)[0]) > 20


def test_name_ranks_stop_between_their_steps(qapp):
    from gui.collation import name_ranks
    names, asked = ["张三", "李四", "曾五", "张三"], []
    with pytest.raises(Stopped):
        name_ranks(names, stop=lambda: asked.append(1) or len(asked) == 2)
    assert len(asked) == 2
    assert name_ranks(names, stop=lambda: False) == name_ranks(names)


def test_a_low_priority_task_starts_after_a_task_asked_for_later(qtbot, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    release, order = threading.Event(), []
    worker.run_task(release.wait, 30)
    worker.run_task(order.append, "ahead", low_priority=True)
    worker.run_task(order.append, "clerk")
    release.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    assert order == ["clerk", "ahead"]


def test_a_clerk_task_queued_while_the_read_ahead_runs_starts_before_it_ends(qtbot, demo_db, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    page = RosterPage(demo_db)
    qtbot.addWidget(page)
    log, inside, queued = [], threading.Event(), threading.Event()
    real_names = roster_view.read_names

    def names(db, stop=None):
        log.append("names")
        if not inside.is_set():                            # the first read: the clerk asks meanwhile
            inside.set()
            assert queued.wait(30)
        return real_names(db, stop)
    import gui.collation as collation
    ranks = collation.name_ranks

    def name_ranks(*args):
        log.append("ranks")
        return ranks(*args)
    monkeypatch.setattr(roster_view, "read_names", names)
    monkeypatch.setattr(collation, "name_ranks", name_ranks)
    page.read_ahead()
    assert inside.wait(30)
    worker.run_task(log.append, "clerk")
    queued.set()
    qtbot.waitUntil(lambda: page.ahead.ready, timeout=30000)   # read again, behind the clerk's task
    assert log[:3] == ["names", "clerk", "names"] and log.count("ranks") == 1
    assert page.ahead.tries == 1
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)


def test_not_taken_while_an_import_s_changes_are_on_their_way(qtbot, demo_db, monkeypatch, tmp_path):
    """Review fix: an import's changes reach the pages once the re-check after it is done; the roster
    page chosen meanwhile must not be shown from the read ahead (the roster before the import)."""
    from gui import errors
    from gui.main_window import ROSTER, MainWindow
    gate = threading.Event()
    gate.set()
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    seen = []
    monkeypatch.setattr(errors, "_show_box", lambda parent, msg, hint: seen.append((msg, hint)))
    # the child's tasks (start-up check, re-check) run in the worker thread, held by ``gate``
    monkeypatch.setattr(worker, "_in_child", lambda fn, a, k, p: (gate.wait(30), fn(*a, **k))[1])
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.show()
    w.start_up()
    w.roster.read_ahead()
    qtbot.waitUntil(lambda: not worker.busy() and w.roster.ahead.ready, timeout=30000)
    gate.clear()                                   # the re-check after the import takes a while
    path = tmp_path / "roster.xlsx"
    xlsx(path, ["姓名", "证件号码", "与户主关系", "乡(镇)"],
         ["张三", make_id("110101", date(2008, 1, 2), 113), "子", "城关镇"],
         ["李四", make_id("110101", date(2007, 2, 3), 311), "户主", "高坪镇"])
    report = run_import(demo_db, "roster", path, actor="t", replace=True, confirm_removal=True)
    w.apply_changes(report.changes)                # as MainWindow._imported: the re-check is queued first
    w.show_page(ROSTER)                            # the clerk opens 建档立卡名单 meanwhile
    during = len(names_shown(w.roster))
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy() and sorted(names_shown(w.roster)) == ["张三", "李四"],
                    timeout=30000)
    assert seen == []
    assert during in (0, 2), f"the roster before the import was shown: {during} rows"


def test_closing_the_window_stops_a_read_ahead_under_way(qtbot, demo_db, monkeypatch):
    """Review fix: closing waits for an idle worker; a read ahead nobody will use stops at its next
    step instead of being read to its end (0.7–1.2 s of a frozen window at county size)."""
    from gui.main_window import MainWindow
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    started, how = threading.Event(), []

    def slow_load(db, sort, stop=None):          # a load whose steps never end unless stopped
        started.set()
        for _ in range(1000):
            if stop is not None and stop():
                how.append("stopped")
                raise Stopped
            threading.Event().wait(0.01)
        how.append("read to its end")
        raise Stopped
    monkeypatch.setattr(roster_view, "load_roster", slow_load)
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.roster.read_ahead()
    assert started.wait(10)
    w.close()                                    # closes once the worker is idle
    qtbot.waitUntil(lambda: how == ["stopped"], timeout=5000)
