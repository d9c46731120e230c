"""仅有草稿 rests on a draft its school's own registered key signed, never on an unverified file; and
after the deadline a school with no package is 缺报, noted 逾期未报, even when it sent a draft (the row notes it too)."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from conftest import xlsx
from receiving_fixtures import receiver_db, two_kid_school

from cli.commands import run
from db import trust_store
from db.receiving import intake
from db.receiving_status import DRAFT_ONLY, LATE, MISSING, import_expected_schools, intake_status
from db.session import open_database

D, F, M = "4228220501", "4228220502", "4228220503"   # a genuine draft, a forged draft, nothing at all
BEFORE, AFTER = date(2024, 5, 1), date(2024, 5, 11)   # the 2023 school year's 核准信息数据 ends 2024-05-10


def forged_draft(path, code):
    """A draft claiming ``code``, intact but signed by a key nobody registered."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from core import signing
    from core.package import write_package
    key = Ed25519PrivateKey.generate()
    return write_package(path, {"x.txt": b"x"}, {"school": {"code": code, "name": "某某小学"}, "school_year": 2023,
                                                "draft": True}, key, signing.public_raw_of(key))


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    root = tmp_path_factory.mktemp("drafts")
    return SimpleNamespace(draft=two_kid_school(root, D, "长梁乡中心小学", first=31, draft=True),
                           forged=forged_draft(root / "forged-draft.zip", F))


@pytest.fixture
def station(tmp_path, packages):
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    try:
        trust_store.register(d, trust_store.read_key_file(packages.draft.key_file, packages.draft.name))
        import_expected_schools(d, xlsx(tmp_path / "list.xlsx", ["学校代码", "学校名称", "乡镇", "学段"],
                                        [D, "长梁乡中心小学", "长梁乡", "小学"], [F, "某某小学", "龙坪乡", "小学"],
                                        [M, "三小", "龙坪乡", "小学"]))
        yield d
    finally:
        d.close()


def _log(d):
    con = sqlite3.connect(d.path)
    try:
        return {code: (result, draft) for code, result, draft in
                con.execute("select school_code, result, draft from intake_log")}
    finally:
        con.close()


def _states(d, today):
    return {s.code: (s.state, s.draft) for s in intake_status(d, today=today).schools}


def test_a_forged_draft_is_not_noted_as_a_draft(station, packages):
    report = intake(station, [packages.draft.path, packages.forged])
    assert report.count("refused") == 2
    assert _log(station) == {D: ("refused", True), F: ("refused", False)}
    assert _states(station, BEFORE) == {D: (DRAFT_ONLY, True), F: (MISSING, False), M: (MISSING, False)}


def test_after_the_deadline_a_school_with_only_a_draft_is_missing_and_overdue(station, packages, capsys):
    intake(station, [packages.draft.path, packages.forged])
    status = intake_status(station, today=AFTER)
    assert {s.code: (s.state, s.late, s.draft) for s in status.schools} == {
        D: (MISSING, True, True), F: (MISSING, True, False), M: (MISSING, True, False)}
    assert status.counts()[DRAFT_ONLY] == 0 and status.counts()[LATE] == 0 and status.counts()[MISSING] == 3
    # the command line (today is after 2024-05-10): 缺报, 逾期未报, and the row says only a draft came
    assert run(["--db", str(station.path), "consolidate", "status"]) == 0
    out = capsys.readouterr().out
    assert f"缺报\t{D}\t长梁乡中心小学" in out and "逾期未报，只交过草稿" in out.split(D)[1].splitlines()[0]
    assert "只交过草稿" not in out.split(F)[1].splitlines()[0] and "逾期未报" in out.split(F)[1].splitlines()[0]
    assert run(["--db", str(station.path), "consolidate", "status", "--json"]) == 0
    rows = {r["code"]: r for r in json.loads(capsys.readouterr().out)["schools"]}
    assert (rows[D]["state"], rows[D]["draft"], rows[F]["draft"]) == (MISSING, True, False)


def test_a_forged_draft_an_older_program_noted_does_not_count(station):
    """Lines an earlier version wrote: draft=1 for any intact draft, the signer unknown."""
    con = sqlite3.connect(station.path)
    con.execute("insert into intake_log (at, by, file_name, sha256, school_code, school_year, draft, result, reason)"
                " values (?, 't', 'forged.zip', '', ?, 2023, 1, 'refused', ?)",
                (datetime(2024, 4, 1).isoformat(" "), F, "签名人未知：签名人公钥指纹 0000 不是本机数据库的签名密钥。"))
    con.commit()
    con.close()
    assert _states(station, BEFORE)[F] == (MISSING, False)


def test_the_receiving_page_notes_the_draft_beside_overdue(station, packages):
    from db.receiving_views import package_history
    from gui.receiving.page import package_rows
    intake(station, [packages.draft.path, packages.forged])
    rows = {r.school_code: r for r in package_rows(intake_status(station, today=AFTER), package_history(station))
            if r.state == MISSING}
    assert rows[D].reason.startswith("逾期未报，只交过草稿（草稿不能汇总，请催报正式上报包）")
    assert "草稿" not in rows[F].reason
