"""The first-start wizard reads and writes the database only in the worker: the parameters it asks
for come with ``database_info`` (read in the worker), and the school's and the 公文信息's saves run as
worker tasks, the wizard going on when each succeeds (a refusal keeps the page, with the message)."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWizard

from core.errors import ValidationError
from db import store
from db.settings import save_official, save_school
from db.views import unset_parameters
from db.workflows import database_info
from gui import worker
from gui.first_start import FirstStartWizard


@pytest.fixture
def queued(monkeypatch):
    """Worker tasks recorded, not run: ``run()`` runs the next one with its callbacks."""
    tasks: list[tuple] = []

    def run_task(fn, *args, on_success=None, on_failure=None, **kwargs):
        kwargs.pop("parent", None)
        kwargs.pop("progress", None)
        tasks.append((fn, args, kwargs, on_success, on_failure))

    def run() -> object:
        fn, args, kwargs, ok, failed = tasks.pop(0)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the failure callback, as the worker does
            failed(exc)
            return exc
        ok(result)
        return result
    monkeypatch.setattr(worker, "run_task", run_task)
    tasks_run = type("Queued", (), {"tasks": tasks, "run": staticmethod(run)})
    return tasks_run


def _school(db):
    with db.session() as s:
        return store.find_school(s)


def test_the_saves_run_in_the_worker_and_the_wizard_goes_on_when_they_succeed(db, qtbot, shown, queued):
    wiz = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.school_page.name.setText("城关第二中学")
    wiz.school_page.code.setText("4211")
    next_button = wiz.button(QWizard.WizardButton.NextButton)
    next_button.click()
    [(fn, args, *_rest)] = queued.tasks
    assert fn is save_school and args[1:3] == ("城关第二中学", "4211")
    assert _school(db) is None and wiz.currentPage() is wiz.school_page        # nothing written yet
    assert not next_button.isEnabled()                                          # no second click meanwhile
    queued.run()
    assert _school(db).name == "城关第二中学" and wiz.currentPage() is wiz.official_page
    wiz.official_page.form.edits["county"].setText("建始县")
    next_button.click()
    [(fn, *_rest)] = queued.tasks
    assert fn is save_official and wiz.currentPage() is wiz.official_page
    queued.run()
    assert wiz.currentPage() is wiz.policy_page


def test_a_refused_school_keeps_the_page_and_shows_why(db, qtbot, shown, queued, monkeypatch):
    import gui.first_start

    def refuse(*_args, **_kwargs):
        raise ValidationError("学校代码“4211”已被另一所学校使用", "请核对学校代码")
    monkeypatch.setattr(gui.first_start, "save_school", refuse)
    wiz = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.school_page.name.setText("城关第二中学")
    wiz.school_page.code.setText("4211")
    wiz.button(QWizard.WizardButton.NextButton).click()
    queued.run()
    assert wiz.currentPage() is wiz.school_page and _school(db) is None
    assert [m for m, _h in shown] == ["学校代码“4211”已被另一所学校使用"]
    shown.clear()
    assert wiz.button(QWizard.WizardButton.NextButton).isEnabled()


def test_database_info_brings_the_parameters_the_wizard_asks_for(db):
    info = database_info(db)
    assert not info.has_school
    assert [p.key for p in info.unset] == [p.key for p in unset_parameters(db)] != []


def test_the_switcher_hands_the_wizard_the_parameters_read_in_the_worker(tmp_path, monkeypatch, qtbot, shown):
    from PySide6.QtWidgets import QDialog

    from db.session import open_database
    from gui.databases import DatabaseSwitcher
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    seen: list[list[str]] = []

    def exec_(wizard) -> int:
        seen.append(sorted(wizard.policy_page.edits) if wizard.policy_page else [])
        return QDialog.DialogCode.Rejected.value
    monkeypatch.setattr(FirstStartWizard, "exec", exec_)
    sw = DatabaseSwitcher()
    try:
        real = open_database(tmp_path / "home" / "zizhu.sqlite")
        expected = sorted(p.key for p in unset_parameters(real))
        sw.start(real)
        assert seen == [expected] and expected
    finally:
        sw.close()


def test_the_last_page_s_save_finishes_the_wizard_with_one_click(db, qtbot, shown, queued):
    """With no parameter left to ask for, 公文信息 is the last page: its 完成 saved and then waited for
    a second click."""
    wiz = FirstStartWizard(db, [])
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.school_page.name.setText("城关第二中学")
    wiz.school_page.code.setText("4211")
    wiz.button(QWizard.WizardButton.NextButton).click()
    queued.run()
    assert wiz.currentPage() is wiz.official_page and wiz.nextId() == -1
    wiz.official_page.form.edits["county"].setText("建始县")
    finish = wiz.button(QWizard.WizardButton.FinishButton)
    finish.click()
    [(fn, *_rest)] = queued.tasks
    assert fn is save_official and not finish.isEnabled() and wiz.result() == 0
    queued.run()
    assert wiz.result() == QWizard.DialogCode.Accepted and not wiz.isVisible()
    with db.session() as s:
        from db.official import get_official
        assert get_official(s).county == "建始县"
