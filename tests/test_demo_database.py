"""Demo data lives in a demo database marked as such: its flag, the CLI, and every export's 演示数据 mark."""
import json
import re
import zipfile

import openpyxl
from pdftext import pdf_text as read_pdf_text

from cli.commands import run
from db import store
from db.session import open_database
from db.workflows import database_info, fill_demo

MARK = "演示数据"


def pdf_text(path) -> str:
    return re.sub(r"\s+", "", read_pdf_text(path))


def test_fill_demo_marks_the_database_not_its_file_name(db):
    """The flag is a setting in the database: a file called t.sqlite is a demo one once filled."""
    assert database_info(db).demo is False and not database_info(db).has_school
    fill_demo(db, n_students=30)
    info = database_info(db)
    assert info.demo is True and info.school == "建始县第一高级中学" and info.path == db.path
    with db.session() as s:
        assert store.is_demo(s)
        # the demo policy has the school's public tuition: 免学费 is computed, not 待补充
        assert store.get_policy(s).parameters["tuition_standard"]


def test_a_school_made_by_hand_is_not_demo(db):
    with db.session() as s:
        store.init_school(s, "城关中学", "42", 2023, actor="t")
    assert database_info(db) == database_info(db) and database_info(db).demo is False


def test_cli_demo_command_marks_the_database(tmp_path, capsys):
    path = tmp_path / "practice.sqlite"
    assert run(["--db", str(path), "demo", "--students", "20"]) == 0
    assert "已标记为演示数据库" in capsys.readouterr().out
    d = open_database(path)
    try:
        assert database_info(d).demo
    finally:
        d.close()


def _export(db_path, tmp_path, capsys, letters=True) -> tuple[zipfile.ZipFile, str]:
    pw = tmp_path / "pw.txt"
    pw.write_text("demo-secret-1\n", encoding="utf-8")
    out = tmp_path / "pkg.zip"
    assert run(["--db", str(db_path), "export", str(out), "--draft", *["--letters"] * letters,
                "--passphrase-file", str(pw)]) == 0
    printed = capsys.readouterr().out
    assert run(["--db", str(db_path), "verify", str(out)]) == 0
    return zipfile.ZipFile(out), printed + capsys.readouterr().out


def _workbook_marks(path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [str(ws.cell(row=1, column=1).value) + "|" + (ws.oddHeader.right.text or "") for ws in wb.worksheets]


def test_every_export_of_a_demo_database_says_demo(tmp_path, capsys):
    path = tmp_path / "demo-like.sqlite"
    assert run(["--db", str(path), "demo", "--students", "25"]) == 0
    zf, printed = _export(path, tmp_path, capsys)
    assert "不得上报" in printed and f"提交包类型：草稿（不是正式上报数据）；{MARK}" in printed
    assert json.loads(zf.read("manifest.json"))["demo"] is True
    folder = tmp_path / "unzipped"
    zf.extractall(folder)
    for pdf in ("report.pdf", "notice.pdf", "letters.pdf"):
        assert "【演示数据】虚构的学校和学生" in pdf_text(folder / pdf), pdf
    assert "正式" not in pdf_text(folder / "report.pdf").split("状态")[1][:20]
    marks = _workbook_marks(folder / "workbook.xlsx")
    assert marks and all(m.startswith("【演示数据】") and MARK in m.split("|")[1] for m in marks)
    notice = tmp_path / "notice.xlsx"
    assert run(["--db", str(path), "notice", str(notice)]) == 0
    assert all(m.startswith("【演示数据】") for m in _workbook_marks(notice))
    letters = tmp_path / "letters.pdf"
    assert run(["--db", str(path), "letters", str(letters)]) == 0
    assert "【演示数据】" in pdf_text(letters)


def test_a_real_database_export_has_no_demo_mark(tmp_path, capsys):
    path = tmp_path / "real.sqlite"
    assert run(["--db", str(path), "init", "--school", "城关中学", "--code", "42", "--school-year", "2023"]) == 0
    assert run(["--db", str(path), "import", "students", str(_one_student(tmp_path))]) == 0
    zf, printed = _export(path, tmp_path, capsys, letters=False)
    assert MARK not in printed
    assert json.loads(zf.read("manifest.json"))["demo"] is False
    folder = tmp_path / "unzipped"
    zf.extractall(folder)
    for pdf in ("report.pdf", "notice.pdf"):
        assert MARK not in pdf_text(folder / pdf), pdf
    assert not any(MARK in m for m in _workbook_marks(folder / "workbook.xlsx"))


def _one_student(tmp_path):
    from datetime import date

    from core.idnumber import make_id
    f = tmp_path / "students.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号", "学段", "家庭类别"])
    wb.active.append(["张丽", make_id("110101", date(2008, 5, 1), 123), "普通高中", "建档立卡"])
    wb.save(f)
    return f
