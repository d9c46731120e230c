"""A feedback package comes from an upper unit. A unit that reports to this database (a village
school a central school receives, a station whose 汇总包 it took in) has its key in the same trust
list, only so its packages verify: a "feedback" it signs is refused with the reason, and nothing
changes (its open error would otherwise block this school's final export)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import xlsx
from feedback_fixtures import ZHANG, duplicate, round_trip, send
from receiving_fixtures import PASSPHRASE, STATION_PASSPHRASE, cheap_keys, station_package, two_kid_school
from test_feedback import state

from core.errors import ValidationError
from core.feedback import Feedback, write_feedback_package
from db import trust_store
from db.exports import export_state
from db.feedback import import_feedback
from db.receiving import intake
from db.receiving_status import import_expected_schools
from db.session import open_database

V = "4228220701"


@pytest.fixture(scope="module")
def lower(tmp_path_factory):
    """A village school (its package and key) and a station that forwarded the village's package."""
    root = tmp_path_factory.mktemp("lower")
    village = two_kid_school(root, V, "龙坪乡村小", first=91)
    return SimpleNamespace(village=village, station=station_package(root, [village]), root=root)


@pytest.fixture
def rt(tmp_path):
    trip = round_trip(tmp_path)          # the school 第一中学 (code 1) and its real upper unit, station S01
    yield trip
    trip.school.close()
    trip.station.close()


def signed_by(unit, passphrase: str, out):
    """A feedback package for 第一中学 (code 1) signed with ``unit``'s own key in its own code."""
    from db.keys import ensure_key
    d = open_database(unit.db_path)
    try:
        with d.session() as s, cheap_keys():       # (as the fixture made the school's key: no re-wrap)
            private, public_raw = ensure_key(s, passphrase)
    finally:
        d.close()
    fb = Feedback(unit.code, unit.name, "1", "第一中学", 2023, "2024-06-05T10:00:00", "", (duplicate(ZHANG),))
    return write_feedback_package(out, fb, private, public_raw)


def _trust(db, *units):
    for unit in units:
        trust_store.register(db, trust_store.read_key_file(unit.key_file, unit.name))


def _refused(rt, path, why: str) -> None:
    before = state(rt.school)
    with pytest.raises(ValidationError) as err:
        import_feedback(rt.school, path)
    msg = err.value.message
    assert "发出单位" in msg and why in msg and "下级学校" in msg and "已拒收" in msg, msg
    assert "上级单位" in msg and err.value.hint
    assert state(rt.school) == before
    assert "还有 1 个未处理的错误" not in export_state(rt.school).reasons


def test_feedback_from_a_school_on_the_expected_list_is_refused(rt, lower, tmp_path):
    _trust(rt.school, lower.village)
    import_expected_schools(rt.school, xlsx(tmp_path / "list.xlsx", ["学校代码", "学校名称"], [V, "龙坪乡村小"]))
    _refused(rt, signed_by(lower.village, PASSPHRASE, tmp_path / "fake.zip"), "应报学校名单")


def test_feedback_from_a_school_whose_package_was_received_is_refused(rt, lower, tmp_path):
    _trust(rt.school, lower.village)
    assert intake(rt.school, [lower.village.path]).count("accepted") == 1
    _refused(rt, signed_by(lower.village, PASSPHRASE, tmp_path / "fake.zip"), "提交包已由本数据库接收")


def test_feedback_from_a_station_whose_package_was_taken_in_is_refused(rt, lower, tmp_path):
    _trust(rt.school, lower.station, lower.village)
    assert intake(rt.school, [lower.station.path]).count("accepted") == 1
    _refused(rt, signed_by(lower.station, STATION_PASSPHRASE, tmp_path / "fake.zip"), "提交包已由本数据库接收")


def test_the_real_upper_unit_s_feedback_is_still_taken(rt, lower, tmp_path):
    _trust(rt.school, lower.village)
    import_expected_schools(rt.school, xlsx(tmp_path / "list.xlsx", ["学校代码", "学校名称"], [V, "龙坪乡村小"]))
    assert intake(rt.school, [lower.village.path]).count("accepted") == 1
    result = import_feedback(rt.school, send(rt, [duplicate(ZHANG)]), [rt.station_key])
    assert result.added == 1 and not result.already
