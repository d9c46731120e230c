"""Character-by-character readings read from pypinyin's own data files, without importing
pypinyin (whose import loads and indexes its phrase dictionary: about 0.18 s of CPU).

``char_readings`` answers only where pypinyin would read a text character by character:
every character has an entry in its single-character table and no part of the text is a
key of its phrase dictionary (a key is found in the dictionary's JSON text as a line
``"<key>": [``). Elsewhere it answers None and the caller asks pypinyin. Both the
readings (Style.NORMAL, tones dropped, ü as v) and the key look-up are held to pypinyin's
own answers over its whole tables in tests/test_pinyin_chars.py.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

_MAX_LEN = 8   # longer texts are left to pypinyin
# readings pypinyin's phrase dictionary gives a character beyond those of its own table entry
# (乐亭 lào, 彰明较着 zhù, 旋干转坤 qián, 火燵 tā); tests hold this to pypinyin's dictionaries
PHRASE_ONLY_READINGS = {"乐": ("lao",), "着": ("zhu",), "干": ("qian",), "燵": ("ta",)}


def _data_dir() -> Path:
    spec = find_spec("pypinyin")     # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pypinyin")
    return Path(next(iter(spec.submodule_search_locations)))


def plain(reading: str) -> str:
    """A tone-marked reading as Style.NORMAL writes it ("lǚ" -> "lv", "zhōng" -> "zhong")."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """Each character's readings as pypinyin stores them ("zēng,céng"), by its code as text."""
    try:
        table: dict[str, str] = json.loads((_data_dir() / "pinyin_dict.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, ImportError):   # data files not where we look (a frozen build)
        return {}                                  # every text is then left to pypinyin
    return table


@lru_cache(maxsize=1)
def _phrase_keys() -> frozenset[str]:
    text = (_data_dir() / "phrases_dict.json").read_text(encoding="utf-8")
    keys = frozenset(re.findall(r'^"([^"\n]+)": \[$', text, re.MULTILINE))
    if not keys:
        raise ValueError("pypinyin's phrase dictionary not understood")
    return keys


def is_phrase_key(text: str) -> bool:
    """Whether ``text`` is a key of pypinyin's phrase dictionary."""
    return text in _phrase_keys()


@lru_cache(maxsize=20000)
def char_readings(text: str) -> tuple[str, ...] | None:
    """The readings of ``text`` one character at a time, or None where pypinyin must read it."""
    if not text or len(text) > _MAX_LEN:
        return None
    table = _table()
    stored = [table.get(str(ord(c))) for c in text]
    if None in stored:
        return None
    n = len(text)
    try:
        if any(is_phrase_key(text[i:j]) for i in range(n) for j in range(i + 1, n + 1)):
            return None
    except (OSError, ValueError, ImportError):
        return None
    return tuple(plain(r.split(",")[0]) for r in stored if r is not None)


@lru_cache(maxsize=20000)
def _possible(ch: str) -> frozenset[str] | None:
    """Every reading ``ch`` can have in any context (None when it has no table entry)."""
    stored = _table().get(str(ord(ch)))
    if stored is None:
        return None
    return frozenset(plain(r) for r in stored.split(",")) | frozenset(PHRASE_ONLY_READINGS.get(ch, ()))


def first_letter(reading: str) -> str:
    """A reading's Style.FIRST_LETTER ("zēng" -> "z"; "ê̄" -> "ê", which pypinyin keeps as itself)."""
    decomposed = unicodedata.normalize("NFD", reading)
    if decomposed.startswith("e\u0302"):
        return "ê"
    return plain(reading)[0]


def char_initials(ch: str) -> tuple[str, ...] | None:
    """What ``pypinyin.pinyin(ch, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")`` gives
    ``core.pinyin``'s initials, lower case, each once, in its order: a character of the table reads
    as its entry does; any other character of the Basic Multilingual Plane has no reading (an ASCII
    letter or digit stands for itself). None where pypinyin must answer (beyond that plane, or
    without the table). ``tests/test_pinyin_initials.py`` holds this to pypinyin over every character
    of the table and of the plane."""
    table = _table()
    stored = table.get(str(ord(ch)))
    if stored is not None:
        return tuple(dict.fromkeys(first_letter(r).lower() for r in stored.split(",") if r))
    if not table or ord(ch) > 0xFFFF:
        return None
    return (ch.lower(),) if ch.isascii() and ch.isalnum() else ()


def cannot_read_same(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` read differently whatever the phrase context: of the same length,
    every character has a table entry and at some position no reading of one is a reading of the
    other (高丽娟 and 董宇毅: gao is never dong)."""
    if len(a) != len(b) or not a:
        return False
    sets = [(_possible(x), _possible(y)) for x, y in zip(a, b, strict=True)]
    if any(p is None or q is None for p, q in sets):
        return False
    return any(p is not None and q is not None and not p & q for p, q in sets)
