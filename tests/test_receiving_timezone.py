# ruff: noqa: F811 - the fixture imported from another test module is the test functions' argument
"""A time written with an offset (``2024-06-01T10:00:00+08:00``, ``…Z``) in a school package's
``generated_at`` or a feedback's ``created_at`` is taken as this machine's local time without an
offset, as the program writes every time: comparing it with the stored times (which package is
newer, which feedback is older) never fails, and what is stored and shown is local time."""
from __future__ import annotations

import json
import sqlite3
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from feedback_fixtures import STATION_PASS, ZHANG, duplicate, send
from receiving_fixtures import receiver_db, resigned_data, two_kid_school
from test_feedback import rt  # noqa: F401 - the fixture (a school and its station, round trip)

from cli.commands import run
from core.errors import ValidationError
from core.feedback import parse_feedback
from core.package_data import local_time, parse_package_data
from db import trust_store
from db.feedback import import_feedback
from db.receiving import intake
from db.session import open_database

CST = timezone(timedelta(hours=8))
A = "4228220601"


def _local(aware: datetime) -> datetime:
    return aware.astimezone().replace(tzinfo=None)


def test_local_time_converts_an_offset_and_keeps_a_plain_time():
    assert local_time("2024-06-01T10:00:00") == datetime(2024, 6, 1, 10, 0, 0)
    assert local_time("2024-06-01T10:00:00+08:00") == _local(datetime(2024, 6, 1, 10, tzinfo=CST))
    assert local_time("2024-06-01T02:00:00Z") == _local(datetime(2024, 6, 1, 2, tzinfo=UTC))
    for bad in ("yesterday", "0001-01-01T00:00:00+08:00"):        # (the second: before year 1 in UTC)
        with pytest.raises(ValueError):
            local_time(bad)


def test_the_parser_gives_generated_at_as_local_time():
    from core.package_data import PackageData
    doc = PackageData("1", "校", 2023, generated_at="2024-06-01T10:00:00+08:00").to_bytes()
    assert parse_package_data(doc).generated_at == _local(datetime(2024, 6, 1, 10, tzinfo=CST)).isoformat()
    plain = PackageData("1", "校", 2023, generated_at="2024-06-01T10:00:00").to_bytes()
    assert parse_package_data(plain).generated_at == "2024-06-01T10:00:00"


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    return two_kid_school(tmp_path_factory.mktemp("tz"), A, "龙坪乡中心小学", first=81)


def _made(pkg) -> datetime:
    with zipfile.ZipFile(pkg.path) as zf:
        return datetime.fromisoformat(json.loads(zf.read("data.json"))["generated_at"])


def _with_time(school, out, when: str):
    def change(data):
        data["generated_at"] = when
    return resigned_data(school, out, change)


@pytest.fixture
def station(tmp_path, school):
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    try:
        trust_store.register(d, trust_store.read_key_file(school.key_file, school.name))
        yield d
    finally:
        d.close()


def _stored(d):
    con = sqlite3.connect(d.path)
    try:
        return con.execute("select file_name, generated_at, state from received_package order by id").fetchall()
    finally:
        con.close()


def test_a_newer_package_with_an_offset_replaces_the_current_one(station, school, tmp_path, capsys):
    made = _made(school)
    newer = (made + timedelta(hours=1)).astimezone(CST)          # an hour later, written in +08:00
    offset = _with_time(school, tmp_path / "offset.zip", newer.isoformat())
    assert intake(station, [school.path]).outcomes[0].accepted
    assert run(["--db", str(station.path), "consolidate", "add", str(offset)]) == 0
    assert "程序内部错误" not in capsys.readouterr().err
    assert _stored(station) == [(school.path.name, made.isoformat(), "replaced"),
                                ("offset.zip", (made + timedelta(hours=1)).isoformat(), "current")]


def test_an_older_package_with_an_offset_is_refused_as_older_not_a_crash(station, school, tmp_path, capsys):
    older = (_made(school) - timedelta(hours=1)).astimezone(CST)
    offset = _with_time(school, tmp_path / "older.zip", older.isoformat())
    intake(station, [school.path])
    assert run(["--db", str(station.path), "consolidate", "add", str(offset)]) == 1
    out, err = capsys.readouterr()
    assert "旧，不能替换新版本" in out and "程序内部错误" not in out + err


def test_packages_with_and_without_an_offset_given_together_are_ordered(station, school, tmp_path):
    later = _with_time(school, tmp_path / "later.zip", (_made(school) + timedelta(minutes=5)).astimezone(CST)
                       .isoformat())
    report = intake(station, [later, school.path])
    assert [o.result for o in report.outcomes] == ["accepted", "accepted"]
    assert [(name, state) for name, _, state in _stored(station)] == [(school.path.name, "replaced"),
                                                                       ("later.zip", "current")]


def test_a_package_an_older_program_stored_with_an_offset_still_compares(station, school, tmp_path):
    made = _made(school)
    intake(station, [school.path])
    con = sqlite3.connect(station.path)
    con.execute("update received_package set generated_at = ?", (made.astimezone(CST).isoformat(),))
    con.commit()
    con.close()
    newer = _with_time(school, tmp_path / "newer.zip", (made + timedelta(minutes=1)).isoformat())
    (o,) = intake(station, [newer]).outcomes
    assert o.accepted and o.replaced_file == school.path.name


# -- feedback created_at -------------------------------------------------------------------

def _signed(rt, name: str, created_at: str):
    """The station's feedback about 张丽, its created_at written as given."""
    from db.feedback_send import feedback_for_school, sign_feedback
    with rt.station.session() as s:
        fb = feedback_for_school(s, "1", "第一中学", [duplicate(ZHANG)], rt.package_sha)
    return sign_feedback(rt.station, [(replace(fb, created_at=created_at), rt.folder / name)], STATION_PASS)[0].path


def test_parse_feedback_gives_created_at_as_local_time(rt):
    path = _signed(rt, "fb.zip", "2024-06-05T10:00:00+08:00")
    with zipfile.ZipFile(path) as zf:
        fb = parse_feedback(zf.read("feedback.json"))
    assert fb.created_at == _local(datetime(2024, 6, 5, 10, tzinfo=CST)).isoformat()
    assert fb.created == _local(datetime(2024, 6, 5, 10, tzinfo=CST))


def test_feedbacks_with_and_without_an_offset_compare(rt):
    t0 = datetime(2024, 6, 1, 9, 0, 0)
    import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "a.zip", now=t0), [rt.station_key])
    newer = (t0 + timedelta(days=1)).astimezone(CST).isoformat()
    result = import_feedback(rt.school, _signed(rt, "b.zip", newer), [rt.station_key])
    assert not result.already and result.created_at == (t0 + timedelta(days=1)).isoformat()
    older = (t0 + timedelta(hours=1)).astimezone(CST).isoformat()
    with pytest.raises(ValidationError, match="旧，已拒收"):
        import_feedback(rt.school, _signed(rt, "c.zip", older), [rt.station_key])


def test_a_feedback_an_older_program_stored_with_an_offset_still_compares(rt):
    t0 = datetime(2024, 6, 1, 9, 0, 0)
    import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "a.zip", now=t0), [rt.station_key])
    con = sqlite3.connect(rt.school.path)
    con.execute("update feedback_package set created_at = ?", (t0.astimezone(CST).isoformat(),))
    con.commit()
    con.close()
    assert not import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "b.zip", now=t0 + timedelta(days=1)),
                               [rt.station_key]).already
    with pytest.raises(ValidationError, match="旧，已拒收"):
        import_feedback(rt.school, send(rt, [duplicate(ZHANG)], "c.zip", now=t0 - timedelta(days=1)),
                        [rt.station_key])
