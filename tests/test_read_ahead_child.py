"""Reads ahead in a child process (core.in_child): `check`'s audit chain (db.chain_ahead) gives what the
check's own transaction gives, is never taken when the database changed since it started, and a child that
fails leaves the work to the command. (`consolidate add`'s examination ahead: tests/test_intake_parallel.py.)"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import core.in_child
from core.errors import DatabaseError
from core.in_child import in_child, start_method
from db import audit, chain_ahead
from db.audit_chain import read_chain_status

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def free_core(monkeypatch):
    """A child is started only when a core is free (core.in_child.spare_core): here, whatever the load."""
    monkeypatch.setattr(core.in_child, "spare_core", lambda since=None: True)


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


@pytest.fixture
def audited_db(demo_db):
    """The demo database with a chain of a few hundred entries (its import is one entry)."""
    with demo_db.session() as s:
        audit.record_many(s, "tester", "student", [(i, {"name": (None, f"学生{i}")}) for i in range(1, 301)])
    return demo_db


def test_chain_read_ahead_is_the_sessions_answer(audited_db):
    chain_ahead.start(audited_db.path)
    ahead = chain_ahead.take(audited_db.path)
    expected = _session_chain(audited_db)
    assert ahead == expected and ahead.intact and ahead.entries > 100


def test_chain_read_ahead_reports_a_broken_chain_as_the_session_does(audited_db):
    con = sqlite3.connect(audited_db.path)        # another program rewrites an entry behind Zizhu's back
    with con:
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute("UPDATE audit_log SET new = '改过' WHERE id = 7")
    con.close()
    expected = _session_chain(audited_db)
    assert not expected.intact and expected.first_broken_id == 7
    assert read_chain_status(audited_db.path) == expected


def test_chain_read_ahead_not_taken_when_the_file_changed(demo_db):
    chain_ahead.start(demo_db.path)
    con = sqlite3.connect(demo_db.path)        # a write after the read started
    with con:
        con.execute("UPDATE setting SET value = value WHERE key = (SELECT min(key) FROM setting)")
        con.execute("INSERT INTO setting (key, value) VALUES ('x.test', '1')")
    con.close()
    assert chain_ahead.take(demo_db.path) is None


def test_no_child_without_a_free_core(demo_db, monkeypatch):
    """On a busy machine a child only adds its start to the work: the check verifies the chain itself."""
    monkeypatch.setattr(core.in_child, "spare_core", lambda since=None: False)
    chain_ahead.start(demo_db.path)
    assert chain_ahead.take(demo_db.path) is None


@pytest.mark.parametrize("load, cores, free", [((0.9, 1, 1), 2, True), ((1.6, 1, 1), 2, False),
                                               ((0.1, 0, 0), 1, False), ((2.4, 1, 1), 4, True)])
def test_a_core_is_free_below_the_cores_less_one_half(monkeypatch, load, cores, free):
    monkeypatch.undo()
    monkeypatch.setattr(os, "getloadavg", lambda: load, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert core.in_child.spare_core() is free


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


def test_a_write_right_after_the_take_is_not_hidden(audited_db, monkeypatch):
    """Another program rewrites an entry just after the chain verified ahead was taken (a deferred BEGIN
    fixes no snapshot until the first read): the run either sees the file as it was when it took the
    chain, and then cannot store anything over the newer write, or reports the break; never an intact
    chain over a broken one."""
    from db.usecases import check
    real_take = chain_ahead.take

    def take_then_tamper(path):
        found = real_take(path)
        con = sqlite3.connect(audited_db.path, timeout=0)
        trigger = con.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'").fetchone()[0]
        with con:      # the entry rewritten and the trigger put back: only the chain's hashes tell
            con.execute("DROP TRIGGER audit_log_no_update")
            con.execute("UPDATE audit_log SET new = '改过' WHERE id = 7")
            con.execute(trigger)
        con.close()
        return found

    monkeypatch.setattr(chain_ahead, "take", take_then_tamper)
    chain_ahead.start(audited_db.path)
    before = _stored_check(audited_db.path)
    try:
        run = check(audited_db)
    except DatabaseError as exc:      # its snapshot is older than the write: nothing stored
        assert "另一个程序" in exc.message
        assert _stored_check(audited_db.path) == before
        run = None
    assert run is None or not run.chain.intact
    monkeypatch.setattr(chain_ahead, "take", real_take)
    again = check(audited_db)
    assert not again.chain.intact and again.chain.first_broken_id == 7


def _stored_check(path: Path) -> tuple[object, ...]:
    """What a check stores: its findings and the settings it stamps."""
    con = sqlite3.connect(path)
    try:
        return (con.execute("SELECT count(*), max(id) FROM finding").fetchone(),
                con.execute("SELECT key, value FROM setting WHERE key LIKE 'checks.%' ORDER BY key").fetchall())
    finally:
        con.close()


def _interrupted_then_answers() -> int:
    os.kill(os.getpid(), __import__("signal").SIGINT)     # Ctrl+C reaches the console's whole process group
    return 42


@pytest.mark.parametrize("method", METHODS)
def test_ctrl_c_in_the_child_prints_no_traceback(method, capfd):
    """The parent answers Ctrl+C (已取消); the child neither dies with a traceback nor stops answering."""
    assert in_child(_interrupted_then_answers, method=method) == 42
    assert "Traceback" not in capfd.readouterr().err
