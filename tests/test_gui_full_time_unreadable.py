"""GUI: the student form of a student whose 全日制正式学籍 cell the import could not read ("待定").

The box shows neither 是 nor 否 (half-checked, with a note) until the clerk clicks it; a save after the
click clears the file's text, and with it the error VALUE_UNREADABLE; a save of other edits keeps both.
Undo writes the text back (the error returns), redo clears it again. See test_full_time_unreadable.py.
"""
import pytest
from conftest import open_main_window
from PySide6.QtCore import Qt
from reimport_fixtures import HS, HS2, school, sheet
from sqlalchemy import select

from core.checks import FindingState
from db.models import FindingRow, Student
from db.usecases import check
from db.workflows import run_import
from gui.main_window import STUDENTS

pytestmark = pytest.mark.usefixtures("shown")

HEADER = ["姓名", "身份证号", "学段", "家庭类别", "实收学费", "是否全日制正式学籍"]


@pytest.fixture
def win(qtbot, db, tmp_path):
    school(db)
    run_import(db, "students", sheet(tmp_path / "s.xlsx", HEADER, ["张丽", HS, "普通高中", "建档立卡", 1000, "待定"],
                                     ["李四", HS2, "普通高中", "建档立卡", 1000, "否"]))
    check(db)
    return open_main_window(qtbot, db, STUDENTS)


def student(db, idn=HS) -> tuple[int, bool, str]:
    with db.session() as s:
        st = s.scalars(select(Student).where(Student.id_number == idn)).one()
        return st.id, st.full_time, st.full_time_text


def open_finding(db) -> bool:
    with db.session() as s:
        return s.scalar(select(FindingRow.id).where(FindingRow.code == "VALUE_UNREADABLE",
                                                    FindingRow.field == "full_time",
                                                    FindingRow.state == FindingState.OPEN)) is not None


def form_of(win, qtbot, idn=HS):
    f = win.students.open_student(student(win.db, idn)[0], modal=False)
    qtbot.addWidget(f)
    return f


def test_the_box_shows_neither_yes_nor_no_until_clicked(win, qtbot):
    form = form_of(win, qtbot)
    editor = form.editors["full_time"]
    box = editor.widget
    assert box.checkState() == Qt.CheckState.PartiallyChecked and editor.undecided
    assert editor.message.isVisible() and "“待定”无法识别" in editor.message.text()
    assert form.save_button.isEnabled() and form.changes() == {}
    assert "信息无法识别" in form.findChildren(type(editor.message), "openFindings")[0].text()
    box.click()
    assert box.checkState() == Qt.CheckState.Checked and not editor.message.isVisible()
    assert form.changes() == {"full_time_text": ""}
    box.click()                                   # a plain box from now on: 否
    assert box.checkState() == Qt.CheckState.Unchecked
    assert form.changes() == {"full_time": False, "full_time_text": ""}
    box.click()
    assert box.checkState() == Qt.CheckState.Checked


def test_a_readable_cell_is_a_plain_box(win, qtbot):
    form = form_of(win, qtbot, HS2)
    editor = form.editors["full_time"]
    assert editor.widget.checkState() == Qt.CheckState.Unchecked and not editor.widget.isTristate()
    assert not editor.message.isVisible() and not editor.undecided


def test_saving_other_edits_keeps_the_text_and_the_error(win, qtbot):
    form = form_of(win, qtbot)
    form.editors["class_name"].widget.setText("3班")
    assert form.changes() == {"class_name": "3班"}
    form.save_button.click()
    assert not form.isVisible()
    assert student(win.db)[1:] == (True, "待定") and open_finding(win.db)


def test_choosing_yes_and_saving_clears_the_error_and_undo_brings_it_back(win, qtbot):
    form = form_of(win, qtbot)
    form.editors["full_time"].widget.click()      # 是: the guess, now the clerk's answer
    form.save_button.click()
    assert not form.isVisible()
    assert student(win.db)[1:] == (True, "") and not open_finding(win.db)
    undo, redo = win.action_collection.undo, win.action_collection.redo
    undo.trigger()
    assert student(win.db)[1:] == (True, "待定") and open_finding(win.db)
    redo.trigger()
    assert student(win.db)[1:] == (True, "") and not open_finding(win.db)


def test_choosing_no_and_saving_makes_the_student_part_time(win, qtbot):
    form = form_of(win, qtbot)
    form.editors["full_time"].widget.click()
    form.editors["full_time"].widget.click()
    form.save_button.click()
    assert student(win.db)[1:] == (False, "") and not open_finding(win.db)
    win.action_collection.undo.trigger()
    assert student(win.db)[1:] == (True, "待定") and open_finding(win.db)
