# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""GUI: unsaved changes on the 政策 page are never lost silently — closing the window, switching
the database and choosing another page ask 保存 / 不保存 / 取消 first."""
from __future__ import annotations

import pytest
from conftest import two_student_school
from test_gui_policy import school, win  # noqa: F401 - fixtures: the two-student school on the 政策 page

from core.policy import parameters_of
from db import store
from db.policy_versions import list_versions
from db.session import open_database
from db.settings import policy
from gui.actions import PAGE_ACTIONS
from gui.databases import DatabaseSwitcher
from gui.main_window import POLICY, STUDENTS

pytestmark = pytest.mark.usefixtures("shown")
KEY = "tuition_standard.普通高中"


class Clerk:
    """Answers the page's questions: the leave question (recorded) and the 变更预览 (confirmed)."""

    def __init__(self, page, monkeypatch, answer="cancel"):
        self.answer, self.asked = answer, 0
        monkeypatch.setattr(page, "ask_unsaved", self.ask)
        monkeypatch.setattr(page, "confirm_preview", lambda preview: "离开前保存")

    def ask(self):
        self.asked += 1
        return self.answer


def edit_parameter(page, text, apply=True):
    edit = page.parameters.edits[KEY]
    edit.setText(text)
    if apply:
        edit.editingFinished.emit()


def amount(pol):
    return {p.key: p.fen for p in parameters_of(pol)}[KEY]


def saved_amount(db):
    return amount(policy(db))


# -- closing the window ------------------------------------------------------------------

def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(win, school, monkeypatch):
    clerk = Clerk(win.policy, monkeypatch)
    assert win.close() and clerk.asked == 0              # nothing unsaved: no question
    win.show()
    edit_parameter(win.policy, "800")
    versions = list_versions(school)
    assert not win.close() and clerk.asked == 1          # 取消: the window and the draft stay
    assert win.isVisible() and win.policy.is_modified()
    assert amount(win.policy.draft) == 80000
    assert list_versions(school) == versions


def test_closing_and_choosing_discard_drops_the_changes(win, school, monkeypatch):
    clerk = Clerk(win.policy, monkeypatch, "discard")
    edit_parameter(win.policy, "800")
    versions = list_versions(school)
    assert win.close() and clerk.asked == 1 and not win.isVisible()
    assert list_versions(school) == versions and saved_amount(school) == 120000


def test_closing_and_choosing_save_saves_a_version_then_closes(qtbot, win, school, monkeypatch):
    clerk = Clerk(win.policy, monkeypatch, "save")
    edit_parameter(win.policy, "800")
    versions = list_versions(school)
    win.close()
    qtbot.waitUntil(lambda: not win.isVisible())
    assert clerk.asked == 1
    after = list_versions(school)
    assert len(after) == len(versions) + 1 and after[0].note == "离开前保存"
    assert saved_amount(school) == 80000


def test_a_value_still_being_typed_counts_and_a_bad_one_keeps_the_window(qtbot, win, school, monkeypatch, shown):
    clerk = Clerk(win.policy, monkeypatch, "save")
    edit_parameter(win.policy, "12.345", apply=False)    # typed, never applied to the draft
    assert not win.policy.is_modified() and win.policy.has_unsaved()
    win.close()
    assert clerk.asked == 1 and win.isVisible()          # the save failed: the window stays
    assert len(shown) == 1 and "普通高中" in shown[0][0] and "两位小数" in shown[0][0]
    shown.clear()
    assert win.policy.tabs.currentIndex() == 1 and saved_amount(school) == 120000
    # a good value typed (not applied) is saved by 保存
    edit_parameter(win.policy, "900", apply=False)
    win.close()
    qtbot.waitUntil(lambda: not win.isVisible())
    assert saved_amount(school) == 90000


def test_discard_also_forgets_a_value_being_typed(win, monkeypatch):
    edit_parameter(win.policy, "900", apply=False)
    win.policy.discard()
    assert win.policy.parameters.edits[KEY].text() == "1200.00" and not win.policy.has_unsaved()


def test_a_cancelled_preview_keeps_the_window(win, school, monkeypatch):
    Clerk(win.policy, monkeypatch, "save")
    monkeypatch.setattr(win.policy, "confirm_preview", lambda preview: None)
    edit_parameter(win.policy, "800")
    win.close()
    assert win.isVisible() and win.policy.is_modified() and saved_amount(school) == 120000


# -- another page -------------------------------------------------------------------------

def test_another_page_asks_and_cancel_stays_on_the_policy_page(win, monkeypatch):
    clerk = Clerk(win.policy, monkeypatch)
    edit_parameter(win.policy, "800")
    win.nav.setCurrentRow(STUDENTS)                      # the clerk clicks 学生名册
    assert clerk.asked == 1 and win.current_page() == POLICY and win.nav.currentRow() == POLICY
    win.action_collection[PAGE_ACTIONS[STUDENTS]].trigger()     # Ctrl+2
    assert clerk.asked == 2 and win.current_page() == POLICY and win.policy.is_modified()
    clerk.answer = "discard"
    win.show_page(STUDENTS)
    assert win.current_page() == STUDENTS and win.nav.currentRow() == STUDENTS
    assert not win.policy.has_unsaved()
    win.show_page(POLICY)
    win.show_page(STUDENTS)                              # nothing unsaved: no question
    assert clerk.asked == 3


def test_another_page_with_save_saves_then_goes(qtbot, win, school, monkeypatch):
    clerk = Clerk(win.policy, monkeypatch, "save")
    edit_parameter(win.policy, "800")
    win.nav.setCurrentRow(STUDENTS)
    qtbot.waitUntil(lambda: win.current_page() == STUDENTS)
    assert clerk.asked == 1 and win.nav.currentRow() == STUDENTS and saved_amount(school) == 80000


# -- switching the database ----------------------------------------------------------------

@pytest.fixture
def switcher(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    sw = DatabaseSwitcher()
    sw.ask_first_start = lambda db: None
    yield sw
    if sw.window is not None:
        sw.window.close()
    sw.close()


def two_databases(tmp_path):
    """a: the two-student school; b: another school's database."""
    a = two_student_school(tmp_path / "a.sqlite")
    b = tmp_path / "b.sqlite"
    d = open_database(b)
    with d.session() as s:
        store.init_school(s, "乙校", "43", 2023, actor="t")
    d.close()
    return a, b


def test_switching_the_database_asks_first(qtbot, switcher, tmp_path, monkeypatch):
    a, b = two_databases(tmp_path)
    switcher.start(open_database(a))
    w = switcher.window
    w.show_page(POLICY)
    clerk = Clerk(w.policy, monkeypatch)
    edit_parameter(w.policy, "800")
    switcher.ask_open_path = lambda: b
    w.action_collection.open_database.trigger()          # 取消: still on a, the draft kept
    assert clerk.asked == 1 and switcher.db.path == a and switcher.window is w and w.policy.is_modified()
    clerk.answer = "save"
    w.action_collection.open_database.trigger()          # 保存: a's new version, then b
    qtbot.waitUntil(lambda: switcher.db.path == b)
    assert clerk.asked == 2 and switcher.db.path == b and switcher.window is not w
    saved = open_database(a)
    try:
        assert saved_amount(saved) == 80000 and list_versions(saved)[0].note == "离开前保存"
    finally:
        saved.close()


def test_changes_made_while_the_other_database_opens_are_asked_about_again(qtbot, switcher, tmp_path, monkeypatch):
    """The first question passed (nothing unsaved); the clerk edits while the other database opens.
    The old window is not deleted with its edits: the clerk is asked, 取消 keeps it, 保存 saves then switches."""
    import gui.databases as databases
    a, b = two_databases(tmp_path)
    switcher.start(open_database(a))
    w = switcher.window
    w.show_page(POLICY)
    clerk = Clerk(w.policy, monkeypatch)
    real_info = databases.database_info

    def info_while_the_clerk_types(db):       # (the worker is synchronous here: the edit comes meanwhile)
        if db.path == b and not w.policy.has_unsaved():
            edit_parameter(w.policy, "800")
        return real_info(db)
    monkeypatch.setattr(databases, "database_info", info_while_the_clerk_types)
    switcher.ask_open_path = lambda: b
    w.action_collection.open_database.trigger()
    assert clerk.asked == 1                              # asked at the switch, not before (nothing then)
    assert switcher.window is w and switcher.db.path == a and w.isVisible()
    assert w.policy.is_modified() and amount(w.policy.draft) == 80000
    qtbot.waitUntil(lambda: "尚未切换" in w.statusBar().currentMessage())
    again = open_database(b)                             # b was closed again: its lock is free
    again.close()
    clerk.answer = "save"
    w.action_collection.open_database.trigger()          # asked before opening this time: saved, then b
    qtbot.waitUntil(lambda: switcher.db.path == b)
    assert clerk.asked == 2 and switcher.window is not w
    saved = open_database(a)
    try:
        assert saved_amount(saved) == 80000
    finally:
        saved.close()


def test_save_at_the_late_question_saves_then_switches(qtbot, switcher, tmp_path, monkeypatch):
    import gui.databases as databases
    a, b = two_databases(tmp_path)
    switcher.start(open_database(a))
    w = switcher.window
    w.show_page(POLICY)
    clerk = Clerk(w.policy, monkeypatch, "save")
    real_info = databases.database_info
    typed = []

    def info_while_the_clerk_types(db):
        if db.path == b and not typed:
            typed.append(1)
            edit_parameter(w.policy, "800")
        return real_info(db)
    monkeypatch.setattr(databases, "database_info", info_while_the_clerk_types)
    switcher.ask_open_path = lambda: b
    w.action_collection.open_database.trigger()
    qtbot.waitUntil(lambda: switcher.db.path == b)
    assert clerk.asked == 1 and switcher.window is not w
    saved = open_database(a)
    try:
        assert saved_amount(saved) == 80000 and list_versions(saved)[0].note == "离开前保存"
    finally:
        saved.close()
