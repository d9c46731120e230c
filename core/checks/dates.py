"""Reading the birth dates and genders clerks type."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from core.text import nfkc

_FULL = re.compile(r"^(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})\D?$")
_MONTH = re.compile(r"^(\d{4})\D{1,2}(\d{1,2})\D?$")
_TIME = re.compile(r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")   # a time after the date
_AROUND = re.compile(r"\s*([^\d\s])\s*")                                # spaces beside a separator
_SPACES = re.compile(r"\s+")                                              # spaces alone between digits
_HAS_SPACE = re.compile(r"\s").search


@lru_cache(maxsize=65536)    # a county's 50,000 students were born on a few thousand days
def parse_birth(text: str) -> tuple[int, int, int | None] | None:
    """(year, month, day) from "2005-09-01", "2005/9/1", "2005年9月1日", "20050901";
    (year, month, None) from a month-only "2005.09", "2005年9月", "200509"; None if unreadable."""
    t = nfkc(text).strip()
    if ":" in t:                                 # (the usual "2010-03-05" needs none of the three passes)
        t = _TIME.sub("", t)                     # "2010-03-05 00:00:00", "2010/3/5 0:00": the day
    if _HAS_SPACE(t):
        t = _SPACES.sub("-", _AROUND.sub(r"\1", t))   # "2010年 3月 5日" as written; "2010 1 1": spaces separate
    if not t:
        return None
    if t.isdigit() and len(t) == 8:
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    elif t.isdigit() and len(t) == 6:
        t = f"{t[:4]}-{t[4:]}"
    m = _FULL.match(t)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            date(y, mo, d)
        except ValueError:
            return None
        return y, mo, d
    m = _MONTH.match(t)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return (y, mo, None) if 1 <= mo <= 12 else None
    return None


def birth_matches(text: str, born: date) -> bool | None:
    """Whether an entered birth date agrees with ``born`` (to the month when
    only a month was entered); None when the text cannot be read."""
    parsed = parse_birth(text)
    if parsed is None:
        return None
    y, m, d = parsed
    if d is None:
        return (y, m) == (born.year, born.month)
    return (y, m, d) == (born.year, born.month, born.day)


