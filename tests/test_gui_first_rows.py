"""The program's start shows the student list's first screenful before the whole list is computed:
the same rows, in the same places, as the whole list's top (nothing moves when it arrives), read
in the worker's child process started early; nothing written, and the start backup and the
start-up check come after the whole list."""
from __future__ import annotations

import os
import sqlite3

import pytest
from PySide6.QtCore import Qt

from gui import first_rows, worker, worker_child
from gui.feed import SnapshotFeed
from gui.first_rows import FirstRows, first_ids


def _ties(db, names: dict[int, str]) -> None:
    """Give students equal names (ties the list keeps in id order)."""
    con = sqlite3.connect(db.path)
    con.executemany("UPDATE student SET name = ? WHERE id = ?", [(n, i) for i, n in names.items()])
    con.commit()
    con.close()


def _whole_list_ids(db) -> list[int]:
    from gui.feed import compute_snapshot
    from gui.students.view import StudentsPage
    data = StudentsPage.prepare(compute_snapshot(db), (0, Qt.SortOrder.AscendingOrder))
    ids = data.table.columns.ids                 # the rows: positions into the snapshot's columns
    return [ids[p] for p in data.table.rows]


@pytest.mark.parametrize("n", [1, 7, 30, 500])
def test_the_first_ids_are_the_top_of_the_whole_list_sorted_by_name(qapp, demo_db, n):
    _ties(demo_db, {3: "阿伟", 40: "阿伟", 77: "阿伟", 9: "阿伟", 50: "张三", 12: "张三", 101: ""})
    whole = _whole_list_ids(demo_db)
    assert first_ids(demo_db.path, n) == whole[:n]


def test_the_start_shows_the_first_rows_while_the_whole_list_is_computed(qtbot, demo_db, shown, monkeypatch):
    from gui.main_window import MainWindow
    _ties(demo_db, {5: "阿伟", 6: "阿伟"})
    order: list[tuple[str, int]] = []
    shown_rows = {"n": lambda: 0}
    import db.backup as backup
    import db.usecases as usecases
    monkeypatch.setattr(usecases, "startup_check", lambda d: order.append(("check", shown_rows["n"]())) or 0)
    monkeypatch.setattr(backup, "backup_if_due", lambda d: order.append(("backup", shown_rows["n"]())))
    pending = []                                         # the whole list: still being computed
    real_refresh = SnapshotFeed.refresh
    monkeypatch.setattr(SnapshotFeed, "refresh", lambda feed: pending.append(feed) or feed.started.emit())
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.show()
    shown_rows["n"] = w.students.model.rowCount
    first = FirstRows(demo_db, 25)
    w.start_up(backup=True, first=first)
    page = w.students
    assert page.model.rowCount() == 25                   # the first screenful, before the whole list
    assert page.count_label.text() == "正在读取…"
    shown_first = [page.model.row_at(i).id for i in range(25)]
    whole = _whole_list_ids(demo_db)
    assert shown_first == whole[:25]
    monkeypatch.setattr(SnapshotFeed, "refresh", real_refresh)
    real_refresh(pending[0])                              # the whole list arrives
    assert page.model.rowCount() == 120
    assert [page.model.row_at(i).id for i in range(25)] == shown_first      # nothing moved
    assert page.count_label.text() == "共 120 人"
    assert order == [("backup", 25), ("check", 25)]      # both after the first rows were shown


def test_the_first_rows_are_not_shown_over_the_whole_list(qtbot, demo_db, shown):
    from gui.main_window import MainWindow
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.start_up(first=FirstRows(demo_db, 10))             # the whole list came first (synchronous worker)
    assert w.students.model.rowCount() == 120


def test_the_first_rows_are_not_shown_in_another_sort(qtbot, demo_db, shown, monkeypatch):
    from gui.students.view import StudentsPage
    page = StudentsPage(demo_db, None)
    qtbot.addWidget(page)
    monkeypatch.setattr(page.feed, "current", None)
    page.model.set_rows([])
    page.model.sort(2, Qt.SortOrder.AscendingOrder)
    first = FirstRows(demo_db, 10)
    first.show_in(page)
    assert page.model.rowCount() == 0


def test_the_first_rows_are_read_in_the_child_started_early(qtbot, demo_db, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    worker_child.start_early(first_rows.first_task(demo_db.path, 5))     # as the GUI's start does
    early = worker_child._early
    assert early is not None and early[1].is_alive()
    got: dict = {}
    try:
        worker.run_task(first_rows.compute_first, demo_db, 5, on_success=lambda s: got.update(snap=s))
        qtbot.waitUntil(lambda: "snap" in got, timeout=60000)
        assert worker._child is not None and worker._child.process is early[1]     # the early child took it
        assert worker._child.asked is None and worker_child._early is None
        assert sorted(r.id for r in got["snap"].students) == sorted(_whole_list_ids(demo_db)[:5])
        worker.run_task(os.getpid, process=True, on_success=lambda pid: got.update(pid=pid))
        qtbot.waitUntil(lambda: "pid" in got, timeout=60000)
        assert got["pid"] == early[1].pid
    finally:
        worker.wait_for_idle()
        worker.stop_child()


def test_a_first_task_nobody_asks_for_is_not_taken_for_another(qtbot, demo_db, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    worker_child.start_early(first_rows.first_task(demo_db.path, 5))
    pid = worker_child._early[1].pid
    got: dict = {}
    try:
        worker.run_task(os.getpid, process=True, on_success=lambda p: got.update(pid=p))
        qtbot.waitUntil(lambda: "pid" in got, timeout=60000)
        assert got["pid"] == pid                          # its own answer, not the ids read at the start
    finally:
        worker.wait_for_idle()
        worker.stop_child()


def test_an_early_child_nothing_took_ends_at_exit():
    worker_child.start_early()
    process = worker_child._early[1]
    worker.stop_child()
    assert worker_child._early is None and not process.is_alive()


def test_the_window_imports_no_qt_free_module_after_qt():
    """``gui.launch.BEFORE_QT`` is complete: after it, the window's modules import no database or
    domain module (PySide6's import hook would read each one's source)."""
    import subprocess
    import sys
    code = ("import sys, importlib\n"
            "from gui.launch import BEFORE_QT\n"
            "[importlib.import_module(n) for n in BEFORE_QT]\n"
            "assert 'PySide6' not in sys.modules\n"
            "before = set(sys.modules)\n"
            "import gui.app, gui.databases, gui.main_window, gui.first_rows, gui.feed, gui.collation\n"
            # and what the start imports inside functions: the 政策 page's parts, whether 汇总 shows,
            # the database's open (its lock, migration, SQLite's dialect)
            "import gui.policy_files, gui.policy_versions_view, db.receiving_views, db.lock, db.migrate\n"
            "import sqlalchemy.dialects.sqlite\n"
            "late = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in ('db', 'core', 'sqlalchemy'))\n"
            "print(late)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "[]"
