"""A damaged database chosen from the running window (打开数据库, 最近打开, 返回正式数据库) is offered its
newest good backup, as at the program's start: Zizhu.exe has no command line for ``restore --latest``."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from test_gui_databases import school_db

from db import lock
from db.backup import backup
from db.session import open_database
from db.workflows import counts
from gui.databases import DatabaseSwitcher

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def switcher(qtbot):
    sw = DatabaseSwitcher()
    sw.asked = []
    sw.ask_restore = lambda question: sw.asked.append(question) or sw.answer
    sw.answer = True
    yield sw
    if sw.window is not None:
        sw.window.close()
    sw.close()


def damage(p):
    """Overwrite the school table's root page: quick_check fails."""
    con = sqlite3.connect(p)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name='school'").fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(p, "r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xa5" * size)


@pytest.fixture
def damaged(tmp_path):
    b = school_db(tmp_path / "b.sqlite", "乙校")
    good = backup(b, reason="t")
    damage(b)
    return b, good


def test_a_damaged_database_opened_from_the_window_is_offered_its_backup(home, switcher, tmp_path, damaged):
    a = school_db(tmp_path / "a.sqlite", "甲校")
    b, good = damaged
    switcher.start(open_database(a))
    switcher.ask_open_path = lambda: b
    switcher.window.action_collection.open_database.trigger()
    assert len(switcher.asked) == 1 and "已损坏" in switcher.asked[0] and "damaged" in switcher.asked[0]
    assert good.name in switcher.asked[0] and "python main.py" not in switcher.asked[0]
    assert switcher.db.path == b and switcher.info.school == "乙校"
    assert not lock.is_held(a) and lock.is_held(b)
    assert len(list(tmp_path.glob("b.sqlite.damaged-*"))) == 1
    assert counts(switcher.db)["students"] == 0


def test_a_declined_restore_leaves_the_clerk_where_they_were(home, switcher, tmp_path, damaged):
    a = school_db(tmp_path / "a.sqlite", "甲校")
    b, _good = damaged
    before = hashlib.sha256(b.read_bytes()).hexdigest()
    switcher.start(open_database(a))
    w = switcher.window
    switcher.answer = False
    switcher.ask_open_path = lambda: b
    w.action_collection.open_database.trigger()
    assert len(switcher.asked) == 1
    assert switcher.window is w and switcher.db.path == a and lock.is_held(a) and not lock.is_held(b)
    assert hashlib.sha256(b.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("b.sqlite.damaged-*"))


def test_back_to_the_real_database_offers_its_backup_too(home, switcher, tmp_path):
    real = school_db(home / "zizhu.sqlite", "城关中学")
    backup(real, reason="t")
    damage(real)
    switcher.start(open_database(home / "demo.sqlite"), demo=True)
    switcher.window.action_collection.back_to_real.trigger()
    assert len(switcher.asked) == 1
    assert switcher.db.path == real and switcher.info.school == "城关中学" and not switcher.info.demo
