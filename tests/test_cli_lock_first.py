"""A command takes the database's single-instance lock before it reads anything ahead (the roster for
``check``, the audit chain, the integrity check). Read before, the roster could be another process's
state from before its import: the read-ahead is taken when the file "did not change" (its size and
time; a file rewritten in place keeps its size, a FAT32 stick its time to two seconds), and the check
stored on it was taken as current. Unix only (the other holder is an flock of its own)."""
from __future__ import annotations

import sys

import pytest
from conftest import two_student_school

import cli.commands
from cli.commands import run
from db import lock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the other holder is an flock")


@pytest.fixture
def school(tmp_path):
    return two_student_school(tmp_path / "school.sqlite")


def test_the_reads_ahead_start_with_the_lock_held(school, monkeypatch):
    seen = []
    real = cli.commands._start_reads

    def spy(args, db_path, whole_process):
        seen.append(lock.is_held(db_path))
        return real(args, db_path, whole_process)
    monkeypatch.setattr(cli.commands, "_start_reads", spy)
    assert run(["--db", str(school), "check"]) in (0, 1)
    assert seen == [True] and not lock.is_held(school)          # (and given back with the command)


def test_a_database_another_program_holds_is_refused_before_anything_is_read(school, monkeypatch, capsys):
    import fcntl
    import json
    import os
    monkeypatch.setattr(cli.commands, "_start_reads", lambda *a: pytest.fail("read ahead of the lock"))
    fd = os.open(lock.lock_path(school.resolve()), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps({"pid": 1, "host": "另一台", "user": "王老师", "program": "资助助手"}).encode())
        assert run(["--db", str(school), "check"]) == 2
    finally:
        os.close(fd)
    assert "不能同时打开" in capsys.readouterr().err and not lock.is_held(school)
