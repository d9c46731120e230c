"""Chinese (pinyin) ordering of names for sorting, computed off the GUI thread."""
from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCollator, QLocale


def name_key_function() -> Callable[[str], Any]:
    """A function name -> sort key ordering by pinyin (张三 after 李四).

    Create one per thread: QCollator is reentrant, not thread-safe.
    """
    collator = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    collator.setNumericMode(True)
    return collator.sortKey


def name_ranks(names: Sequence[str]) -> array:
    """Each name's rank in pinyin order (equal names, equal ranks), for a list too long to
    sort by ``name_key_function`` (200,000 people: each comparison of two Qt sort keys is a call
    into Qt, seconds in all).

    The collator orders the distinct characters (a few thousand); a name's key is its characters
    replaced by their ranks (``str.translate``), compared in C. The order is the collator's
    character by character: it differs from the collator's on whole names only where the
    collator reads several characters as one (沈阳, a place name: here after 沈斌 as bin < yang)
    or compares digits as numbers (李10 here before 李2) — about 0.6 % of a county's names."""
    sort_key = name_key_function()
    compare = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China)).compare
    distinct = dict.fromkeys(names)
    table: dict[int, str] = {}
    rank, previous = 0, None
    for ch in sorted(set("".join(distinct)), key=sort_key):
        if previous is not None and compare(previous, ch) != 0:
            rank += 1
        table[ord(ch)] = chr(0x10000 + rank)      # characters the collator finds equal: one rank
        previous = ch
    keys = {n: n.translate(table) for n in distinct}
    order = {n: i for i, n in enumerate(sorted(distinct, key=keys.__getitem__))}
    return array("l", map(order.__getitem__, names))
