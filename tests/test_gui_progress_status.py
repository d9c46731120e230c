"""GUI: the 工作台's progress bars count students, and saving the student form says so
in the status bar (the main window's one message path)."""
from __future__ import annotations

import pytest
from conftest import open_main_window
from sqlalchemy import func, select
from test_gui_students import fill_people
from test_letters_draft import make_ready

from core.checks import FindingState
from db.models import ON_LIST, FindingRow, Student
from db.usecases import check
from gui.main_window import STUDENTS

pytestmark = pytest.mark.usefixtures("shown")


# -- 工作台: the progress bars count students -------------------------------------

def test_dashboard_bars_count_students_and_open_findings_are_counts(qtbot, demo_db):
    from db.findings import open_counts
    from gui.main_window import DASHBOARD
    check(demo_db)
    with demo_db.session() as s:
        students = s.scalar(select(func.count()).select_from(Student).where(ON_LIST))
        with_errors = len(set(s.scalars(select(FindingRow.student_id).where(
            FindingRow.state == FindingState.OPEN, FindingRow.severity == "error",
            FindingRow.student_id.is_not(None)))))
        fixed = s.scalar(select(func.count()).select_from(FindingRow).where(FindingRow.state == FindingState.FIXED))
        counts = open_counts(s)
    assert 0 < with_errors < students
    win = open_main_window(qtbot, demo_db, DASHBOARD)
    d = win.dashboard
    bars = {label: (value, maximum) for label, value, maximum, _c in d.chart.bars}
    assert bars == {"已核准学生": (0, students), "无未处理错误的学生": (students - with_errors, students)}
    assert d.open_counts.text() == (f"未处理的问题：错误 {counts['error']} 个，警告 {counts['warning']} 个，"
                                    f"提示 {counts['info']} 个")
    assert d.open_counts.isVisible()

    make_ready(demo_db)                 # students with errors off the list, the others verified
    with demo_db.session() as s:
        assert s.scalar(select(func.count()).select_from(FindingRow)
                        .where(FindingRow.state == FindingState.FIXED)) > fixed
        left = s.scalar(select(func.count()).select_from(Student).where(ON_LIST))
    win.reload_all()
    bars = {label: (value, maximum) for label, value, maximum, _c in d.chart.bars}
    assert bars == {"已核准学生": (left, left), "无未处理错误的学生": (left, left)}   # fixed ones do not count
    assert "错误 0 个" in d.open_counts.text()



# -- the student form's save -----------------------------------------------------

def test_saving_the_student_form_replaces_the_old_status_message(qtbot, db):
    fill_people(db)
    win = open_main_window(qtbot, db, STUDENTS)
    win.show_message("已导出：旧的消息.zip")
    with db.session() as s:
        student_id = s.scalar(select(Student.id).where(Student.name == "张三"))
    form = win.students.open_student(student_id, modal=False)
    qtbot.addWidget(form)
    form.editors["class_name"].widget.setText("3班")
    form.save_button.click()
    assert not form.isVisible()
    assert win.statusBar().currentMessage() == "已保存：张三"

    form = win.students.open_student(student_id, modal=False)
    qtbot.addWidget(form)
    form.save_button.click()                        # nothing changed: said so, nothing saved
    assert win.statusBar().currentMessage() == "没有修改：张三"
