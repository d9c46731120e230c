"""The ID rule a column at a time (core.idnumber.birth_dates) against the per-ID rule.

``_expected`` is the rule written from its statement (python-stdnum's check digit, the
calendar, the program's own date rules: no future birth, no year before 1900); hypothesis draws valid IDs, each kind of broken one, future dates, 15-digit IDs, lowercase
x and spaces, and the column check, the per-ID functions and the import's ID cells must agree
with it.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from core.idnumber import _problem, birth_date_of, birth_dates, check_id, is_valid_id, make_id, normalize_id
from core.importers.common import IdChecker

TODAY = date(2026, 12, 2)


def _calendar_day(number: str) -> date | None:
    try:
        return datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        return None


def _expected(number: str, today: date) -> str | date:
    """The oracle, written from the rule's statement with python-stdnum and the calendar: the
    birth date of a valid number, else the code of its first fault in the order the messages
    name them."""
    born = _calendar_day(number)
    faults = (("EMPTY", lambda: not number),
              ("OLD_15", lambda: len(number) == 15 and number.isdigit()),
              ("LENGTH", lambda: len(number) != 18),
              ("CHARS", lambda: re.fullmatch(r"[0-9]{17}[0-9X]", number) is None),
              ("BIRTH_DATE", lambda: born is None or born.year < 1900),
              ("FUTURE_BIRTH", lambda: born is not None and born > today),
              ("CHECKSUM", lambda: number[17] != ric.calc_check_digit(number)))
    return next((code for code, fault in faults if fault()), born or date.min)


days = st.dates(min_value=date(1880, 1, 1), max_value=date(2120, 12, 31))
regions = st.sampled_from(["110101", "422822", "411521", "000000", "999999"])
valid_ids = st.builds(make_id, regions, st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
                      st.integers(0, 999))


@st.composite
def broken_ids(draw: st.DrawFn) -> str:
    """A valid ID spoilt one way: a digit changed, the check digit changed, a date that does not
    exist, a future or too early date, cut, lengthened, a letter, lowercase x, spaces, 15 digits."""
    number = draw(valid_ids)
    kind = draw(st.sampled_from(["digit", "check", "bad_day", "date", "cut", "long", "letter", "lower",
                                 "space", "old15", "fullwidth"]))
    i = draw(st.integers(0, 17))
    if kind == "digit":
        return number[:i] + draw(st.sampled_from("0123456789")) + number[i + 1:]
    if kind == "check":
        return number[:17] + draw(st.sampled_from("0123456789Xx"))
    if kind == "bad_day":
        return number[:6] + draw(st.sampled_from(["20080230", "20071301", "20080000", "00000101"])) + number[14:]
    if kind == "date":
        born = draw(days)
        body = f"{number[:6]}{born:%Y%m%d}{number[14:17]}"
        return body + ric.calc_check_digit(body + "0")
    if kind == "cut":
        return number[:i]
    if kind == "long":
        return number + draw(st.sampled_from("0123456789X"))
    if kind == "letter":
        return number[:i] + draw(st.sampled_from("AOIl ")) + number[i + 1:]
    if kind == "lower":
        return number.lower()
    if kind == "space":
        return number[:i] + " " + number[i:]
    if kind == "old15":
        return number[:6] + number[8:17]
    return number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))


numbers = st.one_of(valid_ids, broken_ids(), st.text(alphabet="0123456789Xx -", max_size=20))


@settings(max_examples=600, deadline=None)
@given(st.lists(numbers, max_size=30))
@example(["", "X" * 18, "42282220991231001X", "422822189912311230", "422822080101001"])
def test_the_column_check_gives_the_per_id_rule(column):
    old = [_expected(normalize_id(n), TODAY) for n in column]
    got = birth_dates([normalize_id(n) for n in column], TODAY)
    assert got == [o if isinstance(o, date) else None for o in old]
    for n, o in zip(column, old, strict=True):
        found = _problem(normalize_id(n), TODAY)
        assert (found if isinstance(found, date) else found[0]) == o
        assert is_valid_id(normalize_id(n), TODAY) is isinstance(o, date)
        assert birth_date_of(normalize_id(n), TODAY) == (o if isinstance(o, date) else None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(numbers, st.integers(0, 10**18), st.floats(allow_nan=False), st.none()), max_size=30))
def test_the_import_s_valid_cells_answer_as_each_cell_s_check(cells):
    checker = IdChecker(TODAY)
    valid = checker.valid_cells([["名", c] for c in cells], 1)
    for c in cells:
        if c in valid:
            assert checker(c) == (c, c, False, "")
        else:
            assert checker(c)[3] != "" or normalize_id(c) != c     # a problem, or not yet normalised


def test_future_births_are_refused_though_stdnum_accepts_them():
    tomorrow = make_id("422822", TODAY + timedelta(days=1), 12)
    assert ric.is_valid(tomorrow)
    assert birth_dates([tomorrow, make_id("422822", TODAY, 12)], TODAY) == [None, TODAY]
    assert check_id(tomorrow, TODAY).problem_code == "FUTURE_BIRTH"


def test_digits_of_other_scripts_are_not_an_id():
    """Before, a superscript digit passed the shape test and crashed stdnum's int(); now it is
    CHARS. Arabic-Indic digits were never valid (the check digit is compared with ASCII)."""
    number = make_id("422822", date(2008, 1, 1), 12)
    sup = number[:3] + "²" + number[4:]
    assert birth_dates([sup], TODAY) == [None]
    assert _problem(sup, TODAY)[0] == "CHARS"              # (check_id's NFKC makes it a "2" first)
    arabic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert birth_dates([arabic], TODAY) == [None]          # its last digit is no "0"-"9" or X
