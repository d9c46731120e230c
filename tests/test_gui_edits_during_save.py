"""GUI: what the clerk does while a save is on its way is never lost. The 政策 page keeps edits made
while its new version is written as a draft still to save (before, the reload after the save put the
stored version back without a word), and offers no second save meanwhile; the student form takes no
typing while its save runs (before, a value typed then was dropped when the form closed)."""
from __future__ import annotations

from typing import Any

import pytest
from conftest import open_main_window, two_student_school
from PySide6.QtWidgets import QApplication
from sqlalchemy import select
from test_gui_students import fill_people

from core.errors import DatabaseError
from db.models import Student
from db.session import open_database
from db.settings import policy
from gui import worker
from gui.main_window import POLICY, STUDENTS

pytestmark = pytest.mark.usefixtures("shown")


class Held:
    """``worker.run_task`` with the tasks of one function held until ``answer`` (the worker busy)."""

    def __init__(self, monkeypatch, name: str) -> None:
        self.name, self.real = name, worker.run_task
        self.held: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []
        monkeypatch.setattr(worker, "run_task", self.run)

    def run(self, fn, *args, **kwargs):
        if fn.__name__ == self.name:
            self.held.append((fn, args, kwargs))
            return None
        return self.real(fn, *args, **kwargs)

    def answer(self) -> None:
        held, self.held = self.held, []
        for fn, args, kwargs in held:
            self.real(fn, *args, **kwargs)

    def fail(self, exc: BaseException) -> None:
        held, self.held = self.held, []
        for _fn, _args, kwargs in held:
            kwargs["on_failure"](exc)


@pytest.fixture
def page(qtbot, tmp_path, monkeypatch):
    db = open_database(two_student_school(tmp_path / "school.sqlite"))
    win = open_main_window(qtbot, db, POLICY)
    monkeypatch.setattr(win.policy, "confirm_preview", lambda preview: "测试")
    yield win.policy
    win.close()
    db.close()


def _codes(page) -> list[str]:
    return [page.model.row_at(i).code for i in range(page.model.rowCount())]


def _retire(page, code: str) -> None:
    assert page.select_code(code)
    page.toggle_retired()


def test_an_item_retired_while_the_version_is_saved_stays_a_draft_to_save(page, monkeypatch):
    first, second = _codes(page)[:2]
    _retire(page, first)
    held = Held(monkeypatch, "save_version")
    page.save()
    assert held.held and not page.save_button.isEnabled()
    _retire(page, second)                          # the worker still writing the version
    assert page.has_unsaved() and not page.save_button.isEnabled() and not page.discard_button.isEnabled()
    held.answer()
    stored = policy(page.db)
    assert stored.item(first).retired and not stored.item(second).retired      # what was saved
    assert page.saved.item(first).retired and not page.saved.item(second).retired
    assert page.is_modified() and page.draft.item(second).retired              # what was typed since
    assert page.save_button.isEnabled() and "未保存的改动" in page.pending.text()
    page.save()                                    # and it is saved like any draft
    held.answer()
    assert policy(page.db).item(second).retired and not page.is_modified()


def test_a_save_without_edits_meanwhile_leaves_nothing_unsaved(page, monkeypatch):
    first = _codes(page)[0]
    _retire(page, first)
    held = Held(monkeypatch, "save_version")
    page.save()
    held.answer()
    assert not page.is_modified() and not page.save_button.isEnabled()
    assert policy(page.db).item(first).retired and page.draft.text == page.saved.text


def test_a_failed_save_offers_saving_again_with_the_draft_kept(page, monkeypatch, shown):
    first = _codes(page)[0]
    _retire(page, first)
    held = Held(monkeypatch, "save_version")
    page.save()
    assert not page.save_button.isEnabled()
    held.fail(DatabaseError("数据库正被另一个程序使用，这次没有保存", "请稍后重试"))
    assert [m for m, _h in shown] == ["数据库正被另一个程序使用，这次没有保存"]
    shown.clear()
    assert page.is_modified() and page.draft.item(first).retired
    assert page.save_button.isEnabled() and not policy(page.db).item(first).retired


@pytest.fixture
def form(qtbot, db):
    fill_people(db)
    win = open_main_window(qtbot, db, STUDENTS)
    with db.session() as s:
        sid = s.scalar(select(Student.id).where(Student.name == "张三"))
    f = win.students.open_student(sid, modal=False)
    yield f, sid
    win.close()


def _tuition(db, sid) -> int | None:
    with db.session() as s:
        return s.scalar(select(Student.tuition_fen).where(Student.id == sid))


def test_the_student_form_takes_no_typing_while_its_save_runs(form, db, monkeypatch):
    f, sid = form
    tuition = f.editors["tuition_fen"].widget
    tuition.setText("1600.00")
    held = Held(monkeypatch, "edit_student")
    f.save_button.click()
    assert held.held and not tuition.isEnabled() and not f.editors["name"].widget.isEnabled()
    f.validate()                                   # (a check while saving does not offer 保存 again)
    assert not f.save_button.isEnabled()
    held.answer()
    assert _tuition(db, sid) == 160000 and not f.isVisible()


def test_a_failed_student_save_gives_the_fields_back_as_typed(form, db, monkeypatch, shown):
    f, sid = form
    before = _tuition(db, sid)
    tuition = f.editors["tuition_fen"].widget
    tuition.setText("1600.00")
    held = Held(monkeypatch, "edit_student")
    f.save_button.click()
    held.fail(DatabaseError("数据库正被另一个程序使用，这次没有保存", "请稍后重试"))
    shown.clear()
    assert tuition.isEnabled() and tuition.text() == "1600.00" and f.save_button.isEnabled() and f.isVisible()
    assert _tuition(db, sid) == before


def test_leaving_the_page_while_its_version_is_written_waits_and_starts_no_second_save(page, monkeypatch):
    first, second = _codes(page)[:2]
    _retire(page, first)
    held = Held(monkeypatch, "save_version")
    page.save()
    _retire(page, second)
    left = []
    assert page.may_leave(lambda: left.append(1)) is False and len(held.held) == 1    # one save, not two
    assert "正在保存" in page.pending.text()
    held.answer()
    assert left == [] and page.is_modified()


def test_a_close_that_saved_does_not_go_on_when_edits_came_meanwhile(page, monkeypatch):
    first, second = _codes(page)[:2]
    _retire(page, first)
    monkeypatch.setattr(page, "ask_unsaved", lambda: "save")
    held = Held(monkeypatch, "save_version")
    left = []
    assert page.may_leave(lambda: left.append(1)) is False          # 保存, then leave
    _retire(page, second)                                            # typed while it is written
    held.answer()
    QApplication.processEvents()
    assert left == [] and page.is_modified() and page.draft.item(second).retired
