from decimal import Decimal

import pytest

from core.errors import ValidationError
from core.money import format_fen, parse_yuan, split_shares


@pytest.mark.parametrize("text,fen", [
    ("1200", 120000), ("1,200.50", 120050), ("1200元", 120000), (" ￥2022.00 ", 202200),
    ("０", 0), (0, 0), (1200.5, 120050), (Decimal("0.01"), 1), ("１２００", 120000),
    (0.1 * 3000, 30000), (300.00000000000006, 30000), (359.99999999999994, 36000), (0.1 + 0.2, 30),
])
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("bad", ["abc", "1.234", "-5", True, "", "1e999", 1200.005, float("nan"), float("inf")])
def test_parse_yuan_rejects(bad):
    with pytest.raises(ValidationError) as err:
        parse_yuan(bad)
    assert "金额" in err.value.message


def test_format_fen():
    assert format_fen(202200) == "2022.00"
    assert format_fen(5) == "0.05"
    assert format_fen(0) == "0.00"


@pytest.mark.parametrize("total", [0, 1, 3, 101, 202200, 99999, 133333])
def test_split_shares_always_adds_up(total):
    shares = [("city", Decimal(50)), ("county", Decimal(50))]
    parts = split_shares(total, shares)
    assert sum(parts.values()) == total
    assert abs(parts["city"] - parts["county"]) <= 1


def test_split_first_gets_rounded_last_remainder():
    # 1 fen split 50/50: the first source gets 0.5 rounded half up = 1, the last the remainder 0.
    assert split_shares(1, [("city", Decimal(50)), ("county", Decimal(50))]) == {"city": 1, "county": 0}
    # 100 fen split 1/3 : 2/3
    thirds = [("city", Decimal("33.33")), ("county", Decimal("66.67"))]
    assert split_shares(100, thirds) == {"city": 33, "county": 67}
    assert split_shares(101, [("county", Decimal(100))]) == {"county": 101}


@pytest.mark.parametrize("blank", ["", "   ", "\u3000"])
def test_a_blank_amount_is_said_to_be_missing_not_to_be_no_number(blank):
    with pytest.raises(ValidationError) as err:
        parse_yuan(blank)
    assert err.value.message == "金额未填写" and "填 0" in err.value.hint


@pytest.mark.parametrize(("cell", "message"), [(-5.0, "金额“-5”不能为负数"), (2e8, "金额“200000000”过大"),
                                               (-0.5, "金额“-0.5”不能为负数")])
def test_a_number_cell_is_quoted_as_excel_shows_it(cell, message):
    with pytest.raises(ValidationError) as err:
        parse_yuan(cell)
    assert err.value.message == message
