"""The bureau takes in a station's consolidated package (consolidate add): the station's signature
first, then each school package inside it with its own school's key; stored as received via the
station, one row per package however it arrived."""
from __future__ import annotations

import hashlib
import sqlite3
import zipfile
from dataclasses import replace
from types import SimpleNamespace

import pytest
from receiving_fixtures import (
    high_school_kid,
    kid_id,
    receiver_db,
    revise_school,
    station_package,
    stored_students,
    tampered,
    two_kid_school,
)

from cli.commands import run
from core.trust import TrustedSigner
from db import trust_store
from db.consolidation import consolidation
from db.receiving import accepted_data, intake
from db.session import open_database

A, B, R = "4228220301", "4228220302", "4228220303"
ST = "ST4228"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A (龙坪乡, 2400.00) and B (高坪镇, 2400.00) consolidated at the station; R's first package
    (2400.00) in a second station package, and R's next one (学生71 removed: 1200.00) on its own."""
    root = tmp_path_factory.mktemp("nested")
    a = two_kid_school(root, A, "龙坪乡中心小学", township="龙坪乡", first=1)
    b = two_kid_school(root, B, "高坪镇中心小学", township="高坪镇", first=11)
    r1 = two_kid_school(root, R, "茅田乡中心小学", township="茅田乡", first=71)
    r2 = revise_school(r1, root / "r-second.zip", students=[high_school_kid("学生72", 72)], remove=(kid_id(71),))
    station = station_package(root, [a, b])
    station_r = station_package(root, [r1], file_name="station-r.zip", db_name="station-r.sqlite")
    return SimpleNamespace(a=a, b=b, r1=r1, r2=r2, station=station, station_r=station_r, root=root)


def _bureau(tmp_path, *keys):
    """The bureau's database trusting ``keys`` (school or station packages, each for its own code)."""
    d = open_database(receiver_db(tmp_path / "bureau.sqlite", name="建始县教育体育局", code="JY4228"))
    for pkg in keys:
        trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
    return d


def _rows(d, sql):
    con = sqlite3.connect(d.path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_school_inside_is_verified_and_stored_as_received_via_the_station(world, tmp_path):
    d = _bureau(tmp_path, world.station, world.a, world.b)
    try:
        report = intake(d, [world.station.path])
        assert [(o.result, o.school_code, o.via, o.file_name) for o in report.outcomes] == [
            ("accepted", A, ST, world.a.path.name), ("accepted", B, ST, world.b.path.name)]
        (station,) = report.stations
        assert (station.station_code, station.station_name, station.packages) == (ST, "龙坪乡扶贫工作站", 2)
        with d.session() as s:
            got = {p.data.school_code: p for p in accepted_data(s)}
        assert {c: (p.via, p.sha256) for c, p in got.items()} == {A: (ST, _sha(world.a.path)),
                                                                  B: (ST, _sha(world.b.path))}
        assert _rows(d, "select file_name, result, school_code, package_id from intake_log order by id") == [
            (world.station.path.name, "opened", ST, None),
            (world.a.path.name, "accepted", A, 1), (world.b.path.name, "accepted", B, 2)]
        notes = [n for (n,) in _rows(d, "select new from audit_log where entity = 'package' order by id")]
        assert all(f"由 {ST} 在汇总包 {world.station.path.name} 中转报" in n for n in notes) and len(notes) == 2
        summary = consolidation(d).summary
        assert {t.township: t.figures.total for t in summary.by_township} == {"龙坪乡": 240000, "高坪镇": 240000}
        assert {r.school_code: r.school_name for r in summary.by_school} == {A: "龙坪乡中心小学", B: "高坪镇中心小学"}
    finally:
        d.close()


def test_a_school_whose_key_the_bureau_does_not_know_is_refused_the_others_accepted(world, tmp_path, capsys):
    d = _bureau(tmp_path, world.station, world.a)
    try:
        assert run(["--db", str(d.path), "consolidate", "add", str(world.station.path)]) == 1
        out = capsys.readouterr().out
        report_b = [line for line in out.splitlines() if world.b.path.name in line]
        assert report_b and report_b[0].startswith("拒收：")
        assert f"签名人未知：签名人公钥指纹 {world.b.fingerprint}" in out
        assert f"（汇总包 {world.station.path.name}，龙坪乡扶贫工作站（代码 {ST}）转报）" in out
        assert f"汇总包 {world.station.path.name}：龙坪乡扶贫工作站（代码 {ST}）的签名核验通过" in out
        assert "（正式，经龙坪乡扶贫工作站（代码 ST4228）转报）" in out
        with d.session() as s:
            assert [(p.data.school_code, p.via) for p in accepted_data(s)] == [(A, ST)]
        assert len(stored_students(d.path)) == 2
        assert _rows(d, "select file_name, result from intake_log where school_code = ?".replace("?", f"'{B}'")) == [
            (world.b.path.name, "refused")]
    finally:
        d.close()


def test_a_station_the_bureau_does_not_trust_is_refused_as_a_whole(world, tmp_path):
    d = _bureau(tmp_path, world.a, world.b)          # both schools known, the station not
    try:
        (o,) = intake(d, [world.station.path]).outcomes
        assert (o.result, o.school_code, o.via) == ("refused", ST, "")
        assert o.reason.startswith(f"签名人未知：签名人公钥指纹 {world.station.fingerprint}")
        assert _rows(d, "select count(*) from received_package") == [(0,)]
    finally:
        d.close()


def test_a_station_key_registered_for_another_code_is_refused(world, tmp_path):
    d = _bureau(tmp_path, world.a, world.b)
    try:
        key = trust_store.read_key_file(world.station.key_file, world.station.name)
        trust_store.register(d, trust_store.KeyFile(TrustedSigner(key.signer.public_raw, "ST9999", "别的工作站"),
                                                    key.fingerprint))
        (o,) = intake(d, [world.station.path]).outcomes
        assert o.result == "refused" and "ST9999" in o.reason and "不能为另一所学校签名" in o.reason
        assert _rows(d, "select count(*) from received_package") == [(0,)]
    finally:
        d.close()


def test_a_changed_school_package_inside_breaks_the_station_signature(world, tmp_path):
    """One byte of an inner school package changed: the outer manifest no longer matches; nothing
    of the station package is stored, not even the untouched school."""
    d = _bureau(tmp_path, world.station, world.a, world.b)
    try:
        with zipfile.ZipFile(world.station.path) as zf:
            member = next(n for n in zf.namelist() if n.startswith(f"school-{B}"))
        bad = tampered(SimpleNamespace(path=world.station.path), tmp_path / "bad-station.zip", member)
        (o,) = intake(d, [bad]).outcomes
        assert o.result == "refused" and f"文件 {member} 已被改动" in o.reason
        assert _rows(d, "select count(*) from received_package") == [(0,)]
    finally:
        d.close()


def test_a_package_received_directly_and_inside_a_station_package_is_one_package(world, tmp_path):
    d = _bureau(tmp_path, world.station, world.a, world.b)
    try:
        assert intake(d, [world.a.path]).outcomes[0].accepted
        report = intake(d, [world.station.path])
        assert [(o.school_code, o.result) for o in report.outcomes] == [(A, "duplicate"), (B, "accepted")]
        assert _rows(d, "select school_code, via, state from received_package order by id") == [
            (A, "", "current"), (B, ST, "current")]
        # and the other way round: the station first, the school's own copy afterwards
        assert intake(d, [world.b.path]).outcomes[0].result == "duplicate"
        assert _rows(d, "select count(*) from received_package") == [(2,)]
    finally:
        d.close()


def test_a_newer_package_replaces_whichever_way_either_came(world, tmp_path):
    d = _bureau(tmp_path, world.station_r, world.r1)
    try:
        assert intake(d, [world.station_r.path]).outcomes[0].accepted             # R's first, via the station
        (o,) = intake(d, [world.r2.path]).outcomes                                  # R's next, directly
        assert o.accepted and o.replaced_file == world.r1.path.name and o.via == ""
        assert (o.changes.old_total, o.changes.new_total) == (240000, 120000)
        assert _rows(d, "select file_name, via, state from received_package order by id") == [
            (world.r1.path.name, ST, "replaced"), (world.r2.path.name, "", "current")]
        # the station's copy of the older package offered again: already received, nothing changes
        assert intake(d, [world.station_r.path]).outcomes[0].result == "duplicate"
        with d.session() as s:
            (current,) = accepted_data(s)
        assert current.file_name == world.r2.path.name and current.data.totals.total == 120000
    finally:
        d.close()


def test_an_older_version_inside_a_station_package_is_refused_naming_the_station(world, tmp_path):
    d = _bureau(tmp_path, world.station_r, world.r1)
    try:
        assert intake(d, [world.r2.path]).outcomes[0].accepted
        (o,) = intake(d, [world.station_r.path]).outcomes
        # the station took R's first after R's second was made: maybe the school's newest from a wrong
        # clock (tests/test_receiving_relayed_versions.py has the station that took it before)
        assert o.result == "refused" and o.via == ST and f"比本单位已接收的该校版本 {world.r2.path.name}（生成于 " in o.reason
        assert f"龙坪乡扶贫工作站（代码 {ST}）是在那个版本生成之后才接收它的" in o.reason and "学校电脑的日期不对" in o.reason
        assert o.reason.endswith(f"（汇总包 {world.station_r.path.name}，龙坪乡扶贫工作站（代码 {ST}）转报）")
    finally:
        d.close()


def test_inner_file_names_that_are_unsafe_fall_back_to_the_member_name(world, tmp_path):
    from core.exports.consolidated import inner_files
    from db.receiving_nested import _inner_path
    (f,) = inner_files(world.station_r.path)
    assert f.file_name == world.r1.path.name and f.sha256 == _sha(world.r1.path)
    assert _inner_path(tmp_path / "s.zip", "../../evil.zip", f.member) == tmp_path / "s.zip" / f.member
    assert _inner_path(tmp_path / "s.zip", "", f.member).name == f.member
    assert replace(f, content=b"").member.startswith(f"school-{R}-")


def test_viewing_a_station_package_lists_each_school_package_verified_with_its_own_key(world, tmp_path, capsys):
    d = _bureau(tmp_path, world.station, world.a)
    try:
        assert run(["--db", str(d.path), "consolidate", "view", str(world.station.path)]) == 1   # B not provable
        out = capsys.readouterr().out
        assert f"汇总包：龙坪乡扶贫工作站（代码 {ST}），2023–2024学年" in out and "其中学校提交包 2 个" in out
        assert "（汇总包自报合计 4800.00 元）" in out
        assert f"  {world.a.path.name}：龙坪乡中心小学（代码 {A}）龙坪乡，学生 2 人，合计 2400.00 元 — 核验通过" in out
        assert f"  {world.b.path.name}：高坪镇中心小学（代码 {B}）高坪镇，学生 2 人，合计 2400.00 元 — 签名人未知" in out
        assert "学生 0 人" not in out
        assert _rows(d, "select count(*) from received_package") == [(0,)]          # viewing stores nothing
        trust_store.register(d, trust_store.read_key_file(world.b.key_file, world.b.name))
        assert run(["--db", str(d.path), "consolidate", "view", str(world.station.path)]) == 0
    finally:
        d.close()
