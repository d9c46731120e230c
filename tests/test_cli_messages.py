"""What the command line tells the clerk to do: each check's 处理建议 (once per rule), the rows an
import flagged, and hints that name what the command line has (not only the GUI's controls)."""
from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import two_student_school, xlsx

from cli.commands import run
from core.checks import RULES_BY_CODE
from core.idnumber import make_id, mask_id

HS = make_id("110101", date(2008, 5, 1), 123)      # conftest.two_student_school's 张丽 ...
LI = make_id("110101", date(2019, 3, 1), 124)      # ... and 李四


def _ids(n: int, year: int = 2007) -> list[str]:
    return [make_id("110101", date(year, 3, 1), 300 + i) for i in range(n)]


@pytest.fixture
def school(tmp_path, capsys):
    dbp = str(tmp_path / "c.sqlite")
    assert run(["--db", dbp, "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    capsys.readouterr()
    return dbp


# -- check: 处理建议 ----------------------------------------------------------------------

def _listing(out: str) -> tuple[list[str], list[str]]:
    """The finding lines and the lines after them (处理建议 …)."""
    lines = out.splitlines()
    found = [x for x in lines if x.startswith("[")]
    return found, lines[len(found):]


def test_check_prints_each_rules_hint_once_under_the_listing(tmp_path, capsys):
    db = str(two_student_school(tmp_path / "s.sqlite"))
    # five students on no roster and without fees: several findings of each rule
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别"],
                *([f"学生{i}", x, "普通高中", "建档立卡"] for i, x in enumerate(_ids(5))))
    assert run(["--db", db, "import", "students", str(path)]) == 0
    capsys.readouterr()
    run(["--db", db, "check"])
    out = capsys.readouterr().out
    found, after = _listing(out)
    titles = {re.match(r"\[.+?\] (\S+)", x).group(1) for x in found}
    codes = {code for code, rule in RULES_BY_CODE.items() if rule.title in titles}
    assert len(found) > len(titles) >= 2                 # more findings than rules: hints are not per finding
    assert after[0] == "处理建议："
    for code in codes:
        rule = RULES_BY_CODE[code]
        assert out.count(rule.hint) == 1, rule.title
        assert f"  {rule.title}：{rule.hint}" in after
        assert code not in out                           # the clerk reads titles, never the codes
    accept = next(x for x in after if x.startswith("数据经核对无误的问题可以接受："))
    example = re.search(r"如“(.+?)”", accept).group(1)
    assert "accept 问题名称 完整身份证号 --reason 原因" in accept and example in titles
    assert "check --json" in accept
    # the summary lines stay last
    assert after[-2].startswith("审计日志") and after[-1].startswith("未处理：")


def test_accepting_by_the_title_check_prints_then_no_advice(tmp_path, capsys):
    db = str(two_student_school(tmp_path / "s.sqlite"))
    assert run(["--db", db, "policy", "set", "公办普通高中学费标准", "1000"]) == 0     # 张丽's fee: no other warning
    assert run(["--db", db, "check"]) == 0
    out = capsys.readouterr().out
    assert "  尚未告知家庭：打印并发放资助结果告知书，收回回执" in out and "如“尚未告知家庭”" in out
    for number in (HS, LI):        # the title as check prints it works for accept
        assert run(["--db", db, "accept", "尚未告知家庭", number, "--reason", "已当面告知"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "check"]) == 0
    out = capsys.readouterr().out
    assert "（已接受）" in out and "处理建议" not in out and "accept" not in out


def test_the_missing_parameter_hint_names_the_policy_page_and_the_command_that_works(tmp_path, capsys):
    db = str(two_student_school(tmp_path / "s.sqlite"))
    assert run(["--db", db, "policy", "set", "公办普通高中学费标准", ""]) == 0
    capsys.readouterr()
    assert run(["--db", db, "check"]) == 1
    out = capsys.readouterr().out
    hint = RULES_BY_CODE["MISSING_POLICY_PARAM"].hint
    assert f"  政策参数未设置：{hint}" in out
    assert "“政策 → 政策参数”" in hint and "policy set" in hint and "打开“设置”" not in hint
    # the example in the hint is a command that really sets the parameter
    example = re.search(r"例如 (policy set \S+ \d+)", hint).group(1)
    assert run(["--db", db, *example.split()]) == 0
    capsys.readouterr()
    run(["--db", db, "check"])
    assert "政策参数未设置" not in capsys.readouterr().out


def test_a_receivers_findings_get_one_line_saying_how_to_close_them(tmp_path, capsys):
    from feedback_fixtures import ZHANG, duplicate, round_trip, send
    rt = round_trip(tmp_path)
    pkg = send(rt, [duplicate(ZHANG)])
    rt.school.close()
    db = str(rt.school.path)
    assert run(["--db", db, "import", "feedback", str(pkg), "--trust", str(rt.station_key)]) == 0
    capsys.readouterr()
    assert run(["--db", db, "check"]) == 1
    out = capsys.readouterr().out
    assert out.count("上级单位反馈的问题：改正本校的数据后用 mark-fixed 问题名称 完整身份证号 --note 改了什么") == 1


# -- export: the draft hint -------------------------------------------------------------

@pytest.mark.parametrize("county", ["建始县", ""])
def test_the_not_ready_hint_names_the_draft_option(tmp_path, capsys, county):
    db = str(two_student_school(tmp_path / "s.sqlite", county=county))
    pw = tmp_path / "pw.txt"
    pw.write_text("school-secret-1\n", encoding="utf-8")
    assert run(["--db", db, "export", str(tmp_path / "p.zip"), "--passphrase-file", str(pw)]) == 2
    err = capsys.readouterr().err
    assert "提示：" in err and "如需先交草稿，请勾选“草稿”（命令行加 --draft）" in err


# -- import: the rows with problems --------------------------------------------------------

def test_import_lists_the_rows_imported_with_problems(school, tmp_path, capsys):
    ids = _ids(3)
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "实收学费"],
                ["甲", ids[0], "普通高中", "免"], ["乙", ids[1], "普通高中", "1200"], ["丙", ids[2], "普通高中", "全免"])
    assert run(["--db", school, "import", "students", str(path)]) == 0
    out = capsys.readouterr().out
    assert "有问题 2 行" in out
    assert "有问题的行（已导入，请核对改正）：共 2 行" in out
    # each row named as the clerk finds it: line, name, masked ID
    assert re.search(rf"^  第 2 行 甲（{re.escape(mask_id(ids[0]))}）：实收学费（D列）：金额“免”不是数字", out, re.M)
    assert re.search(rf"^  第 4 行 丙（{re.escape(mask_id(ids[2]))}）：实收学费（D列）：金额“全免”不是数字", out, re.M)
    assert "第 3 行" not in out and "另有" not in out


def test_import_lists_the_first_twenty_and_says_how_to_save_them_all(school, tmp_path, capsys):
    ids = _ids(25)
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "实收学费"],
                *([f"学生{i}", x, "普通高中", "免"] for i, x in enumerate(ids)))
    assert run(["--db", school, "import", "students", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "有问题的行（导入后会标记出来）：共 25 行" in out
    listed = re.findall(r"^  第 (\d+) 行 学生\d+（", out, re.M)
    assert listed == [str(n) for n in range(2, 22)]
    assert "  ……另有 5 行有问题；加 --problems 文件.xlsx 可把有问题的行全部另存为 Excel 文件" in out
    saved = tmp_path / "问题.xlsx"
    assert run(["--db", school, "import", "students", str(path), "--dry-run", "--problems", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "  ……另有 5 行有问题；全部见 --problems 保存的文件" in out and f"有问题的行已保存到：{saved}" in out
    assert saved.exists()


def test_no_accept_line_when_nothing_listed_can_be_accepted(tmp_path, capsys):
    """Only 身份证号来自数字单元格 (never accepted): no "accept … 如“…”" advice naming it."""
    path = tmp_path / "n.sqlite"
    db = str(path)
    assert run(["--db", db, "init", "--school", "第一中学", "--code", "1", "--school-year", "2023"]) == 0
    rows = [["张三", float(make_id("110101", date(2008, 5, 1), 11)), "小学", "非困难"]]
    assert run(["--db", db, "import", "students", str(xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别"],
                                                           *rows))]) == 0
    capsys.readouterr()
    run(["--db", db, "check"])
    out = capsys.readouterr().out
    assert "身份证号来自数字单元格" in out and "处理建议" in out and "accept" not in out


# -- the windowed program given a command ----------------------------------------------------------

def test_a_command_given_to_the_windowed_program_is_refused_in_a_dialog(tmp_path, monkeypatch):
    """Zizhu.exe has no console (sys.stdout is None): a command would crash at its first write, or import
    a list without a word. It is refused in a dialog before anything is touched."""
    from gui import crash
    told: list[str] = []
    monkeypatch.setattr(crash, "tell", told.append)
    monkeypatch.setattr("sys.stdout", None)
    dbp = tmp_path / "c.sqlite"
    assert run(["--db", str(dbp), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 2
    assert not dbp.exists() and len(told) == 1
    assert "不能运行命令“init”" in told[0] and "双击 Zizhu.exe" in told[0] and "python main.py init" in told[0]
    monkeypatch.setattr(crash, "tell", lambda _text: _raise(RuntimeError("no Qt platform plugin")))
    assert run(["--db", str(dbp), "check"]) == 2 and not dbp.exists()      # no dialog possible: still refused


def _raise(exc: BaseException) -> None:
    raise exc


def test_the_refusal_dialog_names_the_program(qapp, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from gui import app, crash
    shown = []
    monkeypatch.setattr(app, "setup_application", lambda argv=None: qapp)    # this process's, unchanged
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append((parent, title, text)))
    crash.tell("不能运行命令“check”")
    assert shown == [(None, "资助助手", "不能运行命令“check”")]
