"""Every writing use case says what it changed (db.changes.Changes)."""
import pytest
from conftest import xlsx

from core.checks import FindingState
from core.errors import ValidationError
from db.changes import CHECK_INPUTS, SNAPSHOT_INPUTS, Changes, changes_of
from db.usecases import (
    accept_findings,
    check,
    edit_student,
    recheck,
    record_printed,
    record_receipts,
    verify,
)
from db.views import finding_rows, snapshot
from db.workflows import import_payments, import_summary, run_import


def test_changes_compose_and_read_from_results():
    both = Changes.STUDENTS | Changes.FINDINGS
    assert both & Changes.STUDENTS and not both & Changes.ROSTER
    assert changes_of(both) is both and changes_of(3) is Changes.NONE and not Changes.NONE
    assert Changes.FINDINGS not in CHECK_INPUTS and Changes.STUDENTS in SNAPSHOT_INPUTS


def test_imports_report_what_they_changed(demo_db, tmp_path):
    st = snapshot(demo_db).students[0]
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段"], [st.name, st.id_number, st.stage])
    assert run_import(demo_db, "students", path).changes == Changes.STUDENTS | Changes.SETTINGS
    path = xlsx(tmp_path / "r.xlsx", ["姓名", "证件号码"], [st.name, st.id_number])
    assert run_import(demo_db, "roster", path).changes == Changes.ROSTER | Changes.SETTINGS
    pay = xlsx(tmp_path / "p.xlsx", ["身份证号", "项目", "金额"], [st.id_number, "HS_TUITION", "100"])
    assert import_payments(demo_db, pay, dry_run=True).changes == Changes.NONE
    assert import_payments(demo_db, pay).changes == Changes.PAYMENTS


def test_verify_is_recheck_then_verify_and_returns_done_and_skipped(demo_db):
    blocked = {r.student_id for r in finding_rows(demo_db) if r.state == FindingState.OPEN and r.severity == "error"
               and r.student_id is not None and r.code != "TAMPERED_AFTER_VERIFY"}
    ids = [r.id for r in snapshot(demo_db).students]
    with pytest.raises(ValidationError):
        verify(demo_db, ids)                                # refused as a whole
    outcome = verify(demo_db, ids, skip_blocked=True)
    done, skipped = outcome
    assert skipped >= len(blocked) > 0 and done == len(ids) - skipped
    assert outcome.changes == Changes.STUDENTS | Changes.FINDINGS
    again = verify(demo_db, [i for i in ids if i not in blocked], skip_blocked=True)
    assert again.done == 0 and again.changes == Changes.FINDINGS


def test_small_writes_say_what_they_changed(demo_db):
    letter = snapshot(demo_db).letters[0]
    assert record_printed(demo_db, [letter.id]).changes == Changes.LETTERS
    done = record_receipts(demo_db, [letter.id], True)
    assert done.count == 1 and done.changes == Changes.LETTERS
    assert record_receipts(demo_db, [letter.id], True).changes == Changes.NONE   # nothing new
    finding = next(r for r in finding_rows(demo_db) if r.code == "NAME_MISMATCH" and r.state == FindingState.OPEN)
    assert accept_findings(demo_db, [finding.id], "异体字").changes == Changes.FINDINGS
    assert check(demo_db).changes == Changes.FINDINGS and recheck(demo_db) == Changes.FINDINGS
    # an edit re-checks the findings in its transaction
    assert edit_student(demo_db, letter.id, {"phone": "13800000000"}).changes == Changes.STUDENTS | Changes.FINDINGS
    assert edit_student(demo_db, letter.id, {"phone": "13800000000"}).changes == Changes.NONE


def test_recheck_before_a_school_exists_changes_nothing(db):
    assert recheck(db) == Changes.NONE


def test_one_import_summary_sentence():
    counts = {"added": 1, "updated": 2, "unchanged": 3, "skipped": 0, "with_problems": 1, "removed": 4}
    assert import_summary(counts, done=False) == \
        "将新增 1 行，将更新 2 行，无变化 3 行，跳过 0 行，有问题 1 行，将删除 4 人（不在新名单中）"
    assert import_summary({**counts, "removed": 0}, done=True).startswith("已新增 1 行")


def test_way_out_use_cases_say_what_they_changed(demo_db):
    from db.usecases import remove, restore, revoke_findings, unverify
    ids = [r.id for r in snapshot(demo_db).students]
    _done, _skipped = verify(demo_db, ids, skip_blocked=True)
    verified = next(r.id for r in snapshot(demo_db).students if r.verified)
    assert unverify(demo_db, [verified]).changes == Changes.STUDENTS
    finding = next(r for r in finding_rows(demo_db) if r.code == "NAME_MISMATCH" and r.state == FindingState.OPEN)
    accept_findings(demo_db, [finding.id], "异体字")
    assert revoke_findings(demo_db, [finding.id]).changes == Changes.FINDINGS
    assert remove(demo_db, ids[0], "已转学").changes == Changes.STUDENTS | Changes.FINDINGS
    assert snapshot(demo_db).summary.students == len(ids) - 1          # off the list: not counted
    assert next(r for r in snapshot(demo_db).students if r.id == ids[0]).removed
    assert restore(demo_db, ids[0]).changes == Changes.STUDENTS | Changes.FINDINGS
    assert snapshot(demo_db).summary.students == len(ids)


def test_settings_use_cases_say_what_they_changed(demo_db):
    from db import settings
    before = settings.school(demo_db)
    saved = settings.save_school(demo_db, "城关中学", before.code, before.school_year, "城关镇")
    assert saved.changes == Changes.SCHOOL and saved.school.name == "城关中学"
    assert settings.load_settings(demo_db).school.township == "城关镇"
    assert settings.save_official(demo_db, {"policy_basis": "建教发〔2023〕5号"}).changes == Changes.SETTINGS
    assert settings.set_official(demo_db, "县名", "恩施市").values["county"] == "恩施市"
    # a parameter that does not change anything changes nothing; one that does is a policy change
    current = settings.policy(demo_db).item("PRESCHOOL").amount_fen
    assert settings.save_policy(demo_db, {"items.PRESCHOOL.amount": f"{current // 100}"}).changes == Changes.NONE
    assert settings.save_policy(demo_db, {"items.PRESCHOOL.amount": "2500"}).changes == Changes.POLICY


def test_a_policy_change_that_unverifies_reports_the_students(demo_db):
    from db import settings
    ids = [r.id for r in snapshot(demo_db).students if r.stage == "普通高中"]
    assert verify(demo_db, ids, skip_blocked=True).done
    saved = settings.save_policy(demo_db, {"tuition_standard.普通高中": "1"})
    assert saved.unverified and saved.changes == Changes.POLICY | Changes.STUDENTS


def test_a_bad_value_at_the_first_start_changes_nothing(db):
    from db import settings
    with pytest.raises(ValidationError, match="县名"):
        settings.save_school(db, "第一中学", "4200001", 2023, official={"county": "XX县"})
    assert settings.school(db) is None and settings.official(db)["county"] == ""
    saved = settings.save_school(db, "第一中学", "4200001", 2023, official={"county": "建始县"})
    assert saved.changes == Changes.SCHOOL | Changes.SETTINGS and saved.official["county"] == "建始县"
