"""The verification workflow: findings kept across runs, accept, verify, payments."""
import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select, text

from cli.commands import run
from core.checks import RULES_BY_CODE, FindingState
from core.errors import ValidationError
from core.idnumber import make_id
from core.records import ParsedRow
from db import store
from db.findings import accept, run_and_store, verify_students
from db.importing import apply_plan, plan_import
from db.models import AuditEntry, FindingRow, Student
from db.session import open_database
from db.students import update_student

HS = make_id("110101", date(2008, 5, 1), 123)
PRE = make_id("110101", date(2019, 3, 1), 124)
FIELDS = ["name", "id_number", "stage", "category", "tuition", "textbook", "lodging", "gender"]


@pytest.fixture
def db(tmp_path):
    d = open_database(tmp_path / "f.sqlite")
    with d.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="t")
        students = [
            {"name": "张丽", "id_number": HS, "id_raw": HS, "stage": "普通高中", "category": "REGISTERED",
             "tuition_fen": 100000, "textbook_fen": 0, "lodging_fen": 0, "gender": "男"},
            {"name": "李四", "id_number": PRE, "id_raw": PRE, "stage": "学前教育", "category": "REGISTERED"},
        ]
        roster = [{"name": "张莉", "id_number": HS, "id_raw": HS}, {"name": "李四", "id_number": PRE, "id_raw": PRE}]
        apply_plan(s, plan_import(s, "students", [ParsedRow(i, v) for i, v in enumerate(students)], [], FIELDS))
        apply_plan(s, plan_import(s, "roster", [ParsedRow(i, v) for i, v in enumerate(roster)], [],
                                  ["name", "id_number"]))
    yield d
    d.close()


def states(s):
    return {(r.code, r.name): r.state for r in s.scalars(select(FindingRow))}


def sid(s, number):
    return s.scalars(select(Student.id).where(Student.id_number == number)).one()


def test_accept_stays_accepted_until_data_changes(db):
    with db.session() as s:
        run_and_store(s)
        assert states(s)[("NAME_MISMATCH", "张丽")] == FindingState.OPEN
        accept(s, "NAME_MISMATCH", HS, "户口簿上为“丽”，名单录入有误已反馈扶贫办", actor="clerk")
    with db.session() as s:
        r = run_and_store(s)
        assert states(s)[("NAME_MISMATCH", "张丽")] == FindingState.ACCEPTED and r.reopened == 0
        # The data behind it changes: reopened.
        update_student(s, sid(s, HS), {"name": "张俐"})
        r = run_and_store(s)
        row = s.scalars(select(FindingRow).where(FindingRow.code == "NAME_MISMATCH")).one()
        assert (row.state, row.reason, r.reopened) == (FindingState.OPEN, "", 1)
        assert row.state is FindingState.OPEN      # read back typed, stored as its text
        assert s.execute(text("SELECT state FROM finding WHERE id = :i"), {"i": row.id}).scalar() == "open"
        # Fixed: closed automatically.
        update_student(s, sid(s, HS), {"name": "张莉"})
        r = run_and_store(s)
        assert states(s)[("NAME_MISMATCH", "张俐")] == FindingState.FIXED and r.fixed >= 1
        logged = list(s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "finding")))
        assert {FindingState.ACCEPTED, FindingState.OPEN, FindingState.FIXED} <= set(logged)


def test_a_recheck_writes_only_the_findings_that_changed(db):
    from datetime import datetime

    from sqlalchemy import event, update
    with db.session() as s:
        run_and_store(s)
        s.execute(update(FindingRow).values(updated_at=datetime(2020, 1, 1)))
    updates = []

    def listener(conn, cursor, statement, *rest):
        updates.append(statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with db.session() as s:
            run_and_store(s)           # nothing changed: no finding is written
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not [u for u in updates if u.startswith("UPDATE finding")]
    with db.session() as s:
        assert set(s.scalars(select(FindingRow.updated_at))) == {datetime(2020, 1, 1)}
        update_student(s, sid(s, HS), {"name": "张俐"})
        run_and_store(s)               # the name-mismatch finding quotes the new name: written
        changed = s.scalars(select(FindingRow).where(FindingRow.code == "NAME_MISMATCH")).one()
        assert "张俐" in changed.message and changed.updated_at > datetime(2020, 1, 1)
        others = s.scalars(select(FindingRow.updated_at).where(FindingRow.student_id == sid(s, PRE)))
        assert set(others) == {datetime(2020, 1, 1)}      # the other student's findings are untouched


def test_accept_needs_reason_and_acceptable_code(db):
    with db.session() as s:
        run_and_store(s)
    with pytest.raises(ValidationError) as err, db.session() as s:
        accept(s, "NAME_MISMATCH", HS, "  ")
    assert "原因" in err.value.message
    with pytest.raises(ValidationError), db.session() as s:
        accept(s, "NO_SUCH_CODE", HS, "x")
    with pytest.raises(ValidationError), db.session() as s:
        accept(s, "ID_INVALID", HS, "x")
    with pytest.raises(ValidationError), db.session() as s:
        accept(s, "AGE_STAGE", HS, "x")  # no such finding for this student


def test_verify_refused_with_open_error_then_allowed(db):
    with db.session() as s:
        update_student(s, sid(s, PRE), {"category": "REGISTERED", "id_number": PRE[:-1] + "0" if PRE[-1] != "0" else PRE[:-1] + "1"})
        run_and_store(s)
        bad = s.scalars(select(Student.id).where(Student.name == "李四")).one()
        with pytest.raises(ValidationError) as err:
            verify_students(s, [bad])
        assert "李四" in err.value.message and "身份证号无效" in err.value.message
        assert s.get(Student, bad).verified is False
        update_student(s, bad, {"id_number": PRE})
        run_and_store(s)
        assert verify_students(s, [bad], actor="clerk") == 1
        assert s.get(Student, bad).verified is True
        # any later edit sends it back to 待核准
        update_student(s, bad, {"grade": "中班"})
        assert s.get(Student, bad).verified is False


def test_warnings_do_not_block_verification(db):
    with db.session() as s:
        run_and_store(s)  # 张丽 has NAME_MISMATCH and ID_GENDER? (male id, 男: no) warnings only
        assert verify_students(s, [sid(s, HS)]) == 1


def test_cli_check_json_and_exit_codes(db, tmp_path, capsys):
    p = str(db.path)
    assert run(["--db", p, "check", "--json"]) == 0  # warnings and info only
    data = json.loads(capsys.readouterr().out)
    codes = {f["code"] for f in data["flags"]}
    assert "NAME_MISMATCH" in codes
    flag = next(f for f in data["flags"] if f["code"] == "NAME_MISMATCH")
    assert set(flag) == {"code", "severity", "id_number", "name", "message", "state"}
    assert flag["id_number"] == HS and flag["state"] == FindingState.OPEN
    assert data["counts"]["error"] == 0 and data["counts"]["warning"] >= 1
    # introduce an error: exit 1
    with db.session() as s:
        update_student(s, sid(s, PRE), {"lodging_fen": None, "category": "OTHER_HARDSHIP"})
        s.add(Student(name="重复", id_number=HS, id_raw=HS, stage="初中"))
    assert run(["--db", p, "check"]) == 1
    out = capsys.readouterr().out
    assert RULES_BY_CODE["DUPLICATE_ID"].title in out and "未处理" in out and HS not in out  # IDs masked
    assert "DUPLICATE_ID" not in out and "NAME_MISMATCH" not in out    # the clerk reads titles, not codes
    assert run(["--db", p, "accept", "NAME_MISMATCH", HS, "--reason", "异体字"]) == 0
    assert run(["--db", p, "verify-student", HS]) == 2   # the duplicate is an open error
    assert "不能核准" in capsys.readouterr().err


def test_import_payments_and_payment_checks(db, tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["XX学校资助发放记录"])
    ws.append(["身份证号", "姓名", "项目", "金额"])
    ws.append([HS, "张丽", "免书本费", 0])
    ws.append([PRE, "李四", "PRESCHOOL", "2000"])
    ws.append([PRE, "李四", "不存在的项目", 1])
    path = tmp_path / "pay.xlsx"
    wb.save(path)
    p = str(db.path)
    assert run(["--db", p, "import", "payments", str(path)]) == 0
    out = capsys.readouterr().out
    assert "已导入发放记录 2 条" in out and "不存在的项目" in out
    assert run(["--db", p, "check", "--json"]) == 1
    flags = {(f["code"], f["name"]) for f in json.loads(capsys.readouterr().out)["flags"]}
    assert ("PAYMENT_MISMATCH", "李四") in flags          # 2000 paid, 2022 due
    assert ("PAYMENT_MISSING", "张丽") in flags           # tuition 1000.00 due, not paid
    missing = [f for f in json.loads(json.dumps(sorted(flags))) if f[0] == "PAYMENT_MISSING"]
    assert len(missing) == 1                              # lodging 0.00: nothing to pay
    assert not any(c == "PAYMENT_UNDUE" for c, _ in flags)


def test_unset_policy_parameter_blocks_verification_of_affected_students(tmp_path):
    d = open_database(tmp_path / "p.sqlite")
    with d.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        people = [{"name": "高中生", "id_number": HS, "id_raw": HS, "stage": "普通高中", "category": "REGISTERED",
                   "tuition_fen": 100000, "textbook_fen": 0, "lodging_fen": 0},
                  {"name": "幼儿", "id_number": PRE, "id_raw": PRE, "stage": "学前教育", "category": "REGISTERED"}]
        apply_plan(s, plan_import(s, "students", [ParsedRow(i, v) for i, v in enumerate(people)], [], FIELDS))
        apply_plan(s, plan_import(s, "roster", [ParsedRow(0, {"name": "高中生", "id_number": HS}),
                                                ParsedRow(1, {"name": "幼儿", "id_number": PRE})], [],
                                  ["name", "id_number"]))
        run_and_store(s)
        ids = {n: i for i, n in s.execute(select(Student.id, Student.name))}
        with pytest.raises(ValidationError) as err:
            verify_students(s, [ids["高中生"]])
        assert "政策参数未设置" in err.value.message
        assert verify_students(s, list(ids.values()), skip_blocked=True) == 1   # only 幼儿
        store.set_policy_value(s, "tuition_standard.普通高中", "1200")
        assert verify_students(s, [ids["高中生"]]) == 1
    d.close()
