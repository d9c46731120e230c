"""Changes flow one way: a write reports what it changed, the main window routes it,
each page refreshes itself; one snapshot per change feeds three pages."""
import pytest
from conftest import open_main_window
from openpyxl import Workbook
from PySide6.QtWidgets import QWizard

from core.checks import FindingState
from db.changes import Changes
from db.views import snapshot
from gui import feed as feed_module
from gui.main_window import LETTERS, ROSTER

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def win(qtbot, demo_db):
    return open_main_window(qtbot, demo_db, LETTERS)


def subsidised_high_school_student(db):
    """A registered (建档立卡) 普通高中 student with a subsidy."""
    return next(st for st in snapshot(db).students
                if st.category == "建档立卡" and st.stage == "普通高中" and st.total_fen)


def import_students(win, qtbot, path):
    wiz = win.open_import("students", modal=False)
    qtbot.addWidget(wiz)
    wiz.file_page.path_edit.setText(str(path))
    wiz.button(QWizard.WizardButton.NextButton).click()
    wiz.button(QWizard.WizardButton.CommitButton).click()
    assert wiz.run_page.report is not None
    wiz.button(QWizard.WizardButton.FinishButton).click()


def test_an_import_that_removes_subsidies_updates_letters_and_findings(win, qtbot, demo_db, tmp_path):
    st = subsidised_high_school_student(demo_db)
    letter_ids = {r.id for r in win.letters.model.rows()}
    findings = {(r.code, r.state) for r in win.findings.model.rows() if r.student_id == st.id}
    assert st.id in letter_ids and ("CATEGORY_MISMATCH", FindingState.OPEN) not in findings
    path = tmp_path / "名单.xlsx"
    wb = Workbook()
    wb.active.append(["姓名", "身份证号", "学段", "家庭类别"])
    wb.active.append([st.name, st.id_number, st.stage, "非困难"])   # the family is not in hardship after all
    wb.save(path)

    import_students(win, qtbot, path)                                 # no 刷新 anywhere after this

    assert st.id not in {r.id for r in win.letters.model.rows()}    # no letter for a student without subsidy
    assert len(win.letters.model.rows()) == len(letter_ids) - 1
    rows = {(r.code, r.state) for r in win.findings.model.rows() if r.student_id == st.id}
    assert ("CATEGORY_MISMATCH", FindingState.OPEN) in rows                     # the roster says 建档立卡: checked again
    row = next(r for r in win.students.model.rows() if r.id == st.id)
    assert row.total_fen == 0 and row.category == "非困难"
    assert win.dashboard.summary.total_fen == snapshot(demo_db).summary.total_fen


def test_one_snapshot_per_change_feeds_three_pages(win, monkeypatch):
    calls = []
    real = feed_module.snapshot
    monkeypatch.setattr(feed_module, "snapshot", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = win.letters.model.rows()[0]
    win.letters.view.selectRow(0)
    win.letters.set_receipts(True)
    assert len(calls) == 1                                           # not one per page
    shown = win.feed.current
    assert win.dashboard.summary is shown.summary

    # one copy of the students: both lists hold the snapshot's columns, the letters index the students'
    assert win.students.model.columns is shown.students and win.letters.model.columns is shown.letters
    assert shown.letters.students is shown.students
    assert next(r for r in win.letters.model.rows() if r.id == first.id).receipt


def test_undo_and_redo_refresh_every_page_that_shows_students(win, demo_db):
    from db.usecases import edit_student
    from gui.students.undo import StudentEditCommand
    st = subsidised_high_school_student(demo_db)
    diff = edit_student(demo_db, st.id, {"category": "NONE"}).diff
    win.undo_stack.push(StudentEditCommand(demo_db, st.id, st.name, diff, win.students.student_edited, win))
    win.apply_changes(Changes.STUDENTS)
    assert st.id not in {r.id for r in win.letters.model.rows()}
    win.undo_stack.undo()                                            # back to 建档立卡: the letter returns
    assert st.id in {r.id for r in win.letters.model.rows()}
    assert next(r for r in win.students.model.rows() if r.id == st.id).total_fen == st.total_fen
    assert win.dashboard.summary.total_fen == snapshot(demo_db).summary.total_fen
    win.undo_stack.redo()
    assert st.id not in {r.id for r in win.letters.model.rows()}


def test_a_policy_change_alone_reloads_neither_roster_nor_an_unrelated_page(win, monkeypatch):
    reloaded = []
    monkeypatch.setattr(win.roster, "reload", lambda: reloaded.append("roster"))
    win.apply_changes(Changes.LETTERS)
    assert reloaded == []                        # the roster shows no letters
    win.apply_changes(Changes.ROSTER)
    assert reloaded == []                        # not shown: read again when it is shown
    win.show_page(ROSTER)
    assert reloaded == ["roster"]
    win.apply_changes(Changes.ROSTER)
    assert reloaded == ["roster", "roster"]      # shown: at once


def test_run_task_progress_option_shows_one_dialog_that_goes_after_the_callback(qtbot):
    from PySide6.QtWidgets import QProgressDialog, QWidget

    from gui import worker

    def dialogs():
        return parent.findChildren(QProgressDialog, "progressDialog")

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    seen = []

    def work(n, progress):
        for i in range(n):
            progress(i + 1, n)
        return n

    def done(n):
        dialog = dialogs()[0]
        seen.append((n, dialog.windowTitle(), dialog.labelText(), dialog.value(), dialog.maximum()))

    worker.run_task(work, 4, on_success=done, progress=worker.Progress("正在导入，请稍候…", "导入"), parent=parent)
    assert seen == [(4, "导入", "正在导入，请稍候…", 4, 4)]
    qtbot.wait(400)                                # past the dialog's minimum duration: it never shows
    assert not any(d.isVisible() for d in parent.findChildren(QProgressDialog))


def test_the_progress_dialog_stays_until_the_task_s_answer(qtbot):
    """Esc and the title bar's × closed it while the work went on: it looked cancelled, and the
    window under it took clicks again. It closes only when the answer comes."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from gui import worker
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    step, succeeded, _failed = worker._with_dialog(worker.Progress("正在导入，请稍候…"), parent, None, None)
    [dialog] = [w for w in parent.findChildren(QWidget, "progressDialog")]
    dialog.show()
    assert not dialog.windowFlags() & Qt.WindowType.WindowCloseButtonHint
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.reject()
    QApplication.sendEvent(dialog, QCloseEvent())
    assert dialog.isVisible() and not dialog.wasCanceled()
    step(1, 2)
    succeeded(None)
    assert not dialog.isVisible()                   # the answer closed it


def test_refresh_checks_again_before_reading(win, demo_db):
    from sqlalchemy import delete

    from db.models import FindingRow
    with demo_db.session() as s:
        s.execute(delete(FindingRow))                     # as if the findings were never stored
    win.findings.reload()
    assert win.findings.model.rowCount() == 0 and win.dashboard.summary.findings_total > 0
    win.action_collection.refresh.trigger()              # 刷新: the checks run, then every page reads
    assert win.findings.model.rowCount() > 0
    assert win.dashboard.summary.findings_total == len([r for r in win.findings.model.rows() if r.state != "fixed"])
