from datetime import date

import pytest

from core.idnumber import age_on, check_id, looks_scientific, make_id, mask_id, normalize_id

VALID = make_id("110101", date(2008, 5, 1), 123)        # male (3 is odd)
VALID_F = make_id("110101", date(2010, 12, 31), 124)    # female


def test_make_id_is_valid_and_derives_facts():
    info = check_id(VALID)
    assert info.valid, info.problem
    assert info.birth_date == date(2008, 5, 1)
    assert info.gender == "男"
    assert check_id(VALID_F).gender == "女"
    assert info.region_known is True
    assert "东城区" in info.region_name


def test_x_check_digit_lowercase_fullwidth_and_spaces():
    # Find an ID whose check digit is X.
    x_id = next(i for i in (make_id("110101", date(2009, 1, 1), s) for s in range(1000)) if i.endswith("X"))
    assert check_id(x_id.lower()).valid
    assert check_id(x_id.lower()).normalized == x_id
    full = x_id.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert check_id(full).valid and check_id(full).normalized == x_id
    assert check_id(f"  {x_id}\t").valid
    assert check_id(f"{x_id[:6]} {x_id[6:14]} {x_id[14:]}").valid  # inner spaces normalised


def test_bad_check_digit_says_which():
    wrong = VALID[:-1] + ("0" if VALID[-1] != "0" else "1")
    info = check_id(wrong)
    assert not info.valid and info.problem_code == "CHECKSUM"
    assert f"应为 {VALID[-1]}" in info.problem


@pytest.mark.parametrize("number,code", [
    ("", "EMPTY"),
    ("11010120080501", "LENGTH"),
    ("110101200805011", "OLD_15"),
    ("11010120080A01123X", "CHARS"),
])
def test_format_problems(number, code):
    assert check_id(number).problem_code == code


def test_impossible_and_future_birth_dates():
    body = "110101" + "20080230" + "123"
    from stdnum.cn import ric
    feb30 = body + ric.calc_check_digit(body + "0")
    assert check_id(feb30).problem_code == "BIRTH_DATE"
    future = make_id("110101", date(2030, 1, 1), 123)
    info = check_id(future, today=date(2026, 11, 28))
    assert not info.valid and info.problem_code == "FUTURE_BIRTH"
    assert "在今天之后" in info.problem
    # no digit of the date in either message: beside a masked number they would give back what it hides
    assert not any(d in info.problem + check_id(feb30).problem for d in ("2030", "0101", "2008", "0230"))


def test_region_unknown_is_not_invalid():
    # 999999 is no region; the number is still well-formed (checks warn, not error).
    info = check_id(make_id("999999", date(2008, 5, 1), 123))
    assert info.valid and info.region_known is False


def test_mask_and_helpers():
    assert mask_id(VALID) == VALID[:6] + "********" + VALID[-4:]
    assert normalize_id(" 11010120080501123x ") == "11010120080501123X"
    assert looks_scientific("4.11521E+17") and not looks_scientific(VALID)
    assert age_on(date(2008, 9, 2), date(2023, 9, 1)) == 14
    assert age_on(date(2008, 9, 1), date(2023, 9, 1)) == 15


def test_region_follows_the_birth_year_through_stdnum():
    from core.idnumber import region_of
    assert region_of("110103", 2005) == (True, "北京市崇文区")      # 崇文区 until 2010
    assert region_of("110103", 2015)[0] is False
    assert region_of("110112", 1990)[0] is False                   # 通州区 from 1997
    assert region_of("110112", 2000) == (True, "北京市通州区")
    assert region_of("999999", 2000) == (False, "")
