"""Resident ID numbers (GB 11643): normalisation, validation, derived facts, masking.

python-stdnum supplies the check digit and the region look-up; we normalise
first (it rejects inner spaces and full-width digits) and check the birth date
ourselves (it accepts future dates).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from core.text import nfkc

# (and the zero-width characters a copy from a web page or a chat leaves invisibly inside a number)
_SEPARATORS = re.compile(r"[\s\-_'‘’`\u200b-\u200d\u2060\ufeff]")
_SCI = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def normalize_id(raw: object) -> str:
    """Full-width to half-width, separators removed, upper case ("x" -> "X")."""
    if raw is None:
        return ""
    return _SEPARATORS.sub("", nfkc(str(raw))).upper()


def looks_scientific(text: str) -> bool:
    """"4.11521E+17": what Excel writes for a long number it has already truncated."""
    return ("e" in text or "E" in text) and bool(_SCI.match(text.strip()))


@dataclass(frozen=True)
class IdInfo:
    raw: str
    normalized: str
    valid: bool
    problem: str = ""        # Chinese, empty when valid
    problem_code: str = ""   # LENGTH, CHARS, CHECKSUM, BIRTH_DATE, FUTURE_BIRTH, OLD_15, EMPTY
    birth_date: date | None = None
    gender: str | None = None  # "男" / "女"
    region_known: bool | None = None
    region_name: str = ""


def _region(number: str, year: int) -> tuple[bool, str]:
    return region_of(number[:6], year)


@lru_cache(maxsize=65536)
def region_of(code: str, year: int) -> tuple[bool, str]:
    """Whether the 6-digit region ``code`` existed in ``year``, and its name then.

    python-stdnum's public look-up (``ric.get_birth_place``) reads the region and
    the year from a number; it is given the code and 1 January of ``year``."""
    try:
        place = ric.get_birth_place(f"{code}{year:04d}0101")
    except (StdnumError, KeyError):     # KeyError: a code without a county entry
        return False, ""
    county = place.get("county", "").split(",")[0]
    return True, place.get("province", "") + place.get("prefecture", "") + county


@lru_cache(maxsize=65536)     # 200,000 people of a county were born on some 20,000 days
def _date_of(digits: str) -> date | None:
    """The date of "YYYYMMDD" (digits), None when there is no such day."""
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


_CHECK_DIGITS = "0123456789X"
_UNSEEN = date.min       # never an answer (before 1900): "this day was not looked at yet"


def _birth_day(digits: str, today: date) -> date | None:
    """The birth date written as "YYYYMMDD" when a valid number may carry it: a day that exists,
    from 1900 and not after ``today`` (python-stdnum accepts future dates; we do not)."""
    born = _date_of(digits)
    return born if born is not None and born.year >= 1900 and born <= today else None


def birth_dates(numbers: Iterable[str], today: date) -> list[date | None]:
    """The ID rule, a column at a time: the birth date of each normalised number that is a
    valid ID, None for any other. Valid: 18 characters, 17 digits then a digit or X, the check
    digit right, a birth date that exists, from 1900 and not after ``today``.

    One loop without a call per number (an import checks 200,000): the check digit is
    python-stdnum's formula ``(1 - 2 * int(body, 13)) % 11`` written inline (13 = 2 mod 11, so the
    base-13 value weights the digits by GB 11643's 2^k mod 11), each distinct birth day is read
    once. ``_problem`` says why a number is not valid; a property test holds the two together."""
    check, unseen = _CHECK_DIGITS, _UNSEEN
    days: dict[str, date | None] = {}
    out: list[date | None] = []
    append = out.append
    for n in numbers:
        if len(n) != 18 or not n[:17].isdecimal() or n[17] != check[(1 - 2 * int(n[:17], 13)) % 11]:
            append(None)
            continue
        key = n[6:14]
        born = days.get(key, unseen)
        if born is unseen:
            born = days[key] = _birth_day(key, today)
        append(born)
    return out


def _problem(number: str, today: date) -> tuple[str, str] | date:
    """The (code, message) of what is wrong with a normalised number, or its birth date."""
    born = birth_dates((number,), today)[0]
    if born is not None:
        return born
    if not number:
        return "EMPTY", "身份证号为空"
    if len(number) == 15 and number.isdigit():
        return "OLD_15", "这是15位的旧式身份证号，请换成18位的公民身份号码"
    if len(number) != 18:
        return "LENGTH", f"身份证号应为18位，这里是{len(number)}位"
    if not number[:17].isdecimal() or number[17] not in _CHECK_DIGITS:
        return "CHARS", "身份证号只能由数字组成，最后一位可以是X"
    day = _date_of(number[6:14])
    if day is None:
        # (the digits themselves are not quoted: they are the ones a masked number hides, mask_id)
        return "BIRTH_DATE", "身份证号中的出生日期（第7–14位）不是有效的日期"
    if day.year < 1900:
        return "BIRTH_DATE", "身份证号中的出生年份（第7–10位）早于1900年，不合理"
    if day > today:
        return "FUTURE_BIRTH", "身份证号中的出生日期（第7–14位）在今天之后"
    if number.endswith("000"):
        # an 18-digit number kept in a number cell: Excel keeps 15 digits, the last three became 000
        return "CHECKSUM", ("身份证号后三位是000且校验位不对：很可能这个号码曾存放在数字格式的单元格中，"
                            "Excel只保留15位数字，后几位已丢失（不是只错了最后一位）。请把该列设为文本格式，"
                            "按原始证件重新录入完整的身份证号")
    expected = ric.calc_check_digit(number)      # the one rule left: the check digit
    return "CHECKSUM", (f"身份证号校验位错误：最后一位应为 {expected}，这里是 {number[17]}，"
                        "请核对是否有数字录错")


def is_valid_id(number: str, today: date | None = None) -> bool:
    """Fast validity of a normalised number (no region look-up)."""
    return birth_dates((number,), today or date.today())[0] is not None


def birth_date_of(number: str, today: date | None = None) -> date | None:
    """Birth date of a valid normalised number (None when invalid); no region look-up."""
    return birth_dates((number,), today or date.today())[0]


def check_id(raw: object, today: date | None = None) -> IdInfo:
    """Validate an ID number and derive birth date, gender and region."""
    raw_text = "" if raw is None else str(raw)
    number = normalize_id(raw_text)
    found = _problem(number, today or date.today())
    if not isinstance(found, date):
        code, message = found
        return IdInfo(raw_text, number, False, message, code)
    gender = "男" if int(number[16]) % 2 == 1 else "女"
    known, region_name = _region(number, found.year)
    return IdInfo(raw_text, number, True, "", "", found, gender, known, region_name)


def mask_id(number: str) -> str:
    """Show the first 6 and the last 4 characters: 411521********1234."""
    n = normalize_id(number)
    if len(n) <= 10:
        return "*" * len(n)
    return n[:6] + "*" * (len(n) - 10) + n[-4:]


def age_on(birth: date, when: date) -> int:
    """Age in whole years on ``when``."""
    return when.year - birth.year - ((when.month, when.day) < (birth.month, birth.day))


def make_id(region: str, born: date, sequence: int) -> str:
    """Build a valid 18-digit ID (for demo data and tests): region 6 digits,
    birth date, a 3-digit sequence (odd = male), the check digit."""
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
