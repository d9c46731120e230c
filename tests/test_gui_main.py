"""GUI: main window, actions, worker, error display, start-up."""
import threading

import pytest
from conftest import open_main_window
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWizard

from core.errors import ValidationError
from db.views import unset_parameters
from db.workflows import counts, database_info
from gui import errors, worker
from gui.app import install_font
from gui.first_start import FirstStartWizard, default_school_year
from gui.main_window import DASHBOARD, EXPORT, FINDINGS, LETTERS, PAGES, POLICY, ROSTER, SETTINGS, STUDENTS

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def win(qtbot, demo_db):
    return open_main_window(qtbot, demo_db)


def test_main_window_navigation_and_status_bar(win):
    # 汇总 (receiving mode) is last and hidden on a school's database that receives nothing
    assert [win.nav.item(i).text() for i in range(win.nav.count())] == [*PAGES, "汇总"]
    assert win.nav.item(len(PAGES)).isHidden() and win.receiving is win.stack.widget(len(PAGES))   # made when first asked for
    # Every navigation entry opens the page it names, and each index constant names its page.
    named = {"工作台": (win.dashboard, DASHBOARD), "学生名册": (win.students, STUDENTS),
             "建档立卡名单": (win.roster, ROSTER), "核查问题": (win.findings, FINDINGS),
             "告知书": (win.letters, LETTERS), "导出上报": (win.export, EXPORT), "政策": (win.policy, POLICY),
             "设置": (win.settings, SETTINGS)}
    assert set(PAGES) == set(named) and win.stack.count() == len(PAGES) + 1
    for row in range(len(PAGES)):
        page, index = named[win.nav.item(row).text()]
        win.nav.setCurrentRow(row)
        assert win.stack.currentIndex() == index == row and page.isVisible()   # 政策: in its place, made when first shown
    assert win.db_label.text() == "数据库：t.sqlite"
    assert win.school_label.text().startswith("学校：") and win.school_label.text() != "学校：—"
    assert win.year_label.text() == "2023–2024学年"
    win.nav.setCurrentRow(STUDENTS)
    assert win.stack.currentWidget() is win.students
    win.nav.setCurrentRow(ROSTER)
    assert win.stack.currentWidget() is win.roster
    win.show_page(SETTINGS)
    assert win.nav.currentRow() == SETTINGS


def test_window_fits_a_1366x768_screen(win):
    assert win.width() <= 1280 and win.height() <= 720
    assert win.minimumWidth() <= 1000 and win.minimumHeight() <= 600


def test_pages_are_loaded_from_the_database(win, demo_db):
    n = counts(demo_db)
    assert win.students.model.rowCount() == n["students"] == 120
    assert win.roster.model.rowCount() == 0          # the roster is read when its page is first shown
    win.show_page(ROSTER)
    assert win.roster.model.rowCount() == n["roster"]
    assert win.dashboard.card_text("students") == "120 人"
    assert win.dashboard.card_text("roster") == f"{n['roster']} 人"
    assert "市级承担" in win.dashboard.sources.text() and "县级承担" in win.dashboard.sources.text()
    assert win.students.count_label.text() == "共 120 人"


def test_actions_defined_once_with_shortcuts(win):
    a = win.action_collection
    texts = {a[n].text() for n in a.names()}
    assert {"导入学生名单", "导入建档立卡名单", "下载导入模板", "撤销", "重做", "刷新", "查找", "退出"} <= texts
    assert "Ctrl+Z" in [s.toString() for s in a.undo.shortcuts()]
    assert {"Ctrl+Y", "Ctrl+Shift+Z"} <= {s.toString() for s in a.redo.shortcuts()}
    assert "F5" in [s.toString() for s in a.refresh.shortcuts()]
    assert "Ctrl+F" in [s.toString() for s in a.find.shortcuts()]
    menu_actions = [act for m in win.menuBar().actions() for act in m.menu().actions()]
    assert a.import_students in menu_actions and a.undo in menu_actions
    assert not a.undo.isEnabled()


def test_find_action_opens_the_student_search(win, qtbot):
    qtbot.waitExposed(win)
    win.action_collection.find.trigger()
    assert win.stack.currentWidget() is win.students
    assert win.students.search.hasFocus() or QApplication.focusWidget() is win.students.search


def test_show_exception_for_clerk_errors_and_bugs(shown):
    errors.show_exception(None, ValidationError("学生姓名不能为空", "请填写姓名"))
    errors.show_exception(None, KeyError("boom"))
    assert shown[0] == ("学生姓名不能为空", "请填写姓名")
    assert shown[1][0].startswith("发生内部错误，详细信息已写入日志：") and "zizhu.log" in shown[1][0]
    assert "Traceback" not in shown[1][0] + shown[1][1]
    shown.clear()


def test_worker_failure_goes_to_show_exception(shown):
    def bad():
        raise ValidationError("文件打不开", "请关闭 Excel 后重试")
    worker.run_task(bad)
    assert shown == [("文件打不开", "请关闭 Excel 后重试")]
    shown.clear()


def test_worker_runs_in_background_and_reports_on_gui_thread(qtbot):
    seen = {}

    def work(n, progress):
        seen["work_thread"] = threading.get_ident()
        for i in range(n):
            progress(i + 1, n)
        return n * 2

    def done(result):
        seen["result"] = result
        seen["callback_is_gui"] = QThread.currentThread() is QApplication.instance().thread()

    steps = []
    old = worker.SYNCHRONOUS
    worker.SYNCHRONOUS = False
    try:
        worker.run_task(work, 3, on_success=done, progress=lambda d, t: steps.append((d, t)))
        qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    finally:
        worker.SYNCHRONOUS = old
    assert seen["result"] == 6
    assert seen["work_thread"] != threading.get_ident()
    assert seen["callback_is_gui"]
    qtbot.waitUntil(lambda: len(steps) == 3, timeout=2000)
    assert steps[-1] == (3, 3)


def test_bundled_font_is_registered(qapp):
    family = install_font(qapp)
    assert family and "WenQuanYi" in family
    assert qapp.font().family() == family


def test_first_start_wizard_creates_the_school(db, qtbot):
    wiz = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wiz)
    wiz.show()
    finish = wiz.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()
    wiz.school_page.name.setText("城关第二中学")
    wiz.school_page.code.setText("4211")
    wiz.button(QWizard.WizardButton.NextButton).click()      # the school is saved, then 公文信息
    assert database_info(db).has_school and wiz.currentPage() is wiz.official_page
    wiz.official_page.form.edits["county"].setText("建始县")
    wiz.official_page.form.edits["supervision_phone"].setText("0718-3321234")
    wiz.button(QWizard.WizardButton.NextButton).click()      # 公文信息 saved, then 资助政策参数
    assert wiz.currentPage() is wiz.policy_page and finish.isEnabled()
    finish.click()                                            # the parameters left blank stay unset
    assert wiz.result() == QWizard.DialogCode.Accepted and not wiz.use_demo
    assert database_info(db).has_school
    from db.official import official_values
    with db.session() as s:
        values = official_values(s)
    assert values["county"] == "建始县" and values["supervision_phone"] == "0718-3321234"
    assert values["contact_phone"] == "" and values["policy_title"] == ""
    assert default_school_year() >= 2023


def test_first_start_wizard_offers_demo_data(db, qtbot):
    wiz = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.school_page.demo_button.click()
    assert wiz.use_demo and wiz.result() == QWizard.DialogCode.Accepted
    assert not database_info(db).has_school


def test_a_database_switch_closes_the_old_window_waiting_for_its_tasks_in_place(win, monkeypatch):
    """The switcher's close of the old window waits there (its tasks' answers still reach it); a
    clerk's close waits without blocking (test_gui_workflow)."""
    seen = []
    monkeypatch.setattr(worker, "busy", lambda: True)
    monkeypatch.setattr(worker, "wait_for_idle", lambda msecs=30000: seen.append("waited") or True)
    win.wait_in_place = True
    win.close()
    assert seen == ["waited"]


def test_the_application_keeps_the_checked_style_and_light_colours(qapp, monkeypatch):
    """Windows 11's own style follows the system's dark setting (white text on the pages' light notes):
    the program asks for Fusion, the style its screens were checked in, and light colours."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QStyleHints

    from gui import app as gui_app
    asked = []
    monkeypatch.setattr(QStyleHints, "setColorScheme", lambda _self, scheme: asked.append(scheme))
    for name in ("install_font", "install_translations"):
        monkeypatch.setattr(gui_app, name, lambda _app: None)
    monkeypatch.setattr(gui_app.worker, "freeze_long_lived", lambda: None)
    qapp.setStyle("Windows")
    assert gui_app.setup_application() is qapp
    assert qapp.style().name() == "fusion" and asked == [Qt.ColorScheme.Light]
