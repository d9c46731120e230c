"""Session 21 review: birth dates the program cannot read were never reported (ID_BIRTH_MISMATCH
skips them), and a birth month typed as the number 2011.5 was stored as "2011.50" (month 50)."""
from datetime import date

import pytest

from core.checks import CheckContext, StudentFacts, run_checks
from core.idnumber import make_id
from core.importers.students import _birth_text
from core.policy import default_policy

BORN = date(2010, 5, 3)
ID = make_id("110101", BORN, 123)


def unreadable(birth: str) -> list[str]:
    s = StudentFacts(key=1, name="王一", id_number=ID, id_raw=ID, stage="小学", birth_date=birth)
    ctx = CheckContext(students=[s], roster=[], policy=default_policy(), school_name="甲校",
                       school_year=2023, today=date(2024, 4, 1))
    return [f.message for f in run_checks(ctx) if f.code == "VALUE_UNREADABLE" and f.field == "birth_date"]


@pytest.mark.parametrize("birth", ["3/5/2011", "二〇一〇年五月三日", "2010-13-01", "五月"])
def test_an_unreadable_birth_date_is_a_finding_saying_how_to_write_it(birth):
    (message,) = unreadable(birth)
    assert "出生日期的写法无法识别" in message and "2010-05-03" in message
    assert birth not in message         # (beside the masked ID it would give back the digits the mask hides)


@pytest.mark.parametrize(("field", "value"), [("gender", ID), ("category", "2010-05-03"), ("stage", "20100503"),
                                              ("location", "１１０１０１２０１００５０３"), ("ownership", "2010/5/3")])
def test_a_number_or_date_in_another_field_is_not_quoted_beside_the_masked_id(field, value):
    s = StudentFacts(key=1, name="王一", id_number=ID, id_raw=ID, **{"stage": "小学", field: value})
    ctx = CheckContext(students=[s], roster=[], policy=default_policy(), school_name="甲校",
                       school_year=2023, today=date(2024, 4, 1))
    (message,) = [f.message for f in run_checks(ctx) if f.code == "VALUE_UNREADABLE" and f.field == field]
    assert "无法识别" in message and "号码或日期，不在此显示" in message
    assert not any(c.isdigit() for c in message.partition("无法识别")[0])


def test_a_short_unreadable_value_is_still_quoted():
    s = StudentFacts(key=1, name="王一", id_number=ID, id_raw=ID, stage="小学", gender="未知2")
    ctx = CheckContext(students=[s], roster=[], policy=default_policy(), school_name="甲校",
                       school_year=2023, today=date(2024, 4, 1))
    assert any("性别“未知2”无法识别" in f.message for f in run_checks(ctx))


@pytest.mark.parametrize("birth", ["", "2010-05-03", "2010/5/3", "2010年5月3日", "20100503", "2010.05", "2011-05-03"])
def test_a_readable_or_blank_birth_date_is_no_such_finding(birth):
    assert unreadable(birth) == []      # (2011-05-03 is read: ID_BIRTH_MISMATCH says it differs)


@pytest.mark.parametrize(("cell", "text"), [(2009.1, "2009.10"), (2011.5, "2011.5"), (2011.12, "2011.12"),
                                            (2011.05, "2011.05"), (2010.3, "2010.3"), ("2011.5", "2011.5")])
def test_a_birth_month_typed_as_a_number_keeps_a_month(cell, text):
    assert _birth_text(cell) == text


@pytest.mark.parametrize(("born", "cell", "stored"), [
    (date(2010, 1, 9), 2010.1, "2010.01"),       # typed 2010.1 for January: the ID's month
    (date(2010, 10, 9), 2010.1, "2010.10"),      # typed 2010.10: October, as before
    (date(2010, 3, 9), 2010.1, "2010.10"),       # neither: read as typed, the check says it differs
    (date(2011, 1, 9), 2010.1, "2010.10"),       # another year: not the ID's January
    (date(2010, 1, 9), "2010.10", "2010.10"),    # text keeps its two digits: October, whatever the ID
])
def test_a_birth_month_number_that_reads_as_january_or_october_takes_the_id_s_month(born, cell, stored):
    """Excel keeps 2010.10 and 2010.1 as the same number: the import read January as October, and
    the check then said the birth date differed from the ID."""
    from core.checks.dates import birth_matches
    from core.importers import Table, parse_students
    number = make_id("110101", born, 123)
    parsed = parse_students(Table("m.xlsx", "S", [["姓名", "身份证号", "学段", "出生年月"],
                                                  ["王一", number, "小学", cell]]), default_policy())
    (row,) = parsed.rows
    assert row.values["birth_date"] == stored
    assert birth_matches(stored, born) is (stored == f"{born:%Y.%m}")
