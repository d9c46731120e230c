"""The feedback round trip with the receiver's own cross-checks (core.consolidate) over packages
built by the program: a student subsidised by two schools reaches both schools' 核查问题."""
from __future__ import annotations

import hashlib
import zipfile

import pytest
from feedback_fixtures import STATION_PASS, station_db
from receiving_fixtures import kid_id, two_kid_school

from core.checks import FindingState
from core.consolidate.checks import cross_check, item_names
from core.feedback_findings import for_school, from_spot
from core.package_data import DATA_MEMBER, parse_package_data
from db.feedback import import_feedback
from db.feedback_send import feedback_for_school, sign_feedback
from db.finding_detail import finding_detail
from db.session import open_database
from db.views import finding_rows


@pytest.fixture
def schools(tmp_path):
    a = two_kid_school(tmp_path, "4228220101", "龙坪乡中心小学", first=1)
    b = two_kid_school(tmp_path, "4228220102", "龙坪乡二小", first=2)     # kid_id(2) is in both
    return a, b


def _data(pkg):
    with zipfile.ZipFile(pkg.path) as zf:
        return parse_package_data(zf.read(DATA_MEMBER))


def test_a_duplicate_found_by_the_station_reaches_each_school(schools, tmp_path):
    a, b = schools
    packages = [_data(a), _data(b)]
    cross = cross_check(packages)
    names = item_names(packages)
    station, key = station_db(tmp_path)
    sent = {}
    try:
        for school in (a, b):
            findings = for_school(school.code, cross, item_names=names)
            assert [f.code for f in findings] == ["DUPLICATE_ACROSS_SCHOOLS"]
            with station.session() as s:
                fb = feedback_for_school(s, school.code, school.name, findings,
                                         hashlib.sha256(school.path.read_bytes()).hexdigest())
            [sent[school.code]] = sign_feedback(station, [(fb, tmp_path / f"{school.code}-fb.zip")], STATION_PASS)
    finally:
        station.close()
    for school, other in ((a, b), (b, a)):
        d = open_database(school.db_path)
        try:
            assert import_feedback(d, sent[school.code].path, [key]).added == 1
            [row] = [r for r in finding_rows(d) if r.origin]
            assert (row.code, row.title, row.id_number, row.state) == (
                "DUPLICATE_ACROSS_SCHOOLS", "同一学生在多所学校享受资助", kid_id(2), FindingState.OPEN)
            assert row.student_id is not None and "学生2" in row.message
            detail = dict(finding_detail(d, row.id).details)
            assert detail["本校金额"] == "1200.00 元"                        # exact, to the fen
            assert detail["另一所学校"] == f"{other.name}（代码 {other.code}），姓名 学生2：1200.00 元"
            assert "非就读学校撤销其资助" in detail["处理建议"]
        finally:
            d.close()


def test_feedback_keys_are_stable_and_spot_checks_map_to_their_origin():
    from core.spotcheck import SpotFinding

    def spot(unannounced: bool = True) -> SpotFinding:
        return SpotFinding("X", "某", "暗访核查（抽查编号 3）：资金到账核查不属实：未到账", "4228220101",
                           "龙坪乡中心小学", "FUNDS", "未到账", 3, unannounced)
    f = from_spot(spot())
    assert (f.origin, f.title, f.key) == ("暗访", "暗访核查不属实", "SPOT|3|X|FUNDS")
    assert dict(f.details)["核查项"] == "资金到账" and dict(f.details)["核查情况"] == "未到账"
    assert from_spot(spot(unannounced=False)).origin == "专项核查"
    assert for_school("4228220102", [], [spot()]) == []
