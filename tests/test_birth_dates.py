"""Birth dates as clerks type them (core.checks.dates.parse_birth; date review, session 30): spaces as
the only separator ("2010 1 1" was read as November), and a time after the day ("2010-03-05 00:00:00",
Excel's CSV "2010/3/5 0:00") was unreadable, so the check against the ID was silently skipped."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.checks.dates import birth_matches, parse_birth


@pytest.mark.parametrize(("text", "expected"), [
    ("2010 1 1", (2010, 1, 1)), ("2010\u30001\u30001", (2010, 1, 1)), ("2010 1 15", (2010, 1, 15)),
    ("2010 - 3 - 5", (2010, 3, 5)), ("2010年 3月 5日", (2010, 3, 5)),
    ("2010-03-05 00:00:00", (2010, 3, 5)), ("2010/3/5 0:00", (2010, 3, 5)), ("2010-03-05T08:30:00", (2010, 3, 5)),
    ("2005.09", (2005, 9, None)), ("20050901", (2005, 9, 1)), ("2005年9月", (2005, 9, None)),
    ("2010-13-01", None), ("2010-02-30", None), ("", None), ("不详", None),
])
def test_typed_birth_dates(text, expected):
    assert parse_birth(text) == expected


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31)),
       st.sampled_from(["-", "/", ".", " ", "  ", " - ", "\u3000"]),
       st.booleans(), st.sampled_from(["", " 00:00:00", " 0:00", "T08:30", " 23:59:59.5"]))
def test_any_day_written_with_any_separator_and_a_time_reads_as_that_day(day, sep, padded, time):
    month, dd = (f"{day.month:02d}", f"{day.day:02d}") if padded else (str(day.month), str(day.day))
    text = f"{day.year}{sep}{month}{sep}{dd}{time}"
    assert parse_birth(text) == (day.year, day.month, day.day), text
    assert birth_matches(text, day) is True
