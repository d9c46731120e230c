"""A letter records what it told (core.told); a result changed afterwards asks for a second letter
(NOTIFIED_CHANGED), and the second print records it (migration 0011)."""
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import two_student_school
from sqlalchemy import select

from cli.commands import run
from core.engine import ItemDecision, Status
from core.idnumber import make_id
from core.told import told_key, told_total
from db.exports import mark_letters_printed
from db.models import AuditEntry, Student
from db.session import open_database
from db.usecases import edit_student
from db.views import snapshot

HS = make_id("110101", date(2008, 5, 1), 123)
PRE = make_id("110101", date(2019, 3, 1), 124)
DATA = Path(__file__).parent / "data"


def _d(code, fen=0, status=Status.GRANTED, name="项"):
    return ItemDecision(code, name, status, fen)


def test_the_key_is_the_money_told_not_the_order_or_the_names():
    a = told_key([_d("B", 200), _d("A", 100)], [_d("C", status=Status.PENDING)])
    assert a == told_key([_d("A", 100, name="改名"), _d("B", 200)], [_d("C", status=Status.PENDING)])
    assert told_total(a) == 300
    assert a != told_key([_d("A", 100), _d("B", 201)], [_d("C", status=Status.PENDING)])     # an amount
    assert a != told_key([_d("A", 100), _d("B", 200)], [])                                   # a pending item settled
    assert a != told_key([_d("A", 200), _d("B", 100)], [_d("C", status=Status.PENDING)])     # the same total
    assert told_total("garbled") is None


def _flags(db, capsys, code):
    capsys.readouterr()
    run(["--db", db, "check", "--json"])
    return [f for f in json.loads(capsys.readouterr().out)["flags"] if f["code"] == code]


def _total(path, capsys):
    """张丽's total (fen) as `compute --json` gives it."""
    capsys.readouterr()
    assert run(["--db", str(path), "compute", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    mine = [s for s in out["students"] if s["name"] == "张丽"]
    return int(mine[0]["total"].replace(".", ""))      # "1200.00" (text: money is exact)


def _student(path, number):
    d = open_database(path)
    try:
        with d.session() as s:
            st = s.scalars(select(Student).where(Student.id_number == number)).one()
            return st.id, st.notified_at, st.notified_told, st.receipt_at
    finally:
        d.close()


@pytest.fixture
def told(tmp_path, capsys):
    """张丽 verified and her letter printed (the CLI's --mark-printed)."""
    path = two_student_school(tmp_path / "t.sqlite")
    db = str(path)
    for number in (HS, PRE):
        assert run(["--db", db, "verify-student", number]) == 0
    assert run(["--db", db, "letters", str(tmp_path / "l.pdf"), "--student", HS, "--mark-printed"]) == 0
    assert "已记录 1 名学生" in capsys.readouterr().out
    return path


def test_a_printed_letter_records_what_it_told(told, capsys):
    _sid, at, key, _receipt = _student(told, HS)
    assert at is not None and key is not None
    assert told_total(key) == _total(told, capsys) == 120000      # 张丽: 1000 tuition, 200 textbooks
    assert _flags(str(told), capsys, "NOTIFIED_CHANGED") == []


def test_a_changed_amount_asks_for_a_second_letter_which_records_it(told, tmp_path, capsys):
    db = str(told)
    sid, at, _key, _ = _student(told, HS)
    d = open_database(told)
    try:
        from db.usecases import record_receipts
        record_receipts(d, [sid], True)
        edit_student(d, sid, {"textbook_fen": 10000})      # 200 → 100 yuan of textbooks
    finally:
        d.close()
    flags = _flags(db, capsys, "NOTIFIED_CHANGED")
    assert [f["name"] for f in flags] == ["张丽"]
    assert "告知书写的是 1200.00 元" in flags[0]["message"] and "现在应享受 1100.00 元" in flags[0]["message"]
    assert "张丽" not in {f["name"] for f in _flags(db, capsys, "NOT_NOTIFIED")}     # (told: the other rule)
    assert run(["--db", db, "verify-student", HS]) == 0
    assert run(["--db", db, "letters", str(tmp_path / "l2.pdf"), "--student", HS, "--mark-printed"]) == 0
    assert "已记录 1 名学生" in capsys.readouterr().out
    from pdftext import pdf_text  # the second letter says it replaces the first
    second = "".join(pdf_text(tmp_path / "l2.pdf").split())
    assert f"本告知书更正{at.year}年{at.month}月{at.day}日发出的资助结果告知书" in second and "原告知书作废" in second
    assert "更正" not in pdf_text(tmp_path / "l.pdf")
    _sid, at2, key2, receipt2 = _student(told, HS)
    assert at2 >= at and told_total(key2) == _total(told, capsys) == 110000
    assert receipt2 is None          # the first letter's receipt does not stand for the second
    assert _flags(db, capsys, "NOTIFIED_CHANGED") == []
    d = open_database(told)
    try:
        with d.session() as s:
            names = [e.field for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "student",
                                                                         AuditEntry.entity_id == sid))]
        assert {"notified_at", "notified_told", "receipt_at"} <= set(names)
    finally:
        d.close()
    # printed again unchanged: nothing more recorded
    assert run(["--db", db, "letters", str(tmp_path / "l3.pdf"), "--student", HS, "--mark-printed"]) == 0
    assert "已记录 0 名学生的告知书为已打印；另有 1 名此前已记录，告知内容相同" in capsys.readouterr().out
    assert "更正" not in pdf_text(tmp_path / "l3.pdf")        # the same result again: no correction


def test_a_family_that_lost_its_subsidy_is_listed_for_a_second_letter(told, capsys):
    sid, *_ = _student(told, HS)
    d = open_database(told)
    try:
        edit_student(d, sid, {"category": "NONE"})
        letters = snapshot(d).letters
        rows = [letters.row(i) for i in range(len(letters))]
        mine = [r for r in rows if r.id == sid]
        assert len(mine) == 1 and not mine[0].printed and mine[0].total_fen == 0
    finally:
        d.close()
    flags = _flags(str(told), capsys, "NOTIFIED_CHANGED")
    assert len(flags) == 1 and "现在已不享受资助" in flags[0]["message"]


def test_mark_printed_with_what_the_letters_told(told):
    sid, _at, _key, _ = _student(told, HS)
    d = open_database(told)
    try:
        with d.session() as s:
            assert mark_letters_printed(s, [sid]) == 0                   # the same as recorded
            assert mark_letters_printed(s, [sid], told={sid: "5:abc"}) == 1
        assert _student(told, HS)[2] == "5:abc"
    finally:
        d.close()


def test_a_letter_printed_before_0011_is_kept_and_not_compared(tmp_path, capsys):
    target = tmp_path / "old10.sqlite"
    shutil.copy(DATA / "schema-0010.sqlite", target)
    d = open_database(target)          # migrates to the head
    try:
        with d.session() as s:
            st = s.scalars(select(Student).where(Student.name == "王一")).one()
            sid, at = st.id, st.notified_at
            assert at is not None and st.notified_told is None
        edit_student(d, sid, {"tuition_fen": 60000})
    finally:
        d.close()
    assert _flags(str(target), capsys, "NOTIFIED_CHANGED") == []     # its content is not known
    d = open_database(target)
    try:
        with d.session() as s:
            assert mark_letters_printed(s, [sid]) == 1                   # a second print records it
            st = s.get(Student, sid)
            assert st.notified_told is not None and st.notified_at >= at
    finally:
        d.close()


def test_a_letter_printed_before_0011_keeps_its_receipt_when_printed_again(tmp_path):
    """Its content is not known, so nothing says the family was told something else: the receipt the
    clerk recorded stands."""
    from db.usecases import record_receipts
    target = tmp_path / "old10.sqlite"
    shutil.copy(DATA / "schema-0010.sqlite", target)
    d = open_database(target)
    try:
        with d.session() as s:
            sid = s.scalars(select(Student.id).where(Student.name == "王一")).one()
        record_receipts(d, [sid], True)
        with d.session() as s:
            assert mark_letters_printed(s, [sid]) == 1
            st = s.get(Student, sid)
            assert st.notified_told is not None and st.receipt_at is not None
    finally:
        d.close()


def test_a_change_accepted_as_told_otherwise_needs_no_second_letter(told, capsys):
    from db.usecases import accept_code
    sid, *_ = _student(told, HS)
    d = open_database(told)
    try:
        edit_student(d, sid, {"textbook_fen": 10000})
        shot = snapshot(d)
        assert [shot.letters.row(i).printed for i in range(len(shot.letters))
                if shot.letters.row(i).id == sid] == [False]
        assert "已打印 0 / 2" in next(st for st in shot.summary.steps if st.key == "letters").detail
        assert accept_code(d, "NOTIFIED_CHANGED", HS, "已电话告知家长新金额").count == 1
        shot = snapshot(d)
        assert [shot.letters.row(i).printed for i in range(len(shot.letters))
                if shot.letters.row(i).id == sid] == [True]
        step = next(st for st in shot.summary.steps if st.key == "letters")
        assert "已打印 1 / 2" in step.detail          # (李四's letter is not printed)
    finally:
        d.close()


def test_thousands_of_letters_are_recorded_within_sqlites_variable_limit(tmp_path):
    """Windows' Python ships SQLite binding at most 32,766 variables a statement (older 999): the
    students are read and written a few hundred at a time."""
    import sqlite3

    from db.usecases import record_receipts
    d = open_database(two_student_school(tmp_path / "t.sqlite"))
    try:
        with d.session() as s:
            ids = list(s.scalars(select(Student.id)))
            raw = s.connection().connection.dbapi_connection
            raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
            keys = ids + list(range(10_000, 12_000))        # (ids of no one: nothing recorded for them)
            assert mark_letters_printed(s, keys, told={k: "1:a" for k in keys}) == 2
            assert mark_letters_printed(s, keys, told={k: "2:b" for k in keys}) == 2
        assert record_receipts(d, ids + list(range(10_000, 12_000)), True).count == 2
    finally:
        d.close()
