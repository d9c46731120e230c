"""政策 › 新增 / 编辑 a subsidy item: Esc, 取消 or × on a form with something typed asks first (放弃修改 /
继续编辑); a form left as it opened closes without a question. Before, Esc dropped a whole typed item."""
from __future__ import annotations

import pytest
from conftest import open_main_window, two_student_school
from PySide6.QtCore import Qt
from test_gui_policy import fill_transport

from db.session import open_database
from gui.main_window import POLICY


@pytest.fixture
def page(qtbot, shown, tmp_path, monkeypatch):
    db = open_database(two_student_school(tmp_path / "school.sqlite"))
    win = open_main_window(qtbot, db, POLICY)
    p = win.policy
    p.asked, p.answers = [], []
    from gui.policy_item_form import ItemForm
    monkeypatch.setattr(ItemForm, "confirm_discard", lambda self: p.asked.append(self.code.text()) or p.answers.pop(0))
    yield p
    win.close()
    db.close()


def test_esc_on_a_typed_new_item_asks_and_keep_editing_keeps_it(page, qtbot):
    form = page.add_item(modal=False)
    fill_transport(form)
    assert form.check() == []
    page.answers = [False]                         # 继续编辑
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert page.asked == ["TRANSPORT"] and form.isVisible() and form.code.text() == "TRANSPORT"
    page.answers = [True]                          # 放弃修改
    form.reject()                                  # 取消 and × go through reject too
    assert not form.isVisible() and page.asked == ["TRANSPORT", "TRANSPORT"]
    assert not any(i.code == "TRANSPORT" for i in page.draft.all_items)


def test_an_untouched_form_closes_without_a_question(page, qtbot):
    form = page.add_item(modal=False)
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert not form.isVisible() and page.asked == []
    page.view.selectRow(0)
    form = page.edit_item(modal=False)
    assert form is not None
    form.reject()
    assert not form.isVisible() and page.asked == []


def test_an_edited_item_asks_before_its_change_is_dropped(page):
    page.view.selectRow(0)
    form = page.edit_item(modal=False)
    before = form.name.text()
    form.name.setText(before + "（改）")
    page.answers = [True]
    form.reject()
    assert page.asked == [form.code.text()] and not form.isVisible()
    assert page.draft.item(form.code.text()).name == before          # nothing applied
