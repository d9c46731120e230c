"""`check` and `notice` take no start backup (cli.commands.DERIVED_ONLY): they write only what the
checks derive and recompute (and their own audit entry), never a value a clerk entered. These tests
hold that promise: a run of the real command on data changed behind Zizhu's back (so that the check
reopens findings the clerk accepted)
leaves every table of clerk-entered data as it was, keeps every earlier audit entry, and every
reason a clerk gave is still stored: on its finding, or in the audit log's entry of the acceptance."""
import sqlite3

import pytest

from cli.commands import run
from db import backup as bk
from db.audit_chain import ANCHOR_KEY
from db.findings import CHECKED_AT_KEY
from db.usecases import accept_findings, check
from db.views import finding_rows

# What a check run writes: the findings, their audit entries (appended), its time and its marks.
DERIVED = {"finding", "audit_log", "setting", "check_state", "change_counter"}


def _tables(con: sqlite3.Connection) -> dict[str, list[tuple]]:
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}


def _reasons(con: sqlite3.Connection) -> tuple[set[str], set[str]]:
    """The reasons stored on findings, and those the audit log holds for findings."""
    on_rows = {r[0] for r in con.execute("SELECT reason FROM finding WHERE reason != ''")}
    logged = {r[0] for r in con.execute(
        "SELECT new FROM audit_log WHERE entity = 'finding' AND field = 'reason' AND new != ''")}
    return on_rows, logged


@pytest.fixture
def accepted(demo_db):
    """The demo school, checked, with every acceptable open finding accepted with its own reason,
    then the accepted students' names changed with sqlite3 (outside Zizhu): the next check
    reopens what it finds again with other data. Closed: the command opens the file."""
    from db.findings import NOT_ACCEPTABLE
    check(demo_db)
    rows = [r for r in finding_rows(demo_db, include_fixed=False)
            if r.student_id and r.code not in NOT_ACCEPTABLE]
    assert len(rows) >= 3
    for r in rows:
        accept_findings(demo_db, [r.id], f"核对原件无误 {r.id}")
    path = demo_db.path
    demo_db.close()
    con = sqlite3.connect(path)
    with con:
        con.executemany("UPDATE student SET name = name || '甲' WHERE id = ?", [(r.student_id,) for r in rows])
    con.close()
    return path, {f"核对原件无误 {r.id}" for r in rows}


@pytest.mark.parametrize("command", [["check"], ["notice", "公示.pdf"]])
def test_changes_nothing_a_clerk_entered_and_takes_no_start_backup(accepted, command):
    path, given = accepted
    if command[0] == "notice":
        command = ["notice", str(path.parent / command[1])]
    con = sqlite3.connect(path)
    before = _tables(con)
    assert given <= _reasons(con)[0]
    con.close()

    assert run(["--db", str(path), *command]) in (0, 1)

    assert not [b for b in bk.list_backups(path) if b.name.endswith("-start.sqlite")]
    con = sqlite3.connect(path)
    after = _tables(con)
    for name in set(before) - DERIVED:
        assert after[name] == before[name], name          # students, roster, policy, payments, keys…
    def settings(rows: list[tuple]) -> list[tuple]:
        return [r for r in rows if r[0] not in (CHECKED_AT_KEY, ANCHOR_KEY)]
    assert settings(after["setting"]) == settings(before["setting"])    # only the time of the check and
    # where the audit chain stood (db.audit_chain.ANCHOR_KEY)
    assert after["audit_log"][:len(before["audit_log"])] == before["audit_log"]   # appended only
    on_rows, logged = _reasons(con)
    con.close()
    assert given - on_rows, "the scenario must make the check reopen an accepted finding"
    assert given <= on_rows | logged                     # each reason still stored
