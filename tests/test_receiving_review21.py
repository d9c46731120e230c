"""Review 21 fixes on the county (receiving) side: a school package a township station forwarded
was received when the station received it (the time the station's signed list gives), so a school
that reported on time through its station is not 迟报 because the station's package came after the
deadline; the 按乡镇 summary takes a school's township from the county's expected-schools list (as
``consolidate status`` does), not from the package; ``拒收 N 次`` counts distinct refused files, not
the times one file was offered again."""
from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import xlsx
from receiving_fixtures import (
    STATION_PASSPHRASE,
    receiver_db,
    revise_school,
    tampered,
    two_kid_school,
)

import db.receiving as receiving
from cli.commands import run
from core.consolidate import summarise
from core.package_data import PackageData
from db import trust_store
from db.consolidation import consolidation, export_consolidated
from db.keys import export_public_key
from db.receiving import intake
from db.receiving_status import LATE, RECEIVED, deadline, import_expected_schools, intake_status
from db.session import open_database

A, B, C = "4228222101", "4228222102", "4228222103"
ST, COUNTY = "ST4229", "JY4228"
HEADER = ["学校代码", "学校名称", "乡镇", "学段"]
# the school year whose 核准信息数据 phase ends on 05-10 of the next calendar year: after today, so
# the packages made now are on time at their station whatever day the tests run
YEAR = date.today().year


def _station(root: Path, schools: list[Any]) -> SimpleNamespace:
    """A township station of YEAR taking in ``schools`` now and exporting its signed 汇总包."""
    d = open_database(receiver_db(root / "station.sqlite", name="业州镇扶贫工作站", code=ST, year=YEAR))
    try:
        for pkg in schools:
            trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
        assert intake(d, [p.path for p in schools]).count("accepted") == len(schools)
        result = export_consolidated(d, root / "station.zip", STATION_PASSPHRASE)
        key = export_public_key(d, root / "station-公钥.txt")
    finally:
        d.close()
    con = sqlite3.connect(d.path)
    try:
        # (the 汇总包's list gives them to the second)
        received = {code: datetime.fromisoformat(at).replace(microsecond=0) for code, at in
                    con.execute("select school_code, received_at from received_package")}
    finally:
        con.close()
    return SimpleNamespace(path=result.path, db_path=d.path, key_file=key.path, name="业州镇扶贫工作站",
                           received=received)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A (initialised with township 业州; the county's list says 业州镇) sent to the station, which
    forwards it; A's correction (a2); B (业州镇) sent straight to the county."""
    root = tmp_path_factory.mktemp("review21")
    a = two_kid_school(root, A, "业州镇中心小学", township="业州", first=401, year=YEAR)
    b = two_kid_school(root, B, "业州镇民族中学", township="业州镇", first=411, year=YEAR)
    station = _station(root, [a])
    a2 = revise_school(a, root / "a-2.zip")
    return SimpleNamespace(a=a, a2=a2, b=b, station=station, root=root)


class _Clock(datetime):
    """``datetime`` whose now is ``at``: the county takes the station's USB stick in late."""

    at = datetime(2000, 1, 1)

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return cls.at


def _county(tmp_path: Path, world: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The county's database of YEAR trusting the station and both schools, with its list of
    expected schools; its clock two days after the deadline."""
    d = open_database(receiver_db(tmp_path / "county.sqlite", name="建始县教育局", code=COUNTY, year=YEAR))
    for pkg in (world.station, world.a, world.b):
        trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
    import_expected_schools(d, xlsx(tmp_path / "list.xlsx", HEADER, [A, "业州镇中心小学", "业州镇", "小学"],
                                    [B, "业州镇民族中学", "业州镇", "初中"]))
    with d.session() as s:
        end = deadline(s, YEAR)
    assert end is not None
    monkeypatch.setattr(_Clock, "at", datetime.combine(end + timedelta(days=2), datetime.min.time()).replace(hour=9))
    monkeypatch.setattr(receiving, "datetime", _Clock)
    return d


@pytest.fixture
def county(tmp_path, world, monkeypatch):
    d = _county(tmp_path, world, monkeypatch)
    try:
        yield d
    finally:
        d.close()


def _today() -> date:
    return _Clock.at.date()


# -- defect 1: a package forwarded by a station was received when the station received it ---------
def test_a_school_on_time_at_its_station_is_not_late_when_the_station_package_comes_late(county, world, capsys):
    report = intake(county, [world.station.path, world.b.path])
    assert sorted((o.result, o.school_code, o.via) for o in report.outcomes) == [
        ("accepted", A, ST), ("accepted", B, "")]
    got = {s.code: s for s in intake_status(county, today=_today()).schools}
    a, b = got[A], got[B]
    # A: the time the station's signed list gives, not the county's
    assert (a.state, a.late, a.note) == (RECEIVED, False, "")
    assert a.received_at == a.first_received_at == world.station.received[A]
    # B came straight to the county after the deadline: the county's own time, late
    assert (b.state, b.late, b.received_at) == (LATE, True, _Clock.at)
    assert run(["--db", str(county.path), "consolidate", "status"]) == 0
    out = capsys.readouterr().out
    assert next(x for x in out.splitlines() if f"\t{A}\t" in x).startswith("已接收\t")
    con = sqlite3.connect(county.path)
    try:
        (note,) = con.execute("select new from audit_log where entity = 'package' and new like ?",
                              (f"%{A}%",)).fetchone()
    finally:
        con.close()
    assert f"由 {ST} 在汇总包 station.zip 中转报，{ST} 接收于 {world.station.received[A]:%Y-%m-%d %H:%M}" in note


def test_a_correction_sent_directly_after_an_on_time_relayed_package_keeps_the_school_on_time(county, world):
    assert intake(county, [world.station.path, world.a2.path]).count("accepted") == 2
    a = {s.code: s for s in intake_status(county, today=_today()).schools}[A]
    assert (a.state, a.late, a.replaced) == (RECEIVED, False, 1)
    assert a.first_received_at == world.station.received[A] and a.received_at == _Clock.at
    assert "按时上报" in a.note and f"更正于 {_Clock.at:%Y-%m-%d}" in a.note


_DROP = object()


def _station_saying(world: SimpleNamespace, out: Path, received_at: object) -> Path:
    """The station's 汇总包 with its list's ``received_at`` of every package set to ``received_at``
    (``_DROP``: left out), signed again with the station's own key."""
    from core.package import RESERVED, write_package
    from db.keys import ensure_key
    with zipfile.ZipFile(world.station.path) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n not in RESERVED}
        meta = json.loads(zf.read("manifest.json"))
    data = json.loads(files["data.json"])
    for p in data["packages"]:
        if received_at is _DROP:
            p.pop("received_at")
        else:
            p["received_at"] = received_at
    files["data.json"] = json.dumps(data, ensure_ascii=False).encode("utf-8")
    for key in ("format_version", "files"):
        meta.pop(key)
    d = open_database(world.station.db_path)
    try:
        with d.session() as s:
            private, public_raw = ensure_key(s, STATION_PASSPHRASE)
    finally:
        d.close()
    return write_package(out, files, meta, private, public_raw)


@pytest.mark.parametrize("said", [_DROP, None, 20261203, "", "不是时间", "2099-01-01 00:00:00"],
                         ids=["missing", "null", "number", "empty", "unreadable", "after-the-county"])
def test_without_a_readable_station_time_the_county_time_stands(county, world, tmp_path, said):
    (o,) = intake(county, [_station_saying(world, tmp_path / "station.zip", said)]).outcomes
    assert (o.result, o.via) == ("accepted", ST)
    a = {s.code: s for s in intake_status(county, today=_today()).schools}[A]
    assert (a.state, a.received_at) == (LATE, _Clock.at)


def test_a_station_time_before_the_package_was_made_is_the_time_it_was_made(county, world, tmp_path):
    (o,) = intake(county, [_station_saying(world, tmp_path / "station.zip", "2000-01-01T00:00:00")]).outcomes
    assert o.result == "accepted"
    with zipfile.ZipFile(world.a.path) as zf:
        made = datetime.fromisoformat(json.loads(zf.read("data.json"))["generated_at"])
    a = {s.code: s for s in intake_status(county, today=_today()).schools}[A]
    assert (a.state, a.received_at) == (RECEIVED, made)


# -- defect 2: the county's list of expected schools decides the township ---------------------------
def test_the_summary_by_township_takes_the_expected_list_township(county, world):
    assert intake(county, [world.station.path, world.b.path]).count("accepted") == 2
    status = {s.code: s.township for s in intake_status(county, today=_today()).schools}
    assert status == {A: "业州镇", B: "业州镇"}
    summary = consolidation(county).summary
    assert [(t.township, t.figures.schools) for t in summary.by_township] == [("业州镇", 2)]
    assert {s.school_code: s.township for s in summary.by_school} == status


def test_summarise_prefers_the_given_township_and_falls_back_to_the_package():
    listed = PackageData("L1", "名单内小学", YEAR, township="业州")
    same = PackageData("L2", "名单内中学", YEAR, township="业州镇")
    other = PackageData("U1", "名单外小学", YEAR, township="高坪")
    blank = PackageData("N1", "未填小学", YEAR)
    s = summarise([listed, same, other, blank], townships={"L1": "业州镇", "L2": "业州镇"})
    assert {r.school_code: r.township for r in s.by_school} == {
        "L1": "业州镇", "L2": "业州镇", "U1": "高坪", "N1": "（未填乡镇）"}
    assert {t.township: t.figures.schools for t in s.by_township} == {"业州镇": 2, "高坪": 1, "（未填乡镇）": 1}


# -- defect 3: 拒收 N 次 counts distinct refused files -------------------------------------------------
def test_a_refused_file_offered_again_counts_once(tmp_path, capsys):
    draft = two_kid_school(tmp_path, C, "县第三小学", first=421, draft=True)
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    try:
        trust_store.register(d, trust_store.read_key_file(draft.key_file, draft.name))
        import_expected_schools(d, xlsx(tmp_path / "list.xlsx", HEADER, [C, "县第三小学", "龙坪乡", "小学"]))
        for _ in range(4):
            assert intake(d, [draft.path]).count("refused") == 1
        assert {s.code: s.refused for s in intake_status(d).schools} == {C: 1}
        assert run(["--db", str(d.path), "consolidate", "status"]) == 0
        assert "拒收 1 次" in capsys.readouterr().out
        broken = tampered(draft, tmp_path / "broken.zip")
        for _ in range(2):
            assert intake(d, [broken]).count("refused") == 1
        assert {s.code: s.refused for s in intake_status(d).schools} == {C: 2}
    finally:
        d.close()
