"""A station's 汇总包 forwarding an out-of-date version of a school's package to a county that already
keeps a newer one. The station received the school's older package and exported its 汇总包; the
school's newer one, made after that, reached the county first (sent directly). Nobody's clock is
wrong: the county keeps the newer version and says so — 已有较新版本 (not refused, nothing to do) for a
forwarded older version it never had, 已接收过 naming the newer version for one it had and replaced.
A forwarded older version the station received only after the newer one was made may still be the
school's newest from a wrong clock: refused with the clock hint (db.intake_reasons)."""
from __future__ import annotations

import json
import sqlite3
import time
import zipfile
from datetime import datetime
from types import SimpleNamespace

import pytest
from receiving_fixtures import high_school_kid, kid_id, receiver_db, revise_school, station_package, two_kid_school

from cli.commands import run
from db import trust_store
from db.receiving import accepted_data, intake
from db.receiving_text import report_headline, report_lines
from db.session import open_database

R, ST = "4228220401", "ST4228"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """R's first package (2400.00) in a station's 汇总包; R's second (学生81 removed: 1200.00) and
    third (学生83 added: 2400.00), each exported later and sent directly."""
    root = tmp_path_factory.mktemp("relayed")
    r1 = two_kid_school(root, R, "茅田乡中心小学", township="茅田乡", first=81)
    station = station_package(root, [r1], file_name="station-r.zip", db_name="station-r.sqlite")
    time.sleep(1.1)         # (package times are to the second: R's second is made after the station took R's first)
    r2 = revise_school(r1, root / "r-second.zip", students=[high_school_kid("学生82", 82)], remove=(kid_id(81),))
    r3 = revise_school(r2, root / "r-third.zip", students=[high_school_kid("学生83", 83)])
    return SimpleNamespace(r1=r1, r2=r2, r3=r3, station=station)


@pytest.fixture
def county(world, tmp_path):
    d = open_database(receiver_db(tmp_path / "county.sqlite", name="建始县教育体育局", code="JY4228"))
    for pkg in (world.station, world.r1):
        trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
    try:
        yield d
    finally:
        d.close()


def _made(pkg):
    """The package's 生成时间 as its messages print it."""
    with zipfile.ZipFile(pkg.path) as zf:
        return json.loads(zf.read("data.json"))["generated_at"].replace("T", " ")


def _rows(d):
    con = sqlite3.connect(d.path)
    try:
        return con.execute("select file_name, via, state from received_package order by id").fetchall()
    finally:
        con.close()


def _received(d, file_name):
    con = sqlite3.connect(d.path)
    try:
        (at,) = con.execute("select received_at from received_package where file_name = ?", (file_name,)).fetchone()
    finally:
        con.close()
    return f"{datetime.fromisoformat(at):%Y-%m-%d %H:%M}"


def _current(d):
    with d.session() as s:
        (current,) = accepted_data(s)
    return current.file_name, current.data.totals.total


def _relayed(station, pkg):
    """When the station received ``pkg``, as its signed list says (minutes, as the reason prints it)."""
    with zipfile.ZipFile(station.path) as zf:
        listed = json.loads(zf.read("data.json"))["packages"]
    (at,) = [p["received_at"] for p in listed if p["file_name"] == pkg.path.name]
    return f"{datetime.fromisoformat(at):%Y-%m-%d %H:%M}"


def test_an_older_version_a_station_forwards_is_superseded_not_refused_and_needs_nothing(world, county, capsys):
    assert intake(county, [world.r2.path]).outcomes[0].accepted                 # R's second, directly
    report = intake(county, [world.station.path])                               # R's first, via the station
    (o,) = report.outcomes
    assert (o.result, o.via, o.school_code, o.file_name) == ("superseded", ST, R, world.r1.path.name)
    assert o.reason == (
        f"生成于 {_made(world.r1)}，龙坪乡扶贫工作站（代码 {ST}）于 {_relayed(world.station, world.r1)} 接收；本单位已有该校此后生成的较新版本 "
        f"{world.r2.path.name}（生成于 {_made(world.r2)}，{_received(county, world.r2.path.name)} 接收），"
        f"保留较新版本，这个旧版本不接收。龙坪乡扶贫工作站（代码 {ST}）的汇总包中还是这个旧版本，不影响本单位的汇总，无需处理"
        f"（汇总包 {world.station.path.name}，龙坪乡扶贫工作站（代码 {ST}）转报）")
    assert "日期不对" not in o.reason and "重新导出" not in o.reason
    lines = report_lines(report)
    assert f"已有较新版本：{world.r1.path.name} — 学校代码 {R}（茅田乡中心小学）" in lines
    assert f"  说明：{o.reason}" in lines
    assert "已有较新版本（不需处理） 1 个，拒收 0 个" in report_headline(report)
    # nothing changed: the newer package stays the current one, the older one is not stored
    assert _rows(county) == [(world.r2.path.name, "", "current")]
    assert _current(county) == (world.r2.path.name, 120000)
    # not a refusal: the command exits 0, and the school's status counts no refused file
    assert run(["--db", str(county.path), "consolidate", "add", str(world.station.path)]) == 0
    assert "已有较新版本：" in capsys.readouterr().out
    with county.session() as s:
        from db.receiving_status import status_of
        (row,) = status_of(s).unlisted
    assert (row.code, row.refused) == (R, 0)


def test_the_newer_version_named_is_the_one_kept_also_when_it_came_through_a_station(world, county, tmp_path):
    """The newer version kept came via another station: its line says so."""
    other = station_package(tmp_path, [world.r2], code="ST4230", name="茅田乡扶贫工作站",
                            file_name="station-m.zip", db_name="station-m.sqlite")
    trust_store.register(county, trust_store.read_key_file(other.key_file, other.name))
    assert intake(county, [other.path]).outcomes[0].accepted
    (o,) = intake(county, [world.station.path]).outcomes
    assert o.result == "superseded" and "日期不对" not in o.reason
    assert (f"本单位已有该校此后生成的较新版本 {world.r2.path.name}（生成于 {_made(world.r2)}，"
            f"{_received(county, world.r2.path.name)} 接收，经 ST4230 转报）") in o.reason
    assert _rows(county) == [(world.r2.path.name, "ST4230", "current")]


def test_an_older_version_a_station_took_after_the_newer_one_was_made_is_refused_with_the_clock_hint(
        world, county, tmp_path):
    """The station received R's first only after R's second was made: it may be the school's newest,
    exported on a PC whose date is set back; the county cannot tell, and says both."""
    late = station_package(tmp_path, [world.r1], code="ST4231", name="茅田乡工作站二",
                           file_name="station-late.zip", db_name="station-late.sqlite")
    trust_store.register(county, trust_store.read_key_file(late.key_file, late.name))
    assert intake(county, [world.r2.path]).outcomes[0].accepted
    (o,) = intake(county, [late.path]).outcomes
    assert o.result == "refused"
    assert o.reason.startswith(
        f"这个提交包生成于 {_made(world.r1)}，比本单位已接收的该校版本 {world.r2.path.name}（生成于 {_made(world.r2)}，"
        f"{_received(county, world.r2.path.name)} 接收）旧，不能替换较新的版本；茅田乡工作站二（代码 ST4231）是在那个版本生成之后才接收它的。"
        "如果它其实是学校最新导出的，多半是学校电脑的日期不对：请学校改正电脑日期后重新导出。")
    assert _rows(county) == [(world.r2.path.name, "", "current")]


def test_an_older_version_sent_directly_still_asks_about_the_schools_clock(world, county):
    """Sent by the school itself, an older version may be one exported on a PC whose date is wrong."""
    assert intake(county, [world.r2.path]).outcomes[0].accepted
    (o,) = intake(county, [world.r1.path]).outcomes
    assert o.result == "refused" and "旧，不能替换新版本" in o.reason and "学校电脑的日期不对" in o.reason
    assert _rows(county) == [(world.r2.path.name, "", "current")]


def test_a_replaced_version_a_station_forwards_again_says_the_newer_one_is_kept(world, county, capsys):
    assert intake(county, [world.r1.path]).outcomes[0].accepted                 # R's first, directly
    assert intake(county, [world.r2.path]).outcomes[0].replaced_file == world.r1.path.name
    report = intake(county, [world.station.path])                               # the same first, via the station
    (o,) = report.outcomes
    assert (o.result, o.via) == ("duplicate", ST)
    assert o.reason == (
        f"同一文件已于 {_received(county, world.r1.path.name)} 接收（{world.r1.path.name}），"
        f"后已被较新版本 {world.r2.path.name}（生成于 {_made(world.r2)}，"
        f"{_received(county, world.r2.path.name)} 接收）替换，本单位保留较新版本"
        f"（汇总包 {world.station.path.name}，龙坪乡扶贫工作站（代码 {ST}）转报）")
    assert f"已接收过：{world.r1.path.name} — {o.reason}，未重复接收" in report_lines(report)
    assert _rows(county) == [(world.r1.path.name, "", "replaced"), (world.r2.path.name, "", "current")]
    assert _current(county) == (world.r2.path.name, 120000)
    # the command line prints the same
    assert run(["--db", str(county.path), "consolidate", "add", str(world.station.path)]) == 0
    assert f"后已被较新版本 {world.r2.path.name}" in capsys.readouterr().out


def test_the_version_named_is_the_one_kept_now_not_the_one_that_first_replaced_it(world, county):
    """v1 replaced by v2, v2 by v3: v1 offered again names v3, the version the county keeps."""
    for pkg in (world.r1, world.r2, world.r3):
        assert intake(county, [pkg.path]).outcomes[0].accepted
    (o,) = intake(county, [world.station.path]).outcomes
    assert o.result == "duplicate"
    assert f"后已被较新版本 {world.r3.path.name}（生成于 {_made(world.r3)}，" in o.reason
    assert world.r2.path.name not in o.reason
    assert [r[2] for r in _rows(county)] == ["replaced", "replaced", "current"]
    assert _current(county) == (world.r3.path.name, 240000)


def test_a_duplicate_of_the_kept_version_says_only_when_it_was_received(world, county):
    assert intake(county, [world.r2.path]).outcomes[0].accepted
    (o,) = intake(county, [world.r2.path]).outcomes
    assert o.result == "duplicate"
    assert o.reason == f"同一文件已于 {_received(county, world.r2.path.name)} 接收（{world.r2.path.name}）"
