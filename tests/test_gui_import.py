"""GUI: the import wizard end to end, problem rows, templates, the roster view."""
from datetime import date

import openpyxl
import pytest
from conftest import open_main_window, xlsx
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QWizard
from sqlalchemy import select
from test_gui_students import ID_ZS, fill_people

from core.idnumber import make_id
from db.models import RosterPerson, Student
from gui import dialogs
from gui.main_window import ROSTER
from gui.roster_view import IN_LIST, NOT_IN_LIST, RosterPage
from gui.templates import download_template

pytestmark = pytest.mark.usefixtures("shown")

NEW1 = make_id("110101", date(2007, 2, 3), 311)
NEW2 = make_id("110101", date(2016, 4, 5), 412)
BAD = make_id("110101", date(2011, 8, 9), 513)[:-1] + "0"
if make_id("110101", date(2011, 8, 9), 513) == BAD:
    BAD = BAD[:-1] + "1"


@pytest.fixture
def win(qtbot, db):
    fill_people(db)
    return open_main_window(qtbot, db)


def write_xlsx(path, header, rows):
    return xlsx(path, header, *rows)


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
    bad = write_xlsx(tmp_path / "bad.xlsx", ["备注", "其他"], [["赵六", "x"]])
    wiz = run_wizard(win, qtbot, "students", bad)
    assert wiz.preview_page.preview is None
    assert not wiz.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert len(shown) == 1 and "找不到表头行" in shown[0][0]
    shown.clear()
    assert len(names_in_db(db)) == 5


def test_missing_columns_are_assigned_in_the_wizard_and_remembered(win, qtbot, tmp_path, shown, db):
    odd = write_xlsx(tmp_path / "odd.xlsx", ["学生名字", "身份号", "就读阶段", "家庭类别", "备注"], [
        ["赵六", NEW1, "普通高中", "建档立卡", "转入"], ["钱七", NEW2, "小学", "非困难", ""]])
    wiz = run_wizard(win, qtbot, "students", odd)
    page = wiz.preview_page
    commit = wiz.button(QWizard.WizardButton.CommitButton)
    # no message box: the page says what is missing and offers the columns to pick
    assert not shown and page.preview is None and not commit.isEnabled()
    assert "缺少必需的列" in page.status.text() and "姓名" in page.status.text()
    editor = page.mapping
    assert sorted(editor.combos) == [0, 1, 2, 3, 4]
    assert editor.field_of(3) == "category" and editor.field_of(0) == ""
    editor.pick(0, "name")
    editor.pick(1, "id_number")
    editor.pick(2, "stage")
    assert page.refresh_button.isEnabled()
    page.refresh_button.click()
    assert page.preview is not None and "将新增 2 行" in page.status.text()
    assert "姓名 ← “学生名字”（A列）" in page.details.toPlainText()
    assert "未使用的列（将被忽略）：备注" in page.details.toPlainText()
    commit.click()
    assert {"赵六", "钱七"} <= names_in_db(db)
    with db.session() as s:
        zl = s.scalars(select(Student).where(Student.name == "赵六")).one()
        assert (zl.id_number, zl.stage, zl.category) == (NEW1, "普通高中", "REGISTERED")
    wiz.close()
    # the next file of this kind with the same headers is recognised at once
    again = run_wizard(win, qtbot, "students", odd)
    assert again.preview_page.preview is not None and "无变化 2 行" in again.preview_page.status.text()
    assert not shown


def test_a_picked_field_leaves_its_previous_column(win, qtbot, students_file):
    wiz = run_wizard(win, qtbot, "students", students_file)
    editor = wiz.preview_page.mapping
    assert editor.field_of(3) == "category" and not editor.is_changed()
    editor.pick(2, "category")          # 学段 column now imported as 家庭类别 ...
    assert editor.field_of(2) == "category" and editor.field_of(3) == ""   # ... and only from there
    editor.pick(2, "stage")
    editor.pick(3, "")                  # don't import 家庭类别 this time
    wiz.preview_page.refresh_button.click()
    details = wiz.preview_page.details.toPlainText()
    assert "家庭类别 ←" not in details and "学段 ←" in details
    assert wiz.overrides is not None and wiz.overrides.get("家庭类别") == ""


def test_roster_replace_from_the_wizard(win, qtbot, tmp_path, db):
    first = write_xlsx(tmp_path / "r1.xlsx", ["姓名", "证件号码"], [["张三", ID_ZS], ["张大山", NEW1]])
    run_wizard(win, qtbot, "roster", first).button(QWizard.WizardButton.CommitButton).click()
    second = write_xlsx(tmp_path / "r2.xlsx", ["姓名", "证件号码"], [["张三", ID_ZS]])
    wiz = run_wizard(win, qtbot, "roster", second)
    page = wiz.preview_page
    assert page.replace_box.isVisible() and not page.replace_box.isChecked()
    assert "删除" not in page.status.text()
    page.replace_box.setChecked(True)
    assert "将删除 1 人" in page.status.text()
    wiz.button(QWizard.WizardButton.CommitButton).click()
    assert "已删除 1 人" in wiz.run_page.status.text()
    with db.session() as s:
        assert s.scalars(select(RosterPerson.name)).all() == ["张三"]
    win.show_page(ROSTER)
    assert win.roster.model.rowCount() == 1


def test_replace_is_not_offered_for_students(win, qtbot, students_file):
    wiz = run_wizard(win, qtbot, "students", students_file)
    assert not wiz.preview_page.replace_box.isVisible()


def test_roster_import_and_roster_view(win, qtbot, tmp_path, qtmodeltester):
    path = write_xlsx(tmp_path / "roster.xlsx", ["姓名", "证件号码", "与户主关系", "乡(镇)"], [
        ["张三", ID_ZS, "子", "城关镇"], ["张大山", NEW1, "户主", "高坪镇"]])
    run_wizard(win, qtbot, "roster", path).button(QWizard.WizardButton.CommitButton).click()
    page: RosterPage = win.roster
    win.show_page(ROSTER)
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


def test_a_template_name_with_a_dot_keeps_it_and_an_unasked_file_is_kept(win, tmp_path, monkeypatch):
    """学生名单导入模板v2.1 (no .xlsx typed: the dialog gave it none, its "suffix" being .1) is saved as
    学生名单导入模板v2.1.xlsx; it was refused as a file of type “.1”."""
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a, **k: tmp_path / "学生名单导入模板v2.1")
    messages = []
    download_template(win, win.db, "students", done=messages.append)
    assert load_workbook(tmp_path / "学生名单导入模板v2.1.xlsx").worksheets[0]["A1"].value
    asked = []
    monkeypatch.setattr(dialogs, "confirm_replace", lambda parent, paths, what: asked.append((paths, what)) or False)
    (tmp_path / "学生名单导入模板v2.1.xlsx").write_bytes(b"kept")
    download_template(win, win.db, "students", done=messages.append)
    assert asked == [([tmp_path / "学生名单导入模板v2.1.xlsx"], "导入模板")]
    assert (tmp_path / "学生名单导入模板v2.1.xlsx").read_bytes() == b"kept" and len(messages) == 1


def test_an_edited_mapping_must_be_previewed_before_importing(win, qtbot, students_file, db):
    wiz = run_wizard(win, qtbot, "students", students_file)
    page, commit = wiz.preview_page, wiz.button(QWizard.WizardButton.CommitButton)
    assert commit.isEnabled()
    page.mapping.pick(3, "")                       # stop importing 家庭类别 ...
    assert not commit.isEnabled() and "重新预览" in page.status.text()   # ... the old preview is void
    page.refresh_button.click()
    assert commit.isEnabled() and not page.refresh_button.isEnabled()
    assert "家庭类别 ←" not in page.details.toPlainText()


def test_same_named_columns_cannot_be_told_apart_so_they_are_left_as_detected(win, qtbot, tmp_path):
    # (the second 姓名 is empty: two with data are refused, tests/test_import_messy.py)
    path = write_xlsx(tmp_path / "dup.xlsx", ["姓名", "身份证号", "学段", "姓名"],
                      [["赵六", NEW1, "普通高中", None]])
    wiz = run_wizard(win, qtbot, "students", path)
    editor = wiz.preview_page.mapping
    assert editor.field_of(0) == "name" and editor.field_of(3) == ""
    assert not editor.combos[0].isEnabled() and not editor.combos[3].isEnabled()
    assert "多个名为“姓名”的列" in editor.combos[3].toolTip()
    editor.pick(2, "grade")                        # another change: the 姓名 columns stay out of it
    assert "姓名" not in editor.overrides({})


def test_a_remembered_ignored_column_stays_ignored_after_a_missing_column(win, qtbot, tmp_path, db):
    from db import store
    with db.session() as s:
        store.put_mapping(s, "students", {"联系电话": ""})      # the clerk chose to ignore it before
    path = write_xlsx(tmp_path / "m.xlsx", ["学生名字", "身份证号", "学段", "联系电话"],
                      [["赵六", NEW1, "普通高中", "13800001111"]])
    wiz = run_wizard(win, qtbot, "students", path)
    page = wiz.preview_page
    assert page.preview is None and "姓名" in page.status.text()
    assert page.mapping.field_of(3) == ""
    page.mapping.pick(0, "name")
    page.refresh_button.click()
    assert page.preview is not None
    assert "联系电话 ←" not in page.details.toPlainText()
    wiz.button(QWizard.WizardButton.CommitButton).click()
    with db.session() as s:
        assert s.scalars(select(Student.phone).where(Student.name == "赵六")).one() in ("", None)


def test_preview_counts_agree_with_the_rows_listed(win, qtbot, tmp_path):
    """"有问题 1 行" above one listed problem row; the skipped rows (a blank-name row, a
    合计 row, a signature line) under their own count, each with its reason."""
    import re
    path = write_xlsx(tmp_path / "脚注.xlsx", ["姓名", "身份证号", "学段"], [
        ["赵六", NEW1, "普通高中"],
        ["孙八", BAD, "初中"],
        ["", "", "小学"],
        ["合计", "", ""],
        ["制表人：张三", "", "审核人：李四"],
    ])
    wiz = win.open_import("students", modal=False)
    qtbot.addWidget(wiz)
    wiz.file_page.path_edit.setText(str(path))
    wiz.next()
    status = wiz.preview_page.status.text()
    details = wiz.preview_page.details.toPlainText()
    problems, skipped = (int(n) for n in re.search(r"跳过 (\d+) 行，有问题 (\d+) 行", status).groups()[::-1])
    assert (problems, skipped) == (1, 3)
    assert f"有问题的行（导入后会标记出来）：共 {problems} 行" in details
    assert f"跳过的行（不是学生，不导入）：共 {skipped} 行" in details
    listed = [line for line in details.splitlines() if line.startswith("  第 ")]
    assert len(listed) == problems + skipped
    assert any("合计" in line for line in listed) and any("签名或说明行" in line for line in listed)
    wiz.next()
    report = wiz.run_page.details.toPlainText()
    assert "已导入并标记，可在名单中查看）：共 1 行" in report and "共 3 行" in report
    assert wiz.run_page.save_button.isVisibleTo(wiz)
    wiz.reject()


def test_the_wizard_stays_open_while_its_import_runs(win, qtbot, students_file, db, monkeypatch):
    """Esc or the window's × during step 3 closed the wizard, and with it the import's answer: the list
    was not reloaded, nothing was checked again, the undo stack kept edits the import had overwritten
    (found by review, session 15). Now the wizard waits for the answer."""
    import gui.import_wizard as iw
    from gui import worker
    held = []
    real = worker.run_task
    wiz = run_wizard(win, qtbot, "students", students_file)
    monkeypatch.setattr(iw.worker, "run_task", lambda fn, *a, **k: held.append((fn, a, k)))  # still running
    win.undo_stack.push(QUndoCommand("一次旧的修改"))
    wiz.button(QWizard.WizardButton.CommitButton).click()
    assert wiz.run_page.running and len(held) == 1
    for close in (wiz.reject, wiz.close, lambda: qtbot.keyClick(wiz, Qt.Key.Key_Escape)):
        close()
        assert wiz.isVisible(), close
    assert "完成之前不能关闭" in wiz.run_page.status.text()
    monkeypatch.setattr(iw.worker, "run_task", real)
    fn, args, kwargs = held.pop()
    real(fn, *args, **kwargs)           # the import answers
    assert not wiz.run_page.running and "已新增 3 行" in wiz.run_page.status.text()
    assert win.students.model.rowCount() == 8 and win.undo_stack.count() == 0
    wiz.reject()
    assert not wiz.isVisible()


def test_a_file_saved_again_after_the_preview_is_not_imported(win, qtbot, students_file, db, shown):
    """The import read the file again at step 3: one edited after the preview was imported unseen, and a
    confirmation given for the previewed file carried over (found by review, session 15)."""
    import os
    wiz = run_wizard(win, qtbot, "students", students_file)
    assert "将新增 3 行" in wiz.preview_page.status.text()
    write_xlsx(students_file, ["姓名", "身份证号", "学段", "家庭类别"], [["周九", NEW1, "普通高中", "建档立卡"]])
    st = students_file.stat()
    os.utime(students_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))   # (a coarse clock too)
    before = names_in_db(db)
    wiz.button(QWizard.WizardButton.CommitButton).click()
    assert len(shown) == 1 and "在预览之后被修改过" in shown[0][0] and "重新导入这个文件" in shown[0][1]
    shown.clear()
    assert names_in_db(db) == before and wiz.run_page.report is None
    assert "数据库没有任何改动" in wiz.run_page.status.text()


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_return_on_the_preview_does_not_start_the_import(win, qtbot, students_file, db, key):
    """Return in the details or on a column's drop-down (the focus after a preview) is not a click on
    开始导入: the wizard stays on 第 2 步, nothing is written, and the status line says what to do."""
    before = names_in_db(db)
    wiz = run_wizard(win, qtbot, "students", students_file)
    page = wiz.preview_page
    assert page.preview is not None
    for target in (page.details, next(iter(page.mapping.combos.values()))):
        target.setFocus()
        qtbot.keyClick(target, key)
        assert wiz.currentPage() is page
    assert names_in_db(db) == before
    assert page.status.text().count("回车键不会开始导入") == 1
    commit = wiz.button(QWizard.WizardButton.CommitButton)
    commit.setFocus()
    qtbot.keyClick(commit, key)                    # on the button itself, Return presses it
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.run_page and not wiz.run_page.running)
    assert {"赵六", "钱七"} <= names_in_db(db)


def test_the_sheet_read_is_named_in_the_details(win, qtbot, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "去年"
    wb.active.append(["x"])
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("今年")
    ws.append(["姓名", "身份证号", "学段"])
    ws.append(["赵六", NEW1, "普通高中"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    wiz = run_wizard(win, qtbot, "students", path)
    assert "读取的工作表：“今年”（文件共有 2 个工作表）" in wiz.preview_page.details.toPlainText()


def test_two_id_columns_with_data_are_refused_until_the_clerk_picks_the_students(win, qtbot, tmp_path):
    path = write_xlsx(tmp_path / "two_ids.xlsx", ["姓名", "身份证号", "学段", "监护人", "证件号码"],
                      [["赵六", NEW1, "普通高中", "赵大", make_id("422822", date(1975, 1, 1), 1)]])
    wiz = run_wizard(win, qtbot, "students", path)
    page = wiz.preview_page
    assert page.preview is None and "都可能是“身份证号”" in page.status.text()
    assert page.mapping.field_of(1) == "" and page.mapping.field_of(4) == ""
    page.mapping.pick(1, "id_number")
    page.refresh_button.click()
    assert page.preview is not None
    assert "身份证号 ← “身份证号”（B列）" in page.details.toPlainText()


def test_a_mapping_chosen_for_a_failed_import_is_used_when_that_file_is_imported_again(win, qtbot, tmp_path, shown,
                                                                                      db):
    """The mapping is remembered by a successful import only: one that failed (the file saved again after the
    preview) lost the columns the clerk had picked, and the next wizard asked for them again."""
    import os
    header = ["学生名字", "身份号", "就读阶段", "家庭类别"]
    odd = write_xlsx(tmp_path / "odd.xlsx", header, [["赵六", NEW1, "普通高中", "建档立卡"]])
    wiz = run_wizard(win, qtbot, "students", odd)
    page = wiz.preview_page
    for column, field in enumerate(("name", "id_number", "stage")):
        page.mapping.pick(column, field)
    page.refresh_button.click()
    assert page.preview is not None
    write_xlsx(odd, header, [["赵六", NEW1, "普通高中", "建档立卡"], ["钱七", NEW2, "小学", "非困难"]])
    st = odd.stat()
    os.utime(odd, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    wiz.button(QWizard.WizardButton.CommitButton).click()
    assert len(shown) == 1 and "在预览之后被修改过" in shown[0][0]
    shown.clear()
    assert "列对应关系已保留" in wiz.run_page.status.text()
    wiz.close()
    again = run_wizard(win, qtbot, "students", odd)          # previewed with the columns picked, at once
    assert again.preview_page.preview is not None and "将新增 2 行" in again.preview_page.status.text()
    assert "姓名 ← “学生名字”（A列）" in again.preview_page.details.toPlainText()
    again.button(QWizard.WizardButton.CommitButton).click()
    assert {"赵六", "钱七"} <= names_in_db(db)
    again.close()
    other = run_wizard(win, qtbot, "students", write_xlsx(tmp_path / "other.xlsx", header, [["孙八", NEW1, "初中", ""]]))
    assert other.preview_page.preview is not None      # the mapping the successful import remembered
    other.close()
