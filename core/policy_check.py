"""The shape of a policy document, checked before ``core.policy`` reads its values.

Every table the loader reads has a whitelist of the keys it reads: a key outside it
(``location`` for ``locations``, ``only_once`` for ``once``) would be silently ignored
and change who is paid, so it is refused, naming the place and the closest known key.
A section of the wrong shape (``policy = "abc"``, ``items = [1]``) is refused the same
way, never left to fail inside the loader. The category labels (家庭类别的名称) are
checked here too: lists of non-empty texts, no label under two categories.
"""
from __future__ import annotations

import difflib
from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain import DEFAULT_CATEGORY_LABELS, Category
from core.errors import PolicyError
from core.text import value_key

# The keys the loader (core.policy.parse_policy and _item) reads, table by table, in the
# order the shipped file writes them. tests/test_policy_keys.py holds each list to the keys
# the loader actually reads: a key added to the loader must be added here, and back.
TOP_KEYS = ("policy", "categories", "parameters", "age_ranges", "campaign", "items")
# ``format``: the document format's version (1), written by the shipped file and kept in
# every stored version. No program has read it yet: it is there so that a later program
# can tell an older document apart. Allowed, not read.
POLICY_KEYS = ("name", "source", "format")
CATEGORY_KEYS = tuple(c.value for c in Category)
CAMPAIGN_KEYS = ("phases",)
PHASE_KEYS = ("name", "start", "end")
ITEM_KEYS = ("code", "name", "stages", "locations", "categories", "requires_loan", "once", "needs_application",
             "kind", "amount", "amounts", "fee", "cap", "shares", "retired")
# Not whitelisted, since their keys are names the file chooses, each checked where it is read:
# ``parameters`` (a parameter's name is the ``cap`` of the items it caps; an unused one is kept,
# since editing an item's kind away from fee_capped leaves its table behind), the stages of
# each parameter, of ``age_ranges`` and of an item's ``amounts``.

SOURCE_LABELS = {"city": "市级", "county": "县级"}


def policy_error(where: str, what: str, hint: str = "请改正资助政策文件后重试") -> PolicyError:
    """The error of a policy document: the place (``where``), what is wrong and what to do."""
    return PolicyError(f"资助政策文件错误（{where}）：{what}", hint)


def shown(value: Any) -> str:
    """A TOML value as the clerk wrote it, for a message (what kind of value and the value)."""
    if isinstance(value, bool):
        return f"true/false 值 {str(value).lower()}"
    if isinstance(value, str):
        return f"文字“{value[:40]}”"
    if isinstance(value, int | float):
        return f"数字 {value}"
    if isinstance(value, list):
        return f"列表 {str(value)[:60]}"
    if isinstance(value, dict):
        return "表"
    return str(value)[:60]


def check_keys(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    """Refuse a key of ``table`` that is not in ``known``, suggesting the closest known key."""
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        guess = f"（是否想写 {close[0]}？）" if close else ""
        raise policy_error(where, f"不认识的设置“{key}”{guess}",
                           f"这里可以写的设置：{'、'.join(known)}。请检查拼写；不需要的设置请删去这一行")


def table(value: Any, where: str, example: str) -> dict[str, Any]:
    """``value`` as a table (absent: empty); anything else is refused with an ``example``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise policy_error(where, f"应写成表，例如 {example}，这里写成了{shown(value)}",
                           "请参照程序自带的政策文件的写法改正后重试")
    return value


def tables(value: Any, where: str, what: str, example: str) -> list[dict[str, Any]]:
    """``value`` as an array of tables (``[[items]]``; absent: empty), each checked."""
    if value is None:
        return []
    if not isinstance(value, list):
        written = "单个表（一层方括号）" if isinstance(value, dict) else shown(value)
        raise policy_error(where, f"应写成若干个表，每个以 {example}（两层方括号）开头，这里写成了{written}",
                           "请参照程序自带的政策文件的写法改正后重试")
    for n, entry in enumerate(value, 1):
        if not isinstance(entry, dict):
            raise policy_error(f"{where} 第{n}个{what}", f"应写成以 {example} 开头的表，这里写成了{shown(entry)}",
                               "请参照程序自带的政策文件的写法改正后重试")
    return value


def _category_name(cat: Category) -> str:
    return f"{cat.value}（{DEFAULT_CATEGORY_LABELS[cat]}）"   # REGISTERED（建档立卡）


def category_labels(raw: Any, strict: bool = True) -> dict[Category, tuple[str, ...]]:
    """The ``[categories]`` table: each category's labels, the first one shown (a category not
    written keeps its default label). Each must be a list of non-empty texts, and no label may
    name two categories (it would silently go to the first one); those two only when ``strict``
    (``core.policy.parse_policy``)."""
    section = table(raw, "categories", 'REGISTERED = ["建档立卡", "脱贫户"]')
    if strict:
        check_keys(section, CATEGORY_KEYS, "categories")
    labels: dict[Category, tuple[str, ...]] = {}
    owner: dict[str, Category] = {}
    for cat in Category:
        given = section.get(cat.value)
        where = f"categories.{cat.value}"
        if given is None:
            given = [DEFAULT_CATEGORY_LABELS[cat]]
        elif not isinstance(given, list) or not given:
            raise policy_error(where, f"家庭类别的名称应写成非空列表，例如 {cat.value} = "
                                      f"[\"{DEFAULT_CATEGORY_LABELS[cat]}\"]，这里写成了{shown(given)}",
                               "列表中第一个名称用于显示，其余的名称在导入时也认得；不改名称时请删去这一行")
        for label in given:
            if not isinstance(label, str) or not value_key(label):
                raise policy_error(where, f"家庭类别的名称应为非空的文字（加引号），这里有{shown(label)}")
            other = owner.setdefault(value_key(label), cat)
            if other is not cat and strict:
                raise policy_error("categories", f"名称“{label}”同时写在 {_category_name(other)}和"
                                                 f"{_category_name(cat)}下",
                                   "一个名称只能属于一个家庭类别，请从其中一个类别的列表中删去")
        labels[cat] = tuple(given)
    return labels


def shares(raw: Any, where: str) -> tuple[tuple[str, Decimal], ...]:
    """An item's ``shares``: [source, percent] pairs, each source once, summing to 100."""
    if not isinstance(raw, list) or not raw:
        raise policy_error(where, "缺少 shares（资金分担）")
    out: list[tuple[str, Decimal]] = []
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
                and pair[0] in SOURCE_LABELS):
            raise policy_error(where, f"shares 的每一项应为 [\"city\"或\"county\", 百分比]，这里是 {pair}")
        try:
            pct = Decimal(str(pair[1]))
        except InvalidOperation:
            raise policy_error(where, f"分担比例“{pair[1]}”不是数字") from None
        if not pct.is_finite():         # NaN, Infinity: no comparison holds for them
            raise policy_error(where, f"分担比例“{pair[1]}”不是数字")
        if pct < 0:
            raise policy_error(where, f"分担比例“{pair[1]}”不能为负数")
        if any(src == pair[0] for src, _ in out):     # each rounded alone: one could go negative
            raise policy_error(where, f"资金来源“{SOURCE_LABELS[pair[0]]}”在 shares 中出现了两次，请合并为一项")
        out.append((pair[0], pct))
    if sum(p for _, p in out) != 100:
        raise policy_error(where, f"分担比例之和应为100，这里是 {sum(p for _, p in out)}")
    return tuple(out)
