"""GUI: every blocked state has a way out — 移出名单 (undoable) and 移回名单, 取消核准 from the
student list and the form, 撤销接受 on 核查问题, the bulk verification's confirmation with the
numbers, and the reason dialog that names what it is for and never closes on an empty reason."""
from __future__ import annotations

import pytest
from conftest import open_main_window
from PySide6.QtWidgets import QDialog
from sqlalchemy import select
from test_gui_workflow import proxy_rows, select_where

from core.checks import FindingState
from db import store
from db.findings import accept, run_and_store, verify_students
from db.models import AuditEntry, FindingRow, Student
from gui.main_window import FINDINGS, STUDENTS
from gui.students.proxy import STATUS_REMOVED

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def win(qtbot, demo_db):
    with demo_db.session() as s:
        store.set_policy_value(s, "tuition_standard.普通高中", "1200")
        store.set_policy_value(s, "tuition_standard.中职", "2000")
        run_and_store(s)
    w = open_main_window(qtbot, demo_db)
    w.show_page(STUDENTS)
    return w


def stored(db, sid):
    with db.session() as s:
        st = s.get(Student, sid)
        return st.removed_at is not None, st.removed_reason, st.verified


def test_remove_from_the_list_is_undoable_and_restorable(win):
    page, db = win.students, win.db
    [row] = select_where(page, lambda r: True, limit=1)
    asked = []
    page.ask_remove_reason = lambda rows, parent=None: asked.append([r.id for r in rows]) or None
    page.remove_button.click()                               # cancelled: nothing changes
    assert asked == [[row.id]] and stored(db, row.id)[0] is False
    page.ask_remove_reason = lambda rows, parent=None: "重复录入"
    page.remove_button.click()
    assert stored(db, row.id)[:2] == (True, "重复录入")
    assert row.id not in {r.id for r in proxy_rows(page)}   # off the list …
    assert "共 119 人" in page.count_label.text() and "另有 1 人已移出名单" in page.count_label.text()
    assert win.undo_stack.undoText() == f"移出名单：{row.name}"
    page.status_filter.setCurrentIndex(page.status_filter.findData(STATUS_REMOVED))
    assert [r.id for r in proxy_rows(page)] == [row.id]     # … and shown under 已移出名单
    win.action_collection.undo.trigger()                     # undo = 移回名单
    assert stored(db, row.id)[0] is False and proxy_rows(page) == []
    win.action_collection.redo.trigger()
    assert stored(db, row.id)[:2] == (True, "重复录入")
    select_where(page, lambda r: r.id == row.id)
    page.restore_button.click()
    assert stored(db, row.id)[0] is False
    assert "移回名单" in win.statusBar().currentMessage()
    with db.session() as s:
        fields = set(s.scalars(select(AuditEntry.field).where(AuditEntry.entity_id == row.id)))
    assert {"removed_at", "removed_reason"} <= fields


def test_context_menu_offers_the_same_actions(win):
    texts = [a.text() for a in win.students.context_menu().actions()]
    assert texts == ["查看/修改…", "标记已核准", "取消核准", "移出名单…", "移回名单"]


def test_unverify_from_the_list_and_the_form(win):
    page, db = win.students, win.db
    with db.session() as s:
        blocked = {r.student_id for r in s.scalars(select(FindingRow).where(
            FindingRow.state == FindingState.OPEN, FindingRow.severity == "error"))}
        ids = [i for i in s.scalars(select(Student.id)) if i not in blocked][:2]
        verify_students(s, ids)
    page.reload()
    select_where(page, lambda r: r.id == ids[0])
    page.unverify_button.click()
    assert stored(db, ids[0])[2] is False and stored(db, ids[1])[2] is True
    assert "已取消核准 1 名学生" in win.statusBar().currentMessage()
    form = page.open_student(ids[1], modal=False)
    assert form.unverify_button.isVisibleTo(form)
    form.unverify_button.click()
    assert stored(db, ids[1])[2] is False and not form.isVisible()


def test_remove_and_restore_from_the_form(win):
    page, db = win.students, win.db
    sid = page.model.rows()[3].id
    form = page.open_student(sid, modal=False)
    assert form.removal_button.text() == "移出名单…"
    page.ask_remove_reason = lambda rows, parent=None: (parent is form and [r.id for r in rows] == [sid]
                                                        and "已转学")
    form.removal_button.click()
    assert stored(db, sid)[:2] == (True, "已转学") and not form.isVisible()
    form = page.open_student(sid, modal=False)
    assert "已移出名单" in form.findChild(type(form.status), "removedNote").text()
    assert form.removal_button.text() == "移回名单"
    form.removal_button.click()
    assert stored(db, sid)[0] is False


def test_bulk_verification_asks_with_the_numbers(win):
    page, db = win.students, win.db
    asked = []
    page.confirm_verify = lambda count, blocked: asked.append((count, len(blocked))) or False
    page.verify_shown_button.click()
    [(count, skipped)] = asked
    with db.session() as s:
        blocked = len({r.student_id for r in s.scalars(select(FindingRow).where(
            FindingRow.state == FindingState.OPEN, FindingRow.severity == "error"))})
        assert not s.scalar(select(Student.id).where(Student.verified.is_(True)))   # refused: nothing verified
    assert (count, skipped) == (120 - blocked, blocked) and skipped > 0
    from gui.students.view import verify_question
    assert verify_question(120, 3) == "核准 120 名学生，跳过 3 名有未处理错误的学生？"
    page.confirm_verify = lambda count, blocked: True
    page.verify_shown_button.click()
    with db.session() as s:
        assert len(s.scalars(select(Student.id).where(Student.verified.is_(True))).all()) == count


def test_accept_dialog_names_the_finding_and_an_empty_reason_keeps_it_open(win, monkeypatch):
    from gui import reason_dialog
    page = win.findings
    win.show_page(FINDINGS)
    [row] = select_where(page, lambda r: r.code == "NAME_MISMATCH", limit=1)
    seen = []

    def fake_exec(dialog):
        seen.append(dialog.items.toPlainText())
        dialog.edit.setText("   ")
        dialog.ok_button.click()                 # empty: stays open, says what to write
        assert dialog.result() != QDialog.DialogCode.Accepted and not dialog.error.isHidden()
        assert "例如：户口簿上即为此异体字" in dialog.error.text()
        dialog.edit.setText("户口簿上即为此异体字")
        dialog.ok_button.click()
        return dialog.result()
    monkeypatch.setattr(reason_dialog.ReasonDialog, "exec", fake_exec)
    page.accept_button.click()
    assert row.title in seen[0] and row.name in seen[0] and "NAME_MISMATCH" not in seen[0]
    with win.db.session() as s:
        assert s.get(FindingRow, row.id).state == FindingState.ACCEPTED


def test_revoke_an_acceptance_on_the_findings_page(win):
    page, db = win.findings, win.db
    with db.session() as s:
        r = s.scalars(select(FindingRow).where(FindingRow.code == "NAME_MISMATCH")).first()
        accept(s, "NAME_MISMATCH", r.id_number, "异体字")
        fid = r.id
    page.reload()
    win.show_page(FINDINGS)
    select_where(page, lambda x: x.id == fid)
    page.revoke_button.click()
    with db.session() as s:
        assert (s.get(FindingRow, fid).state, s.get(FindingRow, fid).reason) == (FindingState.OPEN, "")
    assert "已撤销接受 1 个问题" in win.statusBar().currentMessage()
