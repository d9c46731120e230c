"""The fast paths of the imports and the check (issue 13) give what the plain paths gave.

Each one was added for speed at county size; these tests hold its result to the rule it
shortcuts: the per-column memo of cell parsers, the ID fast path, the lazy raw cells, the
tuples written through one executemany (db.bulk) with the indexes built afterwards, the
check's facts built without the frozen dataclass's __init__, the audit chain read at once.
"""
from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime

import pytest
from sqlalchemy import select, text

from core.checks import RosterFacts, StudentFacts
from core.idnumber import make_id
from core.importers import Table, parse_roster, parse_students
from core.importers.common import IdChecker
from core.policy import default_policy
from core.records import ParsedRow

ID1 = make_id("422822", date(2008, 3, 4), 11)
ID2 = make_id("422822", date(2009, 5, 6), 22)
ID3 = make_id("422822", date(2010, 7, 8), 33)


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def _students(rows, policy):
    return parse_students(Table("mem.xlsx", "S", rows), policy)


def test_memo_keeps_cells_of_other_types_apart(policy):
    """True == 1 == 1.0 in Python: the column memo must not give the bool the number's answer,
    nor the number cell 38500 the text's."""
    rows = [["姓名", "身份证号", "学段", "实收学费", "出生日期"],
            ["甲", ID1, "高中", 1, "38500"],
            ["乙", ID2, "高中", True, 38500],
            ["丙", ID3, "高中", 1.0, "38500"]]
    got = {r.values["name"]: r for r in _students(rows, policy).rows}
    assert (got["甲"].values["tuition_fen"], got["甲"].problems) == (100, [])
    assert got["乙"].values["tuition_fen"] is None
    assert any("实收学费（D列）" in p and "不是数字" in p for p in got["乙"].problems)
    assert any("日期序号" in p for p in got["乙"].problems)      # the number 38500, not the text
    assert (got["丙"].values["tuition_fen"], got["丙"].problems) == (100, [])


def test_the_same_bad_value_is_named_in_each_row(policy):
    rows = [["姓名", "身份证号", "学段", "学校性质"],
            ["甲", ID1, "高中", "私立"], ["乙", ID2, "高中", "私立"], ["丙", ID3, "高中", "公办"]]
    got = {r.values["name"]: r for r in _students(rows, policy).rows}
    for name in ("甲", "乙"):
        assert got[name].values["ownership"] == "私立"
        assert got[name].problems == ["学校性质（D列）的值“私立”无法识别，应填“公办”或“民办”"]
    assert got["丙"].problems == [] and got["丙"].values["ownership"] == "公办"


LONG_CELLS = ["G422822200803040011", "  6228480000000000001\u3000", "4.11521E+17", "4.11521e+17", "1e5", "E12",
              "edu-42", "", "\u3000", 4.11521e17, 6228480000000000000, 12345, 1.5, True, None]


def test_long_number_text_shortcut_gives_what_the_parser_gives(policy):
    """学籍号 and 银行卡号 (every value differs, no memo): a text cell without an exponent is taken as its
    text without calling the column's parser; every other cell still goes through it."""
    rows = [["姓名", "身份证号", "学段", "学籍号", "银行卡号"]]
    ids = [make_id("422822", date(2008, 3, 4), n) for n in range(1, len(LONG_CELLS) + 1)]
    rows += [[f"学生{i}", ids[i], "高中", cell, cell] for i, cell in enumerate(LONG_CELLS)]
    result = _students(rows, policy)
    from core.importers.students import _StudentParser
    parser = _StudentParser(result, policy, Table("mem.xlsx", "S", rows))
    for row, cell in zip(result.rows, LONG_CELLS, strict=True):
        expected = [parser.long_number(f)(cell) for f in ("student_no", "bank_card")]
        assert [row.values["student_no"], row.values["bank_card"]] == [v for v, _p in expected]
        assert row.problems == [p for _v, found in expected for p in found]
    assert sum(bool(r.problems) for r in result.rows) >= 3       # the lost digits are still named


def test_long_number_parser_is_not_called_for_plain_text(policy, monkeypatch):
    from core.importers import students
    calls = []
    real = students._StudentParser.long_number

    def counting(self, fld):
        parse = real(self, fld)
        return lambda cell: calls.append(cell) or parse(cell)
    monkeypatch.setattr(students._StudentParser, "long_number", counting)
    rows = [["姓名", "身份证号", "学段", "学籍号", "银行卡号"],
            ["甲", ID1, "高中", "G1234", "6228480000000000001"], ["乙", ID2, "高中", "4.1E+17", 12]]
    got = _students(rows, policy).rows
    assert calls == ["4.1E+17", 12]
    assert got[0].values["bank_card"] == "6228480000000000001" and got[1].values["bank_card"] == "12"


def test_raw_cells_are_kept_for_the_rows_written_back(policy):
    rows = [["姓名", "身份证号", "学段", "实收学费"],
            ["甲", ID1, "高中", 1200],
            ["乙", ID2, "大班", 1200.5],
            ["合计", "", "", 2400.5]]
    result = _students(rows, policy)
    clean, flagged = result.rows
    assert clean.problems == [] and clean.raw == []
    assert flagged.raw == ["乙", ID2, "大班", "1200.5"]
    assert result.skipped[0].raw == ["合计", "", "", "2400.5"]
    roster = parse_roster(Table("r.xlsx", "R", [["姓名", "证件号码", "就读学校"],
                                                 ["甲", ID1, "一中"], ["", ID2, 7]]))
    assert roster.rows[0].raw == [] and roster.rows[1].raw == ["", ID2, "7"]
    assert roster.rows[1].values["school_name"] == "7" and roster.rows[1].problems


IDX = next(n for n in (make_id("422822", date(2008, 3, 4), q) for q in range(1, 999)) if n.endswith("X"))


@pytest.mark.parametrize("cell, expected", [
    (ID1, (ID1, ID1, False, "")),
    (IDX, (IDX, IDX, False, "")),
    (IDX[:-1] + "x", (IDX, IDX[:-1] + "x", False, "")),                    # normalised by the full path
    ("４２２８２２" + ID1[6:], (ID1, "４２２８２２" + ID1[6:], False, "")),   # full-width digits
    (f" {ID1} ", (ID1, f" {ID1} ", False, "")),
])
def test_id_fast_path_gives_what_the_full_path_gives(cell, expected):
    assert IdChecker(date(2026, 12, 1))(cell) == expected


@pytest.mark.parametrize("number, words", [
    (make_id("422822", date(2030, 1, 1), 11), "今天之后"),
    ("422822" + "18990101" + "111" + "0", "出生年份"),
    ("422822" + "20080230" + "111" + "0", "不是有效的日期"),
    (ID1[:-1] + str((int(ID1[-1]) + 1) % 10 if ID1[-1] != "X" else 0), "校验位"),
])
def test_id_fast_path_refuses_what_the_rules_refuse(number, words):
    got = IdChecker(date(2026, 12, 1))(number)
    assert got[3] and words in got[3]


def _plan_rows(n: int, start: int = 0) -> list[ParsedRow]:
    return [ParsedRow(i + 2, {"name": f"人{i}", "id_number": f"4228221990{i:08d}", "school_name": "一中"})
            for i in range(start, start + n)]


def _indexes(session, table: str) -> set[str]:
    return set(session.scalars(text(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"), {"t": table}))


def test_a_big_import_keeps_its_indexes_and_a_failed_one_changes_nothing(db, monkeypatch):
    from db import importing
    from db.bulk import BIG_INSERT
    from db.models import RosterPerson
    with db.session() as s:
        before = _indexes(s, "roster_person")
    assert before == {"ix_roster_person_id_number"}
    with db.write_session() as s:
        importing.apply_plan(s, importing.plan_import(s, "roster", _plan_rows(BIG_INSERT), [], {"name", "id_number"}))
    with db.session() as s:
        assert _indexes(s, "roster_person") == before
        ids = list(s.scalars(select(RosterPerson.id).order_by(RosterPerson.id)))
        assert ids == list(range(1, BIG_INSERT + 1))
        assert s.scalar(text("PRAGMA integrity_check")) == "ok"

    def fail(*_a, **_k):
        raise RuntimeError("disk gone")
    monkeypatch.setattr(importing, "_record_roster_size", fail)
    with pytest.raises(RuntimeError), db.write_session() as s:
        importing.apply_plan(s, importing.plan_import(s, "roster", _plan_rows(BIG_INSERT, BIG_INSERT), [],
                                                      {"name", "id_number"}))
    with db.session() as s:
        assert _indexes(s, "roster_person") == before
        assert s.scalar(text("SELECT count(*) FROM roster_person")) == BIG_INSERT


def test_imported_students_are_stored_as_the_orm_stored_them(db, tmp_path):
    from conftest import xlsx

    from db import store
    from db.audit import audit_chain_status
    from db.models import AuditEntry, Student
    from db.workflows import run_import
    with db.session() as s:
        store.init_school(s, "一中", "4228220001", 2023, actor="t")
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段"], ["张三", ID1, "高中"], ["李四", ID2, "大班"])
    run_import(db, "students", path, actor="t")
    with db.session() as s:
        st = list(s.scalars(select(Student).order_by(Student.id)))
        assert [x.name for x in st] == ["张三", "李四"] and st[1].id == st[0].id + 1
        a = st[0]
        assert isinstance(a.created_at, datetime) and a.created_at == a.updated_at
        assert (a.verified, a.seal, a.removed_at, a.removed_reason, a.notified_at) == (False, None, None, "", None)
        assert (a.name_initials, a.import_problems, a.full_time, a.has_loan) == ("zs", "", True, False)
        assert "学段（C列）的值“大班”无法识别" in st[1].import_problems
        logged = list(s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "student")))
        assert logged == [f'导入新增 2 名学生（编号 {st[0].id}–{st[1].id}）：[[{st[0].id},"张三"],[{st[1].id},"李四"]]']
        assert audit_chain_status(s).intact


def test_a_broken_chain_still_counts_every_entry_and_names_the_head(demo_db):
    from db.audit import audit_chain_status
    with demo_db.session() as s:
        whole = audit_chain_status(s)
        rows = s.execute(text("SELECT id, hash FROM audit_log ORDER BY id")).all()
        middle = rows[len(rows) // 2][0]
        s.execute(text("DROP TRIGGER audit_log_no_update"))
        s.execute(text("UPDATE audit_log SET new = 'x' WHERE id = :i"), {"i": middle})
        broken = audit_chain_status(s)
        s.rollback()
    assert whole.intact and whole.entries == len(rows) and whole.head == rows[-1][1]
    assert (broken.intact, broken.first_broken_id, broken.entries, broken.head) == \
        (False, middle, len(rows), rows[-1][1])


def test_check_facts_are_what_the_dataclasses_build(demo_db):
    from db.findings import build_context
    with demo_db.session() as s:
        ctx = build_context(s)
    assert ctx.students and ctx.roster
    for f in ctx.students:
        assert type(f) is StudentFacts and list(vars(f)) == [x.name for x in fields(StudentFacts)]
        assert f == StudentFacts(**vars(f)) and hash(f) == hash(StudentFacts(**vars(f)))
    for r in ctx.roster:
        assert type(r) is RosterFacts and r == RosterFacts(**r._asdict())
        assert all(type(v) is (int if k == "key" else str) for k, v in r._asdict().items())


def test_a_first_import_adds_every_row_without_matching(db, monkeypatch):
    """Into an empty table every row is added, in the file's order, without a match key; a
    second import of the same rows matches them all."""
    from db import importing
    rows = _plan_rows(50)
    monkeypatch.setattr(importing, "match_key", lambda _v: 1 / 0)
    with db.write_session() as s:
        plan = importing.plan_import(s, "roster", rows, [], {"name", "id_number"}, replace=True)
        assert plan.added == rows and plan.counts()["added"] == 50
        assert (plan.updated, plan.unchanged, plan.removed, plan.size_before) == ([], [], [], 0)
        importing.apply_plan(s, plan)
    monkeypatch.undo()
    with db.write_session() as s:
        again = importing.plan_import(s, "roster", rows, [], {"name", "id_number"})
        assert (len(again.added), len(again.unchanged)) == (0, 50)


@pytest.mark.parametrize("parse", ["students", "roster"])
def test_the_parsed_table_is_freed_when_dropped_without_a_collection(policy, parse):
    """The parser keeps no cycle holding the file's table: once the caller drops the table it is
    freed by reference counting, not left for the garbage collector (which walked it all: 0.2 s
    after a county import, and its memory until then)."""
    import gc
    import weakref
    ids = [make_id("422822", date(2008, 1 + i % 12, 1 + i % 28), i + 1) for i in range(20)]
    header = ["姓名", "身份证号", "学段"] if parse == "students" else ["姓名", "身份证号", "就读学校"]
    rows = [[f"学生{i}", n, "普通高中" if parse == "students" else "一中"] for i, n in enumerate(ids)]
    table = Table("t.xlsx", "Sheet1", [header, *rows])
    gone = weakref.ref(table)
    gc.disable()
    try:
        result = parse_students(table, policy) if parse == "students" else parse_roster(table)
        del table, rows
        assert len(result.rows) == 20
        assert gone() is None
    finally:
        gc.enable()
