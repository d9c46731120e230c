"""A policy document of the wrong shape is refused with its place, never an internal error;
the category labels are lists of texts, none under two categories."""
import sqlite3

import pytest

from cli.commands import run
from core.domain import Category
from core.errors import PolicyError
from core.policy import load_policy

ITEM = '''
[[items]]
code = "X"
name = "某资助"
stages = ["小学"]
categories = ["REGISTERED"]
kind = "fixed"
amount = "10"
shares = [["city", "100"]]
'''


def _refused(text: str) -> PolicyError:
    """Refused as a document coming in (imported, or saved as a new version: ``strict``)."""
    with pytest.raises(PolicyError) as err:
        load_policy(text, strict=True)
    assert err.value.message.startswith("资助政策文件错误（"), err.value.message
    return err.value


def test_the_small_document_loads():
    assert [i.code for i in load_policy(ITEM).items] == ["X"]


@pytest.mark.parametrize("text, where, words", [
    ('policy = "abc"\n' + ITEM, "（policy）", "这里写成了文字“abc”"),
    ("policy = [1]\n" + ITEM, "（policy）", "这里写成了列表"),
    ('categories = "abc"\n' + ITEM, "（categories）", "应写成表"),
    ("campaign = 1\n" + ITEM, "（campaign）", "这里写成了数字 1"),
    ('campaign = "春季"\n' + ITEM, "（campaign）", "应写成表"),
    ("parameters = [1]\n" + ITEM, "（parameters）", "这里写成了列表"),
    ('age_ranges = "x"\n' + ITEM, "（age_ranges）", "应写成表"),
    ("items = [1]\n", "（items 第1个资助项目）", "[[items]]"),
    ('items = "X"\n', "（items）", "[[items]]"),
    ('[items]\ncode = "X"\n', "（items）", "[[items]]"),
    ('[campaign]\nphases = ["03-20"]\n' + ITEM, "（campaign.phases 第1个工作阶段）", "这里写成了文字“03-20”"),
    ('[campaign.phases]\nname = "动员"\n' + ITEM, "（campaign.phases）", "[[campaign.phases]]"),
    ("[policy]\nname = 1\n" + ITEM, "（policy）", "name 应为加引号的文字"),
    ('[[campaign.phases]]\nname = ["动员"]\nstart = "03-20"\nend = "04-13"\n' + ITEM,
     "campaign.phases 第1个工作阶段", "name 应为加引号的文字"),
])
def test_a_section_of_the_wrong_shape_is_refused_with_its_place(text, where, words):
    err = _refused(text)
    assert where in err.message and words in err.message, err.message


@pytest.mark.parametrize("old, new, words", [
    ('categories = ["REGISTERED"]', "categories = 1", "categories（家庭类别）应为非空列表"),
    ('categories = ["REGISTERED"]', 'categories = "REGISTERED"', "categories（家庭类别）应为非空列表"),
    ('kind = "fixed"\namount = "10"', 'kind = "fee"\nfee = ["tuition"]', "fee 应为"),
    ('shares = [["city", "100"]]', 'shares = [[["city"], "100"]]', "shares 的每一项"),
])
def test_an_items_values_of_the_wrong_shape_are_refused(old, new, words):
    err = _refused(ITEM.replace(old, new))
    assert "资助项目 X" in err.message and words in err.message, err.message


def _versions(path) -> list[tuple[int, str]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT number, sha256 FROM policy_version ORDER BY id").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("document, words", [
    ('[campaign]\nphases = ["03-20"]\n' + ITEM, "campaign.phases 第1个工作阶段"),
    (ITEM.replace('stages = ["小学"]', 'stages = ["小学"]\nlocation = ["外地"]'),
     "不认识的设置“location”（是否想写 locations？）"),
])
def test_policy_import_of_a_malformed_file_exits_2_in_chinese_and_keeps_the_versions(tmp_path, capsys,
                                                                                      document, words):
    db = tmp_path / "s.sqlite"
    assert run(["--db", str(db), "init", "--school", "测试学校", "--code", "1234", "--school-year", "2023"]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(document, encoding="utf-8")
    before = _versions(db)
    capsys.readouterr()
    assert run(["--db", str(db), "policy", "import", str(bad), "--allow-unsigned", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "资助政策文件错误" in err and words in err and "内部错误" not in err, err
    assert _versions(db) == before and len(before) == 1


# -- category labels ---------------------------------------------------------------------------

def test_a_label_written_as_text_not_a_list_is_refused():
    """It used to be split into characters: 建、档、立、卡."""
    err = _refused('[categories]\nREGISTERED = "建档立卡"\n' + ITEM)
    assert "categories.REGISTERED" in err.message and "非空列表" in err.message and "文字“建档立卡”" in err.message


@pytest.mark.parametrize("labels, words", [
    ("REGISTERED = []", "非空列表"),
    ('REGISTERED = ["建档立卡", ""]', "非空的文字"),
    ('REGISTERED = ["建档立卡", "  "]', "非空的文字"),
    ('REGISTERED = ["建档立卡", 1]', "非空的文字"),
    ('REGISTERED = [["建档立卡"]]', "非空的文字"),
])
def test_labels_must_be_non_empty_texts(labels, words):
    err = _refused(f"[categories]\n{labels}\n" + ITEM)
    assert "categories.REGISTERED" in err.message and words in err.message, err.message


@pytest.mark.parametrize("labels", [
    'REGISTERED = ["低保"]\nOTHER_HARDSHIP = ["低保"]',
    'REGISTERED = ["建档立卡", "低 保"]\nOTHER_HARDSHIP = ["其他经济困难", "低保"]',    # the same to the importer
])
def test_a_label_under_two_categories_is_refused_naming_both(labels):
    err = _refused(f"[categories]\n{labels}\n" + ITEM)
    assert "同时写在" in err.message and "REGISTERED" in err.message and "OTHER_HARDSHIP" in err.message


def test_a_label_taken_from_a_category_left_at_its_default_is_refused():
    err = _refused('[categories]\nOTHER_HARDSHIP = ["建档立卡"]\n' + ITEM)
    assert "“建档立卡”同时写在 REGISTERED（建档立卡）和OTHER_HARDSHIP（其他经济困难）下" in err.message


def test_valid_labels_load_and_a_repeat_within_one_category_is_harmless():
    policy = load_policy('[categories]\nREGISTERED = ["脱贫户", "建档立卡", "脱贫户"]\nNONE = ["一般"]\n' + ITEM)
    assert policy.category_label(Category.REGISTERED) == "脱贫户"
    assert policy.parse_category("建档立卡") is Category.REGISTERED
    assert policy.category_label(Category.OTHER_HARDSHIP) == "其他经济困难"      # the default
    assert policy.parse_category("一般") is Category.NONE


def test_a_phase_on_february_29_or_ending_before_it_starts_is_refused_and_a_stored_one_still_dates():
    """A 02-29 phase was accepted and then crashed every status view in a common year (date review,
    session 30); a phase ending before it starts put the deadline before the work."""
    from datetime import date
    from pathlib import Path

    from core.campaign import phase_statuses
    from core.errors import ZizhuError
    from core.policy import load_policy, parse_policy
    default = (Path(__file__).resolve().parent.parent / "resources" / "policies" / "default.toml").read_text(
        encoding="utf-8")
    assert 'start = "03-20"' in default
    leap = default.replace('start = "03-20"', 'start = "02-29"', 1)
    with pytest.raises(ZizhuError, match="2月29日不是每年都有"):
        load_policy(leap, strict=True)
    backwards = default.replace('start = "03-20"', 'start = "12-20"', 1)
    with pytest.raises(ZizhuError, match="早于开始日期"):
        load_policy(backwards, strict=True)
    import tomllib
    stored = parse_policy(tomllib.loads(leap), leap)            # a document stored before: read as it is
    (first, *_rest) = phase_statuses(stored, 2024, date(2025, 3, 1))     # 2025: a common year
    assert first.start == date(2025, 2, 28)
    assert phase_statuses(stored, 2023, date(2024, 3, 1))[0].start == date(2024, 2, 29)
