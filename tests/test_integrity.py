"""A verified figure cannot change quietly: policy changes, seals, the roster (issue 8)."""
import json
import sqlite3
import zipfile
from datetime import date

import pytest
from conftest import two_student_school
from openpyxl import Workbook
from pdftext import pdf_text
from sqlalchemy import select

from cli.commands import run
from core.checks import RULES_BY_CODE, FindingState
from core.engine import Calculator
from core.idnumber import make_id
from core.policy import set_value
from db import store
from db.findings import run_and_store, verify_students
from db.models import AuditEntry, FindingRow, Student
from db.session import open_database
from db.students import to_record
from db.workflows import fill_demo

HS = make_id("110101", date(2008, 5, 1), 123)
PRE = make_id("110101", date(2019, 3, 1), 124)
OTHERS = [make_id("110101", date(1980, 1, 1 + i), 200 + i) for i in range(8)]
PASS = "school-secret-1 long enough"


@pytest.fixture
def pw(tmp_path):
    p = tmp_path / "pw.txt"
    p.write_text(PASS + "\n", encoding="utf-8")
    return p


def opened(path):
    return open_database(path)


@pytest.fixture
def demo_verified(tmp_path):
    """120 demo students, tuition standards set, every verifiable student verified."""
    path = tmp_path / "demo.sqlite"
    d = opened(path)
    fill_demo(d, n_students=120)
    with d.session() as s:
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="t")
        store.set_policy_value(s, "tuition_standard.中职", "2000", actor="t")
        run_and_store(s, actor="t")
        verify_students(s, list(s.scalars(select(Student.id))), actor="t", skip_blocked=True)
    d.close()
    return path


def totals(session, policy):
    calc = Calculator(policy)
    return {st.id: [(x.code, x.status, x.amount_fen) for x in calc(to_record(st)).decisions]
            for st in session.scalars(select(Student))}


def test_policy_change_unverifies_exactly_the_students_it_changes(demo_verified, capsys):
    d = opened(demo_verified)
    with d.session() as s:
        verified = set(s.scalars(select(Student.id).where(Student.verified.is_(True))))
        before = totals(s, store.get_policy(s))
        seals = dict(s.execute(select(Student.id, Student.seal)).all())
    d.close()
    assert len(verified) > 20
    capsys.readouterr()
    assert run(["--db", str(demo_verified), "policy", "set", "tuition_standard.普通高中", "300"]) == 0
    out = capsys.readouterr().out
    d = opened(demo_verified)
    try:
        with d.session() as s:
            after = totals(s, store.get_policy(s))
            changed = {i for i in verified if before[i] != after[i]}
            assert changed and changed != verified
            assert f"有 {len(changed)} 名已核准学生的资助结果因此改变，已改回待核准" in out
            for st in s.scalars(select(Student).where(Student.id.in_(verified))):
                if st.id in changed:
                    assert (st.verified, st.seal) == (False, None)
                else:
                    assert (st.verified, st.seal) == (True, seals[st.id])
            policy_rows = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "policy",
                                                                  AuditEntry.actor != "demo")))
            last = policy_rows[-1]
            assert (last.field, last.old, last.new) == ("parameters.tuition_standard.普通高中", "1200.00", "300.00")
            sid = min(changed)
            rows = {e.field: e for e in s.scalars(select(AuditEntry).where(
                AuditEntry.entity == "student", AuditEntry.entity_id == sid, AuditEntry.id > last.id))}
            assert (rows["verified"].old, rows["verified"].new) == ("是", "否")
            assert "1200.00 → 300.00" in rows["note"].new and "合计" in rows["note"].new
            assert "公办普通高中学费标准" in rows["note"].new and "tuition_standard" not in rows["note"].new
            assert rows["seal"].old == seals[sid] and rows["seal"].new is None
            # the unchanged students' seals still hold: no tamper finding
            found = run_and_store(s).findings
            assert not [f for f in found if f.code == "TAMPERED_AFTER_VERIFY"]
    finally:
        d.close()


def test_policy_load_records_old_and_new_hash_and_unverifies(demo_verified):
    d = opened(demo_verified)
    try:
        with d.session() as s:
            old = store.get_policy(s)
            text = set_value(old.text, "tuition_standard.普通高中", "100")   # the demo is a high school
            change = store.change_policy(s, text, actor="clerk")
            assert change.unverified > 0
            row = s.scalars(select(AuditEntry).where(AuditEntry.entity == "policy", AuditEntry.actor == "clerk")).one()
            assert (row.old, row.new) == (old.sha256, change.policy.sha256)
            assert store.change_policy(s, text).unverified == 0     # the same document again: no change
    finally:
        d.close()


@pytest.fixture
def clean_db(tmp_path):
    """Two registered students, both on a roster of ten, no error findings."""
    return two_student_school(tmp_path / "e.sqlite", roster_extra=OTHERS)


def verify_all(path):
    assert run(["--db", str(path), "verify-student", HS]) == 0
    assert run(["--db", str(path), "verify-student", PRE]) == 0


def tamper(path, sql, *params):
    con = sqlite3.connect(path)
    with con:
        con.execute(sql, params)
    con.close()


def test_a_change_behind_zizhus_back_is_caught_by_check_and_blocks_export(clean_db, pw, tmp_path, capsys):
    db = str(clean_db)
    verify_all(clean_db)
    assert run(["--db", db, "export", str(tmp_path / "ok.zip"), "--passphrase-file", str(pw)]) == 0
    tamper(clean_db, "UPDATE student SET tuition_fen = 1 WHERE id_number = ?", HS)
    capsys.readouterr()
    assert run(["--db", db, "check"]) == 1
    out = capsys.readouterr().out
    assert RULES_BY_CODE["TAMPERED_AFTER_VERIFY"].title in out and "核准后数据或资助金额被改动" in out
    out_zip = tmp_path / "bad.zip"
    assert run(["--db", db, "export", str(out_zip), "--passphrase-file", str(pw)]) == 2
    assert "核准后被改动" in capsys.readouterr().err and not out_zip.exists()
    assert run(["--db", db, "accept", "TAMPERED_AFTER_VERIFY", HS, "--reason", "没问题"]) == 2
    assert "不能接受" in capsys.readouterr().err
    # the clerk looked at it and verifies anew: sealed as it stands, check is clean
    assert run(["--db", db, "verify-student", HS]) == 0
    assert run(["--db", db, "check"]) == 0
    assert run(["--db", db, "export", str(out_zip), "--passphrase-file", str(pw)]) == 0
    d = opened(clean_db)
    try:
        with d.session() as s:
            row = s.scalars(select(FindingRow).where(FindingRow.code == "TAMPERED_AFTER_VERIFY")).one()
            assert row.state == FindingState.FIXED
    finally:
        d.close()


def test_a_verified_student_without_seal_and_a_changed_policy_setting_are_caught(clean_db, capsys):
    verify_all(clean_db)
    tamper(clean_db, "UPDATE student SET seal = NULL WHERE id_number = ?", PRE)
    capsys.readouterr()
    assert run(["--db", str(clean_db), "check"]) == 1
    assert "没有核准时的封存值" in capsys.readouterr().out
    d = opened(clean_db)
    with d.session() as s:
        text = set_value(store.get_policy_text(s), "tuition_standard.普通高中", "300")
    d.close()
    tamper(clean_db, "UPDATE policy_version SET text = ? WHERE id = (SELECT max(id) FROM policy_version)", text)
    assert run(["--db", str(clean_db), "check", "--json"]) == 1
    flags = json.loads(capsys.readouterr().out)["flags"]
    assert {f["id_number"] for f in flags if f["code"] == "TAMPERED_AFTER_VERIFY"} == {HS, PRE}


def test_an_edit_clears_the_seal_and_reverification_seals_again(clean_db):
    from db.students import update_student
    verify_all(clean_db)
    d = opened(clean_db)
    try:
        with d.session() as s:
            st = s.scalars(select(Student).where(Student.id_number == HS)).one()
            first = st.seal
            assert first and len(first) == 64
            update_student(s, st.id, {"tuition_fen": 90000}, actor="t")
            assert (st.verified, st.seal) == (False, None)
            run_and_store(s)
            assert verify_students(s, [st.id]) == 1
            assert st.seal and st.seal != first
    finally:
        d.close()


def roster_file(path, people):
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "证件号码"])
    for name, idn in people:
        ws.append([name, idn])
    wb.save(path)
    return path


def test_emptying_the_roster_needs_confirmation_and_then_blocks_final_export(clean_db, pw, tmp_path, capsys):
    db = str(clean_db)
    verify_all(clean_db)
    empty = roster_file(tmp_path / "empty.xlsx", [])
    capsys.readouterr()
    assert run(["--db", db, "import", "roster", str(empty), "--replace", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "现有建档立卡名单 10 人" in out and "将删除 10 人" in out and "--yes" in out
    assert run(["--db", db, "import", "roster", str(empty), "--replace"]) == 2
    err = capsys.readouterr().err
    assert "超过现有名单的一半" in err and "--yes" in err
    assert run(["--db", db, "check"]) == 0        # nothing was removed
    assert run(["--db", db, "import", "roster", str(empty), "--replace", "--yes"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "check"]) == 1
    assert RULES_BY_CODE["ROSTER_EMPTY"].title in capsys.readouterr().out
    assert run(["--db", db, "accept", "ROSTER_EMPTY", "-", "--reason", "x"]) == 2
    out_zip = tmp_path / "p.zip"
    capsys.readouterr()
    assert run(["--db", db, "export", str(out_zip), "--passphrase-file", str(pw)]) == 2
    assert "建档立卡名单为空" in capsys.readouterr().err and not out_zip.exists()


def test_a_shrunken_roster_is_an_error_until_accepted_and_the_package_records_the_roster(
        clean_db, pw, tmp_path, capsys):
    db = str(clean_db)
    verify_all(clean_db)
    small = roster_file(tmp_path / "small.xlsx", [("张丽", HS), ("李四", PRE), ("成员0", OTHERS[0])])
    assert run(["--db", db, "import", "roster", str(small), "--replace", "--confirm-removal"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "check"]) == 1
    assert "建档立卡名单从 10 人减少到 3 人" in capsys.readouterr().out
    out_zip = tmp_path / "p.zip"
    assert run(["--db", db, "export", str(out_zip), "--passphrase-file", str(pw)]) == 2
    assert "人数骤减" in capsys.readouterr().err
    d = opened(clean_db)
    with d.session() as s:
        row = s.scalars(select(FindingRow).where(FindingRow.code == "ROSTER_SHRUNK")).one()
        from db.findings import accept_rows
        accept_rows(s, [row], "扶贫办通知：本年度大批脱贫户退出名单", actor="t")
        imported_at = store.get_setting(s, "roster.imported_at")
    d.close()
    assert run(["--db", db, "export", str(out_zip), "--passphrase-file", str(pw)]) == 0
    with zipfile.ZipFile(out_zip) as z:
        meta = json.loads(z.read("manifest.json"))
        report = z.read("report.pdf")
    assert meta["roster"] == {"size": 3, "imported_at": imported_at}
    assert meta["audit_log"]["intact"] is True and meta["audit_log"]["entries"] > 10
    text = pdf_text(report)
    assert f"3 人（{imported_at[:10]} 导入）" in text


def test_a_replace_removing_half_or_less_needs_no_confirmation(clean_db, tmp_path):
    keep = [("张丽", HS), ("李四", PRE)] + [(f"成员{i}", x) for i, x in enumerate(OTHERS[:3])]
    assert run(["--db", str(clean_db), "import", "roster", str(roster_file(tmp_path / "r.xlsx", keep)),
                "--replace"]) == 0
    d = opened(clean_db)
    try:
        with d.session() as s:
            assert (store.get_setting(s, "roster.size"), store.get_setting(s, "roster.previous_size")) == ("5", "10")
    finally:
        d.close()


def test_the_wizard_asks_before_a_replace_removes_over_half_the_roster(qtbot, db, tmp_path, shown):
    from conftest import open_main_window
    from PySide6.QtWidgets import QWizard
    from test_gui_import import run_wizard
    from test_gui_students import fill_people

    from db.models import RosterPerson

    fill_people(db)
    win = open_main_window(qtbot, db)
    people = [("张丽", HS), ("李四", PRE)] + [(f"成员{i}", x) for i, x in enumerate(OTHERS[:2])]
    first = roster_file(tmp_path / "r1.xlsx", people)
    run_wizard(win, qtbot, "roster", first).button(QWizard.WizardButton.CommitButton).click()
    wiz = run_wizard(win, qtbot, "roster", roster_file(tmp_path / "r2.xlsx", people[:1]))
    page = wiz.preview_page
    page.replace_box.setChecked(True)
    asked: list[str] = []
    answer = [False]

    def confirm(numbers):
        asked.append(numbers)
        return answer[0]

    page.confirm_removal = confirm
    commit = wiz.button(QWizard.WizardButton.CommitButton)
    commit.click()
    assert asked == ["现有建档立卡名单 4 人，用新文件替换后将删除 3 人、保留 1 人、新增 0 人，名单变为 1 人"]
    assert wiz.currentPage() is page            # declined: nothing imported
    with db.session() as s:
        assert len(s.scalars(select(RosterPerson.id)).all()) == 4
    answer[0] = True
    commit.click()
    assert wiz.currentPage() is wiz.run_page and "已删除 3 人" in wiz.run_page.status.text()
    with db.session() as s:
        assert s.scalars(select(RosterPerson.name)).all() == ["张丽"]


def test_a_policy_that_no_longer_loads_can_be_replaced_and_unverifies_everyone(clean_db, tmp_path, capsys):
    from core.policy import default_policy_text
    verify_all(clean_db)
    tamper(clean_db, "UPDATE policy_version SET text = 'items = [' WHERE id = (SELECT max(id) FROM policy_version)")
    new = tmp_path / "policy.toml"
    new.write_text(set_value(default_policy_text(), "tuition_standard.普通高中", "1200"), encoding="utf-8")
    capsys.readouterr()
    assert run(["--db", str(clean_db), "policy", "load", str(new)]) == 0
    assert "有 2 名已核准学生的资助结果因此改变" in capsys.readouterr().out
    d = opened(clean_db)
    try:
        with d.session() as s:
            assert not s.scalars(select(Student.id).where(Student.verified.is_(True))).all()
            row = s.scalars(select(AuditEntry).where(AuditEntry.entity == "policy")
                            .order_by(AuditEntry.id.desc())).first()
            assert row.old.startswith("无法读取的政策文件") and row.new == store.get_policy(s).sha256
    finally:
        d.close()


def test_a_policy_change_sends_back_a_removed_verified_student_it_changes(demo_verified):
    """Removed from the list (a suspected transfer), verified, put back after a policy change: the
    student comes back 待核准 with the new amounts audited, not 已核准 at amounts nobody checked.
    The preview counts the student beforehand."""
    from db.policy_versions import preview_in
    from db.students import remove_students, restore_students
    d = opened(demo_verified)
    try:
        with d.session() as s:
            old = store.get_policy(s)
            before = totals(s, old)
            verified = sorted(s.scalars(select(Student.id).where(Student.verified.is_(True))))
            text = set_value(old.text, "tuition_standard.普通高中", "100")
            gone = next(i for i in verified
                        if any(code.startswith("HS_TUITION") and amount for code, _st, amount in before[i]))
            remove_students(s, [gone], "转学待核实", actor="clerk")
        with d.session() as s:
            preview = preview_in(s, text)
            assert gone not in {x.key for x in preview.students}       # not on the list
            assert [x.key for x in preview.unverify_removed] == [gone]
            assert preview.unverified == len(preview.unverify) + 1
            assert any("另有已移出名单的已核准学生 1 名" in line for line in preview.lines())
            from gui.policy_preview import summary_text  # the 政策 page's preview says so too
            assert "另有 1 名已移出名单的已核准学生资助结果改变" in summary_text(preview)
            change = store.change_policy(s, text, actor="clerk")
            assert change.unverified == preview.unverified
        with d.session() as s:
            st = s.get(Student, gone)
            assert (st.verified, st.seal) == (False, None)
            note = s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "student", AuditEntry.entity_id == gone,
                                                          AuditEntry.field == "note")).all()[-1]
            assert "需重新核准" in note
            restore_students(s, [gone], actor="clerk")
        with d.session() as s:
            assert s.get(Student, gone).verified is False
    finally:
        d.close()
