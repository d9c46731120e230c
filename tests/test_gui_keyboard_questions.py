# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""Session 21 keyboard review: what Return, Space and Ctrl+F do where a clerk works without a mouse."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox
from test_gui_policy import page, school, win  # noqa: F401 - fixtures

from db.backup import BackupInfo
from gui.main_window import FINDINGS, LETTERS, POLICY, STUDENTS

pytestmark = pytest.mark.usefixtures("shown")        # the worker synchronous, no error box shown


def test_the_item_buttons_open_the_form_modal(page, qtbot, monkeypatch):
    """clicked(bool) was handed to ``modal``: 编辑… opened a non-modal form, a second one beside it."""
    qtbot.waitUntil(lambda: page.draft is not None and page.model.rowCount() > 0)
    asked = []
    monkeypatch.setattr(page, "open_form", lambda draft, code, modal=True: asked.append(modal))
    page.view.selectRow(0)
    for button in (page.add_button, page.copy_button, page.edit_button):
        button.click()
    assert asked == [True, True, True]


def test_return_at_the_restore_question_keeps_the_database(win, qtbot):
    box = win.settings.backup_box
    seen = []

    def answer():
        question = QApplication.activeModalWidget()
        assert isinstance(question, QMessageBox)
        seen.append(question.defaultButton().text())
        QTest.keyClick(question, Qt.Key.Key_Return)
    QTimer.singleShot(0, answer)
    info = BackupInfo(Path("b.sqlite"), datetime(2024, 4, 1, 9, 30), 2, "第一中学")
    assert box.confirm_restore(info) is False and seen == ["取消"]


def test_the_reason_dialog_takes_the_typing_in_its_reason_field(qtbot):
    from gui.reason_dialog import ReasonDialog
    d = ReasonDialog("接受核查问题", "接受以下 1 个问题（数据无误）：", ["年龄与学段不符 — 王一"], "例如：已核对户口簿")
    qtbot.addWidget(d)
    d.show()
    qtbot.waitUntil(lambda: d.isActiveWindow() or QApplication.focusWidget() is not None, timeout=1000)
    assert d.focusWidget() is d.edit and d.items.focusPolicy() == Qt.FocusPolicy.NoFocus


def test_ctrl_f_searches_the_list_shown(win, qtbot):
    """Ctrl+F on 核查问题 and 告知书 went to 学生名册's search box."""
    for index, shown in ((FINDINGS, win.findings), (LETTERS, win.letters), (STUDENTS, win.students)):
        win.show_page(index)
        win.find_in_list()
        assert win.current_page() == index and shown.search.hasFocus()
    win.show_page(POLICY)
    win.find_in_list()
    assert win.current_page() == STUDENTS


def test_return_on_a_policy_item_opens_its_form_modal(page, qtbot, monkeypatch):
    qtbot.waitUntil(lambda: page.draft is not None and page.model.rowCount() > 0)
    asked = []
    monkeypatch.setattr(page, "open_form", lambda draft, code, modal=True: asked.append((code, modal)))
    page.view.selectRow(0)
    page.view.setFocus()
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        QTest.keyClick(page.view, key)
    assert len(asked) == 2 and all(modal is True and code for code, modal in asked)
