"""No output replaces the database in use or the list just imported (found by review, session 15:
`import students 名单.xlsx --problems 名单.xlsx` replaced the clerk's list with its problem rows;
`export <the database> --draft` turned the database into a zip, and the signing key made in that run
was lost with it). The refusal is one check at the one atomic write (``core.paths``)."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from conftest import xlsx
from test_cli import ID_HS, ID_PRE

from cli.commands import run
from core.errors import OutputFileError
from core.paths import DATABASE_FILE, check_replaceable, protect, write_atomic


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def school(tmp_path):
    db = tmp_path / "学校.sqlite"
    assert run(["--db", str(db), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    listing = xlsx(tmp_path / "名单.xlsx", ["姓名", "身份证号", "学段"],
                   ["张三", ID_PRE, "幼儿园"], ["李四", ID_HS[:-1] + ("0" if ID_HS[-1] != "0" else "1"), "高中"])
    return db, listing


def test_the_problem_rows_never_replace_the_list_they_come_from(school, capsys):
    db, listing = school
    before = digest(listing)
    assert run(["--db", str(db), "import", "students", str(listing), "--problems", str(listing)]) == 2
    err = capsys.readouterr().err
    assert "不能保存为“名单.xlsx”" in err and "原始名单文件" in err and "换一个文件名" in err
    assert digest(listing) == before


@pytest.mark.parametrize("side", ["", "-wal"])
def test_no_export_or_backup_replaces_the_database(school, tmp_path, capsys, side):
    db, _listing = school
    target = db.with_name(db.name + side)
    pw = tmp_path / "pw.txt"
    pw.write_text("口令123456\n", encoding="utf-8")
    for argv in (["export", str(target), "--draft", "--passphrase-file", str(pw)],
                 ["backup", str(target)],
                 ["template", "students", str(target)]):
        assert run(["--db", str(db), *argv]) == 2, argv
        assert "正在使用的数据库文件" in capsys.readouterr().err
        # (the database's own files change as it is opened: what matters is that no output replaced them)
        assert not target.exists() or target.read_bytes()[:2] != b"PK"
        with sqlite3.connect(db) as con:       # still the school's database, its data and key intact
            assert con.execute("SELECT name FROM school").fetchone() == ("第一中学",)
    assert run(["--db", str(db), "export", str(tmp_path / "包.zip"), "--draft", "--passphrase-file", str(pw)]) == 0


def test_any_other_file_is_written_as_before(school, tmp_path):
    db, _listing = school
    other = tmp_path / "模板.xlsx"
    other.write_bytes(b"old")
    assert run(["--db", str(db), "template", "students", str(other)]) == 0
    assert other.read_bytes()[:2] == b"PK"


def test_the_check_keys_files_as_the_file_system_names_them(tmp_path):
    real = tmp_path / "a.sqlite"
    real.write_bytes(b"x")
    link = tmp_path / "link.sqlite"
    link.symlink_to(real)
    protect([real], DATABASE_FILE)
    for name in (real, link, tmp_path / "." / "a.sqlite"):
        with pytest.raises(OutputFileError) as err:
            check_replaceable(name)
        assert "正在使用的数据库文件" in err.value.message
        with pytest.raises(OutputFileError):
            write_atomic(name, lambda tmp: tmp.write_bytes(b"y"))
    assert real.read_bytes() == b"x"
    check_replaceable(tmp_path / "b.sqlite")       # not protected: no refusal


def test_the_export_page_refuses_a_list_just_imported(qtbot, demo_db, shown, tmp_path):
    """The notice's workbook named as the list imported in this session (the save dialog asks only
    whether to replace it): one error in Chinese, the list untouched."""
    from conftest import open_main_window

    from core.importers.reader import read_table
    from core.paths import IMPORTED_FILE
    from gui.main_window import EXPORT
    listing = xlsx(tmp_path / "名单.xlsx", ["姓名", "身份证号", "学段"], ["张三", ID_PRE, "幼儿园"])
    before = digest(listing)
    read_table(listing)                 # as the import wizard reads it (in this process: the worker is inline)
    win = open_main_window(qtbot, demo_db)
    win.show_page(EXPORT)
    page = win.export
    page.ask_notice_target = lambda suffix, title="": listing
    page.notice_xlsx_button.click()
    assert len(shown) == 1 and IMPORTED_FILE in shown[0][0] and "换一个文件名" in shown[0][1]
    shown.clear()
    assert digest(listing) == before


def test_the_system_s_reasons_are_given_in_chinese(tmp_path, capsys):
    """"无法保存“x”：Is a directory": the system's English words inside a Chinese message (found by review,
    session 15)."""
    from core.errors import os_reason
    folder = tmp_path / "已有文件夹"
    folder.mkdir()
    with pytest.raises(OutputFileError) as err:
        write_atomic(folder, lambda tmp: tmp.write_bytes(b"x"))
    assert err.value.message == "无法保存“已有文件夹”：这是一个文件夹，不是文件"
    db = tmp_path / "学校.sqlite"
    assert run(["--db", str(db), "init", "--school", "一中", "--code", "1", "--school-year", "2024"]) == 0
    capsys.readouterr()
    assert run(["--db", str(db), "policy", "import", str(tmp_path / "没有.toml")]) == 2
    assert "找不到该文件或文件夹" in capsys.readouterr().err
    assert os_reason(OSError(28, "No space left on device")) == "磁盘空间不足"
    assert os_reason(OSError(9999, "Something new")) == "Something new"


@pytest.mark.parametrize(("errno_", "hint"), [
    (28, "磁盘空间不足：请清理“{folder}”所在的磁盘"), (36, "文件名或文件夹路径太长"),
    (30, "“{folder}”所在的磁盘是只读的"), (5, "请换一个保存位置（现在是“{folder}”）后重试")])
def test_a_save_that_fails_says_what_to_do_for_that_failure(tmp_path, errno_, hint):
    """Every failure but a held file said "请检查磁盘空间，或换一个保存位置", a folder of that name and a
    name too long too (messages review, session 29)."""
    def fails(tmp):
        raise OSError(errno_, "system words")
    with pytest.raises(OutputFileError) as err:
        write_atomic(tmp_path / "名单.pdf", fails)
    assert hint.format(folder=tmp_path) in err.value.hint


def test_a_folder_of_the_name_is_said_to_be_one(tmp_path):
    folder = tmp_path / "公示名单.pdf"
    folder.mkdir()
    with pytest.raises(OutputFileError) as err:
        write_atomic(folder, lambda tmp: tmp.write_bytes(b"x"))
    assert err.value.hint == f"“{tmp_path}”中已有一个名为“公示名单.pdf”的文件夹：请换一个文件名"
