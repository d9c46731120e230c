"""A 中心校 takes in its village schools' packages and may take in its own (its 汇总 page then shows
its own figures beside theirs). A receiver's own package inside its 汇总包 makes the county refuse
the whole 汇总包 (a unit must not vouch for its own package: db.receiving_nested.expand), so the 汇总包
leaves it out and says so; before, the county refused the village schools' packages with it."""
from __future__ import annotations

import pytest
from receiving_fixtures import PASSPHRASE, receiver_db, two_kid_school

from benchmarks.data import cheap_keys
from core.errors import ValidationError
from db import trust_store
from db.consolidation import consolidation, export_consolidated
from db.receiving import intake
from db.receiving_models import ExpectedSchool
from db.session import open_database


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    root = tmp_path_factory.mktemp("central")
    return (two_kid_school(root / "c", "4228220301", "龙坪乡中心小学", first=11),
            two_kid_school(root / "v", "4228220302", "花坪村小", first=21))


def _trusting(db, *packages):
    for p in packages:
        trust_store.register(db, trust_store.read_key_file(p.key_file, p.name))


def test_the_central_schools_own_package_is_left_out_of_its_huizong_and_the_county_takes_the_rest(schools,
                                                                                                 tmp_path):
    central, village = schools
    d = open_database(central.db_path)
    try:
        _trusting(d, village)
        with d.session() as s:                              # the 中心校 lists itself and its village school
            s.add(ExpectedSchool(code=central.code, name=central.name, township="龙坪乡", level="中心校"))
            s.add(ExpectedSchool(code=village.code, name=village.name, township="龙坪乡", level="村小"))
        assert [o.result for o in intake(d, [central.path, village.path]).outcomes] == ["accepted", "accepted"]
        assert consolidation(d).summary.totals.total == 480000          # its 汇总 page: both schools
        with cheap_keys():
            result = export_consolidated(d, tmp_path / "汇总包.zip", PASSPHRASE)
    finally:
        d.close()
    assert result.packages == 1 and result.summary.totals.total == 240000
    assert result.warnings[0].startswith("注意：本单位（代码 4228220301）自己的提交包没有放进汇总包")
    assert result.reporting is not None                    # its 报送情况 speaks of the schools inside it
    assert (result.reporting.expected, result.reporting.received) == (1, 1)
    assert central.code not in {x.code for x in (*result.reporting.missing, *result.reporting.unlisted)}
    county = open_database(receiver_db(tmp_path / "county.sqlite", name="县教育体育局", code="CB4228"))
    try:
        _trusting(county, central, village)
        with county.session() as s:
            s.add(ExpectedSchool(code=central.code, name=central.name, township="龙坪乡", level="中心校"))
            s.add(ExpectedSchool(code=village.code, name=village.name, township="龙坪乡", level="村小"))
        outcomes = intake(county, [tmp_path / "汇总包.zip", central.path]).outcomes
        assert [(o.school_code, o.result) for o in outcomes] == [(village.code, "accepted"),
                                                                (central.code, "accepted")], outcomes
        assert consolidation(county).summary.totals.total == 480000     # each school once
    finally:
        county.close()


def test_a_huizong_of_the_own_package_alone_is_refused_saying_so(tmp_path):
    central = two_kid_school(tmp_path / "c", "4228220301", "龙坪乡中心小学", first=11)
    d = open_database(central.db_path)
    try:
        assert [o.result for o in intake(d, [central.path]).outcomes] == ["accepted"]
        with pytest.raises(ValidationError) as err, cheap_keys():
            export_consolidated(d, tmp_path / "汇总包.zip", PASSPHRASE)
        assert err.value.message == "除本单位自己的提交包外，还没有接收任何上报包，无法导出汇总包。"
        assert not (tmp_path / "汇总包.zip").exists()
    finally:
        d.close()
