"""Chinese (pinyin) ordering of names for sorting, computed off the GUI thread."""
from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from itertools import accumulate, compress, count, pairwise
from operator import methodcaller
from typing import Any

from PySide6.QtCore import QCollator, QLocale

from core.slicesort import SLICE, check_stop, distinct_in_slices, map_in_slices, sorted_positions

# Surnames the collator reads by another reading (曾 as céng, the surname is zēng): a name's first
# character is ordered as a character of the surname's reading. Compound surnames: see _COMPOUNDS.
_SURNAMES = str.maketrans({
    "曾": "增",     # zēng, not céng
    "单": "善",     # shàn, not dān
    "覃": "秦",     # qín, not tán
    "解": "谢",     # xiè, not jiě
    "查": "扎",     # zhā, not chá
    "仇": "求",     # qiú, not chóu
    "朴": "瓢",     # piáo, not pǔ
    "区": "欧",     # ōu, not qū
    "翟": "宅",     # zhái, not dí
    "盖": "葛",     # gě, not gài
    "缪": "妙",     # miào, not móu
    "繁": "婆",     # pó, not fán
    "种": "虫",     # chóng, not zhǒng
    "员": "运",     # yùn, not yuán
})


# Compound surnames whose first character the collator reads otherwise, ordered as these two
# characters: 万俟 mòqí (not wànsì), 尉迟 yùchí (not wèichí: 尉 alone is the surname wèi), 澹台 tántái
# (not dàntái). Only those two characters at the start of a name are read so, and neither pair
# begins a name otherwise (俟, 迟, 台 do not start given names). Left out: 单于 (chányú), as a
# name 单于… is as likely the surname 单 (shàn) and a given name beginning with 于; 长孙 (zhǎngsūn)
# and the other compounds the collator reads right. Search initials hold every reading (core.pinyin).
_COMPOUNDS = {"万俟": "莫其", "尉迟": "玉迟", "澹台": "谈台"}

_SURNAME_START = re.compile("[" + "".join(frozenset(map(chr, _SURNAMES)) | {c[0] for c in _COMPOUNDS}) + "]")
_STAND_INS = set(_SURNAMES.values()) | set("".join(_COMPOUNDS.values()))


def surname_form(name: str) -> str:
    """``name`` with its surname replaced by characters the collator orders by the surname's
    reading: what names are sorted by."""
    compound = _COMPOUNDS.get(name[:2])
    if compound is not None:
        return compound + name[2:]
    return name[:1].translate(_SURNAMES) + name[1:]


def name_key_function() -> Callable[[str], Any]:
    """A function name -> sort key ordering by pinyin (张三 after 李四, 曾 read as zēng).

    Create one per thread: QCollator is reentrant, not thread-safe.
    """
    key = _collator().sortKey
    return lambda name: key(surname_form(name))


def _collator() -> QCollator:
    collator = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    collator.setNumericMode(True)
    return collator


def name_ranks(names: Sequence[str], distinct: Sequence[str] | None = None,
               stop: Callable[[], bool] | None = None) -> array:
    """Each name's rank in pinyin order (equal names, equal ranks), for a list too long to
    sort by ``name_key_function`` (200,000 people: each comparison of two Qt sort keys is a call
    into Qt, seconds in all). ``distinct``: ``names``' distinct names in first-seen order when the
    caller has them (``db.roster_columns.read_names``).

    The collator orders the distinct characters (a few thousand); a name's key is its characters
    replaced by their ranks (``str.translate``), compared in C. The order is the collator's
    character by character: it differs from the collator's on whole names only where the
    collator reads several characters as one (沈阳, a place name: here after 沈斌 as bin < yang)
    or compares digits as numbers (李10 here before 李2) — about 0.6 % of a county's names. The
    first character is read as a surname (``surname_form``), as ``name_key_function`` does.
    ``stop`` (a read ahead) is asked between the steps: true, it ends there
    (``core.slicesort.Stopped``)."""
    sort_key = _collator().sortKey                  # characters as they are (曾 in 王曾 is céng)
    compare = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China)).compare
    if distinct is None:
        distinct = distinct_in_slices(names)
    chars = sorted(set("".join(distinct)) | _STAND_INS, key=sort_key)
    # characters the collator finds equal: one rank
    ranks = list(accumulate((int(compare(a, b) != 0) for a, b in pairwise(chars)), initial=0))
    table = dict(zip(map(ord, chars), map(_rank_text(ranks[-1] if ranks else 0), ranks), strict=True))
    keys = map_in_slices(methodcaller("translate", table), distinct)       # in C, a slice a call
    for i in compress(count(), map(_SURNAME_START.match, distinct)):
        keys[i] = surname_form(distinct[i]).translate(table)
    check_stop(stop)
    order: dict[str, int] = {}
    by_rank = sorted_positions(range(len(distinct)), keys)                  # no long hold of the GIL
    check_stop(stop)
    for start in range(0, len(by_rank), SLICE):
        order.update(zip(map(distinct.__getitem__, by_rank[start:start + SLICE]), count(start)))
    check_stop(stop)
    return array("l", map_in_slices(order.__getitem__, names))


def _rank_text(most: int) -> Callable[[int], str]:
    """A character's rank as a fixed width of Latin-1 characters (big-endian): the keys compare
    as the ranks do, and ``list.sort`` compares Latin-1 texts with ``memcmp``."""
    width = max(1, (most.bit_length() + 7) // 8)
    return lambda rank: rank.to_bytes(width, "big").decode("latin-1")
