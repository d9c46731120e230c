"""Keyboard habits: Tab leaves a table, Ctrl+1…Ctrl+8 switch pages, Ctrl+S saves the
student form, and 设置's Tab order follows the reading order."""
from __future__ import annotations

import pytest
from conftest import open_main_window
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QWidget

from gui.actions import PAGE_ACTIONS, SPECS
from gui.main_window import PAGES, SETTINGS, STUDENTS


@pytest.fixture
def win(qtbot, shown, demo_db):
    w = open_main_window(qtbot, demo_db)
    activate(qtbot, w)
    return w


def activate(qtbot, window: QWidget) -> None:
    """Shortcuts go to the active window."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def item_views(window: QWidget) -> list[QAbstractItemView]:
    popups = {combo.view() for combo in window.findChildren(QComboBox)}
    return [v for v in window.findChildren(QAbstractItemView) if v not in popups]


def press(qtbot, keys: str) -> None:
    qtbot.keySequence(QApplication.focusWidget() or QApplication.activeWindow(), QKeySequence(keys))


def test_ctrl_digit_switches_pages(win, qtbot):
    assert [spec.text for spec in SPECS if spec.name in PAGE_ACTIONS] == list(PAGES)
    for n in (3, 7, 8, 2, 1, 6, 4, 5):
        press(qtbot, f"Ctrl+{n}")
        assert win.current_page() == n - 1, n
        assert win.nav.currentRow() == n - 1


def test_tab_leaves_every_table(win, qtbot):
    views = item_views(win)
    assert len(views) >= 4
    assert [v.objectName() for v in views if v.tabKeyNavigation()] == []
    win.show_page(STUDENTS)
    table = win.students.view
    table.setFocus()
    table.selectRow(2)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table
    assert table.currentIndex().row() == 2            # Tab did not walk the cells


def test_ctrl_s_saves_the_student_form(win, qtbot, demo_db):
    from db.views import snapshot
    win.show_page(STUDENTS)
    row = win.students.model.row_at(0)
    form = win.students.open_student(row.id, modal=False)
    assert form is not None
    assert [v.objectName() for v in item_views(form) if v.tabKeyNavigation()] == []
    activate(qtbot, form)
    name = form.editors["class_name"].widget
    name.setFocus()
    name.setText("9班")
    press(qtbot, "Ctrl+S")
    assert not form.isVisible()                        # saved and closed
    assert {s.id: s.class_name for s in snapshot(demo_db).students}[row.id] == "9班"


def test_policy_page_tab_order_is_the_reading_order(win, qtbot):
    """The items' table came before its own buttons and the tabs came last (GUI review, session 29):
    Tab goes top row, tabs, an item's buttons, 显示已停用的项目, the items."""
    from gui.main_window import POLICY
    win.show_page(POLICY)
    page = win.policy
    qtbot.wait(30)
    page.import_button.setFocus()
    seen: list[QWidget] = [page.import_button]
    for _ in range(40):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is page.import_button or not page.isAncestorOf(widget):
            break
        seen.append(widget)
    names = [w.objectName() for w in seen]
    assert names[:3] == ["importPolicy", "exportPolicy", "qt_tabwidget_tabbar"], names
    assert names.index("addItem") < names.index("showRetired") < names.index("policyItems"), names
    tops = [w.mapTo(page, QPoint(0, 0)).y() for w in seen]
    assert tops == sorted(tops), list(zip(names, tops, strict=True))


def test_settings_tab_order_is_the_reading_order(win, qtbot):
    win.show_page(SETTINGS)
    page = win.settings
    qtbot.wait(30)
    first = page.school_edits["name"]
    first.setFocus()
    seen: list[QWidget] = [first]
    for _ in range(60):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is first or not page.isAncestorOf(widget):
            break
        seen.append(widget)
    expected = [w for w in page.reading_order() if w.isEnabled() and w.isVisible()]
    proxies = [w.focusProxy() or w for w in expected]
    assert seen == proxies
    assert page.policy_button in seen
    # reading order: the left column top to bottom, then the right one, then the full-width
    # 签名人登记 box under both
    below = [page.trust_box.view, page.trust_box.add_button]
    assert seen[-len(below):] == below
    seen = seen[:-len(below)]
    bottom = max(w.mapTo(page, QPoint(0, w.height())).y() for w in seen)
    assert all(w.mapTo(page, QPoint(0, 0)).y() > bottom for w in below)
    spots = [w.mapTo(page, QPoint(0, 0)) for w in seen]
    middle = page.width() // 2
    columns = [p.x() >= middle for p in spots]
    assert columns == sorted(columns)
    for side in (False, True):
        ys = [p.y() for p, right in zip(spots, columns, strict=True) if right == side]
        assert ys == sorted(ys)
