"""Every blocked state has a way out: 移出名单 / 移回名单, 取消核准, 撤销接受 (db use cases,
CLI), the migration that adds the removal columns, and removed students left out of
checks, counts, compute and exports."""
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from cli.commands import run
from core.checks import FindingState
from core.errors import ValidationError
from core.idnumber import make_id
from core.records import ParsedRow
from db import store
from db.audit import audit_chain_status
from db.compute import compute_store
from db.exports import gather, readiness
from db.findings import (
    accept,
    build_context,
    revoke_accept,
    run_and_store,
    unverify_student_ids,
    verify_students,
)
from db.importing import apply_plan, plan_import
from db.migrate import current_revision, head_revision
from db.models import AuditEntry, FindingRow, Student
from db.official import set_official
from db.session import open_database
from db.students import remove_student, restore_student
from db.workflows import counts

DATA = Path(__file__).parent / "data"
HS = make_id("110101", date(2008, 5, 1), 123)
HS2 = make_id("110101", date(2008, 6, 1), 125)
FIELDS = ["name", "id_number", "stage", "category", "tuition", "textbook", "lodging"]


def stu(name, number, **kw):
    return {"name": name, "id_number": number, "id_raw": number, "stage": "普通高中", "category": "REGISTERED",
            "tuition_fen": 0, "textbook_fen": 0, "lodging_fen": 0, **kw}


@pytest.fixture
def wdb(tmp_path):
    d = open_database(tmp_path / "w.sqlite")
    with d.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        set_official(s, "county", "建始县", actor="t")     # final documents need the county's name
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="t")
        rows = [stu("张丽", HS), stu("王五", HS2), stu("", "审核人:")]
        apply_plan(s, plan_import(s, "students", [ParsedRow(i + 2, v) for i, v in enumerate(rows)], [], FIELDS))
        roster = [{"name": "张莉", "id_number": HS, "id_raw": HS}, {"name": "王五", "id_number": HS2, "id_raw": HS2}]
        apply_plan(s, plan_import(s, "roster", [ParsedRow(i + 2, v) for i, v in enumerate(roster)], [],
                                  ["name", "id_number"]))
        run_and_store(s, actor="t")
    yield d
    d.close()


def ids(s):
    return {st.name or "footer": st.id for st in s.scalars(select(Student))}


def open_codes(s, name):
    return {r.code for r in s.scalars(select(FindingRow).where(FindingRow.name == name,
                                                                FindingRow.state == FindingState.OPEN))}


def test_removing_the_footer_student_unblocks_and_restoring_brings_it_back_as_it_was(wdb):
    with wdb.session() as s:
        footer = ids(s)["footer"]
        assert "ID_INVALID" in open_codes(s, "")
        assert any("未处理的错误" in r for r in readiness(s))
        with pytest.raises(ValidationError, match="必须写明原因") as exc:
            remove_student(s, footer, "   ")
        assert "例如" in exc.value.hint
        assert s.get(Student, footer).removed_at is None
    with wdb.session() as s:
        remove_student(s, footer, "表尾的签名行被误导入", actor="clerk")
    with wdb.session() as s:
        st = s.get(Student, footer)
        assert st.removed_at is not None and st.removed_reason == "表尾的签名行被误导入"
        assert not open_codes(s, "")                       # its findings are closed at once
        assert counts(wdb)["students"] == 2
        assert {r.student.name for r in compute_store(s)[0]} == {"张丽", "王五"}
        assert {x.name for x in gather(s).students} == {"张丽", "王五"}
        assert footer not in {f.key for f in build_context(s).students}
        logged = s.scalars(select(AuditEntry).where(AuditEntry.entity == "student", AuditEntry.entity_id == footer,
                                                    AuditEntry.field == "removed_reason")).all()
        assert [(e.actor, e.new) for e in logged] == [("clerk", "表尾的签名行被误导入")]
        with pytest.raises(ValidationError, match="已经移出名单"):
            remove_student(s, footer, "again")
        with pytest.raises(ValidationError, match="已移出名单"):
            verify_students(s, [footer])
        # verify the rest, accept the name finding: the final export is no longer blocked by the footer row
        accept(s, "NAME_MISMATCH", HS, "户口簿上即为此异体字")
        verify_students(s, [ids(s)["张丽"], ids(s)["王五"]])
        assert readiness(s) == []
    with wdb.session() as s:
        restore_student(s, footer, actor="clerk")
        assert "ID_INVALID" in open_codes(s, "")
        with pytest.raises(ValidationError, match="没有被移出"):
            restore_student(s, footer)
        assert audit_chain_status(s).intact
    assert counts(wdb)["students"] == 3


def test_an_acceptance_survives_remove_and_restore(wdb):
    with wdb.session() as s:
        accept(s, "NAME_MISMATCH", HS, "异体字")
        zl = ids(s)["张丽"]
        remove_student(s, zl, "重复录入")
        assert s.scalars(select(FindingRow.state).where(FindingRow.code == "NAME_MISMATCH")).one() == FindingState.FIXED
        restore_student(s, zl)
        row = s.scalars(select(FindingRow).where(FindingRow.code == "NAME_MISMATCH")).one()
        assert (row.state, row.reason) == (FindingState.ACCEPTED, "异体字")


def test_unverify_and_revoke_accept_are_audited_and_refuse_what_is_not_so(wdb):
    with wdb.session() as s:
        ww = ids(s)["王五"]
        with pytest.raises(ValidationError, match="不是已核准"):
            unverify_student_ids(s, [ww])
        verify_students(s, [ww])
        assert unverify_student_ids(s, [ww], actor="clerk") == 1
        st = s.get(Student, ww)
        assert (st.verified, st.seal) == (False, None)
        assert s.scalars(select(AuditEntry.new).where(AuditEntry.entity_id == ww, AuditEntry.field == "note",
                                                      AuditEntry.actor == "clerk")).all() == ["取消核准"]
        with pytest.raises(ValidationError, match="没有已接受的"):
            revoke_accept(s, "NAME_MISMATCH", HS)
        accept(s, "NAME_MISMATCH", HS, "异体字")
        assert revoke_accept(s, "name_mismatch", HS, actor="clerk") == 1
        row = s.scalars(select(FindingRow).where(FindingRow.code == "NAME_MISMATCH")).one()
        assert (row.state, row.reason) == (FindingState.OPEN, "")
        e = s.scalars(select(AuditEntry).where(AuditEntry.entity == "finding", AuditEntry.entity_id == row.id,
                                               AuditEntry.field == "reason").order_by(AuditEntry.id)).all()[-1]
        assert (e.actor, e.old, e.new) == ("clerk", "异体字", "")
        # a revoked finding stays open on the next check (it is not silently re-accepted)
        run_and_store(s)
        assert s.scalars(select(FindingRow.state).where(FindingRow.code == "NAME_MISMATCH")).one() == FindingState.OPEN


def test_cli_remove_restore_unverify_revoke(tmp_path, capsys):
    p = str(tmp_path / "c.sqlite")
    assert run(["--db", p, "init", "--school", "一中", "--code", "1", "--school-year", "2023"]) == 0
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "学段", "家庭类别", "实收学费", "实收书本费", "实收住宿费"])
    ws.append(["张丽", HS, "高中", "建档立卡", 0, 0, 0])
    ws.append(["制表人：张老师", "审核人:", "", "", "", "", ""])   # a footer: skipped by the importer
    wb.save(tmp_path / "s.xlsx")
    assert run(["--db", p, "import", "students", str(tmp_path / "s.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "签名或说明行" in out
    d = open_database(Path(p))
    with d.session() as s:
        assert [st.name for st in s.scalars(select(Student))] == ["张丽"]
    d.close()
    assert run(["--db", p, "remove-student", HS, "--reason", "  "]) == 2
    assert "必须写明原因" in capsys.readouterr().err
    assert run(["--db", p, "remove-student", HS, "--reason", "已转学"]) == 0
    assert "移出名单" in capsys.readouterr().out
    assert run(["--db", p, "remove-student", HS, "--reason", "已转学"]) == 2
    assert "已经移出名单" in capsys.readouterr().err
    assert run(["--db", p, "restore-student", HS]) == 0
    assert "移回名单" in capsys.readouterr().out
    assert run(["--db", p, "unverify-student", HS]) == 2
    assert "不是已核准" in capsys.readouterr().err
    assert run(["--db", p, "policy", "set", "tuition_standard.普通高中", "1200"]) == 0
    run(["--db", p, "check"])
    assert run(["--db", p, "verify-student", HS]) == 0
    assert run(["--db", p, "unverify-student", HS]) == 0
    assert "已取消核准 1 名" in capsys.readouterr().out
    assert run(["--db", p, "revoke-accept", "NOT_ON_ROSTER", HS]) == 2
    assert "没有已接受的" in capsys.readouterr().err


def test_frozen_v0003_database_migrates_with_every_student_on_the_list(tmp_path):
    """0004 adds removed_at/removed_reason: every student stays on the list, nothing is
    audited, the chain and the seals of 0003 still hold (no tampering finding)."""
    target = tmp_path / "old3.sqlite"
    shutil.copy(DATA / "schema-0003.sqlite", target)
    con = sqlite3.connect(target)
    assert con.execute("select version_num from alembic_version").fetchone()[0] == "0003"
    entries = con.execute("select count(*) from audit_log").fetchone()[0]
    con.close()
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            students = {st.name: st for st in s.scalars(select(Student))}
            assert set(students) == {"王一", "李二", ""}
            assert all(st.removed_at is None and st.removed_reason == "" for st in students.values())
            assert students["王一"].verified and students["王一"].seal
            status = audit_chain_status(s)
            assert status.intact and status.entries == entries
            codes = {f.code for f in run_and_store(s).findings}
            assert "TAMPERED_AFTER_VERIFY" not in codes and "AUDIT_CHAIN_BROKEN" not in codes
            remove_student(s, students[""].id, "表尾的签名行被误导入")
            opened = s.scalars(select(FindingRow).where(FindingRow.state == FindingState.OPEN))
            assert "ID_INVALID" not in {r.code for r in opened}
            assert audit_chain_status(s).intact
    finally:
        d.close()


def test_a_removed_student_in_a_reimported_file_is_updated_and_stays_removed(wdb):
    with wdb.session() as s:
        ww = ids(s)["王五"]
        remove_student(s, ww, "已转学")
    with wdb.session() as s:
        plan = plan_import(s, "students", [ParsedRow(2, stu("王五", HS2, grade="高二"))], [], [*FIELDS, "grade"])
        apply_plan(s, plan)
    with wdb.session() as s:
        same = s.scalars(select(Student).where(Student.id_number == HS2)).all()
        assert [(st.id, st.grade, st.removed_reason) for st in same] == [(ww, "高二", "已转学")]
