"""A package's school name is what its sender wrote: any trusted key may write any name under its code.
The intake tells when it differs from the name this receiver knows the code by (its expected-schools
list, else the name registered with the key) instead of repeating the claim (security review, session 22)."""
from __future__ import annotations

import pytest
from conftest import xlsx
from receiving_fixtures import receiver_db, two_kid_school

from cli.commands import run
from db import trust_store
from db.receiving import intake
from db.receiving_status import import_expected_schools
from db.receiving_text import report_lines
from db.session import open_database

YEAR = 2026
A, B = "4228220201", "4228220202"


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    # A's package calls it 县第一中学: a name the county gave another school
    a = two_kid_school(root, A, "县第一中学", first=101, year=YEAR)
    b = two_kid_school(root, B, "高坪镇中心小学", first=111, year=YEAR)
    return a, b


@pytest.fixture
def station(tmp_path):
    d = open_database(receiver_db(tmp_path / "station.sqlite", year=YEAR))
    yield d
    d.close()


def test_a_name_other_than_the_listed_one_is_told(station, packages, tmp_path):
    a, b = packages
    for pkg in (a, b):
        trust_store.register(station, trust_store.read_key_file(pkg.key_file, pkg.name))
    import_expected_schools(station, xlsx(tmp_path / "list.xlsx", ["学校代码", "学校名称"],
                                          [A, "龙坪乡中心小学"], [B, "高坪镇 中心小学"]))
    # (B's package says 高坪镇中心小学: the same name but for a space)
    report = intake(station, [a.path, b.path])
    by_code = {o.school_code: o for o in report.outcomes}
    assert [o.result for o in report.outcomes] == ["accepted", "accepted"]
    assert by_code[A].known_name == ("龙坪乡中心小学", "应报学校名单")
    assert by_code[B].known_name == ("", "")           # the same name but for a space
    lines = report_lines(report)
    assert ("  注意：包中自报的学校名称“县第一中学”与应报学校名单中学校代码 4228220201 的名称“龙坪乡中心小学”不同："
            "请与该校核实（学校改了名称，或这个学校代码的密钥被别的学校使用了）") in lines
    assert sum("自报的学校名称" in line for line in lines) == 1
    with station.engine.connect() as conn:       # kept in the audit log, not only shown once
        notes = [r[0] for r in conn.exec_driver_sql("SELECT new FROM audit_log WHERE entity = 'package' ORDER BY id")]
    assert ["包中自报的学校名称与应报学校名单中的“龙坪乡中心小学”不同" in n for n in notes] == [True, False]


def test_full_width_brackets_are_the_same_name():
    from db.receiving_nested import KnownNames
    names = KnownNames({A: ("城关小学（本部）", "应报学校名单")})
    assert names.differing(A, "城关小学(本部)") == ("", "")
    assert names.differing(A, "城关小学（分部）") == ("城关小学（本部）", "应报学校名单")


def test_without_a_list_the_name_registered_with_the_key_is_compared(station, packages, tmp_path, capsys):
    a, b = packages
    trust_store.register(station, trust_store.read_key_file(a.key_file, "龙坪乡中心小学"))
    trust_store.register(station, trust_store.read_key_file(b.key_file, b.name))
    assert run(["--db", str(station.path), "consolidate", "add", str(a.path), str(b.path)]) == 0
    out = capsys.readouterr().out
    assert "包中自报的学校名称“县第一中学”与信任列表中学校代码 4228220201 的名称“龙坪乡中心小学”不同" in out
    assert out.count("自报的学校名称") == 1
