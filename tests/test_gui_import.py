"""GUI: the import wizard end to end, problem rows, templates, the roster view."""
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtWidgets import QWizard
from sqlalchemy import select
from test_gui_students import ID_ZS, fill_people

from core.idnumber import make_id
from db.models import RosterPerson, Student
from gui import dialogs
from gui.roster_view import IN_LIST, NOT_IN_LIST, RosterPage
from gui.templates import download_template

from conftest import open_main_window

pytestmark = pytest.mark.usefixtures("shown")

NEW1 = make_id("110101", date(2007, 2, 3), 311)
NEW2 = make_id("110101", date(2016, 4, 5), 412)
BAD = make_id("110101", date(2011, 8, 9), 513)[:-1] + "0"
if BAD == make_id("110101", date(2011, 8, 9), 513):
    BAD = BAD[:-1] + "1"


@pytest.fixture
def win(qtbot, db):
    fill_people(db)
    return open_main_window(qtbot, db)


def write_xlsx(path, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def students_file(tmp_path):
    return write_xlsx(tmp_path / "名单.xlsx", ["姓名", "身份证号", "学段", "家庭类别"], [
        ["赵六", NEW1, "普通高中", "建档立卡"],
        ["钱七", NEW2, "小学", "非困难"],
        ["孙八", BAD, "初中", "其他经济困难"],
    ])


def names_in_db(db):
    with db.session() as s:
        return set(s.scalars(select(Student.name)))


def run_wizard(win, qtbot, kind, path):
    wiz = win.open_import(kind, modal=False)
    qtbot.addWidget(wiz)
    next_button = wiz.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()
    wiz.file_page.path_edit.setText(str(path))
    assert next_button.isEnabled()
    next_button.click()
    assert wiz.currentPage() is wiz.preview_page
    return wiz


def test_import_wizard_end_to_end(win, qtbot, students_file, db, tmp_path):
    wiz = run_wizard(win, qtbot, "students", students_file)
    preview = wiz.preview_page
    assert "将新增 3 行" in preview.status.text() and "有问题 1 行" in preview.status.text()
    details = preview.details.toPlainText()
    assert "姓名 ←" in details and "身份证号 ←" in details and "家庭类别 ←" in details
    assert names_in_db(db) == {"张三", "曾小红", "李四", "王五", "安娜"}   # preview writes nothing
    commit = wiz.button(QWizard.WizardButton.CommitButton)
    assert commit.text() == "开始导入"
    commit.click()
    run = wiz.run_page
    assert wiz.currentPage() is run
    assert run.report.counts == {"added": 3, "updated": 0, "unchanged": 0, "skipped": 0, "with_problems": 1,
                                 "removed": 0}
    assert "已新增 3 行" in run.status.text()
    assert "第 4 行" in run.details.toPlainText()
    assert not run.save_button.isHidden()
    assert {"赵六", "钱七", "孙八"} <= names_in_db(db)
    # the views were reloaded
    assert win.students.model.rowCount() == 8
    assert win.dashboard.card_text("students") == "8 人"
    # save the problem rows
    target = tmp_path / "问题行.xlsx"
    run.save_problems_to(target)
    ws = load_workbook(target).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-1] == "问题" and rows[1][0] == "孙八" and "校验位" in rows[1][-1]
    wiz.button(QWizard.WizardButton.FinishButton).click()
    assert not wiz.isVisible()


def test_save_problem_rows_button_asks_for_a_file(win, qtbot, students_file, tmp_path, monkeypatch):
    wiz = run_wizard(win, qtbot, "students", students_file)
    wiz.button(QWizard.WizardButton.CommitButton).click()
    target = tmp_path / "p.xlsx"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a, **k: target)
    wiz.run_page.save_button.click()
    assert target.exists() and str(target) in wiz.run_page.status.text()


def test_reimport_updates_and_reports_unchanged(win, qtbot, students_file):
    run_wizard(win, qtbot, "students", students_file).button(QWizard.WizardButton.CommitButton).click()
    wiz = run_wizard(win, qtbot, "students", students_file)
    assert "将新增 0 行" in wiz.preview_page.status.text()
    assert "无变化 3 行" in wiz.preview_page.status.text()


def test_unreadable_file_is_shown_and_nothing_imported(win, qtbot, tmp_path, shown, db):
    bad = write_xlsx(tmp_path / "bad.xlsx", ["姓名", "备注"], [["赵六", "x"]])
    wiz = run_wizard(win, qtbot, "students", bad)
    assert wiz.preview_page.preview is None
    assert not wiz.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert len(shown) == 1 and "身份证号" in shown[0][0]
    shown.clear()
    assert len(names_in_db(db)) == 5


def test_roster_import_and_roster_view(win, qtbot, tmp_path, qtmodeltester):
    path = write_xlsx(tmp_path / "roster.xlsx", ["姓名", "证件号码", "与户主关系", "乡(镇)"], [
        ["张三", ID_ZS, "子", "城关镇"], ["张大山", NEW1, "户主", "高坪镇"]])
    run_wizard(win, qtbot, "roster", path).button(QWizard.WizardButton.CommitButton).click()
    page: RosterPage = win.roster
    assert page.model.rowCount() == 2
    qtmodeltester.check(page.model)
    rows = {page.model.row_at(r).name: r for r in range(2)}
    assert page.model.index(rows["张三"], 1).data() == ID_ZS[:6] + "********" + ID_ZS[-4:]
    assert page.model.index(rows["张三"], 9).data() == IN_LIST
    assert page.model.index(rows["张大山"], 9).data() == NOT_IN_LIST
    page.proxy.set_search_text(NEW1[6:14], immediate=True)
    assert page.proxy.rowCount() == 1 and page.proxy.index(0, 0).data() == "张大山"
    page.proxy.set_search_text("zds", immediate=True)
    assert page.proxy.rowCount() == 1
    page.proxy.set_search_text("", immediate=True)
    page.township_filter.setCurrentIndex(page.township_filter.findData("城关镇"))
    assert page.proxy.rowCount() == 1 and page.proxy.index(0, 0).data() == "张三"


def test_roster_page_on_demo_data(qtbot, demo_db, qtmodeltester):
    page = RosterPage(demo_db)
    qtbot.addWidget(page)
    page.reload()
    with demo_db.session() as s:
        assert page.model.rowCount() == len(s.scalars(select(RosterPerson.id)).all())
    qtmodeltester.check(page.model)


def test_download_template(win, tmp_path, monkeypatch):
    target = tmp_path / "模板.xlsx"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a, **k: target)
    messages = []
    download_template(win, win.db, "students", done=messages.append)
    header = [c.value for c in load_workbook(target).worksheets[0][1]]
    assert "姓名" in header and "身份证号" in header
    assert messages == [f"模板已保存：{target}"]
