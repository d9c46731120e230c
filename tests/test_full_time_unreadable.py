"""A 全日制正式学籍 cell the import cannot read ("待定", "??") (session 22 review).

全日制正式学籍 is the plan's condition for every subsidy item. An unreadable cell was stored as 是 with
only a note on the row: the student got every item on a guess, and nothing stopped verification or
the final package (the other deciding fields are kept as typed and raise VALUE_UNREADABLE as an
error). The column is a Boolean, so the cell's text is kept beside the guess (``full_time_text``):
the checks raise the error until a re-import reads the cell or the clerk chooses 是 or 否.
"""
from __future__ import annotations

from datetime import date

import pytest
from reimport_fixtures import HS, HS2, audit_since, audit_top, school, sheet
from sqlalchemy import select

from core.checks import CheckContext, FindingState, Severity, StudentFacts, run_checks
from core.errors import ValidationError
from core.importers import Table, parse_students
from core.policy import default_policy
from core.seal import SEAL_FIELDS
from db.findings import not_acceptable
from db.models import FindingRow, Student
from db.usecases import accept_code, check, edit_student, verification_plan, verify
from db.workflows import preview_import, run_import

HEADER = ["姓名", "身份证号", "学段", "家庭类别", "实收学费", "是否全日制正式学籍"]
MESSAGE = "全日制正式学籍“待定”无法识别，应填“是”或“否”（也可填“全日制”“非全日制”）；暂按“是”计算"


def row(cell, idn=HS, name="张丽"):
    return [name, idn, "普通高中", "建档立卡", 1000, cell]


def stored(db, idn=HS) -> Student:
    with db.session() as s:
        st = s.scalars(select(Student).where(Student.id_number == idn)).one()
        s.expunge(st)
        return st


def findings(db, state=FindingState.OPEN) -> list[tuple[str, str, str, str]]:
    """(code, severity, field, message) of the stored VALUE_UNREADABLE findings in ``state``."""
    with db.session() as s:
        return [(r.code, r.severity, r.field, r.message) for r in s.scalars(select(FindingRow).where(
            FindingRow.code == "VALUE_UNREADABLE", FindingRow.state == state))]


@pytest.fixture
def unread(db, tmp_path):
    """A school whose list gave 张丽 the 全日制 cell " 待定 " (and 李四 a readable 否), checked."""
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, row(" 待定 "), row("否", HS2, "李四")))
    check(db)
    return db


# -- the parser ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "text"), [(" 待定 ", "待定"), ("??", "??"), ("xx", "xx"), ("\u3000未知", "未知"),
                                            (3, "3")])
def test_an_unreadable_cell_is_the_guess_yes_with_its_text_kept(cell, text):
    parsed = parse_students(Table("m.xlsx", "S", [HEADER, row(cell)]), default_policy())
    (r,) = parsed.rows
    assert r.values["full_time"] is True and r.values["full_time_text"] == text
    assert any(f"的值“{text}”无法识别" in p and "已按“是”处理" in p for p in r.problems)   # the row's note stays


@pytest.mark.parametrize(("cell", "full_time"), [("是", True), ("否", False), ("全日制", True), ("非全日制", False),
                                                 ("", True), (None, True), ("  ", True), (True, True), (False, False)])
def test_a_readable_or_blank_cell_keeps_no_text(cell, full_time):
    parsed = parse_students(Table("m.xlsx", "S", [HEADER, row(cell)]), default_policy())
    (r,) = parsed.rows
    assert (r.values["full_time"], r.values["full_time_text"]) == (full_time, "")
    assert not [p for p in r.problems if "全日制" in p]


def test_a_file_without_the_column_keeps_no_text():
    parsed = parse_students(Table("m.xlsx", "S", [HEADER[:-1], row("待定")[:-1]]), default_policy())
    assert parsed.rows[0].values["full_time_text"] == ""


# -- the check ----------------------------------------------------------------------------------

def _unreadable(**facts) -> list:
    s = StudentFacts(key=1, name="张丽", id_number=HS, id_raw=HS, stage="普通高中", **facts)
    ctx = CheckContext(students=[s], roster=[], policy=default_policy(), school_name="甲校",
                       school_year=2023, today=date(2024, 4, 1))
    return [f for f in run_checks(ctx) if f.code == "VALUE_UNREADABLE"]


def test_the_text_kept_is_an_error_on_full_time_that_cannot_be_accepted():
    (f,) = _unreadable(full_time_text="待定")
    assert (f.severity, f.field, f.part, f.message) == (Severity.ERROR, "full_time", "full_time", MESSAGE)
    assert not_acceptable(f.code, f.severity.value)
    assert _unreadable(full_time_text="") == [] and _unreadable(full_time=False) == []


def test_among_the_other_unreadable_values_in_catalogue_order():
    found = _unreadable(full_time_text="??", ownership="私立", category="特困")
    assert [f.field for f in found] == ["ownership", "full_time", "category"]
    assert {f.severity for f in found} == {Severity.ERROR}


# -- import, check, verification, re-import -----------------------------------------------------

def test_an_unreadable_cell_is_stored_as_yes_with_its_text_and_is_an_open_error(unread):
    st, other = stored(unread), stored(unread, HS2)
    assert (st.full_time, st.full_time_text) == (True, "待定")
    assert "已按“是”处理" in st.import_problems
    assert (other.full_time, other.full_time_text) == (False, "")
    assert findings(unread) == [("VALUE_UNREADABLE", "error", "full_time", MESSAGE)]


def test_the_student_cannot_be_verified_nor_the_finding_accepted(unread):
    sid, other = stored(unread).id, stored(unread, HS2).id
    todo, blocked = verification_plan(unread, [sid, other])
    assert todo == 1 and list(blocked) == [sid] and "信息无法识别" in blocked[sid]
    with pytest.raises(ValidationError, match="不能核准"):
        verify(unread, [sid])
    assert not stored(unread).verified
    with pytest.raises(ValidationError):
        accept_code(unread, "VALUE_UNREADABLE", HS, "家长说是全日制")
    from db.exports import readiness
    with unread.session() as s:       # (the other error: ROSTER_EMPTY, no roster imported)
        assert "还有 2 个未处理的错误" in readiness(s)
    edit_student(unread, sid, {"full_time": True, "full_time_text": ""})
    with unread.session() as s:
        assert "还有 1 个未处理的错误" in readiness(s)


def test_a_reimport_that_reads_the_cell_clears_the_text_and_the_error(unread, tmp_path):
    last = audit_top(unread)
    again = sheet(tmp_path / "v2.xlsx", HEADER, row("是"), row("否", HS2, "李四"))
    preview = preview_import(unread, "students", again)
    assert preview.plan.counts()["updated"] == 1
    assert "      全日制正式学籍（文件中无法识别的写法）：待定 → （空）" in preview.review
    run_import(unread, "students", again)
    st = stored(unread)
    assert (st.full_time, st.full_time_text) == (True, "")
    assert ("student", st.id, "full_time_text", "待定", "") in audit_since(unread, last)
    check(unread)
    assert findings(unread) == [] and findings(unread, FindingState.FIXED)[0][2] == "full_time"
    assert verify(unread, [st.id]).done == 1


def test_a_reimport_reading_no_makes_the_student_part_time(unread, tmp_path):
    run_import(unread, "students", sheet(tmp_path / "v2.xlsx", HEADER, row("非全日制")))
    assert (stored(unread).full_time, stored(unread).full_time_text) == (False, "")


def test_a_blank_cell_keeps_the_text_with_the_guess(unread, tmp_path):
    """A blank cell keeps what is stored (test_reimport_blank_cells): the guess, so its text too."""
    run_import(unread, "students", sheet(tmp_path / "v2.xlsx", HEADER, row(None)))
    assert (stored(unread).full_time, stored(unread).full_time_text) == (True, "待定")
    check(unread)
    assert len(findings(unread)) == 1


def test_a_cell_unreadable_on_reimport_sends_a_verified_student_back(db, tmp_path):
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, row("是")))
    sid = stored(db).id
    assert verify(db, [sid]).done == 1
    report = run_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER, row("待定")))
    assert report.counts["updated"] == 1
    st = stored(db)
    assert (st.full_time, st.full_time_text, st.verified, st.seal) == (True, "待定", False, None)


# -- the write path of the student form --------------------------------------------------------

@pytest.mark.parametrize("full_time", [True, False])
def test_an_edit_choosing_yes_or_no_clears_the_text_and_the_error(unread, full_time):
    """The form passes full_time_text "" once the clerk has picked (gui/students/form.py); a write of
    全日制 itself is a choice too, whoever makes it (db.students.update_student)."""
    sid = stored(unread).id
    last = audit_top(unread)
    values = {"full_time_text": ""} if full_time else {"full_time": False}
    diff = edit_student(unread, sid, values).diff
    assert diff["full_time_text"] == ("待定", "")
    assert (stored(unread).full_time, stored(unread).full_time_text) == (full_time, "")
    assert ("student", sid, "full_time_text", "待定", "") in audit_since(unread, last)
    assert findings(unread) == []          # re-checked at once
    assert verify(unread, [sid]).done == 1


def test_an_edit_of_another_field_keeps_the_text(unread):
    sid = stored(unread).id
    edit_student(unread, sid, {"tuition_fen": 90000})
    assert stored(unread).full_time_text == "待定" and len(findings(unread)) == 1


def test_undoing_the_edit_writes_the_text_back_and_the_error_returns(unread):
    """What the form's undo does (gui/students/undo.py: the diff's old values through edit_student)."""
    sid = stored(unread).id
    diff = edit_student(unread, sid, {"full_time": False}).diff
    edit_student(unread, sid, {f: old for f, (old, _new) in diff.items() if f != "verified"})
    assert (stored(unread).full_time, stored(unread).full_time_text) == (True, "待定")
    assert findings(unread) == [("VALUE_UNREADABLE", "error", "full_time", MESSAGE)]
    edit_student(unread, sid, {f: new for f, (_old, new) in diff.items() if f != "verified"})    # redo
    assert (stored(unread).full_time, stored(unread).full_time_text) == (False, "") and findings(unread) == []


# -- what it is not -----------------------------------------------------------------------------

def test_the_text_is_no_sealed_nor_exported_data(unread):
    """A note on how the cell was read, not data: no export prints it (the exports' goldens stay as
    they were: test_exports_unchanged.py) and no seal covers it (every seal made before 0013 holds)."""
    from core.engine import Calculator
    from core.fields import EXPORT_FIELDS, LETTER_FIELDS, LIST_FIELDS
    from db import store
    from db.exports import gather
    from db.seals import seal_student
    assert "full_time_text" not in {*SEAL_FIELDS, *EXPORT_FIELDS, *LIST_FIELDS, *LETTER_FIELDS}
    st = stored(unread)
    assert st.full_time_text == "待定"
    with unread.session() as s:
        info = gather(s, draft=True).students[0]
        calc = Calculator(store.get_policy(s))
    assert info.name == "张丽" and not hasattr(info, "full_time_text")
    seal = seal_student(st, calc)
    st.full_time_text = ""
    assert seal_student(st, calc) == seal


def test_the_finding_detail_shows_the_text_not_the_guess(unread):
    from db.finding_detail import finding_detail
    with unread.session() as s:
        fid = s.scalar(select(FindingRow.id).where(FindingRow.code == "VALUE_UNREADABLE"))
    detail = finding_detail(unread, fid)
    assert detail is not None and detail.field_label == "全日制正式学籍"
    assert ("全日制正式学籍", "“待定”无法识别（暂按“是”计算）") in detail.student
