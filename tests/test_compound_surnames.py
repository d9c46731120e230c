"""Compound surnames (复姓) in the lists: sorted by the surname's reading where the collator reads the
first character otherwise (万俟 mòqí, 尉迟 yùchí, 澹台 tántái), and found by every reading's initials
(单于 chányú, 长孙 zhǎngsūn too)."""
import pytest

from core.pinyin import name_initials
from gui.collation import name_key_function, name_ranks, surname_form

NAMES = ["万俟卨", "万明", "莫言", "马力", "尉迟恭", "尉明", "魏明", "余飞", "张三", "澹台明", "台明", "丹丹",
         "单于飞", "善良", "单田芳", "长孙无忌", "常山"]


def _sorted(names):
    by_key = sorted(names, key=name_key_function())
    ranks = name_ranks(names)
    assert [n for _, n in sorted(zip(ranks, names, strict=True))] == by_key      # both orders agree
    return by_key


def _between(order, name, before, after):
    i = order.index(name)
    return order.index(before) < i < order.index(after)


def test_compound_surnames_sort_by_their_reading():
    order = _sorted(NAMES)
    assert _between(order, "万俟卨", "马力", "莫言")          # mò qí: among the m's, not wàn
    assert order.index("万俟卨") < order.index("万明")
    assert _between(order, "尉迟恭", "余飞", "张三")          # yù chí: among the y's, not wèi
    assert _between(order, "尉明", "万明", "余飞")            # 尉 alone is the surname wèi
    assert _between(order, "澹台明", "台明", "万明")          # tán tái: among the t's, not dàn
    assert order[-2:] == ["张三", "长孙无忌"]                # zhǎng sūn: the collator reads it right


def test_only_the_two_characters_at_the_start_are_read_as_a_compound():
    assert surname_form("尉迟恭") == "玉迟恭" and surname_form("王尉迟") == "王尉迟"
    assert surname_form("万俟卨") == "莫其卨" and surname_form("万明") == "万明"
    assert surname_form("单于飞") == surname_form("单田芳")[:1] + "于飞"     # 单 stays the surname shàn


@pytest.mark.parametrize(("name", "initials"), [("单于飞", "cyf"), ("单于飞", "syf"), ("尉迟恭", "ycg"),
                                                ("万俟卨", "mqx"), ("澹台明", "ttm"), ("长孙无忌", "zswj")])
def test_search_initials_hold_the_compound_readings(name, initials):
    assert initials in name_initials(name)
