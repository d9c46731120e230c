"""A comma is read only as a thousands separator, a space only around an amount.

``parse_yuan`` deleted every comma and space, so a decimal comma (349,50 → 34950.00 元),
a stray comma (1,4 → 1400.00) or a space between digits (12 34 → 1234.00) gave another
amount without a word. Each caller (the student import, the payments import, the policy's
parameters and item amounts) now refuses such a text where it is, saying what to do."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from core.errors import PolicyError, ValidationError
from core.idnumber import make_id
from core.importers import Table, parse_students
from core.importers.payments import parse_payments
from core.money import parse_yuan
from core.policy import default_policy, set_value
from core.policy_edit import draft_of, item_problems

ID1 = make_id("422822", date(2008, 3, 4), 11)
ID2 = make_id("422822", date(2009, 5, 6), 22)


@pytest.fixture(scope="module")
def policy():
    return default_policy()


@pytest.mark.parametrize("text,fen", [
    ("1,400", 140000), ("1,400.00", 140000), ("12,345,678.5", 1234567850), ("1，400", 140000),
    (" ￥ 1,400.00 元 ", 140000), ("¥1,400", 140000), ("1,400元", 140000), ("\u3000１，４００．５０\u3000", 140050),
    ("999", 99900), ("349.50", 34950), (" 349.50\t", 34950), ("100,000,000", 10000000000),
])
def test_thousands_separators_and_outer_spaces_are_read(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", [
    "349,50", "600,07", "1.400,00", "1,4", "1,40", "1,4000", "0,500", "1,400,00", "1,,400", "1,400.00,5",
    ",400", "1400,", "1，4",
])
def test_a_comma_out_of_place_is_refused_naming_the_text(text):
    with pytest.raises(ValidationError) as err:
        parse_yuan(text)
    assert err.value.message == f"金额“{text}”的逗号位置不对：小数点请用“.”，千位分隔的逗号每三位一个"
    assert "1,400.00" in err.value.hint


@pytest.mark.parametrize("text", ["12 34", "1 400", "1 400.00", "12\u300034", "1,400 .00", "1\t4"])
def test_a_space_between_digits_is_refused(text):
    with pytest.raises(ValidationError) as err:
        parse_yuan(text)
    assert f"金额“{text}”" in err.value.message and "中间有空格" in err.value.message


def test_yuan_signs_belong_around_the_number():
    """¥ before and 元 after, as written; 元 between digits (12元34: 12.34?) names no amount."""
    with pytest.raises(ValidationError) as err:
        parse_yuan("12元34")
    assert "不是数字" in err.value.message


def test_the_student_import_puts_the_problem_on_the_row_and_column(policy):
    rows = [["姓名", "身份证号", "学段", "实收书本费"],
            ["甲", ID1, "高中", "349,50"],
            ["乙", ID2, "高中", "1,349.50"]]
    got = {r.values["name"]: r for r in parse_students(Table("s.xlsx", "S", rows), policy).rows}
    assert got["甲"].values["textbook_fen"] is None
    assert got["甲"].problems == ["实收书本费（D列）：金额“349,50”的逗号位置不对：小数点请用“.”，"
                                  "千位分隔的逗号每三位一个，例如 1400、1,400.00 或 349.50"]
    assert (got["乙"].values["textbook_fen"], got["乙"].problems) == (134950, [])


def test_the_payments_import_refuses_the_row(policy):
    rows = [["身份证号", "姓名", "项目", "金额"],
            [ID1, "甲", "HS_TEXTBOOK", "349,50"],
            [ID2, "乙", "HS_TEXTBOOK", "1,349.50"]]
    parsed = parse_payments(Table("p.xlsx", "P", rows), policy)
    assert [(p.id_number, p.amount_fen) for p in parsed.payments] == [(ID2, 134950)]
    assert len(parsed.problems) == 1
    line, message = parsed.problems[0]
    assert line == 2 and message.startswith("第2行：金额（D列）：金额“349,50”的逗号位置不对")


def test_policy_amounts_refuse_a_decimal_comma(policy):
    assert "1200.00" in set_value(policy.text, "tuition_standard.普通高中", "1,200")
    with pytest.raises(PolicyError) as err:
        set_value(policy.text, "tuition_standard.普通高中", "1200,50")
    assert "逗号位置不对" in err.value.message
    with pytest.raises(PolicyError) as err:
        set_value(policy.text, "items.PRESCHOOL.amount", "20 22")
    assert "中间有空格" in err.value.message


def test_the_item_form_names_the_misplaced_comma(policy):
    draft = draft_of(policy.item("PRESCHOOL"))
    problems = item_problems(replace(draft, amount="2022,50"), policy, "PRESCHOOL")
    assert [p.message for p in problems if p.field == "amount"] == [
        "标准金额：金额“2022,50”的逗号位置不对：小数点请用“.”，千位分隔的逗号每三位一个，例如 1400、1,400.00 或 349.50"]
    assert item_problems(replace(draft, amount="2,022.50"), policy, "PRESCHOOL") == []


@pytest.mark.parametrize("text", ["1.400", "2.500", "1200.000"])
def test_a_third_decimal_is_refused_even_when_zero(text):
    """"1.400" is 1400 written with a thousands point: read as 1.40 yuan before."""
    with pytest.raises(ValidationError, match="超过两位小数"):
        parse_yuan(text)


@pytest.mark.parametrize("text", ["1e3", "1_000", "NaN", "Infinity", "0x10"])
def test_what_decimal_alone_would_take_is_not_an_amount(text):
    with pytest.raises(ValidationError, match="不是数字"):
        parse_yuan(text)


def test_a_payment_without_an_amount_is_said_to_be_missing(policy):
    rows = [["身份证号", "姓名", "项目", "金额"],
            [ID1, "甲", "HS_TEXTBOOK", ""],
            [ID2, "乙", "HS_TEXTBOOK", -5.0]]
    parsed = parse_payments(Table("p.xlsx", "P", rows), policy)
    assert parsed.payments == []
    assert [m.split("，")[0] for _line, m in parsed.problems] == ["第2行：金额（D列）：金额未填写",
                                                                   "第3行：金额（D列）：金额“-5”不能为负数"]
