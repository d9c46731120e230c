"""专项核查 sampling (core.spotcheck): reproducible from the seed, stratified by school and amount."""
from collections import Counter
from dataclasses import dataclass
from datetime import date

import pytest

from core.errors import ValidationError
from core.idnumber import make_id
from core.package_data import Grant, PackageData, PackageStudent
from core.spotcheck import (
    LARGE,
    POINTS,
    REGULAR,
    CheckedStudent,
    PointResult,
    allocate,
    check_result,
    draw_sample,
    percentile80,
    point_of,
    report_json,
    sample_size,
    summarise,
)

ITEMS = {"HS_TUITION": "普通高中免学费", "HS_GRANT": "普通高中国家助学金", "PRESCHOOL": "学前教育资助"}


@dataclass(frozen=True)
class Pkg:
    sha256: str
    data: PackageData


def kid(n: int, grants: tuple[Grant, ...]) -> PackageStudent:
    return PackageStudent(make_id("422822", date(2008, 1, 1 + n % 28), n), f"学生{n}", stage="普通高中",
                          category="REGISTERED", verified=True, grants=grants)


def school(code: str, n: int, start: int, *, unsubsidised: int = 0) -> Pkg:
    """``n`` subsidised students: every fifth a large one (免学费 1200 + 助学金 2500), the others 1000–1099
    (学前), plus ``unsubsidised`` students with nothing granted."""
    kids = [kid(start + i, (Grant("HS_TUITION", 120000), Grant("HS_GRANT", 250000)) if i % 5 == 0
                else (Grant("PRESCHOOL", 100000 + i),)) for i in range(n)]
    kids += [kid(start + n + i, ()) for i in range(unsubsidised)]
    return Pkg(code * 4, PackageData(code, f"学校{code}", 2023, items=ITEMS, students=tuple(kids)))


def county() -> list[Pkg]:
    return [school("A1", 60, 0, unsubsidised=10), school("B2", 30, 100), school("C3", 10, 200), school("D4", 1, 300)]


def keys(sample):
    return [(s.school_code, s.id_number) for s in sample.students]


def test_the_same_data_and_seed_give_the_same_sample_whatever_the_package_order():
    a = draw_sample(county(), 20240501, count=12)
    b = draw_sample(list(reversed(county())), 20240501, count=12)
    assert keys(a) == keys(b) and len(a.students) == 12
    assert [s.seq for s in a.students] == list(range(1, 13))
    assert a.seed == 20240501 and a.population == 101       # unsubsidised students are not in the population


def test_a_different_seed_gives_a_different_sample():
    samples = {tuple(keys(draw_sample(county(), seed, count=12))) for seed in (1, 2, 3)}
    assert len(samples) == 3


def test_every_school_with_subsidised_students_is_represented_and_proportions_follow_size():
    s = draw_sample(county(), 7, count=21)
    per = Counter(x.school_code for x in s.students)
    # 1 each, then the other 17 places shared by the other subsidised students (59, 29, 9, 0 of 97):
    # 10.3, 5.1, 1.6, 0 -> 10, 5, 1 and the one left to the largest remainder (C3)
    assert per == {"A1": 1 + 10, "B2": 1 + 5, "C3": 1 + 2, "D4": 1}
    assert {d.school_code: d.drawn for d in s.schools} == per
    assert all(x.grants and x.total_fen > 0 for x in s.students)


def test_fewer_places_than_schools_draw_schools_at_random_one_student_each():
    s = draw_sample(county(), 11, count=3)
    per = Counter(x.school_code for x in s.students)
    assert len(per) == 3 and set(per.values()) == {1}
    seen = {frozenset(Counter(x.school_code for x in draw_sample(county(), seed, count=3).students))
            for seed in range(30)}
    assert len(seen) > 1                                   # which schools depends on the seed


def test_allocation_is_capped_and_exact():
    import random
    assert allocate([1, 1, 1], 3, random.Random(1)) == [1, 1, 1]
    assert allocate([5, 3], 8, random.Random(1)) == [5, 3]
    assert allocate([10, 4, 1], 6, random.Random(1)) == [1 + 2, 1 + 1, 1]   # 3 more: 27/12 and 9/12
    assert sum(allocate([7, 13, 2, 40], 17, random.Random(5))) == 17


def test_half_the_places_come_from_the_large_amounts():
    s = draw_sample([school("A1", 61, 0)], 99, count=10)   # 13 large ones (免学费 + 助学金), 48 others
    assert Counter(x.stratum for x in s.students) == {LARGE: 5, REGULAR: 5}
    assert all(x.total_fen == 370000 for x in s.students if x.stratum == LARGE)
    assert all(x.total_fen < 370000 for x in s.students if x.stratum == REGULAR)
    draw = s.schools[0]
    assert draw.large == 13 and draw.threshold_fen == 370000


def test_the_large_places_visit_every_main_item_in_turn():
    large = [kid(900 + i, (Grant("HS_TUITION", 300000), Grant("HS_GRANT", 100000)) if i % 2 else
                 (Grant("HS_GRANT", 400000),)) for i in range(4)]   # 400000 each; main item 免学费 or 助学金
    regular = [kid(i, (Grant("PRESCHOOL", 100000 + i),)) for i in range(10)]
    pkg = Pkg("x", PackageData("A1", "学校A1", 2023, items=ITEMS, students=tuple(large + regular)))
    for seed in range(20):
        s = draw_sample([pkg], seed, count=4)
        picked = [x for x in s.students if x.stratum == LARGE]
        assert len(picked) == 2
        assert {max(x.grants, key=lambda g: g.amount_fen).code for x in picked} == {"HS_TUITION", "HS_GRANT"}


def test_a_short_stratum_is_filled_by_the_other():
    kids = [kid(0, (Grant("PRESCHOOL", 1000),))] + [kid(i, (Grant("HS_GRANT", 5000),)) for i in range(1, 5)]
    pkg = Pkg("x", PackageData("A1", "学校A1", 2023, items=ITEMS, students=tuple(kids)))
    s = draw_sample([pkg], 3, count=4)            # 4 large (at the 80th percentile), 1 regular
    assert Counter(x.stratum for x in s.students) == {LARGE: 3, REGULAR: 1}
    s = draw_sample([pkg], 3, count=5)
    assert Counter(x.stratum for x in s.students) == {LARGE: 4, REGULAR: 1}


def test_the_percentile_is_the_nearest_rank():
    assert percentile80([1]) == 1
    assert percentile80([5, 1, 4, 2, 3]) == 4
    assert percentile80(list(range(1, 11))) == 8


def test_size_by_percent_is_rounded_up_and_exact():
    assert sample_size(101, percent="5") == (6, "5%")     # 5.05 -> 6
    assert sample_size(100, percent="2.5") == (3, "2.5%")
    assert sample_size(40, count=100) == (40, "100 人")     # capped at the population
    for bad in ("0", "-3", "101", "abc", "nan"):
        with pytest.raises(ValidationError):
            sample_size(100, percent=bad)
    with pytest.raises(ValidationError):
        sample_size(100, count=0)
    with pytest.raises(ValidationError):
        sample_size(100)


def test_nobody_to_sample_and_bad_seeds_are_refused():
    with pytest.raises(ValidationError, match="没有享受资助的学生"):
        draw_sample([school("A1", 0, 0, unsubsidised=3)], 1, count=2)
    with pytest.raises(ValidationError, match="种子"):
        draw_sample(county(), -1, count=2)
    with pytest.raises(ValidationError, match="种子"):
        draw_sample(county(), 10**13, count=2)


def test_points_are_found_by_label_or_code_and_a_false_one_needs_a_note():
    assert point_of("资金到账").code == "FUNDS" and point_of("funds").code == "FUNDS"
    with pytest.raises(ValidationError, match="核查项“到账”不存在"):
        point_of("到账")
    with pytest.raises(ValidationError, match="没有填写说明"):
        check_result(point_of("资金到账"), False, "  ")
    assert check_result(point_of("资金到账"), True, "") == PointResult("FUNDS", True, "")


def test_the_report_counts_per_school_and_point():
    s = draw_sample(county(), 5, count=8)
    first, second = s.students[0], s.students[1]
    other = next(x for x in s.students if x.school_code != first.school_code)
    everything_true = {p.code: PointResult(p.code, True) for p in POINTS}
    checked = [CheckedStudent(x, {}) for x in s.students]
    checked[0] = CheckedStudent(first, {**everything_true, "FUNDS": PointResult("FUNDS", False, "只到账 1000 元")})
    checked[1] = CheckedStudent(second, {"ENROLMENT": PointResult("ENROLMENT", True)})
    checked[other.seq - 1] = CheckedStudent(other, everything_true)
    by_school = {r.school_code: r for r in summarise(checked)}
    a = by_school[first.school_code]
    assert a.checked == 1
    assert a.points["FUNDS"].false == 1 and a.points["FUNDS"].truthful == 0
    assert [n.note for n in a.false_notes] == ["只到账 1000 元"]
    assert by_school[other.school_code].points["LETTER"].truthful >= 1
    doc = report_json({"id": 1}, summarise(checked))
    assert doc["totals"]["sampled"] == 8 and doc["totals"]["checked"] == 2
    assert doc["totals"]["points"]["FUNDS"] == {"label": "资金到账", "truthful": 1, "false": 1}
    assert doc["by_school"][0]["false_notes"][0]["label"] == "资金到账"
