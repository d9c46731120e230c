"""Session 20 fixes on the receiving side: a school that reported on time stays on time when it
sends a correction after the deadline (the correction is noted, with its date); a replacement
whose amounts did not change but whose students' other data did is reported as such
(信息变动), field by field, IDs masked."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest
from conftest import xlsx
from receiving_fixtures import high_school_kid, holding, kid_id, receiver_db, revise_school, two_kid_school

from cli.commands import run
from core.idnumber import mask_id
from core.package_changes import change_lines, package_changes
from core.package_data import Grant, PackageData, PackageFinding, PackageStudent
from db import trust_store
from db.receiving import intake
from db.receiving_status import LATE, MISSING, RECEIVED, import_expected_schools, intake_status
from db.session import open_database

YEAR = 2026                         # its 核准信息数据 phase ends 2027-05-10
ON_TIME, LATE_CODE, ONCE = "4228220601", "4228220602", "4228220603"
HEADER = ["学校代码", "学校名称", "乡镇", "学段"]


# -- defect 1: lateness is judged by the school's first package ------------------------------
@pytest.fixture(scope="module")
def three_versions(tmp_path_factory):
    """Schools of YEAR: ON_TIME and LATE_CODE with three real packages each, ONCE with one."""
    root = tmp_path_factory.mktemp("fix20-late")
    out = {}
    for code, first in ((ON_TIME, 201), (LATE_CODE, 211)):
        a = two_kid_school(root, code, f"学校{code[-2:]}", first=first, year=YEAR)
        b = revise_school(a, root / f"{code}-2.zip")
        c = revise_school(b, root / f"{code}-3.zip")
        out[code] = (a, b, c)
    out[ONCE] = (two_kid_school(root, ONCE, "一次小学", first=221, year=YEAR),)
    return SimpleNamespace(**{f"s{k}": v for k, v in out.items()}, all=out)


def _received(path, times):
    """Set each package's received_at (by file name) in the station's own database."""
    con = sqlite3.connect(path)
    try:
        for name, at in times.items():
            assert con.execute("update received_package set received_at = ? where file_name = ?",
                               (at, name)).rowcount == 1
        con.commit()
    finally:
        con.close()


@pytest.fixture
def late_station(tmp_path, three_versions):
    d = open_database(receiver_db(tmp_path / "station.sqlite", year=YEAR))
    try:
        for packages in three_versions.all.values():
            trust_store.register(d, trust_store.read_key_file(packages[0].key_file, packages[0].name))
        import_expected_schools(d, xlsx(tmp_path / "list.xlsx", HEADER, [ON_TIME, "学校01", "龙坪乡", "小学"],
                                        [LATE_CODE, "学校02", "龙坪乡", "小学"], [ONCE, "一次小学", "龙坪乡", "小学"]))
        report = intake(d, [p.path for packages in three_versions.all.values() for p in packages])
        assert report.count("accepted") == 7
        on, late = three_versions.all[ON_TIME], three_versions.all[LATE_CODE]
        _received(d.path, {
            on[0].path.name: "2027-05-09 16:00:00.000000",      # on time
            on[1].path.name: "2027-05-20 09:00:00.000000",      # corrected after the county's feedback
            on[2].path.name: "2027-06-01 10:30:00.000000",
            late[0].path.name: "2027-05-12 08:00:00.000000",    # late, then corrected
            late[1].path.name: "2027-05-13 08:00:00.000000",
            late[2].path.name: "2027-06-02 08:00:00.000000",
            three_versions.all[ONCE][0].path.name: "2027-05-11 08:00:00.000000",
        })
        yield d
    finally:
        d.close()


def test_a_correction_after_the_deadline_leaves_an_on_time_school_on_time(late_station, capsys):
    got = {s.code: s for s in intake_status(late_station, today=date(2027, 6, 10)).schools}
    on = got[ON_TIME]
    assert (on.state, on.late, on.replaced) == (RECEIVED, False, 2)
    assert on.received_at.date() == date(2027, 6, 1)                 # the current package's time, as before
    assert on.first_received_at.date() == date(2027, 5, 9)
    assert "按时上报" in on.note and "更正于 2027-06-01" in on.note and "2027-05-09" in on.note
    # late at first stays late, whatever the corrections; its first time is said
    late = got[LATE_CODE]
    assert (late.state, late.late) == (LATE, True)
    assert "2027-05-12" in late.note and "更正于 2027-06-02" in late.note and "按时上报" not in late.note
    # one package only, received late: late, and nothing to say about corrections
    once = got[ONCE]
    assert (once.state, once.late, once.note) == (LATE, True, "")
    assert run(["--db", str(late_station.path), "consolidate", "status"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if f"\t{ON_TIME}\t" in x)
    assert line.startswith("已接收\t") and "按时上报" in line and "更正于 2027-06-01" in line
    assert next(x for x in out.splitlines() if f"\t{LATE_CODE}\t" in x).startswith("迟报\t")
    assert run(["--db", str(late_station.path), "consolidate", "status", "--json"]) == 0
    rows = {r["code"]: r for r in json.loads(capsys.readouterr().out)["schools"]}
    assert rows[ON_TIME]["state"] == RECEIVED and rows[ON_TIME]["late"] is False
    assert rows[ON_TIME]["first_received_at"].startswith("2027-05-09")


def test_the_packages_list_of_the_summary_page_says_the_correction(late_station):
    from db.receiving_views import package_history
    from gui.receiving.page import package_rows
    rows = {r.id: r for r in package_rows(intake_status(late_station, today=date(2027, 6, 10)),
                                            package_history(late_station))}
    row = rows[f"s{ON_TIME}"]
    assert row.state == RECEIVED and "按时上报" in row.reason and "更正于 2027-06-01" in row.reason
    assert rows[f"s{LATE_CODE}"].state == LATE


def test_every_package_after_the_deadline_is_still_late(late_station, three_versions):
    on = three_versions.all[ON_TIME]
    _received(late_station.path, {on[0].path.name: "2027-05-11 08:00:00.000000"})
    got = {s.code: s for s in intake_status(late_station, today=date(2027, 6, 10)).schools}
    assert (got[ON_TIME].state, got[ON_TIME].late) == (LATE, True)
    assert "按时上报" not in got[ON_TIME].note
    before = {s.code: s for s in intake_status(late_station, today=date(2027, 5, 10)).schools}
    assert before[ON_TIME].state == LATE        # the packages' times decide, not today
    assert all(s.state != MISSING for s in before.values())


# -- defect 2: a replacement's other data changes are listed -----------------------------------
def _st(name, number, *grants, **fields):
    return PackageStudent(number, name, verified=True, grants=tuple(Grant(c, f, {}) for c, f in grants), **fields)


def test_a_change_of_names_village_household_grade_category_and_findings_is_listed():
    a, b, c = kid_id(301), kid_id(302), kid_id(303)
    old = PackageData("1", "校", 2023, students=(
        _st("张三", a, ("X", 100), village="李家村", household_no="H1", grade="高一", class_name="1班"),
        _st("李四", b, ("X", 100), category="OTHER_HARDSHIP"),
        _st("王五", c, ("X", 100), pending=("Y",))),
        findings=(PackageFinding("ID_INVALID", "error", b, "李四", "身份证号……", "open"),))
    new = PackageData("1", "校", 2023, students=(
        _st("张叁", a, ("X", 100), village="王家村", household_no="H2", grade="高二", class_name="2班"),
        _st("李四", b, ("X", 100), category="REGISTERED"),
        _st("王五", c, ("X", 100), pending=("Y",))),
        findings=(PackageFinding("ID_INVALID", "error", b, "李四", "身份证号……", "accepted", "已核实"),),
        generated_at="2024-05-02T10:00:00")
    ch = package_changes(old, new)
    assert not ch.empty and not ch.changed and not ch.added and not ch.removed
    assert [x.id_number for x in ch.info_changed] == [a, b]
    lines = change_lines(ch, {"X": "免学费", "Y": "免书本费"})
    text = "\n".join(lines)
    assert lines[0].startswith("与被替换的版本相比：新增 0 人，移除 0 人，金额变动 0 人；合计 3.00 元 → 3.00 元（+0.00 元）")
    assert "信息变动 2 人" in lines[0]
    first = next(x for x in lines if mask_id(a) in x)
    assert "张叁" in first
    for part in ("姓名 张三 → 张叁", "村 李家村 → 王家村", "户编号 H1 → H2", "年级 高一 → 高二", "班级 1班 → 2班"):
        assert part in first
    second = next(x for x in lines if mask_id(b) in x)
    assert "家庭类别" in second and "建档立卡" in second and "核查问题" in second
    assert "未处理" in second and "已接受" in second
    assert a not in text and b not in text and c not in text and mask_id(c) not in text
    # the amount lines keep their wording
    more = PackageData("1", "校", 2023, students=(_st("张叁", a, ("X", 150), village="王家村"),))
    moved = change_lines(package_changes(new, more), {"X": "免学费"})
    assert any(x.startswith("  变动：张叁 ") and "免学费 1.00 → 1.50 元" in x and mask_id(a) in x for x in moved)
    assert a not in "\n".join(moved)                     # the amount lines mask the child's ID too
    assert package_changes(new, new).empty


def test_times_and_seals_are_not_changes():
    a = kid_id(311)
    old = PackageData("1", "校", 2023, students=(_st("张三", a, ("X", 100)),), generated_at="2024-05-01T10:00:00")
    new = replace(old, generated_at="2024-05-03T10:00:00", policy_hash="other")
    assert package_changes(old, new).empty
    assert "信息变动 0 人" in change_lines(package_changes(old, new))[0]


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    root = tmp_path_factory.mktemp("fix20-info")
    first = two_kid_school(root, "4228220611", "茅田乡中心小学", first=321)
    second = revise_school(first, root / "second.zip", students=[
        high_school_kid("学生321", 321, extra={"village": "茅田村", "household_no": "4228220001"}),
        high_school_kid("学生322", 322, extra={"grade": "高二", "class_name": "3班"})])
    return first, second


def test_consolidate_add_reports_the_information_changes(tmp_path, renamed, capsys):
    first, second = renamed
    assert run(["--db", str(holding(tmp_path, first)), "consolidate", "add", str(second.path)]) == 0
    out = capsys.readouterr().out
    assert "新增 0 人，移除 0 人，金额变动 0 人；合计 2400.00 元 → 2400.00 元（+0.00 元）；信息变动 2 人" in out
    one = next(x for x in out.splitlines() if mask_id(kid_id(321)) in x)
    assert "学生321" in one and "村 （空） → 茅田村" in one and "户编号 （空） → 4228220001" in one
    two = next(x for x in out.splitlines() if mask_id(kid_id(322)) in x)
    assert "班级 （空） → 3班" in two and "年级" in two
    assert kid_id(321) not in out and kid_id(322) not in out


def test_a_letter_printed_between_two_packages_is_no_information_change():
    """尚未告知家庭 (an info finding) comes and goes with every letter printed: every student of a school
    that printed its letters between two packages showed as 信息变动."""
    from core.package_changes import changes_between, students_by_id
    from core.package_data import Grant, PackageFinding, PackageStudent
    number = "110101200805011238"
    kid = PackageStudent(number, "张丽", verified=True, grants=(Grant("HS_TUITION", 100000, ()),))
    told = PackageFinding("NOT_NOTIFIED", "info", number, "张丽", "尚未告知家庭", "open")
    kept = PackageFinding("FEE_MISSING", "warning", number, "张丽", "实收住宿费为空", "open")
    assert changes_between(students_by_id([kid], [told, kept]), students_by_id([kid], [kept])).empty
    fixed = PackageFinding("FEE_MISSING", "warning", number, "张丽", "实收住宿费为空", "fixed")
    [change] = changes_between(students_by_id([kid], [kept]), students_by_id([kid], [fixed])).info_changed
    assert change.fields == (("findings", ("FEE_MISSING open",), ("FEE_MISSING fixed",)),)


def test_a_receivers_finding_in_the_change_list_is_named_by_its_title_not_its_code():
    """信息变动 said “核查问题 无 → DUPLICATE_ACROSS_SCHOOLS（已改正）” (chain review, session 30)."""
    from core.package_changes import _finding
    assert _finding("DUPLICATE_ACROSS_SCHOOLS fixed") == "同一学生在多所学校享受资助（已改正）"
    assert _finding("SPOTCHECK_NOT_TRUE open") == "专项核查不属实（未处理）"
    assert _finding("ID_INVALID accepted").endswith("（已接受）") and "ID_INVALID" not in _finding("ID_INVALID accepted")
