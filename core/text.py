"""Text normalisation shared by importers, matching and search."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import chain

_SPACES = re.compile(r"\s+")
SEP = "\x1f"   # between fields of a search haystack; never part of a query
_CHUNK = 2000


def nfkc(text: str) -> str:
    """Full-width to half-width (（）→(), ０→0, Ａ→A) and compatibility forms."""
    return unicodedata.normalize("NFKC", text)


def header_key(text: object) -> str:
    """Key for matching a column header: NFKC, no white space at all, lower case.

    "姓 名" == "姓名", "乡（镇）" == "乡(镇)".
    """
    if text is None:
        return ""
    return _SPACES.sub("", nfkc(str(text))).lower()


def clean_cell(value: object) -> str:
    """A cell as trimmed text ("" for empty). Whole floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).replace("\u3000", " ").strip()
    return text


def value_key(text: str) -> str:
    """Key for matching an enumerated value such as a stage or category label."""
    return _SPACES.sub("", nfkc(text)).strip()


def holds_number(text: str) -> bool:
    """Whether a cell meant to hold a number (户编号, 贷款合同号) holds one: a digit other than 0.
    What lists put in its place — 无, /, —, 0, #N/A, NULL, x — holds none."""
    return any(ch.isdigit() and ch not in "0０" for ch in text)


def haystack(name: str, id_number: str, initials: str) -> str:
    """A list row's search text, '张三\\x1f110101…x\\x1fzs\\x1fcs': name, full ID,
    every pinyin-initials reading (built with the rows, off the GUI thread)."""
    readings = SEP.join(p for p in (initials or "").split("|") if p)
    return SEP.join((nfkc(name or "").lower(), nfkc(id_number or "").lower(), readings))


def haystacks(names: Sequence[str], id_numbers: Sequence[str], initials: Sequence[str]) -> list[str]:
    """``haystack`` of many rows at once: each column normalised a few thousand values per call
    (a county's roster is 200,000 rows; one call per column would hold the GIL, and freeze the
    window, for the whole column); the same texts as ``haystack`` row by row."""
    def chunk(values: Sequence[str]) -> list[str]:
        parts = nfkc("\n".join(values)).lower().split("\n")
        if len(parts) != len(values):          # a value holding a line break: row by row
            return [nfkc(v or "").lower() for v in values]
        return parts

    def column(values: Sequence[str]) -> list[str]:
        return list(chain.from_iterable(chunk(values[i:i + _CHUNK]) for i in range(0, len(values), _CHUNK)))
    distinct = {i: SEP.join(p for p in (i or "").split("|") if p) for i in set(initials)}   # few: once each
    readings = map(distinct.__getitem__, initials)
    return list(map(SEP.join, zip(column(names), column(id_numbers), readings, strict=True)))


def our_school_names(school_name: str, names: Iterable[str]) -> set[str]:
    """The spellings among ``names`` (the roster's 就读学校) that name this school."""
    school = header_key(school_name)
    return {n for n in names if school and header_key(n) == school}
