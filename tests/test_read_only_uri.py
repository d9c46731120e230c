"""The read-only URIs every sqlite3 peek at a database opens (db.readonly.read_only_uri)."""
import sqlite3
from pathlib import PureWindowsPath

import pytest

from db.readonly import connect_read_only, read_only_uri


def test_a_windows_network_path_gets_an_empty_authority():
    # python.org's SQLite refuses "file://server/share/…" (invalid uri authority: server)
    assert read_only_uri(PureWindowsPath(r"\\server\share\资助\z.sqlite")) == \
        "file:////server/share/%E8%B5%84%E5%8A%A9/z.sqlite?mode=ro"
    assert read_only_uri(PureWindowsPath(r"Z:\资助 数据\z.sqlite")) == \
        "file:///Z:/%E8%B5%84%E5%8A%A9%20%E6%95%B0%E6%8D%AE/z.sqlite?mode=ro"


def test_sqlite_itself_refuses_an_authority_and_reads_the_empty_one(tmp_path):
    with pytest.raises(sqlite3.OperationalError, match="authority"):
        sqlite3.connect("file://server/x.sqlite?mode=ro", uri=True)
    p = tmp_path / "a.sqlite"
    sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit()
    con = sqlite3.connect("file:////" + str(p).lstrip("/") + "?mode=ro", uri=True)   # (POSIX: one leading /)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
    con.close()


@pytest.mark.parametrize("folder", ["班%41", "a#b", "问?号", "二 班"])
def test_a_folder_name_sqlite_would_read_as_uri_syntax_opens_the_right_file(tmp_path, folder):
    p = tmp_path / folder / "z.sqlite"
    p.parent.mkdir()
    (tmp_path / "班A").mkdir(exist_ok=True)
    sqlite3.connect(p).execute("CREATE TABLE mine (x)").connection.commit()
    con = connect_read_only(p)
    try:
        assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("mine",)]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            con.execute("CREATE TABLE other (x)")
    finally:
        con.close()
    assert not (tmp_path / "班A" / "z.sqlite").exists()


def test_a_relative_path_is_opened_where_it_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sqlite3.connect("r.sqlite").execute("CREATE TABLE here (x)").connection.commit()
    con = connect_read_only("r.sqlite")
    assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("here",)]
    con.close()


def test_the_sessions_open_the_file_whose_folder_name_looks_percent_encoded(tmp_path):
    from cli.commands import run
    (tmp_path / "班A").mkdir()
    (tmp_path / "班%41").mkdir()
    p = tmp_path / "班%41" / "z.sqlite"
    assert run(["--db", str(p), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    assert not (tmp_path / "班A" / "z.sqlite").exists()
    con = connect_read_only(p)
    assert con.execute("SELECT name FROM school").fetchall() == [("第一中学",)]
    con.close()
