"""The integrity check started early (db.integrity): its answer is used only for the file as it was
checked; a file changed meanwhile is checked again; a damaged file is refused either way."""
import sqlite3

import pytest
from test_faults import damage

from db import integrity
from db.session import DamagedDatabaseError, open_database


@pytest.fixture
def stored(db):
    from db.settings import save_school
    save_school(db, "第一中学", "4115", 2023, "")
    db.close()
    return db.path


@pytest.fixture
def probes(monkeypatch):
    calls = []
    real = integrity.probe

    def counted(path):
        calls.append(path)
        return real(path)
    monkeypatch.setattr(integrity, "probe", counted)
    return calls


def test_a_check_started_early_is_used_once_for_the_unchanged_file(stored, probes):
    integrity.start(stored)
    found = integrity.result(stored)
    assert found.rows == ("ok",) and "school" in found.tables
    assert len(probes) == 1                       # not checked a second time
    integrity.result(stored)
    assert len(probes) == 2                       # used once: the next open checks anew


def test_a_file_written_after_the_check_started_is_checked_again(stored, probes):
    integrity.start(stored)
    integrity._checks._started[integrity._key(stored)].thread.join()
    con = sqlite3.connect(stored)
    with con:
        con.execute("UPDATE school SET name = '第二中学'")
    con.close()
    assert integrity.result(stored).rows == ("ok",)
    assert len(probes) == 2


def test_a_new_file_starts_nothing(tmp_path, probes):
    integrity.start(tmp_path / "new.sqlite")
    assert integrity._key(tmp_path / "new.sqlite") not in integrity._checks._started and not probes


def test_a_command_refused_before_its_check_is_taken_keeps_none(tmp_path, capsys):
    from cli.commands import run
    other = tmp_path / "notes.sqlite"
    other.write_bytes(b"not a database, but not empty either")
    assert run(["--db", str(other), "compute"]) == 2           # refused at the header
    assert "不是资助助手的数据库" in capsys.readouterr().err
    assert integrity._key(other) not in integrity._checks._started


def test_a_damaged_file_checked_early_is_refused_and_not_written(stored):
    damage(stored)
    before = stored.read_bytes()
    integrity.start(stored)
    with pytest.raises(DamagedDatabaseError):
        open_database(stored)
    assert stored.read_bytes() == before
