"""The check's shortcuts (issue 13, perf-check) hold to what they shortcut: the engine records built by
position with shared views, the roster read by what the rules can use, the reconcile with Core
statements, the audit chain checked once per run, the check command's findings without ORM objects."""
import json
import sqlite3
from dataclasses import replace

from sqlalchemy import select, update

from cli.commands import run
from core.checks import FindingState, RosterFacts, StudentFacts, run_checks
from core.checks.rules_money import results
from core.engine import Calculator
from core.records import grants_of, student_record
from db import audit, store
from db.findings import build_context, roster_facts, run_and_store
from db.models import FindingRow, RosterPerson, Student
from db.views import audit_status, finding_rows


def _context(db):
    with db.session() as s:
        return build_context(s)


def test_check_outcomes_equal_the_engine_per_student_and_are_shared_per_combination(demo_db):
    ctx = _context(demo_db)
    calc = Calculator(ctx.policy)
    got = results(ctx)
    assert len(got) == len(ctx.students) > 100
    for s, outcome in got:
        want = calc(student_record(vars(s), key=s.key, prior_grants=grants_of(s.prior_grants)))
        assert outcome.decisions == want.decisions
        assert (outcome.granted, outcome.pending, outcome.total_fen) == (want.granted, want.pending, want.total_fen)
    # the students of one decision combination share one outcome (computed once per combination)
    assert len({id(outcome) for _, outcome in got}) < len(got) / 2


def test_the_roster_read_for_the_check_finds_what_the_whole_roster_finds(demo_db):
    with demo_db.session() as s:
        school = store.get_school(s)
        # a roster person of this school (spelt with spaces) who is not on the student list
        s.add(RosterPerson(name="王五", id_number="110101201505060011", school_name=f" {school.name} ",
                           schooling_status="在校生"))
        s.flush()
        ctx = build_context(s)
        whole = roster_facts(s)
    assert ctx.roster_size == len(whole) > len(ctx.roster) > 0
    full = replace(ctx, roster=whole, roster_size=None, _cache={})
    found, expected = run_checks(ctx), run_checks(full)
    assert found == expected
    codes = {f.code for f in found}
    assert {"NOT_ON_ROSTER", "NAME_MISMATCH", "CATEGORY_MISMATCH", "ROSTER_NOT_ENROLLED"} <= codes
    assert any(f.code == "ROSTER_NOT_ENROLLED" and f.name == "王五" for f in found)


def _facts(key, category, id_number):
    return StudentFacts(key, f"学生{key}", id_number, "男", "", stage="小学", category=category, tuition_fen=0,
                        textbook_fen=0, lodging_fen=0, id_raw=id_number)


def test_a_roster_without_the_students_is_still_a_roster(demo_db):
    """The rows read are a part of the roster: the size rules and NOT_ON_ROSTER count the whole."""
    base = _context(demo_db)
    student = _facts(1, "REGISTERED", "110101201505060027")
    stranger = RosterFacts(9, "赵六", "110101201505060035", "别的学校")
    part = replace(base, students=[student], roster=[], roster_size=3000, _cache={})
    whole = replace(part, roster=[stranger] * 3000, roster_size=None, _cache={})
    assert {f.code for f in run_checks(part)} >= {"NOT_ON_ROSTER"}
    assert [(f.code, f.message) for f in run_checks(part)] == [(f.code, f.message) for f in run_checks(whole)]
    assert not any(f.code in ("ROSTER_EMPTY", "ROSTER_SHRUNK") for f in run_checks(part))
    shrunk = replace(part, roster_size=10, roster_meta=replace(part.roster_meta, size=3000), _cache={})
    assert "ROSTER_SHRUNK" in {f.code for f in run_checks(shrunk)}
    empty = replace(part, roster_size=0, _cache={})
    assert "ROSTER_EMPTY" in {f.code for f in run_checks(empty)}


def test_findings_loaded_as_objects_see_what_the_reconcile_wrote(demo_db):
    with demo_db.session() as s:
        run_and_store(s, actor="t")
    with demo_db.session() as s:
        row = s.scalars(select(FindingRow).where(FindingRow.code == "NOT_ON_ROSTER",
                                                 FindingRow.state == FindingState.OPEN)).first()
        assert row is not None
        s.execute(update(Student).where(Student.id == row.student_id).values(category="NONE"))
        run = run_and_store(s, actor="t")
        assert run.fixed >= 1
        assert row.state == FindingState.FIXED       # the object was read again, not left stale
        again = run_and_store(s, actor="t")
        assert (again.opened, again.fixed, again.reopened) == (0, 0, 0)


def test_the_chain_encoder_writes_what_json_dumps_writes():
    values = [7, "2024-06-05 10:00:00", "张三", "student", None, "name", 'a"b\\c\n\t\x01', "é😀\u2028"]
    assert audit._ENCODE(values) == json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def test_the_run_checks_the_chain_once_and_reports_it_with_its_own_entries(demo_db):
    with demo_db.session() as s:
        before = audit.audit_chain_status(s)
        s.execute(update(Student).where(Student.category == "REGISTERED").values(category="NONE"))
        stored = run_and_store(s, actor="t")     # closes findings: audited state changes
    assert stored.fixed and stored.chain is not None
    full = audit_status(demo_db)
    assert stored.chain == full and full.intact and full.entries > before.entries


def test_entries_after_a_checked_head_are_checked_from_that_head(demo_db):
    with demo_db.session() as s:
        head = audit.audit_chain_status(s)
    path = demo_db.path
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO audit_log (id, at, actor, entity, entity_id, field, old, new, prev_hash, hash) "
                    "VALUES (?, '2024-01-01 00:00:00', 'x', 'student', 1, 'name', 'a', 'b', ?, ?)",
                    (head.last_id + 1, head.head, "f" * 64))
    con.close()
    with demo_db.session() as s:
        later = audit.audit_chain_status(s, since=head)
        full = audit.audit_chain_status(s)
    assert not later.intact and later.first_broken_id == head.last_id + 1
    assert later == full


def test_check_json_states_the_chain_as_it_is_after_the_run(demo_db, capsys):
    capsys.readouterr()
    run(["--db", str(demo_db.path), "check", "--json"])
    out = json.loads(capsys.readouterr().out)
    chain = audit_status(demo_db)
    assert out["audit_log"] == {"intact": True, "entries": chain.entries, "first_broken_id": None,
                                "missing_triggers": [], "anchored": None}
    stored = finding_rows(demo_db, include_fixed=False)
    assert [(f["code"], f["message"], f["state"]) for f in out["flags"]] == [
        (r.code, r.message, r.state) for r in stored]
    assert all(r.initials == "" for r in finding_rows(demo_db, initials=False))
    assert any(r.initials for r in stored)



def test_unreadable_values_are_found_for_every_student_that_has_them(demo_db):
    """The values are judged once per combination: the second student with them is found too."""
    base = _context(demo_db)
    odd = [replace(_facts(k, "NONE", ""), stage="大学预科", gender="xyz", category="XX", name=" ") for k in (1, 2)]
    ctx = replace(base, students=[*odd, _facts(3, "NONE", "")], roster=[], roster_size=None, _cache={})
    found = [(f.student_key, f.part) for f in run_checks(ctx) if f.code == "VALUE_UNREADABLE"]
    assert found == [(1, "name"), (1, "stage"), (1, "gender"), (1, "category"),
                     (2, "name"), (2, "stage"), (2, "gender"), (2, "category")]
