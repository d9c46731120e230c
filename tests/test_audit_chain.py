"""The audit log is a hash chain: REPLACE is refused, rewrites and dropped triggers are reported."""
import itertools
import json
import sqlite3
import zipfile
from datetime import date

import pytest
from pdftext import pdf_text
from sqlalchemy import select

from cli.commands import run
from core.checks import RULES_BY_CODE, FindingState
from core.idnumber import make_id
from core.records import ParsedRow
from db import store
from db.audit import TRIGGERS, audit_chain_status
from db.importing import apply_plan, plan_import
from db.models import FindingRow, Student
from db.session import open_database
from db.students import update_student

PASS = "school-secret-1 long enough"
KID = make_id("110101", date(2015, 5, 6), 202)


@pytest.fixture
def logged(tmp_path):
    """A database with a school and a few audited edits (about a dozen entries)."""
    path = tmp_path / "a.sqlite"
    d = open_database(path)
    with d.session() as s:
        store.init_school(s, "第一中学", "1", 2023, actor="t")
        child = ParsedRow(2, {"name": "张三", "stage": "小学", "id_number": KID, "id_raw": KID})
        apply_plan(s, plan_import(s, "students", [child], [], ["name", "stage", "id_number"]), actor="t")
        sid = s.scalars(select(Student.id)).one()
    for grade in ("一年级", "二年级", "三年级"):
        with d.session() as s:
            update_student(s, sid, {"grade": grade, "class_name": grade + "1班"}, actor="t")
    with d.session() as s:
        status = audit_chain_status(s)
    d.close()
    assert status.intact and status.entries >= 8 and not status.missing_triggers
    return path


def raw(path, *sql):
    con = sqlite3.connect(path)
    try:
        with con:
            for q in sql:
                con.execute(q)
    finally:
        con.close()


def ids(path):
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT id FROM audit_log ORDER BY id")]
    finally:
        con.close()


def status_of(path):
    d = open_database(path)
    try:
        with d.session() as s:
            return audit_chain_status(s)
    finally:
        d.close()


def test_every_entry_is_chained_in_order(logged):
    con = sqlite3.connect(logged)
    rows = con.execute("SELECT prev_hash, hash FROM audit_log ORDER BY id").fetchall()
    con.close()
    assert rows[0][0] == "0" * 64
    assert all(cur[0] == prev[1] for prev, cur in itertools.pairwise(rows))
    assert len({h for _p, h in rows}) == len(rows)


def test_insert_or_replace_is_refused(logged):
    first = ids(logged)[2]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw(logged, f"INSERT OR REPLACE INTO audit_log (id, at, actor, entity, entity_id, field, old, new, "
                    f"prev_hash, hash) VALUES ({first}, '2020-01-01 00:00:00.000000', 'x', 'student', 1, "
                    f"'grade', NULL, '伪造', '', '')")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw(logged, f"REPLACE INTO audit_log (id, at, actor, entity, field, prev_hash, hash) "
                    f"VALUES ({first}, '2020-01-01', 'x', 'y', 'z', '', '')")
    assert status_of(logged).intact


def test_an_update_after_dropping_the_trigger_is_found_by_check(logged, capsys):
    target = ids(logged)[3]
    raw(logged, "DROP TRIGGER audit_log_no_update",
        f"UPDATE audit_log SET new = '改过' WHERE id = {target}",
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    capsys.readouterr()
    assert run(["--db", str(logged), "check"]) == 1
    out = capsys.readouterr().out
    assert f"审计日志已被改动：第 {target} 条起" in out and RULES_BY_CODE["AUDIT_CHAIN_BROKEN"].title in out
    assert run(["--db", str(logged), "check", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)["audit_log"]
    assert (report["intact"], report["first_broken_id"], report["missing_triggers"]) == (False, target, [])
    assert run(["--db", str(logged), "accept", "AUDIT_CHAIN_BROKEN", "-", "--reason", "x"]) == 2


def test_a_deleted_middle_entry_is_found(logged):
    all_ids = ids(logged)
    middle = all_ids[len(all_ids) // 2]
    raw(logged, "DROP TRIGGER audit_log_no_delete", f"DELETE FROM audit_log WHERE id = {middle}")
    status = status_of(logged)
    assert not status.intact
    assert status.first_broken_id == all_ids[all_ids.index(middle) + 1]
    assert status.missing_triggers == ["audit_log_no_delete"]


def test_a_forged_entry_appended_with_sql_is_found(logged):
    last = ids(logged)[-1]
    raw(logged, "INSERT INTO audit_log (at, actor, entity, entity_id, field, old, new, prev_hash, hash) "
                "VALUES ('2026-01-01 00:00:00.000000', 'x', 'student', 1, 'grade', NULL, '伪造', '', '')")
    assert status_of(logged).first_broken_id == last + 1


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_dropping_a_trigger_alone_is_found(logged, trigger, capsys):
    raw(logged, f"DROP TRIGGER {trigger}")
    capsys.readouterr()
    assert run(["--db", str(logged), "check"]) == 1
    out = capsys.readouterr().out
    assert "防改触发器被删除" in out and trigger in out
    d = open_database(logged)
    try:
        with d.session() as s:
            row = s.scalars(select(FindingRow).where(FindingRow.code == "AUDIT_CHAIN_BROKEN")).one()
            assert (row.state, row.severity, row.student_id) == (FindingState.OPEN, "error", None)
    finally:
        d.close()


def test_an_intact_log_is_stated_by_check(logged, capsys):
    capsys.readouterr()
    assert run(["--db", str(logged), "check"]) == 0
    assert "审计日志完整：共" in capsys.readouterr().out


def export_report(path, tmp_path, name):
    pw = tmp_path / "pw.txt"
    pw.write_text(PASS, encoding="utf-8")
    out = tmp_path / name
    assert run(["--db", str(path), "export", str(out), "--draft", "--passphrase-file", str(pw)]) == 0
    with zipfile.ZipFile(out) as z:
        return pdf_text(z.read("report.pdf")), json.loads(z.read("manifest.json"))


def test_the_report_and_the_manifest_state_the_chain(logged, tmp_path):
    text, meta = export_report(logged, tmp_path, "ok.zip")
    n = meta["audit_log"]["entries"]
    assert meta["audit_log"]["intact"] is True and len(meta["audit_log"]["head"]) == 64
    assert "审计日志" in text and f"完整（共 {n} 条记录，哈希链未断" in text.replace("\r\n", "")
    raw(logged, "DROP TRIGGER audit_log_no_update")
    text, meta = export_report(logged, tmp_path, "bad.zip")
    assert meta["audit_log"]["intact"] is False
    assert "审计日志已被改动" in text.replace("\r\n", "")


def test_a_final_export_is_refused_while_the_chain_is_broken(logged, tmp_path, capsys):
    d = open_database(logged)
    with d.session() as s:
        for st in s.scalars(select(Student)):
            st.verified = True      # the point here is the log, not verification
    d.close()
    raw(logged, "DROP TRIGGER audit_log_no_update")
    pw = tmp_path / "pw.txt"
    pw.write_text(PASS, encoding="utf-8")
    capsys.readouterr()
    assert run(["--db", str(logged), "export", str(tmp_path / "p.zip"), "--passphrase-file", str(pw)]) == 2
    assert "审计日志已被改动" in capsys.readouterr().err


def _rehashed_tail(path, last):
    """The last entry rewritten with its hash made again (the chain then holds: it is the end)."""
    from db.audit_chain import entry_hash
    con = sqlite3.connect(path)
    eid, at, actor, entity, entity_id, name, old, _new, prev = con.execute(
        "SELECT id, at, actor, entity, entity_id, field, old, new, prev_hash FROM audit_log WHERE id = ?",
        (last,)).fetchone()
    forged = entry_hash(prev, eid, str(at), actor, entity, entity_id, name, old, "伪造")
    with con:
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute("UPDATE audit_log SET new = '伪造', hash = ? WHERE id = ?", (forged, last))
        con.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    con.close()


@pytest.mark.parametrize("tamper", ["truncated", "rewritten"])
def test_the_end_of_the_log_cut_off_or_rewritten_after_a_check_is_found_and_stays_found(logged, tamper, capsys):
    """A chain proves its links, not its length: entries deleted from its end (the no-delete trigger
    dropped and made again) or its last entry rewritten with a new hash leave a chain that holds. The
    last check's anchor (where the chain stood) catches both, and keeps catching them."""
    capsys.readouterr()
    assert run(["--db", str(logged), "check"]) == 0          # the anchor: where the chain stands now
    entries = status_of(logged).entries
    last = ids(logged)[-1]
    if tamper == "truncated":
        raw(logged, "DROP TRIGGER audit_log_no_delete", f"DELETE FROM audit_log WHERE id > {last - 3}",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
    else:
        _rehashed_tail(logged, last)
    status = status_of(logged)
    assert (status.intact, status.first_broken_id, status.missing_triggers, status.anchored) == \
        (False, None, [], entries)
    for _ in range(2):                                        # a second check finds it again
        capsys.readouterr()
        assert run(["--db", str(logged), "check"]) == 1
        assert f"上次核查时有 {entries} 条，其中最后的记录已被删除或改动" in capsys.readouterr().out


def test_the_anchor_moves_with_the_log(logged, capsys):
    """Entries appended after a check (an edit, the next check's own) are the chain going on."""
    from db.audit_chain import ANCHOR_KEY
    assert run(["--db", str(logged), "check"]) == 0
    d = open_database(logged)
    try:
        with d.session() as s:
            first = store.get_setting(s, ANCHOR_KEY)
            update_student(s, s.scalars(select(Student.id)).one(), {"grade": "四年级"}, actor="t")
    finally:
        d.close()
    assert status_of(logged).intact
    capsys.readouterr()
    assert run(["--db", str(logged), "check"]) == 0
    d = open_database(logged)
    try:
        with d.session() as s:
            now = store.get_setting(s, ANCHOR_KEY)
            chain = audit_chain_status(s)
    finally:
        d.close()
    assert first and now and now != first and int(now.split()[0]) > int(first.split()[0])
    assert chain.intact and chain.anchored is None


def test_an_older_backup_restored_is_intact_with_its_own_anchor(logged, tmp_path, capsys):
    """Restoring replaces the log and the anchor together: the restored file checks intact, though
    the anchor it replaced stood further on."""
    assert run(["--db", str(logged), "check"]) == 0
    older = tmp_path / "older.sqlite"
    assert run(["--db", str(logged), "backup", str(older)]) == 0
    d = open_database(logged)
    try:
        with d.session() as s:
            update_student(s, s.scalars(select(Student.id)).one(), {"grade": "五年级"}, actor="t")
    finally:
        d.close()
    assert run(["--db", str(logged), "check"]) == 0               # the anchor moves on
    assert run(["--db", str(logged), "restore", str(older)]) == 0
    capsys.readouterr()
    assert run(["--db", str(logged), "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["audit_log"]
    assert (report["intact"], report["anchored"]) == (True, None)


@pytest.mark.parametrize("value", ["", "12 abc", "x y z w"])
def test_an_anchor_changed_behind_the_programs_back_is_reported(logged, value, capsys):
    from db.audit_chain import ANCHOR_KEY
    assert run(["--db", str(logged), "check"]) == 0
    raw(logged, f"UPDATE setting SET value = '{value}' WHERE key = '{ANCHOR_KEY}'")
    capsys.readouterr()
    assert run(["--db", str(logged), "check", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)["audit_log"]
    assert (report["intact"], report["anchored"], report["first_broken_id"]) == (False, 0, None)
    assert run(["--db", str(logged), "check"]) == 1
    assert "上次核查时记下的审计日志位置被改动" in capsys.readouterr().out
