"""The receiver's list of expected schools (consolidate schools) and the status of each
(consolidate status): 已接收, 迟报, 缺报 (逾期未报 after the deadline), 仅有草稿, replaced versions, schools not
on the list."""
from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from conftest import xlsx
from receiving_fixtures import receiver_db, revise_school, two_kid_school

from cli.commands import run
from core.errors import InputFileError
from db import trust_store
from db.receiving import expected_schools, intake
from db.receiving_status import DRAFT_ONLY, LATE, MISSING, RECEIVED, import_expected_schools, intake_status
from db.session import open_database

YEAR = 2026                         # its 核准信息数据 phase ends 2027-05-10
A, B, D, U = "4228220201", "4228220202", "4228220204", "4228220299"
HEADER = ["学校标识码", "单位名称", "所属乡镇", "层级"]


@pytest.fixture
def station(tmp_path):
    d = open_database(receiver_db(tmp_path / "station.sqlite", year=YEAR))
    yield d
    d.close()


def _schools(station):
    with station.session() as s:
        return [(e.code, e.name, e.township, e.level) for e in expected_schools(s)]


def test_the_list_is_read_with_synonyms_a_title_and_a_footer(station, tmp_path):
    path = xlsx(tmp_path / "list.xlsx", HEADER, [A, "龙坪乡中心小学", "龙坪乡", "中心校"],
                [B, "高坪镇中心小学", "高坪镇", "中心校"], [D, "县第一中学", "", "县直学校"], ["合计", "", "", ""],
                title="2026年应报学校名单")
    done = import_expected_schools(station, path)
    assert (done.count, done.added, done.removed) == (3, 3, 0) and [line for line, _ in done.skipped] == [6]
    assert _schools(station) == [(A, "龙坪乡中心小学", "龙坪乡", "中心校"), (B, "高坪镇中心小学", "高坪镇", "中心校"),
                                 (D, "县第一中学", "", "县直学校")]
    again = import_expected_schools(station, xlsx(tmp_path / "l2.xlsx", HEADER, [A, "龙坪乡中心小学", "龙坪乡", "中心校"]))
    assert (again.count, again.added, again.removed) == (1, 0, 2)


def test_a_bad_list_changes_nothing_and_names_every_bad_line(station, tmp_path):
    import_expected_schools(station, xlsx(tmp_path / "ok.xlsx", HEADER, [A, "龙坪乡中心小学", "", ""]))
    bad = xlsx(tmp_path / "bad.xlsx", HEADER, [B, "高坪镇中心小学", "", ""], ["", "无代码小学", "", ""],
               [B, "重复小学", "", ""], [D, "", "", ""])
    with pytest.raises(InputFileError) as err:
        import_expected_schools(station, bad)
    msg = err.value.message
    assert "第3行" in msg and "第4行：学校代码 4228220202 与第2行重复" in msg and "第5行" in msg and "没有导入" in msg
    assert _schools(station) == [(A, "龙坪乡中心小学", "", "")]
    with pytest.raises(InputFileError, match=r"找不到表头行|学校代码"):
        import_expected_schools(station, xlsx(tmp_path / "none.xlsx", ["甲", "乙"], ["1", "2"]))


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("status")
    a = two_kid_school(root, A, "龙坪乡中心小学", first=101, year=YEAR)
    a2 = revise_school(a, root / "a2.zip", students=[])
    d = two_kid_school(root, D, "县第一中学", first=111, year=YEAR, draft=True)
    u = two_kid_school(root, U, "名单外小学", first=121, year=YEAR)
    return a, a2, d, u


class _BeforeTheDeadline(date):
    """``date`` whose today is the phase's last day (the CLI reads the clock: 迟报 after it)."""

    @classmethod
    def today(cls) -> _BeforeTheDeadline:
        return cls(2027, 5, 10)


def test_status_of_every_expected_school(station, packages, tmp_path, capsys, monkeypatch):
    a, a2, d, u = packages
    for pkg in (a, d, u):
        trust_store.register(station, trust_store.read_key_file(pkg.key_file, pkg.name))
    import_expected_schools(station, xlsx(tmp_path / "list.xlsx", HEADER, [A, "龙坪乡中心小学", "龙坪乡", "中心校"],
                                          [B, "高坪镇中心小学", "高坪镇", "中心校"], [D, "县第一中学", "", "县直学校"]))
    intake(station, [a.path, a2.path, d.path, u.path])
    before = intake_status(station, today=date(2027, 5, 10))
    assert before.deadline == date(2027, 5, 10)
    got = {s.code: s for s in before.schools}
    assert (got[A].state, got[A].students, got[A].total_fen, got[A].replaced, got[A].file_name) == (
        RECEIVED, 2, 240000, 1, a2.path.name)
    assert got[B].state == MISSING and not got[B].late
    assert got[D].state == DRAFT_ONLY and got[D].refused == 1
    assert [(s.code, s.state, s.listed) for s in before.unlisted] == [(U, RECEIVED, False)]
    after = {s.code: s for s in intake_status(station, today=date(2027, 5, 11)).schools}
    # nothing by the deadline: 缺报 as the exported 报送情况 says, noted 逾期未报 (迟报 is a package late)
    assert (after[B].state, after[B].late, after[B].note) == (MISSING, True, "逾期未报")
    assert after[A].state == RECEIVED
    # a package received after the end of the phase is late
    con = sqlite3.connect(station.path)
    con.execute("update received_package set received_at = '2027-05-11 09:00:00.000000' where school_code = ?", (A,))
    con.commit()
    con.close()
    late = {s.code: s for s in intake_status(station, today=date(2027, 6, 1)).schools}
    assert late[A].state == LATE and late[A].late and late[A].students == 2
    from db import receiving_status
    monkeypatch.setattr(receiving_status, "date", _BeforeTheDeadline)     # whatever day the suite runs
    assert run(["--db", str(station.path), "consolidate", "status", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["deadline"] == "2027-05-10" and doc["school_year"] == YEAR
    rows = {r["code"]: r for r in doc["schools"]}
    assert rows[A]["total"] == "2400.00" and rows[A]["replaced"] == 1 and rows[D]["state"] == DRAFT_ONLY
    assert [r["code"] for r in doc["unlisted"]] == [U]
    assert run(["--db", str(station.path), "consolidate", "status"]) == 0
    out = capsys.readouterr().out
    assert "仅有草稿\t4228220204" in out and "不在应报学校名单中" in out and "已替换 1 个旧版本" in out
    # counted as the exported 报送情况 counts them: the draft-only school is one of the 缺报
    assert "应报 3 所：已接收 0 所，迟报 1 所，缺报 2 所（其中仅有草稿 1 所）；名单外 1 所" in out


def test_the_status_and_the_exported_reporting_name_the_same_schools_missing_and_late(station, packages, tmp_path):
    """One source of truth: the 报送情况 a 汇总包 states is made from the status the page and
    ``consolidate status`` show; each school is 缺报 (not in the totals) or 迟报 (in them, late) in
    both or in neither, before and after the deadline, with a package received after it."""
    from db.consolidation import reporting_of_status
    a, _a2, d, u = packages
    for pkg in (a, d, u):
        trust_store.register(station, trust_store.read_key_file(pkg.key_file, pkg.name))
    import_expected_schools(station, xlsx(tmp_path / "list.xlsx", HEADER, [A, "龙坪乡中心小学", "龙坪乡", "中心校"],
                                          [B, "高坪镇中心小学", "高坪镇", "中心校"], [D, "县第一中学", "", "县直学校"]))
    intake(station, [a.path, d.path, u.path])
    con = sqlite3.connect(station.path)
    con.execute("update received_package set received_at = '2027-05-11 09:00:00.000000' where school_code = ?", (A,))
    con.commit()
    con.close()
    for today, missing, late in ((date(2027, 5, 10), {B, D}, {A}), (date(2027, 5, 11), {B, D}, {A})):
        status = intake_status(station, today=today)
        reporting = reporting_of_status(status)
        assert {s.code for s in status.schools if s.state in (MISSING, DRAFT_ONLY)} == missing
        assert {r.code for r in reporting.missing} == missing
        assert {s.code for s in status.schools if s.state == LATE} == {r.code for r in reporting.late} == late
        overdue = today > status.deadline
        assert all(("逾期未报" in r.note) is overdue for r in reporting.missing)
        assert all(("逾期未报" in s.note) is overdue for s in status.schools if s.code in missing)


def test_cli_schools_imports_and_a_bad_file_exits_2(station, tmp_path, capsys):
    path = xlsx(tmp_path / "list.xlsx", ["学校代码", "学校名称"], [A, "龙坪乡中心小学"])
    assert run(["--db", str(station.path), "consolidate", "schools", str(path)]) == 0
    assert "已导入应报学校名单：1 所" in capsys.readouterr().out
    bad = xlsx(tmp_path / "bad.xlsx", ["学校代码", "学校名称"], ["", "无代码"])
    assert run(["--db", str(station.path), "consolidate", "schools", str(bad)]) == 2
    assert "第2行" in capsys.readouterr().err
    assert _schools(station) == [(A, "龙坪乡中心小学", "", "")]


def test_a_file_refused_then_taken_once_its_key_is_registered_is_no_longer_counted_refused(station, packages,
                                                                                            tmp_path):
    """Refused for a key not yet registered, the same file is taken after `trust add`: nothing is left
    to do, and the school's row no longer says 拒收 1 次 (the package list had already left it out)."""
    a, _a2, _d, _u = packages
    import_expected_schools(station, xlsx(tmp_path / "list.xlsx", HEADER, [A, "龙坪乡中心小学", "龙坪乡", "中心校"]))
    assert intake(station, [a.path]).outcomes[0].result == "refused"
    assert {s.code: s.refused for s in intake_status(station).schools} == {A: 1}
    trust_store.register(station, trust_store.read_key_file(a.key_file, a.name))
    assert intake(station, [a.path]).outcomes[0].accepted
    assert {s.code: (s.state, s.refused) for s in intake_status(station, today=date(2027, 5, 1)).schools} == {
        A: (RECEIVED, 0)}
