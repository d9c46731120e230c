"""The command-line contract."""
import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import xlsx

from cli.commands import run
from core.idnumber import make_id

ROOT = Path(__file__).resolve().parent.parent
ID_PRE = make_id("110101", date(2019, 3, 1), 101)
ID_HS = make_id("110101", date(2007, 3, 1), 102)
ID_UNI = make_id("110101", date(2003, 3, 1), 104)


@pytest.fixture
def dbp(tmp_path):
    p = tmp_path / "cli.sqlite"
    assert run(["--db", str(p), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    return p


@pytest.fixture
def students_file(tmp_path):
    return xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别", "实收学费", "实收书本费", "实收住宿费", "备注"],
                ["张三", ID_PRE, "幼儿园", "脱贫户", None, None, None, "x"],
                ["李四", ID_HS, "高中", "建档立卡", 1500, 300, None, ""],
                ["王五", ID_UNI, "本科", "建档立卡", None, None, None, ""],
                title="第一中学学生名单")


def test_init_and_policy_show(dbp, capsys):
    assert run(["--db", str(dbp), "policy", "show"]) == 0
    out = capsys.readouterr().out
    assert "PRESCHOOL" in out and "2022.00" in out and "公办普通高中学费标准 = 未设置" in out
    assert "tuition_standard" not in out      # parameters are named in Chinese


def test_policy_set_by_chinese_name_and_messages_name_it(dbp, capsys):
    assert run(["--db", str(dbp), "policy", "set", "公办中职学费标准", "2000"]) == 0
    assert "已修改 公办中职学费标准 = 2000" in capsys.readouterr().out
    run(["--db", str(dbp), "policy", "show"])
    assert "公办中职学费标准 = 2000.00 元" in capsys.readouterr().out
    assert run(["--db", str(dbp), "policy", "set", "tuition_standard.普通高中", "一千"]) == 2
    err = capsys.readouterr().err
    assert "公办普通高中学费标准无效" in err and "tuition_standard" not in err


def test_policy_set_and_bad_value(dbp, capsys):
    assert run(["--db", str(dbp), "policy", "set", "tuition_standard.普通高中", "1200"]) == 0
    capsys.readouterr()
    run(["--db", str(dbp), "policy", "show"])
    assert "公办普通高中学费标准 = 1200.00 元" in capsys.readouterr().out
    assert run(["--db", str(dbp), "policy", "set", "tuition_standard.普通高中", "一千"]) == 2
    err = capsys.readouterr().err
    assert "错误" in err and "不是数字" in err


def test_command_before_init_says_what_to_do(tmp_path, capsys):
    assert run(["--db", str(tmp_path / "new.sqlite"), "compute"]) == 2
    assert "init" in capsys.readouterr().err


def test_import_dry_run_writes_nothing_then_import(dbp, students_file, capsys):
    assert run(["--db", str(dbp), "import", "students", str(students_file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "预览（未写入）" in out and "将新增 3 行" in out and "备注" in out
    run(["--db", str(dbp), "compute", "--json"])
    assert json.loads(capsys.readouterr().out)["students"] == []
    assert run(["--db", str(dbp), "import", "students", str(students_file)]) == 0
    assert "已新增 3 行" in capsys.readouterr().out
    assert run(["--db", str(dbp), "import", "students", str(students_file)]) == 0
    assert "无变化 3 行" in capsys.readouterr().out


def test_compute_json_contract(dbp, students_file, capsys):
    run(["--db", str(dbp), "import", "students", str(students_file)])
    capsys.readouterr()
    assert run(["--db", str(dbp), "compute", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_id = {s["id_number"]: s for s in data["students"]}
    assert by_id[ID_PRE]["items"] == [{"code": "PRESCHOOL", "amount": "2022.00",
                                       "shares": {"city": "1011.00", "county": "1011.00"}}]
    assert by_id[ID_PRE]["name"] == "张三" and by_id[ID_PRE]["total"] == "2022.00"
    assert by_id[ID_HS]["items"] == [{"code": "HS_TEXTBOOK", "amount": "300.00",
                                      "shares": {"city": "150.00", "county": "150.00"}}]
    assert by_id[ID_UNI]["total"] == "3000.00"
    pending = {(p["id_number"], p["code"]): p["reason"] for p in data["pending"]}
    assert "未设置" in pending[(ID_HS, "HS_TUITION")]
    assert "未填写实收住宿费" in pending[(ID_HS, "HS_LODGING")]
    totals = data["totals"]
    money = re.compile(r"^\d+\.\d{2}$")
    assert all(money.match(v) for v in [*totals["by_item"].values(), *totals["by_source"].values(), totals["total"]])
    assert totals["total"] == "5322.00"
    assert sum(Decimal(v) for v in totals["by_source"].values()) == Decimal(totals["total"])
    assert sum(Decimal(s["total"]) for s in data["students"]) == Decimal(totals["total"])
    assert totals["by_source"] == {"city": "1161.00", "county": "4161.00"}


def test_missing_column_exit_2(dbp, tmp_path, capsys):
    f = xlsx(tmp_path / "bad.xlsx", ["姓名", "学段"], ["张三", "小学"])
    assert run(["--db", str(dbp), "import", "students", str(f)]) == 2
    err = capsys.readouterr().err
    assert "身份证号" in err and "姓名" in err


def test_unreadable_file_exit_2(dbp, tmp_path, capsys):
    f = tmp_path / "junk.xlsx"
    f.write_bytes(b"\x00\x01 not a workbook")
    assert run(["--db", str(dbp), "import", "students", str(f)]) == 2
    assert "错误" in capsys.readouterr().err
    assert run(["--db", str(dbp), "import", "roster", str(tmp_path / "missing.xlsx")]) == 2


def test_roster_import_and_problems_file(dbp, tmp_path, capsys):
    f = xlsx(tmp_path / "r.xlsx", ["县(市、区)", "乡（镇）", "行政村", "户编号", "姓 名", "证件号码", "与户主关系", "在校生状况"],
             ["XX县", "城关镇", "一村", "H1", "张三", ID_PRE, "子", "学龄前儿童"],
             ["XX县", "城关镇", "一村", "H1", "张父", ID_HS[:-1] + ("0" if ID_HS[-1] != "0" else "1"), "户主", "非在校生"],
             [None, None, None, None, None, None, None, "合计"])
    out_x = tmp_path / "problems.xlsx"
    assert run(["--db", str(dbp), "import", "roster", str(f), "--problems", str(out_x)]) == 0
    out = capsys.readouterr().out
    assert "已新增 2 行" in out and "跳过 1 行" in out and "有问题 1 行" in out
    ws = openpyxl.load_workbook(out_x).active
    values = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    assert values[0][-1] == "问题"
    assert any("校验位" in str(r[-1]) for r in values[1:])


def test_demo_then_compute(tmp_path, capsys):
    p = tmp_path / "demo.sqlite"
    assert run(["--db", str(p), "demo", "--students", "60"]) == 0
    assert "学生 60 人" in capsys.readouterr().out
    assert run(["--db", str(p), "compute"]) == 0
    assert "合计" in capsys.readouterr().out
    assert run(["--db", str(p), "demo", "--students", "10"]) == 2  # not over existing data


def test_template(dbp, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run(["--db", str(dbp), "template", "students", str(out)]) == 0
    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws[1]][:3] == ["姓名", "身份证号", "性别"]


def test_main_py_as_a_process(tmp_path):
    p = tmp_path / "proc.sqlite"
    res = subprocess.run([sys.executable, "main.py", "--db", str(p), "init", "--school", "二中",
                          "--code", "9", "--school-year", "2022"], cwd=ROOT, capture_output=True, text=True,
                         env={"ZIZHU_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    assert "2022–2023学年" in res.stdout


def test_loan_aid_once_per_student_via_import(dbp, tmp_path, capsys):
    f = xlsx(tmp_path / "loan.xlsx", ["姓名", "身份证号", "学段", "家庭类别", "生源地助学贷款", "贷款合同号",
                                      "往年已享受就学扶助"],
             ["王五", ID_UNI, "本科", "监测户", "是", "HT-1", "否"])
    assert run(["--db", str(dbp), "import", "students", str(f)]) == 0
    capsys.readouterr()
    run(["--db", str(dbp), "compute", "--json"])
    items = json.loads(capsys.readouterr().out)["students"][0]["items"]
    assert [i["code"] for i in items] == ["LOAN_AID"]
    again = xlsx(tmp_path / "loan2.xlsx", ["姓名", "身份证号", "学段", "家庭类别", "生源地助学贷款",
                                           "贷款合同号", "往年已享受就学扶助"],
                 ["王五", ID_UNI, "本科", "监测户", "是", "HT-1", "是"])
    assert run(["--db", str(dbp), "import", "students", str(again)]) == 0
    assert "已更新 1 行" in capsys.readouterr().out
    run(["--db", str(dbp), "compute", "--json"])
    assert json.loads(capsys.readouterr().out)["students"][0]["items"] == []


def test_roster_replace_removes_people_no_longer_listed(dbp, tmp_path, capsys):
    head = ["姓名", "证件号码"]
    first = xlsx(tmp_path / "r1.xlsx", head, ["张三", ID_PRE], ["张叁", ID_HS])
    second = xlsx(tmp_path / "r2.xlsx", head, ["张三", ID_PRE])
    assert run(["--db", str(dbp), "import", "roster", str(first)]) == 0
    assert run(["--db", str(dbp), "import", "roster", str(second)]) == 0          # upsert: nobody removed
    assert run(["--db", str(dbp), "import", "roster", str(second), "--replace", "--dry-run"]) == 0
    assert "将删除 1 人" in capsys.readouterr().out
    assert run(["--db", str(dbp), "import", "roster", str(second), "--replace"]) == 0
    assert "已删除 1 人" in capsys.readouterr().out
    from sqlalchemy import select

    from db.models import RosterPerson
    from db.session import open_database
    d = open_database(dbp)
    with d.session() as s:
        assert list(s.scalars(select(RosterPerson.name))) == ["张三"]
    d.close()
    assert run(["--db", str(dbp), "import", "students", str(second), "--replace"]) == 2


def test_redirected_output_is_utf8_whatever_the_code_page(dbp, tmp_path):
    """On a Chinese Windows a redirected standard output is GBK: a name GBK lacks stopped `compute --json`
    with an internal error, and the JSON was not UTF-8 (found by review, session 15)."""
    f = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别"], ["𠮷小明", ID_HS, "高中", "建档立卡"])
    assert run(["--db", str(dbp), "import", "students", str(f)]) == 0
    res = subprocess.run([sys.executable, "main.py", "--db", str(dbp), "compute", "--json"], cwd=ROOT,
                         capture_output=True, env={"ZIZHU_HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                                   "PYTHONIOENCODING": "gbk"})
    assert res.returncode == 0, res.stderr.decode("utf-8", "replace")
    doc = json.loads(res.stdout.decode("utf-8"))
    assert "𠮷小明" in json.dumps(doc, ensure_ascii=False)
    bad = subprocess.run([sys.executable, "main.py", "--db", str(dbp), "import", "students", "没有这个文件.xlsx"],
                         cwd=ROOT, capture_output=True, env={"ZIZHU_HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                                           "PYTHONIOENCODING": "gbk"})
    assert bad.returncode == 2 and "找不到文件" in bad.stderr.decode("utf-8")


def test_a_mistyped_db_path_creates_nothing(tmp_path, capsys):
    """`--db` naming no file made an empty database there, its lock file and missing folders, even for a
    command that only reads (found by review, session 15). Only init and demo make one."""
    missing = tmp_path / "没有这个文件夹" / "学校.sqlite"
    for argv in (["compute"], ["check"], ["policy", "show"], ["import", "students", "x.xlsx"]):
        assert run(["--db", str(missing), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert "找不到数据库文件" in err and "init" in err
    assert not missing.parent.exists()
    assert run(["--db", str(missing.with_name("新.sqlite")), "compute"]) == 2     # its folder exists: still nothing
    assert run(["--db", str(tmp_path / "新.sqlite"), "compute"]) == 2
    assert not (tmp_path / "新.sqlite").exists() and not (tmp_path / "新.sqlite.lock").exists()
    assert run(["--db", str(missing), "init", "--school", "一中", "--code", "1", "--school-year", "2024"]) == 0
    assert missing.is_file()


def test_a_new_problem_note_alone_keeps_a_student_verified(dbp, tmp_path):
    """Re-importing the same data whose problem note reads differently (another version's wording) sent
    verified students back to 待核准; only a change of data does (found by review, session 15)."""
    from db.models import Student
    from db.session import open_database
    from db.usecases import check as run_check
    from db.usecases import verify
    f = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别", "班级"], ["李四", ID_HS, "高中", "建档立卡", "1班"])
    assert run(["--db", str(dbp), "import", "students", str(f)]) == 0
    db = open_database(dbp)
    try:
        with db.session() as s:
            sid = s.query(Student.id).scalar()
        assert verify(db, [sid]).done == 1
        with db.session() as s:
            st = s.get(Student, sid)
            seal = st.seal
            st.import_problems = "旧版本的问题说明"
            s.commit()
    finally:
        db.close()
    assert run(["--db", str(dbp), "import", "students", str(f)]) == 0
    db = open_database(dbp)
    try:
        with db.session() as s:
            st = s.get(Student, sid)
            assert (st.verified, st.seal, st.import_problems) == (True, seal, "")
        assert not any(f.code == "TAMPERED_AFTER_VERIFY" for f in run_check(db).findings)
    finally:
        db.close()
    changed = xlsx(tmp_path / "c.xlsx", ["姓名", "身份证号", "学段", "家庭类别", "班级"], ["李四", ID_HS, "高中", "建档立卡", "2班"])
    assert run(["--db", str(dbp), "import", "students", str(changed)]) == 0
    db = open_database(dbp)
    try:
        with db.session() as s:
            assert (s.get(Student, sid).verified, s.get(Student, sid).seal) == (False, None)   # data: 待核准 again
    finally:
        db.close()
