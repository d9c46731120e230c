# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""Policy files as a clerk meets them (the session-21 review): an older file of the same signer, the
version the source line names, the refusals' words, `policy set`'s edge cases."""
from __future__ import annotations

import re
import tomllib

import pytest
from conftest import two_student_school
from test_policy_versions import _versions, bureau, pw  # noqa: F401 - fixtures

from cli.commands import run
from core.errors import PolicyError
from core.policy import DEFAULT_POLICY_PATH, load_policy


def _import(db, file, tmp_path, *more):
    return run(["--db", str(db), "policy", "import", str(file), "--trust", str(tmp_path / "bureau.pub"), *more])


def test_an_older_file_of_the_same_signer_is_refused(tmp_path, bureau, pw, capsys):
    """第3版 after 第4版 put the older standards back without a word; now it is refused, unchanged."""
    assert run(["--db", str(bureau), "policy", "set", "公办普通高中学费标准", "1300"]) == 0
    newer = tmp_path / "newer.zip"
    assert run(["--db", str(bureau), "policy", "export", str(newer), "--sign", "--passphrase-file", str(pw)]) == 0
    school = two_student_school(tmp_path / "s.sqlite")
    assert _import(school, newer, tmp_path) == 0
    before = _versions(school)
    capsys.readouterr()
    assert _import(school, tmp_path / "policy.zip", tmp_path, "--yes") == 2
    err = capsys.readouterr().err
    assert "2023–2024学年 第2版" in err and "更新的2023–2024学年 第3版" in err and "没有导入" in err
    assert "另行签发新版本" in err
    assert _versions(school) == before
    # the other order is the campaign's: the older first, then the newer
    other = two_student_school(tmp_path / "o.sqlite")
    assert _import(other, tmp_path / "policy.zip", tmp_path) == 0
    assert _import(other, newer, tmp_path) == 0


def test_the_source_line_names_the_version_the_file_carries(tmp_path, bureau, pw, capsys):
    """A bureau moved to 2024 before saving a 2024 version issues its 2023 version: the line says so
    (it said 2024–2025学年 第2版, a version that does not exist)."""
    assert run(["--db", str(bureau), "init", "--school", "建始县教育局", "--code", "4228", "--school-year", "2024"]) == 0
    file = tmp_path / "p2024.zip"
    assert run(["--db", str(bureau), "policy", "export", str(file), "--sign", "--passphrase-file", str(pw)]) == 0
    school = tmp_path / "s2024.sqlite"
    assert run(["--db", str(school), "init", "--school", "甲校", "--code", "4228001", "--school-year", "2024"]) == 0
    capsys.readouterr()
    assert _import(school, file, tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "签发，2023–2024学年 第2版" in out and "2024–2025学年 第2版" not in out


def test_refusals_say_policy_file_not_report_package(tmp_path, bureau, capsys):
    school = two_student_school(tmp_path / "s.sqlite")
    before = _versions(school)
    capsys.readouterr()
    assert run(["--db", str(school), "policy", "import", str(tmp_path / "policy.zip")]) == 2      # no --trust
    err = capsys.readouterr().err
    assert "这个政策文件是谁签发的" in err and "提交包" not in err and "设置 → 签名人登记" in err
    cut = tmp_path / "cut.zip"
    cut.write_bytes((tmp_path / "policy.zip").read_bytes()[:2000])    # a download broken off
    assert _import(school, cut, tmp_path) == 2
    err = capsys.readouterr().err
    assert "不完整或已损坏" in err and "UTF-8" not in err
    assert _versions(school) == before


def test_a_toml_mistake_is_told_in_chinese_with_its_place():
    with pytest.raises(PolicyError) as caught:
        load_policy('name = "x"\n[[items]]\namounts = { 小学 = "1000.00" }\n')
    assert "第 3 行" in caught.value.message and "TOML" in caught.value.message
    assert "英文双引号" in caught.value.hint


def test_the_shipped_per_stage_example_is_valid_toml():
    """A county copying the comment's example got a format error (a Chinese key needs quotes)."""
    line = next(t for t in DEFAULT_POLICY_PATH.read_text(encoding="utf-8").splitlines() if "per_stage    -" in t)
    example = re.search(r"`(amounts = .*?)`", line).group(1)
    assert tomllib.loads(example)["amounts"] == {"小学": "1000.00", "初中": "1250.00"}


def test_policy_set_edge_cases(tmp_path, capsys):
    school = two_student_school(tmp_path / "s.sqlite")
    assert run(["--db", str(school), "policy", "set", "公办普通高中学费标准", " "]) == 0
    assert "已修改 公办普通高中学费标准 = （未设置）" in capsys.readouterr().out
    before = _versions(school)
    assert run(["--db", str(school), "policy", "set", "parameters.foo.普通高中", "1500"]) == 2
    assert "用不到" in capsys.readouterr().err
    assert run(["--db", str(school), "policy", "set", "items.HIGHER_GRANT.amount", "0"]) == 2
    assert "不能为 0" in capsys.readouterr().err
    assert _versions(school) == before


def test_a_database_from_before_0012_migrates_and_its_imports_are_not_compared(tmp_path, bureau, pw, capsys):
    """The frozen schema-0010 school migrates to 0012 (the two columns NULL); a version imported before
    0012 does not know the version its file carried, so it refuses nothing."""
    import shutil
    import sqlite3
    from pathlib import Path
    school = tmp_path / "frozen.sqlite"
    shutil.copy(Path(__file__).parent / "data" / "schema-0010.sqlite", school)
    assert run(["--db", str(school), "policy", "versions"]) == 0          # migrated on opening
    con = sqlite3.connect(school)
    try:
        assert con.execute("SELECT count(*) FROM policy_version WHERE issued_year IS NOT NULL").fetchone() == (0,)
    finally:
        con.close()
    assert run(["--db", str(bureau), "policy", "set", "公办普通高中学费标准", "1300"]) == 0
    newer = tmp_path / "newer.zip"
    assert run(["--db", str(bureau), "policy", "export", str(newer), "--sign", "--passphrase-file", str(pw)]) == 0
    assert _import(school, newer, tmp_path, "--yes") == 0
    con = sqlite3.connect(school)
    try:
        assert con.execute("SELECT issued_year, issued_number FROM policy_version ORDER BY id DESC").fetchone() \
            == (2023, 3)
        with con:
            con.execute("UPDATE policy_version SET issued_year = NULL, issued_number = NULL")   # as before 0012
    finally:
        con.close()
    assert _import(school, tmp_path / "policy.zip", tmp_path, "--yes") == 0


@pytest.mark.parametrize(("text", "words"), [
    ('name = "x"\n[[items]]\namounts = { 小学 = "1000.00" }\n', "第 3 行第 13 列不是有效的 TOML 写法：键名写法不对"),
    ("[policy\nname = 1\n", "第 1 行第 8 列不是有效的 TOML 写法：[ ] 的右边缺少“]”"),
    ('a = "x', "不是有效的 TOML 写法：引号没有闭合"),
    ("a = 1\na = 2\n", "不是有效的 TOML 写法：同一个键写了两次"),
])
def test_a_toml_mistake_is_told_in_chinese_words_not_the_parsers_english(text, words):
    with pytest.raises(PolicyError) as caught:
        load_policy(text)
    message = caught.value.message
    assert words in message and not any("a" <= c.lower() <= "z" for c in message.replace("TOML", ""))


def test_a_cap_written_wrong_is_refused_naming_the_one_meant():
    """cap = "tuition_std" made an empty standard: every 免学费 stayed 待补充 without a word (messages
    review, session 29). A stored policy is still read as it was stored."""
    from core.policy import default_policy
    text = default_policy().text.replace('cap = "tuition_standard"', 'cap = "tuition_std"', 1)
    with pytest.raises(PolicyError) as caught:
        load_policy(text, strict=True)
    assert 'cap = "tuition_std" 不是已有的标准参数，是不是写错了？应为 cap = "tuition_standard"' in caught.value.message
    assert load_policy(text).item("HS_TUITION").cap == "tuition_std"
    own = default_policy().text.replace('cap = "tuition_standard"', 'cap = "dorm_ceiling"', 1)
    assert load_policy(own, strict=True).item("HS_TUITION").cap == "dorm_ceiling"     # a standard of its own
    import re
    bare = re.sub(r"(?ms)^\[parameters\.tuition_standard\]\n.*?(?=^\[)", "", default_policy().text)
    assert "[parameters.tuition_standard]" not in bare                              # the known name, no table:
    assert load_policy(bare, strict=True).item("HS_TUITION").cap == "tuition_standard"   # not "a typo of itself"
