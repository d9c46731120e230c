"""A station or bureau trusts its schools' keys to sign their packages, not its policy: a policy file
signed by a unit that reports to it is refused (its once-only items and deadlines decide what the
cross-checks find; security review, session 22)."""
from __future__ import annotations

import pytest
from conftest import xlsx
from receiving_fixtures import PASSPHRASE, STATION_PASSPHRASE, receiver_db, station_package, two_kid_school

from core.errors import ValidationError
from db import trust_store
from db.policy_files import check_policy_file, export_policy
from db.receiving import intake
from db.receiving_status import import_expected_schools
from db.session import open_database

A = "4228220201"


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    root = tmp_path_factory.mktemp("below")
    pkg = two_kid_school(root, A, "龙坪乡中心小学", first=201)
    db = open_database(pkg.db_path)
    try:
        signed = export_policy(db, root / "policy.zip", True, PASSPHRASE).path
    finally:
        db.close()
    return pkg, signed


@pytest.fixture
def station(tmp_path, school):
    pkg, _signed = school
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
    yield d
    d.close()


def test_a_trusted_key_of_no_known_role_may_sign_the_policy(station, school):
    _pkg, signed = school
    assert check_policy_file(station, signed).file.signer.school_code == A


def test_a_listed_schools_key_may_not(station, school, tmp_path):
    _pkg, signed = school
    import_expected_schools(station, xlsx(tmp_path / "list.xlsx", ["学校代码", "学校名称"], [A, "龙坪乡中心小学"]))
    with pytest.raises(ValidationError) as err:
        check_policy_file(station, signed)
    assert err.value.message == (f"这个政策文件由学校代码 {A}（龙坪乡中心小学）的密钥签名，但 {A} 是向本单位报送数据的下级单位"
                                 "（在本单位的应报学校名单中）：下级单位的密钥只能签发上报包，不能签发本单位使用的政策文件，没有导入")
    assert "县教育局" in err.value.hint


def test_a_school_whose_package_was_received_may_not(station, school):
    pkg, signed = school
    assert intake(station, [pkg.path]).count("accepted") == 1
    with pytest.raises(ValidationError, match="本单位接收过它的提交包"):
        check_policy_file(station, signed)


def test_a_stations_key_may_not(school, tmp_path):
    """A county bureau took in a station's 汇总包: the station's key signs no policy for the bureau."""
    pkg, _signed = school
    station = station_package(tmp_path, [pkg])
    d = open_database(station.db_path)
    try:
        signed = export_policy(d, tmp_path / "station-policy.zip", True, STATION_PASSPHRASE).path
    finally:
        d.close()
    bureau = open_database(receiver_db(tmp_path / "bureau.sqlite", name="县教育局", code="JY4228"))
    try:
        trust_store.register(bureau, trust_store.read_key_file(station.key_file, station.name))
        trust_store.register(bureau, trust_store.read_key_file(pkg.key_file, pkg.name))
        report = intake(bureau, [station.path])
        assert report.count("accepted") == 1 and [p.station_code for p in report.stations] == ["ST4228"]
        with pytest.raises(ValidationError, match="是向本单位报送数据的下级单位（本单位所辖的工作站或下级教育部门）"):
            check_policy_file(bureau, signed)
    finally:
        bureau.close()
