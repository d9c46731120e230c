"""`init` re-run on an existing school keeps what it is not given and says what it changed;
`demo` never fills a database that already has a school or students."""
import sqlite3

import pytest

from cli.commands import run
from core.errors import ValidationError
from db import settings, store
from db.session import open_database
from db.workflows import fill_demo


def _init(path, *extra: str) -> int:
    return run(["--db", str(path), "init", "--school", "甲学校", "--code", "111", *extra])


def _school_row(path) -> tuple:
    with sqlite3.connect(path) as con:
        return con.execute("select name, code, township, school_year from school").fetchone()


def _dump(path) -> list[str]:
    """Every row of every table (what a clerk entered, and the marks the program keeps)."""
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_init_for_the_next_school_year_keeps_the_township_and_says_what_changed(tmp_path, capsys):
    path = tmp_path / "a.sqlite"
    assert _init(path, "--school-year", "2024", "--township", "城关镇", "--county", "某县",
                 "--contact-phone", "0718-1234567") == 0
    capsys.readouterr()
    assert _init(path, "--school-year", "2025") == 0
    out = capsys.readouterr().out
    assert _school_row(path) == ("甲学校", "111", "城关镇", 2025)
    assert "已修改：学年 2024–2025 → 2025–2026" in out.splitlines()
    assert "所属乡镇" not in out                      # not changed: not reported as changed
    assert "县名（county）：某县" in out and "0718-1234567" in out     # the official fields kept too


def test_init_changing_the_name_code_and_township_names_each_change(tmp_path, capsys):
    path = tmp_path / "a.sqlite"
    assert _init(path, "--school-year", "2024", "--township", "城关镇") == 0
    capsys.readouterr()
    assert run(["--db", str(path), "init", "--school", "乙学校", "--code", "222", "--school-year", "2024",
                "--township", "茅田乡"]) == 0
    out = capsys.readouterr().out
    assert _school_row(path) == ("乙学校", "222", "茅田乡", 2024)
    assert "已修改：学校名称 甲学校 → 乙学校；学校代码 111 → 222；所属乡镇 城关镇 → 茅田乡" in out.splitlines()


def test_init_rerun_unchanged_says_nothing_changed(tmp_path, capsys):
    path = tmp_path / "a.sqlite"
    assert _init(path, "--school-year", "2024", "--township", "城关镇") == 0
    capsys.readouterr()
    assert _init(path, "--school-year", "2024") == 0
    out = capsys.readouterr().out
    assert "已修改" not in out and "没有改变" in out
    assert _school_row(path) == ("甲学校", "111", "城关镇", 2024)


def test_init_of_a_new_database_is_as_before(tmp_path, capsys):
    path = tmp_path / "new.sqlite"
    assert _init(path, "--school-year", "2024") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "已初始化：甲学校（代码 111），2024–2025学年"
    assert "已修改" not in out and "没有改变" not in out
    assert _school_row(path) == ("甲学校", "111", "", 2024)


def test_save_school_without_a_township_keeps_the_stored_one(db):
    settings.save_school(db, "甲学校", "111", 2024, "城关镇")
    saved = settings.save_school(db, "甲学校", "111", 2025)
    assert saved.school.township == "城关镇" and saved.before is not None
    assert (saved.before.school_year, saved.school.school_year) == (2024, 2025)
    assert settings.save_school(db, "甲学校", "111", 2025, "").school.township == ""   # given: applied


def test_demo_on_a_database_with_a_school_changes_nothing(tmp_path, capsys):
    """A receiving station's database: a school, its 公文信息, an edited policy, no students."""
    path = tmp_path / "b.sqlite"
    assert run(["--db", str(path), "init", "--school", "城关镇中心小学", "--code", "4201", "--school-year", "2024",
                "--township", "城关镇", "--county", "某县"]) == 0
    assert run(["--db", str(path), "policy", "set", "公办普通高中学费标准", "1200"]) == 0
    capsys.readouterr()
    before = _dump(path)
    assert run(["--db", str(path), "demo", "--students", "20"]) == 2
    err = capsys.readouterr().err
    assert "城关镇中心小学" in err and "不能在其中生成演示数据" in err
    assert "新建" in err and "--demo" in err and "演示.sqlite demo" in err
    assert _dump(path) == before
    with sqlite3.connect(path) as con:
        assert con.execute("select value from setting where key = 'demo'").fetchone() is None


def test_fill_demo_refuses_a_school_without_students(db):
    settings.save_school(db, "城关镇中心小学", "4201", 2024, "城关镇", official={"county": "某县"})
    with pytest.raises(ValidationError) as caught:
        fill_demo(db, n_students=10)
    assert "城关镇中心小学" in caught.value.message and "新建" in caught.value.hint
    with db.session() as s:
        assert not store.is_demo(s) and store.find_school(s).name == "城关镇中心小学"
    assert settings.official(db)["county"] == "某县"


def test_fill_demo_refuses_a_demo_database_again(demo_db):
    with demo_db.session() as s:
        name = store.find_school(s).name
    with pytest.raises(ValidationError):
        fill_demo(demo_db, n_students=10, seed=7)
    with demo_db.session() as s:
        assert store.find_school(s).name == name


def test_demo_on_an_empty_database_still_works(tmp_path):
    path = tmp_path / "empty.sqlite"
    open_database(path).close()
    assert run(["--db", str(path), "demo", "--students", "10"]) == 0
    with sqlite3.connect(path) as con:
        assert con.execute("select value from setting where key = 'demo'").fetchone() == ("1",)
