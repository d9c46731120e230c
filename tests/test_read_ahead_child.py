"""Reads ahead in a spawned child process (core.in_child): `check`'s audit chain (db.chain_ahead) and
`consolidate add`'s examination of the offered packages (db.intake_ahead). Each gives what the work done
in the command's own transaction gives, is never taken when the database changed since it started, and
its absence (a child that fails) leaves the work to the command."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from receiving_fixtures import tampered, trusting_receiver, two_kid_school

import core.intake
from core.in_child import in_child, start_method
from db import audit, chain_ahead, intake_ahead
from db.audit_chain import read_chain_status
from db.receiving import intake

ROOT = Path(__file__).resolve().parent.parent


def _fails() -> None:
    raise ValueError("in the child")


METHODS = ["spawn"] if sys.platform == "win32" else ["fork", "spawn"]     # spawn: as on Windows


@pytest.mark.parametrize("method", METHODS)
def test_in_child_returns_the_childs_answer_or_none_when_it_fails(method):
    assert in_child(os.getpid, method=method) not in (None, os.getpid())   # computed there, pickled back
    assert in_child(_fails, method=method) is None                           # the caller does the work itself


def test_fork_only_while_this_process_has_one_thread():
    """A fork beside running threads could copy a lock one of them holds: spawn then."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert start_method() == "spawn"
    finally:
        stop.set()
        t.join()


@pytest.mark.parametrize("method", METHODS)
def test_a_child_verifies_the_chain_as_the_session_does(demo_db, method):
    """Spawned (a new interpreter importing db.audit_chain, as on Windows) or forked: the same answer."""
    assert in_child(read_chain_status, demo_db.path, method=method) == _session_chain(demo_db)


def test_the_childs_modules_import_no_sqlalchemy():
    """The child imports these to run its function: SQLAlchemy there would cost the gain."""
    code = ("import sys, db.chain_ahead, db.intake_ahead; "
            "print(sorted(m for m in ('sqlalchemy', 'db.models', 'PySide6', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def _session_chain(d):
    with d.session() as s:
        return audit.audit_chain_status(s)


def test_chain_read_ahead_is_the_sessions_answer(demo_db):
    chain_ahead.start(demo_db.path)
    ahead = chain_ahead.take(demo_db.path)
    expected = _session_chain(demo_db)
    assert ahead == expected and ahead.intact and ahead.entries > 100


def test_chain_read_ahead_reports_a_broken_chain_as_the_session_does(demo_db):
    con = sqlite3.connect(demo_db.path)        # another program rewrites an entry behind Zizhu's back
    with con:
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute("UPDATE audit_log SET new = '改过' WHERE id = 7")
    con.close()
    expected = _session_chain(demo_db)
    assert not expected.intact and expected.first_broken_id == 7
    assert read_chain_status(demo_db.path) == expected


def test_chain_read_ahead_not_taken_when_the_file_changed(demo_db):
    chain_ahead.start(demo_db.path)
    con = sqlite3.connect(demo_db.path)        # a write after the read started
    with con:
        con.execute("UPDATE setting SET value = value WHERE key = (SELECT min(key) FROM setting)")
        con.execute("INSERT INTO setting (key, value) VALUES ('x.test', '1')")
    con.close()
    assert chain_ahead.take(demo_db.path) is None


def test_the_check_takes_the_chain_verified_ahead(demo_db, monkeypatch):
    from db.usecases import check
    calls = []
    real = audit.audit_chain_status
    monkeypatch.setattr(audit, "audit_chain_status", lambda s, since=None: calls.append(since) or real(s, since))
    chain_ahead.start(demo_db.path)
    run = check(demo_db)
    assert run.chain.intact and len(calls) == 1 and calls[0] is not None   # only the run's own entries hashed here
    calls.clear()
    check(demo_db)                                                           # nothing started: the whole chain here
    assert calls[0] is None and len(calls) == 2


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    root = tmp_path_factory.mktemp("schools")
    return SimpleNamespace(a=two_kid_school(root, "4228220311", "东坪小学", first=1),
                           b=two_kid_school(root, "4228220312", "西坪小学", first=3), root=root)


@pytest.fixture
def station(tmp_path, schools):
    yield from trusting_receiver(tmp_path / "station.sqlite", (schools.a, schools.b))


def _outcomes(report):
    return [(o.path, o.result, o.reason, o.students, o.total_fen, o.school_code) for o in report.outcomes]


def test_intake_takes_the_examination_made_ahead(station, schools, tmp_path, monkeypatch):
    files = [schools.a.path, tmp_path / "missing.zip", tampered(schools.b, tmp_path / "t.zip"), schools.b.path]
    intake_ahead.start(station.path, files, False)
    examined_here = []
    real = core.intake.examine_package
    monkeypatch.setattr(core.intake, "examine_package", lambda *a, **k: examined_here.append(a[0]) or real(*a, **k))
    report = intake(station, files)
    assert examined_here == []                            # every file was examined in the child
    assert _outcomes(report) == [
        (schools.a.path, "accepted", "", 2, 240000, "4228220311"),
        (files[1], "refused", f"找不到文件 {files[1]}。", 0, 0, ""),
        (files[2], "refused", report.outcomes[2].reason, 0, 0, "4228220312"),
        (schools.b.path, "accepted", "", 2, 240000, "4228220312")]
    assert "已被改动" in report.outcomes[2].reason
    con = sqlite3.connect(station.path)       # the bytes stored are the file's, read once at start
    try:
        stored = dict(con.execute("SELECT sha256, content FROM package_blob").fetchall())
    finally:
        con.close()
    assert sorted(stored.values()) == sorted([schools.a.path.read_bytes(), schools.b.path.read_bytes()])


def test_an_examination_of_other_inputs_is_not_used(station, schools, monkeypatch):
    """Offered otherwise (another --history) than examined ahead: intake examines the files itself."""
    intake_ahead.start(station.path, [schools.a.path], True)
    examined_here = []
    real = core.intake.examine_package
    monkeypatch.setattr(core.intake, "examine_package", lambda *a, **k: examined_here.append(a[0]) or real(*a, **k))
    report = intake(station, [schools.a.path])
    assert examined_here == [schools.a.path] and report.outcomes[0].result == "accepted"


def test_an_examination_is_not_taken_when_the_trust_list_changed(station, schools):
    intake_ahead.start(station.path, [schools.a.path], False)
    con = sqlite3.connect(station.path)        # the school's key removed after the examination started
    with con:
        con.execute("UPDATE trusted_signer SET removed_at = '2024-01-01 00:00:00' WHERE school_code = ?",
                    ("4228220311",))
    con.close()
    (o,) = intake(station, [schools.a.path]).outcomes
    assert o.result == "refused"          # examined again against the trust list as it is now
