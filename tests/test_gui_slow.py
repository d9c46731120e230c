"""GUI slow tier: the student list at county size (50,000 students) stays responsive."""
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from db.workflows import fill_demo
from gui.feed import compute_snapshot
from gui.students.view import StudentsPage

pytestmark = pytest.mark.slow


def test_fifty_thousand_students(qtbot, db):
    fill_demo(db, n_students=50_000)
    page = StudentsPage(db, QUndoStack())
    qtbot.addWidget(page)
    page.show()
    t = time.perf_counter()
    data = page.prepare(compute_snapshot(db), page.model.sort_state())   # the worker's part
    assert time.perf_counter() - t < 15
    t = time.perf_counter()
    page.apply_data(data)                    # the GUI thread's part
    assert time.perf_counter() - t < 2
    assert page.model.rowCount() == 50_000
    for query in ("zs", "4228", "张"):
        t = time.perf_counter()
        page.proxy.set_search_text(query, immediate=True)
        assert time.perf_counter() - t < 1.5, query
    assert 0 < page.proxy.rowCount() < 50_000
    t = time.perf_counter()
    page.sort_by(8, Qt.SortOrder.DescendingOrder)
    assert time.perf_counter() - t < 1.5
    totals = [page.model.row_at(r).total_fen for r in range(200)]
    assert totals == sorted(totals, reverse=True)
