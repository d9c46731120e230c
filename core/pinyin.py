"""Pinyin initials for search: "zs" finds 张三; a polyphonic character answers
to each of its readings (曾 -> z or c, 单 -> d, s or c).

A character's initials are read from pypinyin's single-character table (``core.pinyin_chars``,
about 0.03 s to load) without importing pypinyin (its dictionaries take about 0.15 s to load); only a
character beyond that table's reach is read by pypinyin itself, imported at that first use. Importing
this module costs nothing, so a command that never reads a name pays nothing.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import product

MAX_VARIANTS = 16


@lru_cache(maxsize=20000)
def _char_initials(ch: str) -> tuple[str, ...]:
    from core.pinyin_chars import char_initials
    known = char_initials(ch)
    if known is not None:
        return known
    from pypinyin import Style, pinyin
    readings = pinyin(ch, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    if not readings:
        return (ch.lower(),) if ch.isascii() and ch.isalnum() else ()
    return tuple(dict.fromkeys(r.lower() for r in readings[0] if r))


# A character -> its initials when it has one reading's worth (ASCII: an initial or none; white space:
# none): a name translated by it to ASCII only has that one initials string (``initials_key``'s
# shortcut). Every ASCII character is in it from the start (as pypinyin reads it: a letter or a digit
# stands for itself, lower case, anything else reads as nothing), so a character left as it was is not
# ASCII; the others are added as names are read.
_ONE: dict[int, str] = {c: "" if chr(c).isspace() else chr(c).lower() if chr(c).isalnum() else ""
                        for c in range(128)}


def name_initials(name: str) -> list[str]:
    """Every initials string of ``name`` (capped at MAX_VARIANTS combinations)."""
    parts = []
    for ch in name:
        if ch.isspace():
            _ONE[ord(ch)] = ""
            continue
        part = _char_initials(ch)
        if not part:
            _ONE[ord(ch)] = ""
            continue
        parts.append(part)
        if len(part) == 1 and part[0].isascii():
            _ONE[ord(ch)] = part[0]
    if not parts:
        return []
    out: list[str] = []
    for combo in product(*parts):
        out.append("".join(combo))
        if len(out) >= MAX_VARIANTS:
            break
    return out


def warm_name_initials() -> None:
    """Load what names' initials need, pypinyin's single-character table (about 0.03 s), without
    pypinyin itself (a helper thread runs this while calamine reads the student list)."""
    name_initials("张")


def initials_key(name: str) -> str:
    """Stored form: "zs|cs"."""
    letters = name.translate(_ONE)
    if letters.isascii():        # every character known, of one initial or none: the usual name
        return letters
    return "|".join(name_initials(name))


@lru_cache(maxsize=4096)
def pinyin_order(text: str) -> str:
    """A sort key in the order of the readings (高坪镇 before 龙坪乡), as Chinese lists are ordered."""
    from pypinyin import lazy_pinyin
    return " ".join(lazy_pinyin(text, errors="default"))


def same_reading(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` read the same (张三 and 章三: a homophone written instead).

    A name in which no part is a word of pypinyin's phrase dictionary reads character by
    character: that case is answered from its single-character table (core.pinyin_chars),
    without loading the phrase dictionary (about 0.18 s per process), and so is a pair that
    differs at a character whatever its context (高丽娟 and 董宇毅); any other name is read by
    pypinyin itself (phrase context: 曾, 单, 覃, 重, 长 in names)."""
    from core.pinyin_chars import cannot_read_same, char_readings
    ra, rb = char_readings(a), char_readings(b)
    if ra is not None and rb is not None:
        return ra == rb
    if cannot_read_same(a, b):
        return False
    from pypinyin import Style, lazy_pinyin
    return lazy_pinyin(a, style=Style.NORMAL) == lazy_pinyin(b, style=Style.NORMAL)
