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
