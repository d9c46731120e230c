"""Demo data generator: determinism, realism, planted problems, engine round trip."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from pypinyin import pinyin

from core import demo, demo_people
from core.demo import generate_demo
from core.domain import Stage
from core.engine import Status, compute_all
from core.idnumber import age_on, check_id, make_id
from core.money import format_fen
from core.policy import default_policy
from core.records import ParsedRow, student_record

TODAY = date(2024, 1, 1)   # fixed "today" for check_id: nothing depends on the real date


@pytest.fixture(scope="module", params=["high_school", "mixed"])
def data(request) -> demo.DemoData:
    """The demo school (a county high school) and the synthetic every-stage list."""
    return generate_demo() if request.param == "high_school" else generate_demo(school_kind=demo.MIXED)


def _docstring_fields(section: str) -> set[str]:
    doc = ParsedRow.__doc__ or ""
    start = doc.index("students:") if section == "students" else doc.index("roster:")
    end = doc.index("roster:") if section == "students" else doc.index(".\n", start)
    text = re.sub(r"\([^)]*\)", "", doc[start + len(section) + 1:end])
    names = {t.strip(" \n.") for t in re.split(r"[,/]", text) if t.strip(" \n.")}
    assert all(re.fullmatch(r"[a-z_]+", n) for n in names), names
    return names


def _planted_students(d: demo.DemoData) -> set[int]:
    return {i for p in d.plants for i in p.students}


def _kind(d: demo.DemoData, kind: str) -> list[demo.Plant]:
    return [p for p in d.plants if p.kind == kind]


def test_deterministic_for_a_seed() -> None:
    a, b = generate_demo(120, seed=7), generate_demo(120, seed=7)
    assert a == b
    c = generate_demo(120, seed=8)
    assert a.students != c.students


def test_deterministic_across_processes() -> None:
    """No dependence on set order (string hashes differ per process)."""
    code = ("import hashlib, json; from core.demo import generate_demo; d = generate_demo(150, seed=3); "
            "print(hashlib.sha256(json.dumps([d.school, d.students, d.roster, d.notes], "
            "ensure_ascii=False).encode()).hexdigest())")
    root = Path(__file__).resolve().parent.parent
    digests = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout
               for h in (1, 2, 3)}
    assert len(digests) == 1


def test_field_names_match_parsed_row_docstring(data: demo.DemoData) -> None:
    student_fields = _docstring_fields("students")
    roster_fields = _docstring_fields("roster")
    assert len(student_fields) == 29 and len(roster_fields) == 11
    assert all(set(s) == student_fields for s in data.students)
    assert all(set(r) == roster_fields for r in data.roster)
    assert set(data.school) == {"name", "code", "school_year", "township", "contact_phone",
                                "supervision_phone"}


def _not_listed_count(d: demo.DemoData) -> int:
    """Roster rows for people who are not in the student list."""
    at_school = sum(1 for r in d.roster if r["school_name"] == d.school["name"])
    return len(d.roster) - at_school + len(_kind(d, demo.ROSTER_NOT_LISTED))


def test_sizes_and_roster_extra() -> None:
    d = generate_demo(300)
    assert len(d.students) == 300
    registered = sum(1 for s in d.students if s["category"] == "REGISTERED")
    assert len(d.roster) == registered - len(_kind(d, demo.NOT_IN_ROSTER)) \
        + len(_kind(d, demo.CATEGORY_MISMATCH)) + 150
    assert _not_listed_count(d) == 150
    assert _not_listed_count(generate_demo(200, roster_extra=1000)) == 1000


def test_ids_genders_births_and_ages(data: demo.DemoData) -> None:
    planted = _planted_students(data)
    ranges = default_policy().age_ranges
    sept1 = date(2023, 9, 1)
    for i, s in enumerate(data.students):
        if i in planted:
            continue
        info = check_id(s["id_number"], today=TODAY)
        assert info.valid, (s["name"], s["id_number"], info.problem)
        assert info.region_known and "建始县" in info.region_name
        assert s["id_raw"] == s["id_number"] and s["id_numeric_cell"] is False
        assert s["gender"] == info.gender
        assert info.birth_date is not None
        assert s["birth_date"] == info.birth_date.isoformat()
        lo, hi = ranges[Stage(s["stage"])]
        assert lo <= age_on(info.birth_date, sept1) <= hi, (s["stage"], s["birth_date"])
        if Stage(s["stage"]) in (Stage.PRESCHOOL, Stage.PRIMARY, Stage.JUNIOR,
                                 Stage.HIGH_SCHOOL, Stage.VOCATIONAL):
            assert s["student_no"] == "G" + s["id_number"]
            assert re.fullmatch(r"\d+班", s["class_name"])
        assert re.fullmatch(r"1\d{10}", s["phone"])
        # the fast ID builder agrees with core.idnumber.make_id
        assert make_id(demo_people.REGION, info.birth_date, int(s["id_number"][14:17])) == s["id_number"]


def test_roster_ids_valid_and_unique(data: demo.DemoData) -> None:
    ids = [r["id_number"] for r in data.roster]
    assert len(set(ids)) == len(ids)
    assert all(check_id(i, today=TODAY).valid for i in ids)
    student_ids = [s["id_number"] for i, s in enumerate(data.students) if i not in _planted_students(data)]
    assert len(set(student_ids)) == len(student_ids)


def test_the_demo_school_is_a_real_county_high_school() -> None:
    """Not one school with 学前 and 博士 students: a public county senior high school, its
    own tuition entered as the policy's public standard, and only problems it can have."""
    for seed in (1, 2, 2023):
        d = generate_demo(300, seed=seed)
        assert d.school["name"] == "建始县第一高级中学"
        assert {s["stage"] for s in d.students} == {"普通高中"}
        assert {s["grade"] for s in d.students} == {"高一", "高二", "高三"}
        assert {(s["location"], s["ownership"]) for s in d.students} == {("本地", "公办")}
        assert not any(s["has_loan"] for s in d.students)
        kinds = {p.kind for p in d.plants}
        assert demo.LOAN_NO_CONTRACT not in kinds and demo.PRIVATE_TUITION not in kinds
        public = {s["tuition_fen"] for s in d.students if s["tuition_fen"] is not None}
        assert len(public) == 1
        assert d.policy_params == {"tuition_standard.普通高中": format_fen(public.pop())}
    assert generate_demo(300, school_kind=demo.MIXED).policy_params == {}


def test_every_stage_and_category_mix() -> None:
    for seed in (1, 2, 2023):
        for d, every_stage in ((generate_demo(300, seed=seed, school_kind=demo.MIXED), True),
                               (generate_demo(300, seed=seed), False)):
            stages = Counter(s["stage"] for s in d.students)
            assert (set(stages) == {st.value for st in Stage}) is every_stage
            assert stages["小学"] + stages["初中"] + stages["普通高中"] > 0.6 * 300
            cats = Counter(s["category"] for s in d.students)
            assert 0.22 < cats["REGISTERED"] / 300 < 0.40
            assert 0.04 < cats["OTHER_HARDSHIP"] / 300 < 0.16
            assert set(cats) == {"REGISTERED", "OTHER_HARDSHIP", "NONE"}


def test_polyphonic_surnames_present(data: demo.DemoData) -> None:
    surnames = {s["name"][0] for s in data.students}
    assert set(demo_people.POLYPHONIC_SURNAMES) <= surnames


def test_registered_students_in_roster(data: demo.DemoData) -> None:
    planted = _planted_students(data)
    by_id = {r["id_number"]: r for r in data.roster}
    heads = {r["household_no"]: r["name"] for r in data.roster if r["relation"] == "户主"}
    for i, s in enumerate(data.students):
        row = by_id.get(s["id_number"])
        if i in planted:
            continue
        if s["category"] == "REGISTERED":
            assert row is not None, s["name"]
            assert row["name"] == s["name"] and row["household_no"] == s["household_no"]
            assert row["relation"] == s["relation"] and row["village"] == s["village"]
            assert row["school_name"] == data.school["name"]
            assert heads[s["household_no"]] == s["head_name"]
        else:
            assert row is None and s["household_no"] == ""
    (missing,) = _kind(data, demo.NOT_IN_ROSTER)[:1]
    s = data.students[missing.students[0]]
    assert s["category"] == "REGISTERED" and s["id_number"] not in by_id
    assert s["household_no"] in heads   # the household is there, the child is not


def test_roster_households_are_whole(data: demo.DemoData) -> None:
    households: dict[str, list[dict]] = {}
    for r in data.roster:
        households.setdefault(r["household_no"], []).append(r)
    for no, rows in households.items():
        assert rows[0]["relation"] == "户主", no
        assert sum(r["relation"] == "户主" for r in rows) == 1
        assert len({(r["township"], r["village"]) for r in rows}) == 1
    assert max(len(rows) for rows in households.values()) >= 4
    statuses = {r["schooling_status"] for r in generate_demo(300, roster_extra=2000).roster}
    assert {"非在校生", "学龄前儿童"} <= statuses
    assert any(re.fullmatch(r"小学.年级", st) for st in statuses)


def test_fees_are_fen_or_none(data: demo.DemoData) -> None:
    fee_stages = {Stage.HIGH_SCHOOL.value, Stage.VOCATIONAL.value}
    for s in data.students:
        for key in ("tuition_fen", "textbook_fen", "lodging_fen"):
            v = s[key]
            assert v is None or (type(v) is int and v >= 0), (key, v)
            if s["stage"] not in fee_stages:
                assert v is None
        if s["stage"] in fee_stages and s["ownership"] == "公办":
            assert 120000 <= s["tuition_fen"] <= 240000
    for s in data.students:
        assert type(s["full_time"]) is bool and type(s["has_loan"]) is bool


def test_loans() -> None:
    data = generate_demo(school_kind=demo.MIXED)    # the demo high school has no student loans
    loans = [s for s in data.students if s["has_loan"]]
    assert loans and all(s["stage"] in {"高职专科", "本科", "硕士研究生", "博士研究生"} for s in loans)
    assert sum(1 for s in loans if s["loan_contract_no"]) >= len(loans) - len(_kind(data, demo.LOAN_NO_CONTRACT))


def test_planted_problems(data: demo.DemoData) -> None:
    s = data.students
    assert data.notes == [p.note for p in data.plants]
    kinds = Counter(p.kind for p in data.plants)
    expected = {demo.BAD_CHECK, demo.DUPLICATE_ID, demo.NOT_IN_ROSTER, demo.HOMOPHONE,
                demo.CATEGORY_MISMATCH, demo.EMPTY_LODGING, demo.AGE_MISMATCH,
                demo.NUMERIC_CELL, demo.LOAN_NO_CONTRACT, demo.NOT_FULL_TIME,
                demo.PRIVATE_TUITION, demo.ROSTER_NOT_LISTED}
    if data.school["name"] == "建始县第一高级中学":
        expected -= {demo.LOAN_NO_CONTRACT, demo.PRIVATE_TUITION}
    assert set(kinds) == expected
    assert set(kinds.values()) == {2}
    by_id = {r["id_number"]: r for r in data.roster}
    ranges = default_policy().age_ranges

    for p in _kind(data, demo.BAD_CHECK):
        assert check_id(s[p.students[0]]["id_number"], today=TODAY).problem_code == "CHECKSUM"
    for p in _kind(data, demo.DUPLICATE_ID):
        a, b = (s[i] for i in p.students)
        assert a["id_number"] == b["id_number"] and a["name"] != b["name"]
    for p in _kind(data, demo.HOMOPHONE):
        st, row = s[p.students[0]], data.roster[p.roster[0]]
        assert st["id_number"] == row["id_number"] and st["name"] != row["name"]
        assert pinyin(st["name"]) == pinyin(row["name"])
    for p in _kind(data, demo.CATEGORY_MISMATCH):
        assert s[p.students[0]]["category"] == "NONE" and s[p.students[0]]["id_number"] in by_id
    for p in _kind(data, demo.EMPTY_LODGING):
        st = s[p.students[0]]
        assert (st["stage"], st["category"], st["lodging_fen"]) == ("普通高中", "REGISTERED", None)
    for p in _kind(data, demo.AGE_MISMATCH):
        st = s[p.students[0]]
        lo, hi = ranges[Stage(st["stage"])]
        assert not lo <= age_on(date.fromisoformat(st["birth_date"]), date(2023, 9, 1)) <= hi
    for p in _kind(data, demo.NUMERIC_CELL):
        st = s[p.students[0]]
        assert st["id_number"] == "" and st["id_numeric_cell"] is True
        assert re.fullmatch(r"4\.22822E\+17", st["id_raw"])
    for p in _kind(data, demo.LOAN_NO_CONTRACT):
        st = s[p.students[0]]
        assert st["has_loan"] is True and st["loan_contract_no"] == ""
    for p in _kind(data, demo.NOT_FULL_TIME):
        assert s[p.students[0]]["full_time"] is False
    assert sum(1 for st in s if not st["full_time"]) == kinds[demo.NOT_FULL_TIME]
    public_hs = {st["tuition_fen"] for st in s if st["stage"] == "普通高中" and st["ownership"] == "公办"
                 and st["location"] == "本地"}
    assert len(public_hs) == 1
    for p in _kind(data, demo.PRIVATE_TUITION):
        st = s[p.students[0]]
        assert st["ownership"] == "民办" and st["stage"] == "普通高中"
        assert st["tuition_fen"] > max(public_hs)
    student_ids = {st["id_number"] for st in s}
    student_names = {st["name"] for st in s}
    for p in _kind(data, demo.ROSTER_NOT_LISTED):
        row = data.roster[p.roster[0]]
        assert row["school_name"] == data.school["name"]
        assert row["id_number"] not in student_ids and row["name"] not in student_names
    # no other roster member claims this school without being listed
    listed = {st["id_number"] for st in s} | {r["id_number"] for p in data.plants for r in
                                               (data.roster[i] for i in p.roster)}
    assert all(r["id_number"] in listed for r in data.roster if r["school_name"] == data.school["name"])


def test_engine_round_trip(data: demo.DemoData) -> None:
    policy = default_policy()
    records = [student_record(s) for s in data.students]
    results, totals = compute_all(records, policy)
    assert totals.total > 0 and totals.students_granted > 0
    assert all(isinstance(v, int) for v in totals.by_item.values())
    pending = {(i, d.code) for i, r in enumerate(results) for d in r.pending}
    for p in _kind(data, demo.EMPTY_LODGING):
        assert (p.students[0], "HS_LODGING") in pending
    assert any(code == "HS_TUITION" for _i, code in pending)
    if data.school["name"] == "建始县第一高级中学":
        assert {k for k, v in totals.by_item.items() if v} == {"HS_TEXTBOOK", "HS_LODGING"}   # no standard
        assert totals.by_item["HS_TEXTBOOK"] > 0 and totals.by_item["HS_LODGING"] > 0
    else:
        assert totals.by_item["PRESCHOOL"] + totals.by_item["HIGHER_GRANT"] > 0
    for p in _kind(data, demo.NOT_FULL_TIME):
        assert all(d.status is Status.NOT_ELIGIBLE for d in results[p.students[0]].decisions)


@pytest.mark.parametrize("n", [0, 1, 5, 13, 50])
def test_small_lists(n: int) -> None:
    d = generate_demo(n)
    assert len(d.students) == n
    assert all(0 <= i < n for p in d.plants for i in p.students)
    assert all(0 <= i < len(d.roster) for p in d.plants for i in p.roster)


@pytest.mark.slow
def test_large_generation_is_fast() -> None:
    start = time.perf_counter()
    d = generate_demo(50_000, seed=1, roster_extra=185_000)
    elapsed = time.perf_counter() - start
    assert len(d.students) == 50_000 and len(d.roster) >= 200_000
    assert elapsed < 15, elapsed
