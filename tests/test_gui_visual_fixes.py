# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""What a visual review found on a 1024×768 screen: empty lists that say nothing, columns cut, hints too
faint to read, buttons enabled with nothing to act on, the import's last step without a subtitle, a backup
counting the students taken off the list, a drawn sample's seed replaced in its box, and the screenshot
tool's temporary folders left behind."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import open_main_window, xlsx
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QWidget, QWizard
from test_gui_receiving_spotcheck import draw, page  # noqa: F401 - the spot-check tab's fixture
from test_spotcheck_db import bureau, county  # noqa: F401 - fixtures: two schools taken in, 4 students

from core.idnumber import make_id
from db.settings import save_official, save_school
from gui.list_page import FILTERED_EMPTY
from gui.screen import HINT_COLOR, HINT_STYLE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def school_db(db):
    """A new database: the school set (the first start), nothing imported."""
    save_school(db, "建始县第一高级中学", "3642000123", 2026, "业州镇")
    save_official(db, {"county": "建始县"})
    return db


def empty_line(page) -> str:
    """The empty state's text when it shows over the table ("" when hidden)."""
    label = page.empty_label
    return label.text() if label.isVisibleTo(page) else ""


# -- 1. an empty list says why, and what to do ------------------------------------------------
def test_a_new_database_s_lists_say_what_to_do_first(qtbot, shown, school_db):
    win = open_main_window(qtbot, school_db)
    pages = {win.students: "还没有学生：点工具栏的“导入学生名单”开始",
             win.roster: "还没有建档立卡名单：点工具栏的“导入建档立卡名单”",
             win.letters: "还没有需要告知的学生：",
             win.findings: "还没有学生可核查：先点工具栏的“导入学生名单”"}
    for shown_page, text in pages.items():
        win.show_page(win.stack.indexOf(shown_page))
        assert empty_line(shown_page).startswith(text), type(shown_page).__name__
        assert shown_page.empty_label.geometry().intersects(shown_page.view.viewport().rect())   # over the table
    # the names the lines use are the toolbar's
    actions = win.action_collection
    assert actions.import_students.text() == "导入学生名单" and actions.import_roster.text() == "导入建档立卡名单"
    assert actions.run_check.text() == "运行核查" and actions.run_check.shortcut().toString() == "F9"


def test_a_search_that_hides_every_row_says_so_not_that_the_list_is_empty(qtbot, shown, demo_db):
    win = open_main_window(qtbot, demo_db, page=1)
    students = win.students
    assert empty_line(students) == ""
    students.search.setText("没有这个人")
    qtbot.waitUntil(lambda: students.proxy.rowCount() == 0)
    assert empty_line(students) == FILTERED_EMPTY
    students.search.clear()
    qtbot.waitUntil(lambda: students.proxy.rowCount() > 0)
    assert empty_line(students) == ""


def test_the_findings_page_tells_no_check_from_a_check_that_found_nothing(qtbot, shown, db, tmp_path):
    """Students but no check yet: 运行核查 (F9); after a check without findings: it found nothing."""
    from db.workflows import run_import
    from gui.feed import SnapshotFeed
    from gui.findings_view import NOT_CHECKED, NOTHING_FOUND, FindingsPage
    save_school(db, "第一中学", "1", 2023)
    ids = [make_id("110101", date(2008, 5, 1), 120 + i) for i in range(2)]
    run_import(db, "students", xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别"],
                                    ["张丽", ids[0], "普通高中", "非困难"], ["李四", ids[1], "普通高中", "非困难"]))
    holder = QWidget()                       # the main window's part: its shared snapshot
    qtbot.addWidget(holder)
    feed = SnapshotFeed(db, holder)
    feed.refresh()
    page = FindingsPage(db, holder, feed=feed)
    page.show()
    page.reload()
    assert page.model.rowCount() == 0 and empty_line(page) == NOT_CHECKED
    page.run()
    feed.refresh()
    assert page.model.rowCount() == 0, [r.title for r in page.model.rows()]
    assert empty_line(page) == NOTHING_FOUND


# -- 2. the lists fit a 1024×768 window ---------------------------------------------------------
def test_every_header_and_the_problems_fit_a_1024x768_window(qtbot, shown, app_font, demo_db):
    win = open_main_window(qtbot, demo_db)
    win.resize(1024, 768)
    win.action_collection.run_check.trigger()
    for listed in (win.students, win.roster):
        win.show_page(win.stack.indexOf(listed))
        qtbot.wait(10)
        view, header = listed.view, listed.view.horizontalHeader()
        name = type(listed).__name__
        assert view.horizontalScrollBar().maximum() == 0, name
        assert sum(header.sectionSize(i) for i in range(header.count())) <= view.viewport().width(), name
        sorted_column = header.sortIndicatorSection()
        for i in range(header.count()):
            if i != sorted_column:          # the space for the sort arrow: only where it shows
                header.setSortIndicatorShown(False)
            need = header.sectionSizeHint(i)
            header.setSortIndicatorShown(True)
            assert header.sectionSize(i) >= need, (name, listed.model.headerData(i, Qt.Orientation.Horizontal))
    from gui.students.model import COL
    students = win.students
    column = COL["问题"]
    texts = {students.model.index(r, column).data() for r in range(students.model.rowCount())} - {""}
    assert texts, "the demo has students with problems"
    widest = max(students.view.fontMetrics().horizontalAdvance(t) for t in texts)
    assert students.view.columnWidth(column) >= widest + 6           # the cell's margins


# -- 3. hints in a readable grey ----------------------------------------------------------------
def test_hints_use_the_one_readable_grey(qtbot, shown, school_db):
    from db.views import unset_parameters
    from gui.dashboard import STEP_COLORS, DashboardPage
    from gui.findings_view import FindingsPage
    from gui.first_start import PolicyPage
    assert f"color: {HINT_COLOR};" == HINT_STYLE and HINT_COLOR == "#595959"
    findings = FindingsPage(school_db)
    qtbot.addWidget(findings)
    assert findings.double_click_hint.styleSheet() == HINT_STYLE
    dashboard = DashboardPage(school_db)
    qtbot.addWidget(dashboard)
    captions = [w for w in dashboard.findChildren(QLabel) if w.styleSheet() == HINT_STYLE]
    assert len(captions) >= 6                                      # the cards' captions
    assert HINT_COLOR in STEP_COLORS.values()                       # a step not due yet
    parameters = unset_parameters(school_db)
    assert parameters
    policy = PolicyPage(parameters, None)
    qtbot.addWidget(policy)
    whats = [w for w in policy.findChildren(QLabel) if w.wordWrap() and w.objectName() != "parameterSource"]
    assert len(whats) == len(parameters) and all(w.styleSheet() == HINT_STYLE for w in whats)
    faint = [str(p.relative_to(ROOT)) for p in (ROOT / "gui").rglob("*.py") if "palette(dark)" in p.read_text("utf-8")]
    assert faint == []


# -- 4. buttons for the selection: disabled without one -----------------------------------------
def select_row(page, row: int = 0) -> None:
    index = page.proxy.index(row, 0)
    page.view.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                      | QItemSelectionModel.SelectionFlag.Rows)


def assert_follow_selection(page, widgets) -> None:
    page.view.clearSelection()
    assert not any(w.isEnabled() for w in widgets)
    select_row(page)
    assert all(w.isEnabled() for w in widgets)
    page.view.clearSelection()
    assert not any(w.isEnabled() for w in widgets)


def test_students_row_buttons_follow_the_selection(qtbot, shown, demo_db):
    from gui.students.view import StudentsPage
    page = StudentsPage(demo_db, QUndoStack())
    qtbot.addWidget(page)
    page.show()
    page.reload()
    assert_follow_selection(page, [page.edit_button, page.verify_button, page.unverify_button, page.remove_button,
                                   page.restore_button, *page.row_actions])
    assert page.verify_shown_button.isEnabled()       # acts on the rows listed, not on a selection
    select_row(page)
    page.reload()                                     # a reload selects the row again: still enabled
    assert page.view.selectionModel().hasSelection() and page.verify_button.isEnabled()


def test_receipt_buttons_follow_the_selection_and_the_letters_act_on_every_row(qtbot, shown, demo_db):
    from gui.letters_view import LettersPage
    page = LettersPage(demo_db)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    assert_follow_selection(page, [page.receipt_button, page.no_receipt_button])
    assert page.preview_button.isEnabled() and page.save_button.isEnabled()


def test_accept_and_revoke_follow_the_selection(qtbot, shown, demo_db):
    from gui.findings_view import FindingsPage
    page = FindingsPage(demo_db)
    qtbot.addWidget(page)
    page.show()
    page.run()
    assert page.proxy.rowCount()
    assert_follow_selection(page, [page.accept_button, page.revoke_button, page.verify_button])
    assert page.run_button.isEnabled()


# -- 5. the import's last step has a subtitle, as the first two -------------------------------
def test_the_import_result_step_has_a_true_subtitle(qtbot, shown, school_db, tmp_path):
    from gui.import_wizard import RUN_SUBTITLES
    win = open_main_window(qtbot, school_db)
    path = xlsx(tmp_path / "名单.xlsx", ["姓名", "身份证号", "学段"],
                ["赵六", make_id("110101", date(2007, 2, 3), 311), "普通高中"])
    wiz = win.open_import("students", modal=False)
    qtbot.addWidget(wiz)
    assert wiz.run_page.subTitle()
    wiz.file_page.path_edit.setText(str(path))
    wiz.button(QWizard.WizardButton.NextButton).click()
    wiz.button(QWizard.WizardButton.CommitButton).click()
    assert wiz.currentPage() is wiz.run_page and wiz.run_page.report is not None
    assert wiz.run_page.subTitle() == RUN_SUBTITLES["done"] == "数据已写入。下面列出有问题和跳过的行。"
    assert all(wiz.page(i).subTitle() for i in wiz.pageIds())


# -- 6. a backup counts the students on the list ----------------------------------------------
def test_a_backup_counts_the_students_on_the_list_as_the_dashboard_does(demo_db):
    from sqlalchemy import func, select

    from db.backup import backup, inspect_backup
    from db.models import Student
    from db.usecases import remove
    from db.views import snapshot
    with demo_db.session() as s:
        first, stored = s.scalar(select(func.min(Student.id))), s.scalar(select(func.count(Student.id)))
    remove(demo_db, [first], "转学")
    on_list = snapshot(demo_db).summary.students         # what 工作台 shows
    assert on_list == stored - 1
    assert inspect_backup(backup(demo_db)).students == on_list


# -- 7. the seed a sample was drawn with stays in its box -------------------------------------
def test_the_seed_box_keeps_the_seed_the_sample_was_drawn_with(page, bureau):
    from db.spotcheck import sample_list
    tab = draw(page, size="2", seed="20260301")
    assert tab.seed_edit.text() == "20260301" and "随机种子 20260301" in tab.status.text()
    asked: list[int] = []
    answers = iter([None, False, True])

    def ask(seed: int):
        asked.append(seed)
        return next(answers)
    tab.ask_same_seed = ask
    tab.draw_button.click()                         # 取消: nothing drawn
    assert len(sample_list(bureau)) == 1 and asked == [20260301]
    tab.draw_button.click()                         # 换新种子: a new one, shown
    new = tab.seed_edit.text()
    seeds = [s.seed for s in sample_list(bureau)]
    assert new != "20260301" and seeds[-1] == int(new) and len(seeds) == 2
    tab.seed_edit.setText("20260301")               # typed again: not the last draw's, not asked
    tab.draw_button.click()
    assert asked == [20260301, 20260301] and [s.seed for s in sample_list(bureau)][-1] == 20260301
    tab.draw_button.click()                         # the same again, 复核: drawn with it
    assert asked[-1] == 20260301 and [s.seed for s in sample_list(bureau)][-2:] == [20260301, 20260301]


# -- 8. the screenshot tool leaves no temporary folder ----------------------------------------
@pytest.mark.parametrize("fails", [False, True])
def test_the_screenshot_tool_removes_its_temporary_folders(qapp, monkeypatch, tmp_path, fails):
    import importlib
    import sys
    import tempfile

    from gui import app, errors
    monkeypatch.setattr(app, "setup_application", lambda argv=None: qapp)    # this process's, unchanged
    monkeypatch.setattr(errors, "_show_box", errors._show_box)                # put back afterwards
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    shots = importlib.import_module("screenshots")
    made: list[Path] = []
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        made.append(Path(real(*args, dir=tmp_path, **{k: v for k, v in kwargs.items() if k != "dir"})))
        return str(made[-1])
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)      # the screen's description: a folder too

    def walk(*args, **kwargs):
        if fails:
            raise RuntimeError("a walk failed")
        (made[0] / "学校.sqlite").write_bytes(b"")
    for name in ("walk_first_start", "walk_school", "walk_receiver", "walk_feedback", "school_database",
                 "receiver_database", "feedback_file"):
        monkeypatch.setattr(shots, name, walk)
    monkeypatch.setattr(shots, "receiving_files", lambda folder: {"school": None})
    monkeypatch.setattr(shots, "report", lambda sh: 0)
    monkeypatch.setattr(sys, "argv", ["screenshots.py"])
    if fails:
        with pytest.raises(RuntimeError):
            shots.main([str(tmp_path / "out")])
    else:
        assert shots.main([str(tmp_path / "out")]) == 0
    assert len(made) == 2 and {re.sub(r"[^-]*$", "", p.name) for p in made} == {"zizhu-shots-",
                                                                                  "zizhu-shots-screen-"}
    assert [p for p in made if p.exists()] == []


def test_a_search_hiding_the_selected_row_disables_its_buttons(qtbot, shown, demo_db):
    """Rows filtered away leave the selection without a selectionChanged: the buttons follow anyway."""
    win = open_main_window(qtbot, demo_db, page=1)
    students = win.students
    select_row(students)
    assert students.edit_button.isEnabled()
    students.search.setText("没有这个人")
    qtbot.waitUntil(lambda: students.proxy.rowCount() == 0)
    assert not students.edit_button.isEnabled()
    students.search.clear()
    qtbot.waitUntil(lambda: students.proxy.rowCount() > 0)
    assert students.edit_button.isEnabled() == students.view.selectionModel().hasSelection()


def test_the_dashboard_lists_the_items_with_an_amount_and_counts_the_others(qtbot, shown, demo_db):
    """A high school's card listed every 学前 and 本科 item at 0.00 元."""
    from gui.dashboard import items_text
    assert items_text([("免学费", 160000), ("学前教育资助", 0), ("本科生资助", 0)]) == \
        "免学费：1600.00 元\n（其余 2 个项目本校金额为 0）"
    assert items_text([]) == "（还没有资助金额）"
    win = open_main_window(qtbot, demo_db, page=0)
    qtbot.waitUntil(lambda: "元" in win.dashboard.items.text())
    assert "：0.00 元" not in win.dashboard.items.text()
