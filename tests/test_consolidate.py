"""Cross-checks and summaries of the receiving side (core.consolidate), on PackageData built directly."""
from __future__ import annotations

import json
from datetime import date

import pytest

from core.checks.base import RosterFacts
from core.consolidate import cross_check, in_school, outside_item_names, summarise
from core.consolidate.checks import counts_of, finding_line
from core.idnumber import make_id, mask_id
from core.package_data import Grant, PackageData, PackageStudent, PackageTotals
from core.policy import default_policy

ITEMS = {"HS_TUITION": "免学费", "HS_TEXTBOOK": "免书本费", "LOAN_AID": "生源地助学贷款一次性就学扶助",
         "HIGHER_GRANT": "本科生、硕士研究生资助"}
SOURCES = {"city": "市级", "county": "县级"}


def pid(n: int, born: date = date(2008, 5, 1)) -> str:
    return make_id("422822", born, n)


def half(code: str, fen: int) -> Grant:
    """A grant shared 5:5 by city and county (the first source the rounded half, as core.money does)."""
    city = (fen + 1) // 2
    return Grant(code, fen, {"city": city, "county": fen - city})


def student(n: int, *grants: Grant, name: str | None = None, stage: str = "普通高中",
            prior: tuple[str, ...] = (), pending: tuple[str, ...] = ()) -> PackageStudent:
    return PackageStudent(pid(n), name or f"学生{n}", stage=stage, grants=grants, prior_grants=prior,
                          pending=pending, verified=True)


def package(code: str, name: str, *students: PackageStudent, township: str = "龙坪乡", year: int = 2023,
            totals: PackageTotals | None = None) -> PackageData:
    """A package whose claimed totals are its students' sums (unless ``totals`` is given)."""
    if totals is None:
        by_item: dict[str, int] = {}
        by_source: dict[str, int] = {}
        for s in students:
            for g in s.grants:
                by_item[g.code] = by_item.get(g.code, 0) + g.amount_fen
                for src, fen in g.shares.items():
                    by_source[src] = by_source.get(src, 0) + fen
        totals = PackageTotals(by_item, by_source, sum(by_item.values()), sum(1 for s in students if s.grants),
                               sum(len(s.pending) for s in students))
    return PackageData(code, name, year, township=township, items=ITEMS, sources=SOURCES, students=students,
                       totals=totals)


def codes(findings):
    return [f.code for f in findings]


def test_duplicate_across_schools_names_both_schools_and_both_amounts():
    a = package("A1", "龙坪乡中心小学", student(1, half("HS_TUITION", 100000), half("HS_TEXTBOOK", 20000)),
                student(2, half("HS_TUITION", 100000)))
    b = package("B1", "红岩寺镇中学", student(1, half("HS_TUITION", 80050), name="学生一"), township="红岩寺镇")
    found = cross_check([a, b])
    assert codes(found) == ["DUPLICATE_ACROSS_SCHOOLS"] * 2
    fa, fb = found
    assert (fa.school_code, fa.id_number, fa.amount_fen) == ("A1", pid(1), 120000)
    assert (fb.school_code, fb.name, fb.amount_fen) == ("B1", "学生一", 80050)
    assert [(o.school_code, o.amount_fen) for o in fa.others] == [("B1", 80050)]
    assert "红岩寺镇中学（800.50 元）" in fa.message and "1200.00 元" in fa.message
    assert "龙坪乡中心小学（1200.00 元）" in fb.message and "800.50 元" in fb.message
    assert pid(1) not in fa.message and mask_id(pid(1)) in fa.message     # masked in the message, full in the data
    flag = fa.to_json()
    assert flag["severity"] == "error" and flag["amount"] == "1200.00"
    assert flag["others"] == [{"school_code": "B1", "school_name": "红岩寺镇中学", "name": "学生一",
                               "amount": "800.50"}]
    assert set(flag) >= {"code", "severity", "id_number", "name", "message", "state", "school_code", "school_name"}


def test_a_student_listed_but_not_subsidised_by_the_second_school_is_no_duplicate():
    a = package("A1", "甲校", student(1, half("HS_TUITION", 100000)))
    b = package("B1", "乙校", student(1))                              # listed, nothing granted
    assert cross_check([a, b]) == []


def test_a_student_whose_items_are_all_pending_at_one_school_is_a_duplicate_all_the_same():
    """Fees not entered yet: nothing granted, every item 待补充 (a final package may carry them); the school
    will pay once they are entered, so the child claimed by another school is a duplicate (it was missed)."""
    a = package("A1", "甲校", student(1, half("HS_TUITION", 120000)))
    b = package("B1", "乙校", student(1, pending=("HS_TUITION", "HS_TEXTBOOK", "HS_LODGING")))
    found = cross_check([a, b])
    assert codes(found) == ["DUPLICATE_ACROSS_SCHOOLS"] * 2
    fa, fb = found
    assert "乙校（0.00 元，另有 3 项待补充）" in fa.message and "1200.00 元" in fa.message
    assert "由本校资助 0.00 元，另有 3 项待补充，同时又由甲校（1200.00 元）资助" in fb.message
    summary = summarise([a, b])
    assert (summary.duplicates.ids, summary.duplicates.entries) == (1, 2)


def test_a_person_in_two_schools_of_a_township_is_one_person_in_its_row_and_the_total():
    a = package("A1", "甲校", student(1, half("HS_TUITION", 120000)), student(2, half("HS_TUITION", 1000)))
    b = package("B1", "乙校", student(1, half("HS_TUITION", 80000)), student(2, half("HS_TUITION", 1000)))
    c = package("C1", "丙校", student(2, half("HS_TUITION", 1000)), township="红岩寺镇")
    summary = summarise([a, b, c])
    js = summary.to_json()
    assert {r["school_code"]: r["duplicate_ids"] for r in js["by_school"]} == {"A1": 2, "B1": 2, "C1": 1}
    towns = {t["township"]: t["duplicate_ids"] for t in js["by_township"]}
    assert towns == {"龙坪乡": 2, "红岩寺镇": 1}                                    # people, not 4 entries
    assert summary.totals.duplicate_ids == 2 == js["duplicates"]["ids"]            # was 5


def test_three_schools_each_finding_names_the_two_others():
    pk = [package(c, f"{c}校", student(7, half("HS_TUITION", 1000 * (i + 1)))) for i, c in enumerate("XYZ")]
    found = cross_check(pk)
    assert len(found) == 3
    assert {o.school_code for o in found[0].others} == {"Y", "Z"}


def test_in_school_reads_the_roster_status():
    for yes in ("小学三年级", "在校生", "普通高中一年级", "本科", "学前教育", "中职二年级", "在读"):
        assert in_school(yes), yes
    for no in ("非在校生", "学龄前儿童", "辍学", "已毕业", "", "务工", "  "):
        assert not in_school(no), no


def test_roster_member_in_school_but_in_no_package_is_a_warning_naming_the_outside_items():
    a = package("A1", "龙坪乡中心小学", student(1, half("HS_TUITION", 100000)), student(2))
    roster = [RosterFacts(1, "学生1", pid(1), "龙坪乡中心小学", "普通高中一年级"),   # in a package
              RosterFacts(2, "学生2", pid(2), "龙坪乡中心小学", "普通高中一年级"),   # listed without grants: enrolled
              RosterFacts(3, "王五", pid(3), "龙坪乡中心小学", "小学三年级"),        # the school left him out
              RosterFacts(4, "赵六", pid(4), "", "普通高中二年级"),                  # nowhere: maybe outside
              RosterFacts(5, "钱七", pid(5), "", "非在校生"),
              RosterFacts(6, "孙八", pid(6), "", "")]
    outside = outside_item_names(default_policy())
    names = [name for name, _stages in outside]
    assert "外地就学普高资助" in names and "免学费" not in names
    found = cross_check([a], roster=roster, outside_items=outside)
    assert codes(found) == ["ROSTER_NOT_ENROLLED"] * 2
    wang, zhao = found
    assert (wang.severity, wang.school_code, wang.school_name) == ("warning", "A1", "龙坪乡中心小学")
    assert (zhao.school_code, zhao.school_name, zhao.id_number) == ("", "", pid(4))
    assert "县外就学" in zhao.message and "外地就学普高资助" in zhao.message
    assert mask_id(pid(4)) in zhao.message and pid(4) not in zhao.message


def test_once_only_item_granted_again_after_an_earlier_year():
    old = package("A1", "甲校", student(1, Grant("LOAN_AID", 202200, {"city": 202200}), stage="本科"), year=2022)
    now = package("B1", "乙校", student(1, Grant("LOAN_AID", 202200, {"city": 202200}), stage="本科"),
                  student(2, Grant("LOAN_AID", 202200, {"city": 202200}), stage="本科", prior=("LOAN_AID",)),
                  student(3, Grant("LOAN_AID", 202200, {"city": 202200}), stage="本科"),
                  student(5, Grant("LOAN_AID", 202200, {"city": 202200}), stage="本科", prior=("*",)))
    found = cross_check([now], history=[old], once_codes=["LOAN_AID"])
    assert codes(found) == ["ONCE_ONLY_REPEATED"] * 3
    assert found[2].id_number == pid(5) and "往年已享受" in found[2].message     # 是, stored as every once-only item
    found = found[:2]
    again, told = found
    assert (again.id_number, again.item, again.amount_fen, again.school_code) == (pid(1), "LOAN_AID", 202200, "B1")
    assert "2022–2023学年由甲校发放 2022.00 元" in again.message and "生源地助学贷款一次性就学扶助" in again.message
    assert [(o.school_code, o.school_year) for o in again.others] == [("A1", 2022)]
    assert told.id_number == pid(2) and "往年已享受" in told.message
    # without the once-only codes (another county's policy) nothing is said
    assert cross_check([now], history=[old], once_codes=[]) == []
    # a history package of the same year is no earlier grant
    same = package("A1", "甲校", student(1, Grant("LOAN_AID", 202200, {"city": 202200})), year=2023)
    assert [f.id_number for f in cross_check([now], history=[same], once_codes=["LOAN_AID"])] == [pid(2), pid(5)]


def test_claimed_totals_that_differ_from_the_students_name_the_item_and_both_figures():
    kids = (student(1, half("HS_TUITION", 100000), half("HS_TEXTBOOK", 20000)), student(2, half("HS_TUITION", 100000)))
    good = package("A1", "甲校", *kids)
    t = good.totals
    bad = package("B1", "乙校", *kids, totals=PackageTotals({**t.by_item, "HS_TUITION": 210000}, dict(t.by_source),
                                                            t.total + 10000, 2, 0))
    assert cross_check([good]) == []
    found = cross_check([bad])
    assert codes(found) == ["TOTALS_MISMATCH"] * 2
    item, total = found
    assert (item.item, item.amount_fen, item.expected_fen) == ("HS_TUITION", 210000, 200000)
    assert "免学费" in item.message and "2100.00 元" in item.message and "2000.00 元" in item.message
    assert "相差 100.00 元" in item.message
    assert (total.item, total.amount_fen, total.expected_fen) == ("", 230000, 220000)
    assert total.to_json()["expected"] == "2200.00"
    counted = package("C1", "丙校", *kids, totals=PackageTotals(dict(t.by_item), {"city": 1, "county": 219999},
                                                               t.total, 3, 0))
    assert [f.item for f in cross_check([counted])] == ["city", "county", ""]
    assert "市级资金" in cross_check([counted])[0].message
    assert "受助学生人数" in cross_check([counted])[2].message


def test_each_mismatched_figure_of_a_package_reaches_the_school_as_its_own_feedback():
    """The total, the number granted and the pending count all wrong: three findings, three feedback
    findings (one key each; the total's key as before)."""
    from core.feedback_findings import for_school
    kids = (student(1, half("HS_TUITION", 100000)), student(2, half("HS_TUITION", 100000)))
    t = package("A1", "甲校", *kids).totals
    bad = package("A1", "甲校", *kids, totals=PackageTotals(dict(t.by_item), dict(t.by_source), t.total + 1, 3, 4))
    found = cross_check([bad])
    assert [f.figure for f in found] == ["", "students_granted", "pending"]
    sent = for_school("A1", found)
    assert len(sent) == 3 and len({f.key for f in sent}) == 3
    assert sent[0].key == "TOTALS_MISMATCH|||" and [f.message for f in sent] == [f.message for f in found]


def test_counts_and_lines_are_shaped_like_check():
    a = package("A1", "甲校", student(1, half("HS_TUITION", 100)))
    b = package("B1", "乙校", student(1, half("HS_TUITION", 100)))
    found = cross_check([a, b], roster=[RosterFacts(1, "某某", pid(9), "", "初中一年级")])
    assert counts_of(found) == {"error": 2, "warning": 1, "info": 0, "accepted": 0,
                                "by_code": {"DUPLICATE_ACROSS_SCHOOLS": 2, "ROSTER_NOT_ENROLLED": 1}}
    line = finding_line(found[0])
    assert line.startswith("[错误] 同一学生在多所学校享受资助 甲校 学生1 ") and pid(1) not in line


def _schools():
    a = package("A1", "龙坪乡中心小学", student(1, half("HS_TUITION", 100000), half("HS_TEXTBOOK", 20000)),
                student(2, half("HS_TUITION", 100001), pending=("HS_LODGING",)),
                student(3, stage="初中"), township="龙坪乡")
    b = package("B1", "龙坪乡初级中学", student(4, Grant("HIGHER_GRANT", 300000, {"county": 300000}), stage="本科"),
                township="龙坪乡")
    c = package("C1", "红岩寺镇中学", student(1, half("HS_TUITION", 80050)), township="")
    return a, b, c


def test_summary_totals_are_the_claims_to_the_fen_with_duplicates_counted():
    a, b, c = _schools()
    s = summarise([a, b, c], townships={"C1": "红岩寺镇"})
    assert s.totals.total == 120000 + 100001 + 300000 + 80050 == 600051
    assert s.totals.by_item == {"HS_TUITION": 280051, "HS_TEXTBOOK": 20000, "HIGHER_GRANT": 300000}
    assert s.totals.by_source == {"city": 50000 + 10000 + 50001 + 40025,
                                  "county": 50000 + 10000 + 50000 + 40025 + 300000}
    assert sum(s.totals.by_source.values()) == s.totals.total
    assert (s.totals.students, s.totals.students_granted, s.totals.pending) == (5, 4, 1)
    assert (s.duplicates.ids, s.duplicates.entries, s.duplicates.amount_fen) == (1, 2, 120000 + 80050)
    js = s.to_json()
    assert js["totals"]["total"] == "6000.51" and js["totals"]["by_item"]["HS_TUITION"] == "2800.51"
    assert js["duplicates"] == {"ids": 1, "entries": 2, "amount": "2000.50"}
    assert json.loads(json.dumps(js, ensure_ascii=False)) == js

    by_school = {r["school_code"]: r for r in js["by_school"]}
    assert by_school["A1"]["total"] == "2200.01" and by_school["A1"]["duplicate_ids"] == 1
    assert by_school["C1"]["township"] == "红岩寺镇" and by_school["A1"]["totals_match"] is True
    towns = {t["township"]: t for t in js["by_township"]}
    assert towns["龙坪乡"]["schools"] == 2 and towns["龙坪乡"]["total"] == "5200.01"
    assert towns["红岩寺镇"]["total"] == "800.50"
    stages = {r["stage"]: r for r in js["by_stage"]}
    assert [r["stage"] for r in js["by_stage"]] == ["初中", "普通高中", "本科"]      # the stages' order
    assert stages["普通高中"] == {"stage": "普通高中", "students": 3, "students_granted": 3, "total": "3000.51",
                              "by_source": {"city": "1500.26", "county": "1500.25"}}
    assert stages["初中"]["students_granted"] == 0


def test_budget_table_is_items_by_source_with_people_and_amounts():
    a, b, c = _schools()
    s = summarise([a, b, c])
    rows = {r.code: r for r in s.budget}
    tuition = rows["HS_TUITION"]
    assert (tuition.name, tuition.total.students, tuition.total.amount_fen) == ("免学费", 3, 280051)
    assert {k: (v.students, v.amount_fen) for k, v in tuition.by_source.items()} == {
        "city": (3, 50000 + 50001 + 40025), "county": (3, 50000 + 50000 + 40025)}
    higher = rows["HIGHER_GRANT"]
    assert {k: (v.students, v.amount_fen) for k, v in higher.by_source.items()} == {"county": (1, 300000)}
    total = s.budget[-1]
    assert (total.name, total.total.students, total.total.amount_fen) == ("合计", 4, s.totals.total)
    assert {k: (v.students, v.amount_fen) for k, v in total.by_source.items()} == {
        "city": (3, s.totals.by_source["city"]), "county": (4, s.totals.by_source["county"])}
    assert list(s.sources) == ["city", "county"] and s.sources["city"] == "市级"
    assert s.to_json()["budget"][-1]["by_source"]["county"] == {"students": 4, "amount": "4500.25"}
    assert rows["LOAN_AID"].total.students == 0       # every item the packages offer has its row
    # a grant of 0.00 (a fee entered as 0) is a grant, as the school's own figures count it (money review)
    zero = package("Z1", "零校", student(9, Grant("HS_TUITION", 0, {"city": 0, "county": 0})))
    z = {r.code: r for r in summarise([zero]).budget}
    assert (z["HS_TUITION"].total.students, z[""].total.students) == (1, 1) == (zero.totals.students_granted, 1)
    assert z["HS_TUITION"].by_source["city"].students == 0          # no source paid anything


def test_a_package_whose_claims_differ_is_marked_in_its_school_row():
    a, _b, _c = _schools()
    bad = package("X", "改过的学校", *a.students, totals=PackageTotals({"HS_TUITION": 1}, {}, 1, 2, 1))
    s = summarise([a, bad])
    assert [r.totals_match for r in s.by_school] == [True, False]
    assert s.totals.total == a.totals.total + 1          # the claims, as the packages say them


def test_fifty_thousand_students_in_fifty_packages_to_the_student():
    # Speed is measured by `make bench` (the consolidation case), not here.
    packages = []
    for school in range(50):
        kids = [PackageStudent(f"4228{school:04d}{i:010d}", f"学生{i}", stage="普通高中", verified=True,
                               grants=(half("HS_TUITION", 100000 + i % 7), half("HS_TEXTBOOK", 20000)) if i % 3 else ())
                for i in range(1000)]
        packages.append(package(f"S{school}", f"学校{school}", *kids, township=f"乡{school % 9}"))
    roster = [RosterFacts(i, f"人{i}", f"4228{i // 1000:04d}{i % 1000:010d}", "", "小学一年级") for i in range(60000)]
    found = cross_check(packages, roster=roster, history=packages[:5], once_codes=["LOAN_AID"])
    s = summarise(packages)
    assert s.totals.students == 50000 and s.totals.students_granted == 50 * 666
    assert codes(found) == ["ROSTER_NOT_ENROLLED"] * 10000            # the 10 roster "schools" no package has


@pytest.mark.parametrize(("status", "named", "not_named"), [
    ("普通高中二年级", "外地就学普高资助", "外地就学学前教育资助"),
    ("学前教育", "外地就学学前教育资助", "外地就学普高资助"),
    ("中职一年级", "外地就学中职资助", "外地就学普高资助"),
    ("本科", "政策中没有本科的外地就学资助项目", "外地就学"),
    ("七年级", "政策中没有初中的外地就学资助项目", "外地就学普高"),
    ("在校生", "外地就学普高资助", "政策中没有")])
def test_the_outside_items_named_are_those_of_the_stage_the_status_says(status, named, not_named):
    """Every child in no package was told of the 学前/中职/普高 items, a 本科 student and a 七年级 pupil too."""
    roster = [RosterFacts(4, "赵六", pid(4), "", status)]
    (found,) = cross_check([], roster=roster, outside_items=outside_item_names(default_policy()))
    after = found.message.split("：", 1)[1]
    assert named in after and not_named not in after.replace(named, "")
