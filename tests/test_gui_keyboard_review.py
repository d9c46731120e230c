"""Keyboard-only work on the lists and the import wizard (a reviewer's findings): the focus stays on
the button used through the reload its write causes (it went on to 核准筛选出的学生…); Return and the
keypad's Enter open a row as a double-click does; Tab into a table selects the row it shows; the import
wizard never leaves the focus nowhere or on the unchecked kind."""
from __future__ import annotations

import pytest
from conftest import open_main_window, xlsx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget, QWizard
from sqlalchemy import select

from db.models import RosterPerson
from db.views import STATUS_PENDING, snapshot
from gui.main_window import LETTERS, STUDENTS

pytestmark = pytest.mark.usefixtures("shown")


def activate(qtbot, window: QWidget) -> None:
    """Focus and key presses go to the active window."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


@pytest.fixture
def win(qtbot, demo_db):
    w = open_main_window(qtbot, demo_db)
    activate(qtbot, w)
    return w


def verified(db) -> set[int]:
    return {s.id for s in snapshot(db).students if s.verified}


def verifiable(page) -> int:
    """The proxy row of a pending student with no open error (标记已核准 verifies it)."""
    return next(r for r in range(page.proxy.rowCount())
                if not (row := page.source_row(page.proxy.index(r, 0))).verified and not row.removed
                and row.findings.worst != "error")


# -- A. the focus through the reload after a write -------------------------------------------------
def test_the_focused_verify_button_keeps_the_focus_after_its_write_and_the_reload(win, qtbot, demo_db):
    win.show_page(STUDENTS)
    page = win.students
    row = verifiable(page)
    sid = page.source_row(page.proxy.index(row, 0)).id
    page.view.selectRow(row)
    page.verify_button.setFocus()
    assert QApplication.focusWidget() is page.verify_button
    qtbot.keyClick(page.verify_button, Qt.Key.Key_Space)
    assert verified(demo_db) == {sid}                           # written; the page reloaded (synchronous)
    assert QApplication.focusWidget() is page.verify_button     # not on 核准筛选出的学生…
    assert page.selection_keys() == [sid] and page.verify_button.isEnabled()


def test_a_button_whose_row_is_gone_after_the_reload_hands_the_focus_to_the_table(win, qtbot, demo_db):
    win.show_page(STUDENTS)
    page = win.students
    page.status_filter.setCurrentIndex(page.status_filter.findData(STATUS_PENDING))
    row = verifiable(page)
    page.view.selectRow(row)
    page.verify_button.setFocus()
    sid = page.selection_keys()[0]
    qtbot.keyClick(page.verify_button, Qt.Key.Key_Space)        # verified: no longer 待核准, not shown
    pos = page.model.position(sid)
    assert verified(demo_db) == {sid} and pos is not None
    assert not page.proxy.mapFromSource(page.model.index(pos, 0)).isValid()
    assert QApplication.focusWidget() is page.view              # never the mass action next to it
    assert not page.verify_shown_button.hasFocus()
    shown_row = page.view.currentIndex().row()                   # and the table selects the row it shows
    assert [ix.row() for ix in page.view.selectionModel().selectedRows()] == [shown_row]
    assert page.selection_keys() != [sid]


def test_the_letters_button_keeps_the_focus_while_its_letters_are_made(win, qtbot, monkeypatch):
    import gui.letters_view as lv
    from gui import worker
    win.show_page(LETTERS)
    page = win.letters
    page.view.selectRow(0)
    tasks: list = []
    monkeypatch.setattr(worker, "run_task", lambda fn, *a, **k: tasks.append(fn))
    page.preview_button.setFocus()
    qtbot.keyClick(page.preview_button, Qt.Key.Key_Space)
    assert tasks == [lv.make_letters] and not page.save_button.isEnabled()
    assert QApplication.focusWidget() is page.preview_button    # not on 回执已收回 meanwhile
    qtbot.keyClick(page.preview_button, Qt.Key.Key_Space)       # pressed again: nothing more made
    assert tasks == [lv.make_letters]


# -- B. Return and the keypad's Enter open a row --------------------------------------------------
def test_return_and_keypad_enter_on_a_finding_open_what_a_double_click_opens(qtbot, demo_db):
    from gui.findings_view import FindingsPage
    page = FindingsPage(demo_db)
    qtbot.addWidget(page)
    page.show()
    page.run()
    row = next(r for r in range(page.proxy.rowCount())
               if (f := page.source_row(page.proxy.index(r, 0))).student_id is not None and not f.setting)
    finding = page.source_row(page.proxy.index(row, 0))
    opened: list = []
    page.open_student.connect(lambda sid, fld: opened.append((sid, fld)))
    page.open_setting.connect(opened.append)
    activate(qtbot, page)
    page.view.setFocus()
    page.view.setCurrentIndex(page.proxy.index(row, 0))
    page.view.doubleClicked.emit(page.proxy.index(row, 0))
    assert opened == [(finding.student_id, finding.field)]
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    qtbot.keyClick(page.view, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert opened == [(finding.student_id, finding.field)] * 3


def test_keypad_enter_on_a_student_opens_the_form(win, qtbot, monkeypatch):
    win.show_page(STUDENTS)
    page = win.students
    opened: list = []
    monkeypatch.setattr(page, "open_student", lambda sid, *a, **k: opened.append(sid))
    page.view.setFocus()
    page.view.selectRow(3)
    qtbot.keyClick(page.view, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert opened == [page.source_row(page.proxy.index(3, 0)).id] * 2


# -- C. Tab into a table selects the row it shows ---------------------------------------------------
def test_tab_into_the_letters_table_selects_the_current_row(win, qtbot):
    win.show_page(LETTERS)
    page = win.letters
    assert not page.view.selectionModel().hasSelection()
    assert len(page.selected_keys()) == page.proxy.rowCount() > 1   # unselected: every row (by mouse)
    page.search.setFocus()
    qtbot.keyClick(page.search, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.view
    assert [ix.row() for ix in page.view.selectionModel().selectedRows()] == [page.view.currentIndex().row()]
    assert len(page.selected_keys()) == 1                            # 预览/打印… makes the row shown
    assert page.receipt_button.isEnabled() and page.no_receipt_button.isEnabled()


def test_tab_into_the_student_table_enables_the_row_buttons_and_return(win, qtbot, monkeypatch):
    win.show_page(STUDENTS)
    page = win.students
    opened: list = []
    monkeypatch.setattr(page, "open_student", lambda sid, *a, **k: opened.append(sid))
    page.search.setFocus()
    qtbot.keyClick(page.search, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.view
    assert len(page.view.selectionModel().selectedRows()) == 1
    assert page.edit_button.isEnabled() and page.verify_button.isEnabled()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert opened == page.selection_keys()


# -- D. the import wizard ---------------------------------------------------------------------------
@pytest.fixture
def roster_file(tmp_path, demo_db):
    with demo_db.session() as s:
        people = list(s.scalars(select(RosterPerson).limit(3)))
        rows = [[p.name, p.id_number, "x"] for p in people]
    return xlsx(tmp_path / "名单.xlsx", ["姓名", "证件号码", "备注"], *rows)


def test_the_wizard_opens_on_the_path_not_on_the_unchecked_kind(win, qtbot):
    wiz = win.open_import("roster", modal=False)
    qtbot.addWidget(wiz)
    activate(qtbot, wiz)
    page = wiz.file_page
    assert page.kind() == "roster"
    assert QApplication.focusWidget() is page.path_edit
    cancel = wiz.button(QWizard.WizardButton.CancelButton)
    cancel.setFocus()
    qtbot.keyClick(cancel, Qt.Key.Key_Tab)                          # round to the kinds: the checked one
    assert QApplication.focusWidget() is page.kind_buttons.checkedButton()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert page.kind() == "roster"
    page.path_edit.setFocus()
    qtbot.keyClick(page.path_edit, Qt.Key.Key_Backtab)              # back to the kinds: the checked one too
    assert QApplication.focusWidget() is page.kind_buttons.checkedButton()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left)      # the other kind, by the arrow keys
    students = page.kind_buttons.button(0)
    assert page.kind() == "students" and students.hasFocus()
    cancel.setFocus()
    qtbot.keyClick(cancel, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is students


def preview_step(win, qtbot, path):
    wiz = win.open_import("roster", modal=False)
    qtbot.addWidget(wiz)
    activate(qtbot, wiz)
    wiz.file_page.path_edit.setText(str(path))
    wiz.next()
    assert wiz.preview_page.preview is not None
    return wiz.preview_page


def test_after_the_new_preview_the_focus_is_on_the_column_changed(win, qtbot, roster_file):
    page = preview_step(win, qtbot, roster_file)
    combo = page.mapping.combos[2]                                # 备注: not imported
    combo.setFocus()
    combo.setCurrentIndex(next(i for i in range(1, combo.count()) if "必填" not in combo.itemText(i)))
    qtbot.keyClick(combo, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.refresh_button      # the drop-downs, then 重新预览
    qtbot.keyClick(page.refresh_button, Qt.Key.Key_Space)
    assert page.preview is not None and not page.refresh_button.isEnabled()
    # the new drop-down of that column (it takes the focus once shown: the layout shows it queued)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.mapping.combos[2], timeout=2000)


def test_space_on_the_replace_box_leaves_the_focus_on_it(win, qtbot, roster_file):
    page = preview_step(win, qtbot, roster_file)
    page.replace_box.setFocus()
    qtbot.keyClick(page.replace_box, Qt.Key.Key_Space)
    assert page.replace_box.isChecked() and page.preview is not None
    assert QApplication.focusWidget() is page.replace_box         # not nowhere (Return ran 开始导入)
