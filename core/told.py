"""Who is told by letter (``letter_due``), and what a family's letter (告知书) told them, as recorded
when it is printed.

A letter states each granted item with its amount and each item still pending ("核实后另行告知").
``told_key`` condenses that into a short text stored beside ``notified_at`` (``Student.notified_told``):
the total in fen, then a digest of the items. The check (``NOTIFIED_CHANGED``) compares it with the
student's current result, so a family whose amounts changed after the letter (an edit, a re-import, a
policy change, a pending item settled) is told again. Item names are left out: renaming an item
changes no money and needs no second letter.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable

from core.domain import Category
from core.engine import ItemDecision


def letter_due(granted: bool, category: Category | str | None) -> bool:
    """Whether the family is told by letter: a student with a granted item, and every 建档立卡 student
    (全部告知: a registered family whose child gets nothing this year is told that too, and why). The
    one rule of the 告知书 page's list, the letters made by default and the check's 尚未告知家庭.
    ``category``: the engine's, or the code as stored ("REGISTERED")."""
    return granted or category == Category.REGISTERED


def told_key(granted: Iterable[ItemDecision], pending: Iterable[ItemDecision]) -> str:
    """``"234950:1f0c…"``: the total granted (fen) and a digest of every granted item's code and
    amount and every pending item's code, in code order (the order of the policy's items changes
    nothing)."""
    given = sorted((d.code, d.amount_fen) for d in granted)
    text = ";".join(f"{code}={fen}" for code, fen in given) + "|" + ",".join(sorted(d.code for d in pending))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{sum(fen for _code, fen in given)}:{digest}"


def told_total(key: str) -> int | None:
    """The total (fen) a stored ``told_key`` says the family was told; None when unreadable."""
    head = key.partition(":")[0]
    return int(head) if head.isdigit() else None
