"""Findings stay true: a saved edit (and its undo/redo) re-checks at once, the student list's
问题 column shows the open findings as stored now."""
from datetime import date

import pytest
from conftest import open_main_window
from sqlalchemy import select

from core.checks import FindingState
from core.idnumber import make_id
from core.records import ParsedRow
from db import store
from db.changes import Changes
from db.findings import run_and_store
from db.importing import apply_plan, plan_import
from db.models import FindingRow, Student
from db.usecases import edit_student, recheck
from db.views import finding_rows, snapshot
from gui import worker
from gui.main_window import STUDENTS
from gui.students.model import COL
from gui.students.proxy import HAS_PROBLEMS

ID_A = make_id("422822", date(2010, 3, 4), 221)       # 万思 on the roster; 夏鸿 typed it too
ID_B = make_id("422822", date(2009, 6, 7), 332)       # 刘倩婧 on the roster, 刘倩静 on the list
ID_C = make_id("422822", date(2010, 8, 9), 441)       # nobody's yet
ID_D = make_id("422822", date(2011, 1, 2), 552)       # a student with nothing wrong
ID_E = make_id("422822", date(2010, 5, 6), 663)       # only a note (提示): not full-time


def student(name, idn, category="NONE", **kw):
    return {"name": name, "id_number": idn, "id_raw": idn, "stage": "初中", "category": category} | kw


def fill(db):
    with db.session() as s:
        store.init_school(s, "第二中学", "4228", 2023, actor="t")
        students = [student("万思", ID_A, "REGISTERED"), student("夏鸿", ID_A),
                    student("刘倩静", ID_B, "REGISTERED"), student("安然", ID_D),
                    student("周宁", ID_E, "OTHER_HARDSHIP", full_time=False)]
        roster = [{"name": "万思", "id_number": ID_A, "id_raw": ID_A},
                  {"name": "刘倩婧", "id_number": ID_B, "id_raw": ID_B}]
        apply_plan(s, plan_import(s, "students", [ParsedRow(i + 2, v) for i, v in enumerate(students)], [],
                                  {f for v in students for f in v}))
        apply_plan(s, plan_import(s, "roster", [ParsedRow(i + 2, v) for i, v in enumerate(roster)], [],
                                  ["name", "id_number", "id_raw"]))
        from db.exports import mark_letters_printed  # (told: every 建档立卡 family is due a letter)
        mark_letters_printed(s, list(s.scalars(select(Student.id))))
        run_and_store(s, actor="t")
    return db


def sid(db, name):
    with db.session() as s:
        return s.scalar(select(Student.id).where(Student.name == name))


def states(db, name_or_id):
    """code -> state of the stored findings of one student."""
    key = name_or_id if isinstance(name_or_id, int) else sid(db, name_or_id)
    return {r.code: r.state for r in finding_rows(db) if r.student_id == key}


@pytest.fixture
def school(db):
    return fill(db)


# -- the use case ---------------------------------------------------------------

def test_a_saved_edit_rechecks_that_student_at_once(school):
    assert states(school, "夏鸿") == {"DUPLICATE_ID": FindingState.OPEN, "NAME_MISMATCH": FindingState.OPEN,
                                     "CATEGORY_MISMATCH": FindingState.OPEN}
    edited = edit_student(school, sid(school, "夏鸿"), {"id_number": ID_C})
    assert edited.changes == Changes.STUDENTS | Changes.FINDINGS     # routed: no second check needed
    assert set(states(school, "夏鸿").values()) == {FindingState.FIXED}


def test_a_saved_edit_rechecks_the_school_wide_findings_that_depend_on_it(school):
    edit_student(school, sid(school, "万思"), {"id_number": ID_C})   # the other one of the duplicate pair
    after = states(school, "夏鸿")
    assert after["DUPLICATE_ID"] == FindingState.FIXED               # 夏鸿 was not edited
    assert after["NAME_MISMATCH"] == FindingState.OPEN
    assert states(school, "万思") == {"DUPLICATE_ID": FindingState.FIXED,   # every copy was flagged
                                     "NOT_ON_ROSTER": FindingState.OPEN}  # 建档立卡 with an ID not on the roster
    liu = sid(school, "刘倩静")
    edit_student(school, liu, {"name": "刘倩婧"})
    assert states(school, liu) == {"NAME_MISMATCH": FindingState.FIXED}


def test_an_unchanged_recheck_writes_no_finding(school):
    def stamps():
        with school.session() as s:
            return dict(s.execute(select(FindingRow.id, FindingRow.updated_at)).all())
    before = stamps()
    assert recheck(school) == Changes.FINDINGS
    assert stamps() == before          # nothing rewritten: the re-check after every save stays cheap
    liu = sid(school, "刘倩静")
    edit_student(school, liu, {"name": "刘倩婧"})
    after = stamps()
    assert [i for i in after if after[i] != before[i]] == [
        next(r.id for r in finding_rows(school) if r.code == "NAME_MISMATCH" and r.student_id == liu)]


def test_snapshot_rows_carry_the_open_findings_worst_first(school):
    rows = {r.name: r for r in snapshot(school).students}
    f = rows["夏鸿"].findings
    assert f.count == 3 and f.worst == "error" and f.severities == ("error", "warning", "warning")
    assert f.lines()[0] == "错误：身份证号重复"
    assert set(f.titles[1:]) == {"姓名与建档立卡名单不一致", "在建档立卡名单中但类别不是建档立卡"}
    assert rows["安然"].findings.count == 0
    with school.session() as s:                                     # an accepted finding is not open
        row = s.scalar(select(FindingRow).where(FindingRow.code == "NAME_MISMATCH", FindingRow.name == "刘倩静"))
        row.state, row.reason = FindingState.ACCEPTED, "异体字"
    assert {r.name: r for r in snapshot(school).students}["刘倩静"].findings.count == 0


# -- the GUI --------------------------------------------------------------------

@pytest.fixture
def win(qtbot, school, shown):
    return open_main_window(qtbot, school, STUDENTS)


def cell(win, name, column="问题", role=None):
    m = win.students.model
    index = m.index(m.position(sid(win.db, name)), COL[column])
    return index.data() if role is None else index.data(role)


def test_the_problem_column_shows_open_findings_with_their_titles(win):
    from PySide6.QtCore import Qt
    assert cell(win, "夏鸿") == "3 项（错误）"
    assert cell(win, "刘倩静") == "1 项（警告）"
    assert cell(win, "安然") == ""
    tip = cell(win, "夏鸿", role=Qt.ItemDataRole.ToolTipRole)
    assert tip.splitlines()[:3] == ["错误：身份证号重复", *sorted(tip.splitlines()[1:3])]
    assert "姓名与建档立卡名单不一致" in tip
    assert cell(win, "夏鸿", role=Qt.ItemDataRole.ForegroundRole).red() == 176
    page = win.students
    page.sort_by(COL["问题"], Qt.SortOrder.AscendingOrder)           # worst first
    assert page.model.row_at(0).name == "夏鸿"
    page.status_filter.setCurrentIndex(page.status_filter.findData(HAS_PROBLEMS))
    assert cell(win, "周宁") == "1 项（提示）"
    shown_names = {page.source_row(page.proxy.index(r, 0)).name for r in range(page.proxy.rowCount())}
    assert shown_names == {"夏鸿", "万思", "刘倩静"}                   # a note alone is not work to do


def test_saving_a_corrected_student_fixes_its_findings_everywhere_and_undo_reopens_them(win, qtbot, monkeypatch):
    tasks = []
    real = worker.run_task
    monkeypatch.setattr(worker, "run_task", lambda fn, *a, **k: tasks.append(fn.__name__) or real(fn, *a, **k))
    from PySide6.QtWidgets import QLabel
    form = win.students.open_student(sid(win.db, "夏鸿"), modal=False)
    qtbot.addWidget(form)
    assert form.findChild(QLabel, "openFindings").text().splitlines()[1].startswith("错误：身份证号重复：身份证号 ")
    form.id_edit.setText(ID_C)
    form.save()
    again = win.students.open_student(sid(win.db, "夏鸿"), modal=False)
    qtbot.addWidget(again)
    assert again.findChild(QLabel, "openFindings") is None           # the form, too, shows what is open now
    again.reject()

    assert cell(win, "夏鸿") == ""                                    # no 刷新, no 运行核查
    xia = [r for r in win.findings.model.rows() if r.name == "夏鸿"]
    assert len(xia) == 3 and {r.state for r in xia} == {FindingState.FIXED}
    win.findings.state_filter.setCurrentIndex(win.findings.state_filter.findData(FindingState.OPEN.value))
    open_names = {win.findings.source_row(win.findings.proxy.index(r, 0)).name
                  for r in range(win.findings.proxy.rowCount())}
    assert "夏鸿" not in open_names and "刘倩静" in open_names
    assert "recheck" not in tasks                                     # the edit itself re-checked

    tasks.clear()
    win.undo_stack.undo()                                             # the duplicate is back
    assert tasks[0] == "edit_student"                                 # in the worker, not on the GUI thread
    assert cell(win, "夏鸿") == "3 项（错误）"
    assert {r.state for r in win.findings.model.rows() if r.name == "夏鸿"} == {FindingState.OPEN}
    win.undo_stack.redo()
    assert cell(win, "夏鸿") == ""
    assert {r.state for r in win.findings.model.rows() if r.name == "夏鸿"} == {FindingState.FIXED}


# -- the 核查问题 detail pane ----------------------------------------------------------

def finding_id(db, code, name):
    return next(r.id for r in finding_rows(db) if r.code == code and r.name == name)


def test_finding_detail_holds_the_data_behind_the_finding(school):
    from db.finding_detail import finding_detail
    d = finding_detail(school, finding_id(school, "DUPLICATE_ID", "夏鸿"))
    assert d.finding.message.startswith("身份证号 422822") and d.hint.startswith("核对是否重复录入")
    assert d.field_label == "身份证号"
    student = dict(d.student)
    assert student["姓名"] == "夏鸿" and student["学段"] == "初中" and student["家庭类别"] == "非困难"
    assert student["身份证号"] == ID_A[:6] + "********" + ID_A[-4:]           # masked, never the full number
    assert d.others == (("万思", "初中", "", ""),)                             # the other one of the pair
    assert [dict(p)["姓名"] for p in d.roster] == ["万思"]
    from gui.finding_detail import detail_html
    assert ID_A not in detail_html(d)
    liu = finding_detail(school, finding_id(school, "NAME_MISMATCH", "刘倩静"))
    assert dict(liu.roster[0])["姓名"] == "刘倩婧" and liu.field_label == "姓名"
    assert liu.amounts == () and liu.total == "0.00"          # 初中: no item of this policy
    assert "该生没有享受或待补充的资助项目" in detail_html(liu)
    from dataclasses import replace
    shown = detail_html(replace(liu, amounts=(("免学费", "享受", "1400.00"),), total="1400.00"))
    assert "合计 1400.00 元" in shown and "免学费" in shown
    assert finding_detail(school, 10_000) is None


def test_finding_detail_lists_the_payments_of_a_payment_finding(school):
    from core.checks import Payment
    from db.finding_detail import finding_detail
    from db.workflows import replace_payments
    with school.session() as s:
        item = store.get_policy(s).items[0]
        replace_payments(s, [Payment(7, ID_D, item.code, 12345)], actor="t")
    recheck(school)
    d = finding_detail(school, finding_id(school, "PAYMENT_UNDUE", "安然"))
    assert d.payments == (("7", item.name, "123.45"),)


@pytest.fixture
def findings_page(qtbot, school, shown):
    from gui.main_window import FINDINGS
    w = open_main_window(qtbot, school, FINDINGS)
    w.resize(1024, 768)
    return w, w.findings


def select_findings(page, *codes_names):
    from PySide6.QtCore import QItemSelectionModel
    page.view.clearSelection()
    for r in range(page.proxy.rowCount()):
        row = page.source_row(page.proxy.index(r, 0))
        if (row.code, row.name) in codes_names:
            page.view.selectionModel().select(page.proxy.index(r, 0), QItemSelectionModel.SelectionFlag.Select
                                              | QItemSelectionModel.SelectionFlag.Rows)


def test_the_detail_pane_shows_the_selected_finding_in_full(findings_page, qtbot, tmp_path):
    win, page = findings_page
    assert "选中一个问题" in page.detail.toPlainText()
    select_findings(page, ("NAME_MISMATCH", "刘倩静"))
    text = page.detail.toPlainText()
    row = page.selected_rows()[0]
    assert row.message in text                                        # whole, not elided
    assert "以户口簿为准改正姓名" in text and "刘倩婧" in text and "资助金额" in text
    assert "学生信息" in text and "有问题的栏目：姓名" in text
    assert "NAME_MISMATCH" not in text                                # the title, never the code
    select_findings(page, ("NAME_MISMATCH", "刘倩静"), ("DUPLICATE_ID", "夏鸿"))
    assert "已选中 2 个问题" in page.detail.toPlainText()
    # 1024×768: the table and the pane share the page, both usable, nothing outside the window
    select_findings(page, ("DUPLICATE_ID", "夏鸿"))
    qtbot.wait(10)
    assert page.detail.height() >= 150 and page.view.height() >= 150
    bottom = page.detail.mapTo(win, page.detail.rect().bottomRight())
    assert bottom.y() <= win.height() and bottom.x() <= win.width()
    win.grab().save(str(tmp_path / "findings-detail.png"))


def test_the_detail_pane_follows_a_fix(findings_page, qtbot):
    win, page = findings_page
    select_findings(page, ("DUPLICATE_ID", "夏鸿"))
    assert "未处理" in page.detail.toPlainText()
    win.apply_changes(edit_student(win.db, sid(win.db, "夏鸿"), {"id_number": ID_C}).changes)
    assert page.selected_rows() == []                  # fixed: no longer under 未处理和已接受
    assert "选中一个问题" in page.detail.toPlainText()    # not the stale 未处理 text
    page.state_filter.setCurrentIndex(0)                # 全部状态
    select_findings(page, ("DUPLICATE_ID", "夏鸿"))
    assert "已改正" in page.detail.toPlainText()


def test_an_unreadable_value_is_a_finding_that_goes_when_corrected(school):
    from db.usecases import check
    with school.session() as s:
        plan = plan_import(s, "students", [ParsedRow(9, student("", ID_C, stage="三年级X", gender="未知",
                                                                 category="贫困户?", location="外省"))], [],
                           ["name", "id_number", "id_raw", "stage", "gender", "category", "location"])
        apply_plan(s, plan, actor="t")
    check(school)
    new = next(r.id for r in snapshot(school).students if r.id_number == ID_C)
    found = {r.field: r.message for r in finding_rows(school) if r.student_id == new and r.code == "VALUE_UNREADABLE"}
    assert found == {"name": "姓名为空：请补填学生姓名",
                     "stage": "学段“三年级X”无法识别，应填：学前教育、小学、初中、普通高中、中职、高职专科、本科、硕士研究生、博士研究生",
                     "gender": "性别“未知”无法识别，应填“男”或“女”",
                     "location": "就读地“外省”无法识别，应填“本地”或“外地”",
                     "category": "家庭类别“贫困户?”无法识别，应填：建档立卡、其他经济困难、非困难"}
    assert {r.name: r for r in snapshot(school).students}[""].findings.count == 5
    severity = {r.field: r.severity for r in finding_rows(school) if r.student_id == new and r.code == "VALUE_UNREADABLE"}
    assert severity == {"name": "warning", "gender": "warning", "stage": "error", "location": "error",
                        "category": "error"}     # the amounts depend on these: no verifying, no final package
    from core.errors import ValidationError
    from db.findings import accept_rows
    with school.session() as s:
        rows = s.scalars(select(FindingRow).where(FindingRow.student_id == new,
                                                  FindingRow.code == "VALUE_UNREADABLE")).all()
        by_field = {r.field: r for r in rows}
        with pytest.raises(ValidationError, match="不能接受，必须改正"):
            accept_rows(s, [by_field["stage"]], "已核实")          # a guess cannot be accepted
        assert accept_rows(s, [by_field["gender"]], "已核实") == 1    # a warning can
    edit_student(school, new, {"name": "赵雪", "stage": "小学", "gender": "女", "category": "NONE", "location": "本地"})
    assert {r.state for r in finding_rows(school) if r.student_id == new and r.code == "VALUE_UNREADABLE"} \
        == {FindingState.FIXED}
