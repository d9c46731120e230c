# ruff: noqa: F811 - the fixtures imported from other test modules are the test functions' arguments
"""汇总 › 专项核查: results typed for a sampled student and not saved are never dropped silently —
choosing another student or sample, drawing a new sample, closing the window all ask first
(放弃修改 / 继续编辑), and a reload of the sample (another change) keeps what was typed."""
from __future__ import annotations

import pytest
from test_gui_receiving_spotcheck import FUNDS, draw, page, select_student  # noqa: F401 - fixtures
from test_spotcheck_db import bureau, county  # noqa: F401 - fixtures: two schools taken in, 4 students

from core.spotcheck import FALSE_LABEL
from db.changes import Changes
from db.spotcheck import sample_list, spot_report
from gui.receiving.result_form import NOT_CHECKED

NOTE = "家访发现该生已外出务工，未在校就读"


def type_false(tab) -> None:
    form = tab.form
    form.choices[FUNDS].setCurrentIndex(form.choices[FUNDS].findText(FALSE_LABEL))
    form.notes[FUNDS].setText(NOTE)


@pytest.fixture
def answers(page, monkeypatch):
    """The clerk's answers to 放弃修改? (True: drop), in order; each question recorded."""
    form = page.spotcheck.form
    form.asked, form.answers = [], []

    def ask() -> bool:
        form.asked.append(form.row.id if form.row else None)
        return form.answers.pop(0)
    monkeypatch.setattr(form, "ask_discard", ask)
    return form


def test_choosing_another_student_asks_and_keep_editing_stays_on_the_typed_student(page, answers):
    tab = draw(page, size="3")
    select_student(tab, 1)
    type_false(tab)
    answers.answers = [False]                       # 继续编辑
    select_student(tab, 2)
    assert answers.asked == [1]
    assert tab.form.row.id == 1 and tab.form.entries() == [("FUNDS", False, NOTE)]
    rows = tab.students_view.selectionModel().selectedRows()
    assert [tab.students.row_at(r.row()).id for r in rows] == [1]           # the selection put back
    # saved now: the next choice asks nothing
    tab.form.save_button.click()
    select_student(tab, 2)
    assert answers.asked == [1] and tab.form.row.id == 2


def test_dropping_the_typed_results_shows_the_next_student_and_enters_nothing(page, bureau, answers):
    tab = draw(page, size="3")
    select_student(tab, 1)
    type_false(tab)
    answers.answers = [True]                        # 放弃修改
    select_student(tab, 2)
    assert answers.asked == [1] and tab.form.row.id == 2 and tab.form.entries() == []
    select_student(tab, 1)
    assert tab.form.entries() == [] and tab.form.choices[FUNDS].currentText() == NOT_CHECKED
    assert spot_report(bureau, sample_list(bureau)[0].id).stored.results == {}
    assert answers.asked == [1]                     # nothing typed on student 2: no question


def test_choosing_or_drawing_another_sample_asks_first(page, answers):
    tab = draw(page, size="1", seed="7")
    first = tab.view_data.stored.id
    draw(page, size="3", seed="8")
    select_student(tab, 2)
    type_false(tab)
    answers.answers = [False]
    tab.samples_view.selectRow(tab.samples.position(first))
    assert answers.asked == [2] and tab.view_data.stored.id != first and tab.form.entries()
    answers.answers = [False]
    tab.size_edit.setText("2")
    tab.draw_button.click()                         # a third sample would be shown: asked, nothing drawn
    assert answers.asked == [2, 2] and tab.samples.rowCount() == 2 and tab.form.entries()
    answers.answers = [True]
    tab.samples_view.selectRow(tab.samples.position(first))
    assert tab.view_data.stored.id == first and tab.form.entries() == []


def test_a_reload_of_the_sample_keeps_what_was_typed(page, answers):
    tab = draw(page, size="3")
    select_student(tab, 1)
    type_false(tab)
    page.on_changes(Changes.SPOTCHECK)              # e.g. a results sheet imported meanwhile
    assert tab.form.row.id == 1 and tab.form.entries() == [("FUNDS", False, NOTE)]
    assert tab.form.notes[FUNDS].text() == NOTE and answers.asked == []


def test_closing_the_window_asks_about_typed_results(qtbot, page, answers):
    tab = draw(page, size="3")
    select_student(tab, 1)
    assert page.may_leave()                         # nothing typed: no question
    type_false(tab)
    answers.answers = [False, True]
    assert not page.may_leave() and tab.form.entries()
    assert page.may_leave() and tab.form.entries() == [] and answers.asked == [1, 1]


def test_closing_the_main_window_asks_about_typed_results(qtbot, shown, bureau, tmp_path, monkeypatch):
    from conftest import open_main_window
    w = open_main_window(qtbot, bureau)
    w.show_receiving()
    page = w.receiving
    tab = page.spotcheck
    monkeypatch.setattr(tab, "ask_save", lambda title, name, filters: tmp_path / name)
    monkeypatch.setattr(tab, "open_file", lambda path: None)
    draw(page, size="3")
    select_student(tab, 1)
    type_false(tab)
    answers: list[bool] = [False, True]
    monkeypatch.setattr(tab.form, "ask_discard", lambda: answers.pop(0))
    w.close()
    assert w.isVisible() and tab.form.entries() == [("FUNDS", False, NOTE)]     # 继续编辑: open
    w.close()
    assert not w.isVisible() and answers == []
