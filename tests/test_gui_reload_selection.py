"""A reload selects again what the clerk had selected, nothing more: on the 告知书 page, whose
actions work on every shown row when none is selected, a reload with no selection leaves none
(it once selected every row, walking the whole list on the GUI thread at each change)."""
from __future__ import annotations

from conftest import open_main_window

from db.changes import Changes
from gui.main_window import LETTERS


def test_a_reload_keeps_an_empty_selection_empty_on_the_letters_page(qtbot, demo_db, shown):
    w = open_main_window(qtbot, demo_db, LETTERS)
    page = w.letters
    shown_rows = page.proxy.rowCount()
    assert shown_rows > 0 and page.view.selectionModel().selectedRows() == []
    assert len(page.selected_keys()) == shown_rows          # its actions: every shown row
    w.apply_changes(Changes.STUDENTS)                        # a change: the snapshot and the page reload
    assert page.view.selectionModel().selectedRows() == []
    page.view.selectRow(0)
    chosen = page.selection_keys()
    w.apply_changes(Changes.STUDENTS)
    assert page.selection_keys() == chosen and page.selected_keys() == chosen
