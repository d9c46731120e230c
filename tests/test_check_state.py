"""The change marker (db/check_state.py, migration 0009): an export reuses the stored findings
only while nothing the checks read changed — whoever changed it, the program or a tool from
outside — the policy is the same and the day is the same; otherwise it checks as today."""
from __future__ import annotations

import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import two_student_school
from sqlalchemy import select, update

from core.idnumber import make_id
from db import check_state, findings
from db.check_state import TRIGGER_SQL, check_unless_current, current_check
from db.exports import export_package
from db.findings import verify_students
from db.models import RosterPerson, Student
from db.session import open_database

HS = make_id("110101", date(2008, 5, 1), 123)
PASS = "correct horse battery"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def school(tmp_path):
    """A verified two-student school, checked once (the stored check is current)."""
    path = two_student_school(tmp_path / "c.sqlite")
    d = open_database(path)
    with d.session() as s:
        verify_students(s, list(s.scalars(select(Student.id))), actor="t")
        findings.run_and_store(s, actor="t")
    yield path, d
    d.close()


@pytest.fixture
def checks(monkeypatch):
    """Counts the check runs (the real one runs)."""
    calls = []
    real = findings.run_and_store

    def counted(session, *a, **k):
        calls.append(1)
        return real(session, *a, **k)
    monkeypatch.setattr(findings, "run_and_store", counted)
    return calls


def _export(d, tmp_path, name="p.zip"):
    return export_package(d, tmp_path / name, PASS, draft=True, actor="t")


def _open_errors(d):
    with d.session() as s:
        return findings.open_counts(s)["error"]


def test_an_unchanged_database_reuses_the_stored_check_export_after_export(school, checks, tmp_path):
    _path, d = school
    _export(d, tmp_path, "1.zip")       # the first export makes the signer key: no check reads it
    _export(d, tmp_path, "2.zip")       # its own audit entry does not spoil the stored check either
    assert checks == []
    with d.session() as s:
        assert current_check(s) is not None


@pytest.mark.parametrize("change", ["student", "roster", "payment_setting", "finding"])
def test_a_change_made_through_the_program_makes_the_export_check(school, checks, tmp_path, change):
    _path, d = school
    with d.session() as s:
        if change == "student":       # an edit that no re-check followed (e.g. an import's apply)
            s.execute(update(Student).where(Student.id_number == HS).values(tuition_fen=90000))
        elif change == "roster":
            s.add(RosterPerson(name="王五", id_number=make_id("110101", date(1980, 1, 1), 5)))
        elif change == "payment_setting":
            from db import store
            store.put_setting(s, findings.ROSTER_SIZE, "99")
        else:
            s.execute(update(findings.FindingRow).values(state="fixed"))
        assert current_check(s) is None
    _export(d, tmp_path)
    assert checks == [1]
    if change == "student":           # checked as it stands: the verified amount was changed
        assert _open_errors(d) == 1


def test_a_policy_change_makes_the_export_check(school, checks, tmp_path):
    _path, d = school
    from db.settings import save_policy
    save_policy(d, {"tuition_standard.普通高中": "1300"}, actor="t")
    _export(d, tmp_path)
    assert checks == [1]


def test_the_policy_hash_is_compared_too(school, monkeypatch):
    """A different active policy text (e.g. a newer program's bundled default) is not current."""
    _path, d = school
    from db import store
    real = store.get_policy_text
    with d.session() as s:
        assert current_check(s) is not None
        monkeypatch.setattr(store, "get_policy_text", lambda session: real(session) + "\n# 另一版本\n")
        assert current_check(s) is None


@pytest.mark.parametrize("sql", [
    "UPDATE student SET tuition_fen = 90000 WHERE id_number = '{hs}'",
    "INSERT OR REPLACE INTO student (id, name, id_number, id_raw, id_numeric_cell, gender, birth_date, student_no, "
    "stage, grade, class_name, location, ownership, full_time, category, household_no, head_name, relation, "
    "township, village, phone, tuition_fen, textbook_fen, lodging_fen, has_loan, loan_contract_no, bank_name, "
    "bank_card, prior_grants, name_initials, import_problems, verified, seal, removed_reason) "
    "SELECT id, name, id_number, id_raw, id_numeric_cell, gender, birth_date, student_no, stage, grade, "
    "class_name, location, ownership, full_time, category, household_no, head_name, relation, township, village, "
    "phone, 90000, textbook_fen, lodging_fen, has_loan, loan_contract_no, bank_name, bank_card, prior_grants, "
    "name_initials, import_problems, verified, seal, removed_reason FROM student WHERE id_number = '{hs}'",
    "DELETE FROM roster_person WHERE id_number = '{hs}'",
    "DROP TRIGGER audit_log_no_update",
])
def test_an_edit_from_outside_the_program_makes_the_export_check(school, checks, tmp_path, sql):
    """sqlite3 behind the program's back: an UPDATE, an INSERT OR REPLACE (its delete fires no
    trigger, its insert does), a DELETE, a dropped trigger (DDL moves the schema version)."""
    path, d = school
    d.close()
    con = sqlite3.connect(path)
    with con:
        con.execute(sql.format(hs=HS))
    assert con.execute("PRAGMA recursive_triggers").fetchone()[0] == 0
    con.close()
    d = open_database(path)
    try:
        with d.session() as s:
            assert current_check(s) is None
        _export(d, tmp_path)
        assert checks == [1]
        assert _open_errors(d) >= 1      # tampered, not on the roster, or the audit log unprotected
    finally:
        d.close()


def test_the_next_day_checks_again(school, checks, tmp_path):
    _path, d = school
    today = date.today()
    with d.session() as s:
        assert current_check(s, today) is not None
        assert current_check(s, today + timedelta(days=1)) is None
        assert check_unless_current(s, actor="t", today=today + timedelta(days=1)) is False
        assert current_check(s, today + timedelta(days=1)) is not None     # stamped with the day it ran as of
        assert current_check(s, today) is None
    assert checks == [1]


def test_a_check_that_was_rolled_back_leaves_nothing_current(school):
    _path, d = school
    with d.session() as s:
        s.execute(update(Student).values(phone="13800000000"))
    with pytest.raises(RuntimeError), d.session() as s:
        findings.run_and_store(s, actor="t")
        assert current_check(s) is not None
        raise RuntimeError("rolled back")
    with d.session() as s:
        assert current_check(s) is None


def test_an_edit_in_the_program_rechecks_at_once_so_the_export_reuses_it(school, checks, tmp_path):
    """The program's own edit re-checks in its transaction (usecases.edit_student): the export after
    it finds the stored check current, and the findings are those of the edit."""
    _path, d = school
    from db.usecases import edit_student
    with d.session() as s:
        sid = s.scalar(select(Student.id).where(Student.id_number == HS))
    edit_student(d, sid, {"tuition_fen": 90000})
    assert checks == [1]
    _export(d, tmp_path)
    assert checks == [1]


def test_an_upgraded_0008_database_checks_once_then_reuses(tmp_path, checks):
    target = tmp_path / "old8.sqlite"
    shutil.copy(DATA / "schema-0008.sqlite", target)
    d = open_database(target)
    try:
        with d.session() as s:
            names = {r[0] for r in s.connection().exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")}
            assert set(TRIGGER_SQL) <= names
            assert current_check(s) is None        # the marker starts dirty: never checked with it
        _export(d, tmp_path, "1.zip")
        _export(d, tmp_path, "2.zip")
        assert checks == [1]
    finally:
        d.close()


def test_the_marker_is_bumped_once_per_change_not_per_row(school):
    """The triggers update the counter only when it turns dirty: a bulk write pays one UPDATE."""
    _path, d = school
    with d.session() as s:
        conn = s.connection()
        before = conn.exec_driver_sql("SELECT value, dirty FROM change_counter").one()
        assert before[1] == 0
        s.execute(update(Student).values(phone="1"))
        s.execute(update(RosterPerson).values(village="村"))
        after = conn.exec_driver_sql("SELECT value, dirty FROM change_counter").one()
        assert (after[0], after[1]) == (before[0] + 1, 1)
    assert check_state.program_mark()


def _package_audit(path):
    import json
    import zipfile
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("manifest.json"))["audit_log"]


def test_a_current_check_s_chain_is_extended_not_read_again(school, tmp_path, monkeypatch):
    """The export verifies only the audit entries after the stored check's, linked to its head;
    the package records the whole log's count and head all the same."""
    _path, d = school
    from db import audit
    real, seen = audit.audit_chain_status, []

    def spy(session, since=None):
        seen.append(since)
        return real(session, since=since)
    _export(d, tmp_path, "1.zip")
    monkeypatch.setattr(audit, "audit_chain_status", spy)
    _export(d, tmp_path, "2.zip")
    assert len(seen) == 1 and seen[0] is not None and seen[0].entries > 0
    with d.session() as s:
        count, head = s.connection().exec_driver_sql(
            "SELECT count(*), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) FROM audit_log").one()
    meta = _package_audit(tmp_path / "2.zip")
    assert meta["intact"] is True
    assert meta["entries"] == count - 1 and meta["head"] != head     # the export's own entry comes after


def test_an_entry_changed_behind_the_triggers_back_is_found(school, tmp_path):
    """Dropping the log's trigger, changing an entry and putting the trigger back moves the schema
    version: the stored check is not current, the whole chain is verified and found broken."""
    path, d = school
    d.close()
    from db.audit import TRIGGER_SQL as AUDIT_TRIGGERS
    con = sqlite3.connect(path)
    with con:
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute("UPDATE audit_log SET new = '改过' WHERE id = 1")
        con.execute(AUDIT_TRIGGERS["audit_log_no_update"])
    con.close()
    d = open_database(path)
    try:
        _export(d, tmp_path)
    finally:
        d.close()
    assert _package_audit(tmp_path / "p.zip")["intact"] is False


def _trigger_sql(conn, name):
    return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).scalar()


def _roster_rows(n):
    from core.records import ParsedRow
    return [ParsedRow(i, {"name": f"成员{i}", "id_number": make_id("420101", date(1990, 1, 1) + timedelta(days=i), 300)})
            for i in range(n)]


def test_a_bulk_import_moves_the_marker_once_and_keeps_its_insert_trigger(school, monkeypatch):
    """An import big enough to defer the indexes defers the table's insert trigger too
    (``marker_deferred``): the marker moved, the trigger back with its own SQL, working."""
    from db import importing
    from db.importing import apply_plan, plan_import
    path, d = school
    monkeypatch.setattr(importing, "BIG_INSERT", 5)          # (10,000 rows otherwise)
    seen: list[str | None] = []
    real = importing.insert_tuples

    def watched(conn, *a, **k):
        seen.append(_trigger_sql(conn, "roster_person_changed_insert"))
        return real(conn, *a, **k)
    monkeypatch.setattr(importing, "insert_tuples", watched)
    with d.session() as s:
        before = s.connection().exec_driver_sql("SELECT value, dirty FROM change_counter").one()
        assert before[1] == 0 and current_check(s) is not None
        apply_plan(s, plan_import(s, "roster", _roster_rows(40), [], ["name", "id_number"]))
    assert seen == [None]                                     # dropped for the insert
    with d.session() as s:
        conn = s.connection()
        assert _trigger_sql(conn, "roster_person_changed_insert") == TRIGGER_SQL["roster_person_changed_insert"]
        assert tuple(conn.exec_driver_sql("SELECT value, dirty FROM change_counter").one()) == (before[0] + 1, 1)
        assert current_check(s) is None
        findings.run_and_store(s, actor="t")
    with d.session() as s:
        assert current_check(s) is not None
    con = sqlite3.connect(path)                               # the trigger fires again: an insert from outside
    with con:
        con.execute("CREATE TEMP TABLE one AS SELECT * FROM roster_person LIMIT 1")
        con.execute("UPDATE one SET id = (SELECT max(id) + 1 FROM roster_person)")
        con.execute("INSERT INTO roster_person SELECT * FROM one")
    con.close()
    with d.session() as s:
        assert current_check(s) is None


def test_a_failed_bulk_import_leaves_the_trigger_and_the_marker_as_they_were(school, monkeypatch):
    from db import importing
    from db.importing import apply_plan, plan_import
    _path, d = school
    monkeypatch.setattr(importing, "BIG_INSERT", 5)

    seen: list[str | None] = []

    def failing(conn, *_a, **_k):
        seen.append(_trigger_sql(conn, "roster_person_changed_insert"))
        raise OSError("disk full")
    monkeypatch.setattr(importing, "insert_tuples", failing)
    with d.session() as s:
        conn = s.connection()
        before = (tuple(conn.exec_driver_sql("SELECT value, dirty FROM change_counter").one()),
                  conn.exec_driver_sql("SELECT count(*) FROM roster_person").scalar())
    with pytest.raises(OSError), d.session() as s:
        apply_plan(s, plan_import(s, "roster", _roster_rows(40), [], ["name", "id_number"]))
    assert seen == [None]                                     # it was dropped when the insert failed
    with d.session() as s:
        conn = s.connection()
        assert _trigger_sql(conn, "roster_person_changed_insert") == TRIGGER_SQL["roster_person_changed_insert"]
        assert (tuple(conn.exec_driver_sql("SELECT value, dirty FROM change_counter").one()),
                conn.exec_driver_sql("SELECT count(*) FROM roster_person").scalar()) == before
        assert current_check(s) is not None


def test_a_students_bulk_import_in_the_write_transaction_leaves_a_dirty_marker_as_it_was(school, monkeypatch):
    """The import's own transaction (BEGIN IMMEDIATE): a marker already dirty is not moved again."""
    from core.records import ParsedRow
    from db import importing
    from db.importing import apply_plan, plan_import
    _path, d = school
    monkeypatch.setattr(importing, "BIG_INSERT", 5)
    students = [ParsedRow(i, {"name": f"学生{i}", "id_number": make_id("420101", date(2010, 1, 1) + timedelta(days=i), 1),
                              "stage": "普通高中", "category": "REGISTERED"}) for i in range(30)]
    with d.session() as s:
        s.execute(update(Student).values(phone="2"))           # dirty now
        before = tuple(s.connection().exec_driver_sql("SELECT value, dirty FROM change_counter").one())
    assert before[1] == 1
    with d.write_session() as s:
        plan = plan_import(s, "students", students, [], ["name", "id_number", "stage", "category"])
        assert len(plan.added) >= importing.BIG_INSERT + 2     # (more than the table held: deferred)
        apply_plan(s, plan)
    with d.session() as s:
        conn = s.connection()
        assert _trigger_sql(conn, "student_changed_insert") == TRIGGER_SQL["student_changed_insert"]
        assert tuple(conn.exec_driver_sql("SELECT value, dirty FROM change_counter").one()) == before


def test_marker_deferred_refuses_to_run_outside_a_transaction(school):
    from db.check_state import marker_deferred
    _path, d = school
    with d.engine.connect() as conn:
        conn.commit()                  # (no transaction begun yet: SQLAlchemy's autobegin comes at the first statement)
        with pytest.raises(RuntimeError), marker_deferred(conn, "student"):
            pass
        assert _trigger_sql(conn, "student_changed_insert") == TRIGGER_SQL["student_changed_insert"]


@pytest.mark.parametrize("sql", ["DROP TRIGGER student_changed_insert",
                                 "DROP TRIGGER roster_person_changed_update; CREATE TRIGGER roster_person_changed_update "
                                 "AFTER UPDATE ON roster_person BEGIN SELECT 1; END"])
def test_a_stored_check_is_never_reused_without_the_markers_triggers(school, sql):
    """A check run after a marker trigger was dropped or changed from outside stamps the new schema
    version; the stored check is still not reused, since the marker no longer sees every change."""
    path, d = school
    con = sqlite3.connect(path)
    con.executescript(sql)
    con.close()
    with d.session() as s:
        assert current_check(s) is None
        findings.run_and_store(s, actor="t")
    with d.session() as s:
        assert current_check(s) is None
