"""Intake of school packages at a receiver (consolidate add): verified completely before
anything is stored; the receiving migration on a frozen older database."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
import zipfile
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from receiving_fixtures import (
    high_school_kid,
    kid_id,
    receiver_db,
    resigned_without,
    revise_school,
    stored_students,
    tampered,
    two_kid_school,
)

from cli.commands import run
from core.package import verify_package
from core.trust import TrustedSigner
from db import trust_store
from db.audit import audit_chain_status
from db.findings import run_and_store
from db.migrate import current_revision, head_revision
from db.receiving import accepted_data, intake, package_bytes
from db.session import open_database

DATA = Path(__file__).parent / "data"
RECEIVING_TABLES = {"trusted_signer", "package_blob", "received_package", "intake_log", "expected_school"}


def test_frozen_v0004_database_gains_the_receiving_tables_and_keeps_everything(tmp_path):
    """0005 only adds the receiving tables: the school's rows, the audit chain and the seals
    are as they were (no tampering finding), and the new tables are empty."""
    target = tmp_path / "old4.sqlite"
    shutil.copy(DATA / "schema-0004.sqlite", target)
    con = sqlite3.connect(target)
    assert con.execute("select version_num from alembic_version").fetchone()[0] == "0004"
    before = {t: con.execute(f"select * from {t} order by 1").fetchall()
              for t in ("school", "student", "roster_person", "finding", "audit_log", "setting")}
    # (later migrations may add columns: the ones there before keep their values)
    columns = {t: ", ".join(r[1] for r in con.execute(f"pragma table_info({t})")) for t in before}
    con.close()
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            assert audit_chain_status(s).intact
            codes = {f.code for f in run_and_store(s).findings}
            assert "TAMPERED_AFTER_VERIFY" not in codes and "AUDIT_CHAIN_BROKEN" not in codes
    finally:
        d.close()
    con = sqlite3.connect(target)
    try:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        assert tables >= RECEIVING_TABLES
        assert all(con.execute(f"select count(*) from {t}").fetchone()[0] == 0 for t in RECEIVING_TABLES)
        for table in ("school", "student", "roster_person", "audit_log"):
            assert con.execute(f"select {columns[table]} from {table} order by 1").fetchall() == before[table]
    finally:
        con.close()


# -- intake ---------------------------------------------------------------------------------
A, B, C = "4228220101", "4228220102", "4228220103"


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    """Packages made by the program: A good (2 students), B from a key nobody registered, C whose
    key is registered for another code, D a draft, E demo data, F of the previous school year."""
    root = tmp_path_factory.mktemp("schools")
    return SimpleNamespace(
        a=two_kid_school(root, A, "龙坪乡中心小学", first=1),
        b=two_kid_school(root, B, "高坪镇中心小学", township="高坪镇", first=11),
        c=two_kid_school(root, C, "花坪镇中心小学", township="花坪镇", first=21),
        d=two_kid_school(root, "4228220104", "长梁乡中心小学", first=31, draft=True),
        e=two_kid_school(root, "4228220105", "演示小学", first=41, demo=True),
        f=two_kid_school(root, "4228220106", "往年小学", first=51, year=2022),
        root=root)


@pytest.fixture
def station(tmp_path, schools):
    """A station (2023) trusting A, D, E, F for their own codes and C's key for code 9999."""
    path = receiver_db(tmp_path / "station.sqlite")
    d = open_database(path)
    try:
        for pkg in (schools.a, schools.d, schools.e, schools.f):
            trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
        c = trust_store.read_key_file(schools.c.key_file, schools.c.name)
        trust_store.register(d, trust_store.KeyFile(TrustedSigner(c.signer.public_raw, "9999", "别的学校"),
                                                    c.fingerprint))
        yield d
    finally:
        d.close()


TABLES = ("package_blob", "received_package", "audit_log", "trusted_signer", "expected_school", "school", "student",
          "setting")


def _content(d):
    con = sqlite3.connect(d.path)
    try:
        return {t: con.execute(f"select * from {t} order by 1").fetchall() for t in TABLES}
    finally:
        con.close()


def _log(d):
    con = sqlite3.connect(d.path)
    try:
        return con.execute("select file_name, result, reason, school_code, draft, package_id from intake_log "
                           "order by id").fetchall()
    finally:
        con.close()


def test_a_good_package_is_stored_with_its_bytes_students_and_grants_to_the_fen(station, schools):
    report = intake(station, [schools.a.path])
    (o,) = report.outcomes
    assert o.accepted and (o.school_code, o.students, o.total_fen) == (A, 2, 240000)
    raw = schools.a.path.read_bytes()
    with station.session() as s:
        (pkg,) = accepted_data(s)
        assert pkg.sha256 == hashlib.sha256(raw).hexdigest() and package_bytes(s, pkg.sha256) == raw
        assert (pkg.data.school_code, pkg.data.school_year, pkg.file_name, pkg.via) == (A, 2023, schools.a.path.name, "")
        assert accepted_data(s, history=True) == []
        assert audit_chain_status(s).intact
    con = sqlite3.connect(station.path)
    try:
        rows = sorted((st.name, g.code, g.amount_fen, g.shares.get("city", 0), g.shares.get("county", 0))
                      for _, _, st in stored_students(station.path) for g in st.grants if g.amount_fen > 0)
        assert rows == [("学生1", "HS_TEXTBOOK", 20000, 10000, 10000), ("学生1", "HS_TUITION", 100000, 50000, 50000),
                        ("学生2", "HS_TEXTBOOK", 20000, 10000, 10000), ("学生2", "HS_TUITION", 100000, 50000, 50000)]
        assert con.execute("select state, students, total_fen from received_package").fetchall() == [
            ("current", 2, 240000)]
        notes = [r[0] for r in con.execute("select new from audit_log where entity = 'package'")]
        assert len(notes) == 1 and A in notes[0] and "2400.00" in notes[0]
    finally:
        con.close()
    assert _log(station) == [(schools.a.path.name, "accepted", "", A, 0, pkg.package_id)]


def test_the_same_package_twice_is_a_no_op(station, schools, capsys):
    intake(station, [schools.a.path])
    before = _content(station)
    assert run(["--db", str(station.path), "consolidate", "add", str(schools.a.path)]) == 0
    assert "已接收过" in capsys.readouterr().out
    assert _content(station) == before
    assert [r[1] for r in _log(station)] == ["accepted", "duplicate"]


def _refused(station, path, history=False):
    before = _content(station)
    (o,) = intake(station, [path], history=history).outcomes
    assert o.result == "refused" and o.package_id is None
    assert _content(station) == before, "a refused package must leave every table as it was"
    last = _log(station)[-1]
    assert last[:3] == (Path(path).name, "refused", o.reason)
    return o


def test_a_tampered_data_member_is_refused_and_changes_nothing(station, schools, tmp_path):
    o = _refused(station, tampered(schools.a, tmp_path / "t.zip"))
    assert "已被改动" in o.reason and "data.json" in o.reason


def test_a_tampered_workbook_is_refused(station, schools, tmp_path):
    o = _refused(station, tampered(schools.a, tmp_path / "w.zip", "workbook.xlsx"))
    assert "workbook.xlsx" in o.reason


def test_an_unknown_key_is_refused_naming_its_fingerprint(station, schools):
    o = _refused(station, schools.b.path)
    assert "签名人未知" in o.reason and schools.b.fingerprint in o.reason


def test_a_key_registered_for_another_school_code_is_refused(station, schools):
    o = _refused(station, schools.c.path)
    assert "9999" in o.reason and C in o.reason and "不能为另一所学校签名" in o.reason


def test_a_draft_is_refused_and_noted_as_a_draft(station, schools):
    o = _refused(station, schools.d.path)
    assert "草稿" in o.reason and o.draft
    assert _log(station)[-1][4] == 1


def test_a_demo_package_is_refused(station, schools):
    assert "演示数据" in _refused(station, schools.e.path).reason


def test_a_package_of_another_school_year_is_refused_and_taken_as_history_with_the_flag(station, schools):
    o = _refused(station, schools.f.path)
    assert "2022–2023学年" in o.reason and "--history" in o.reason
    assert "以前" in _refused(station, schools.a.path, history=True).reason
    (h,) = intake(station, [schools.f.path], history=True).outcomes
    assert h.accepted and h.history
    with station.session() as s:
        assert accepted_data(s) == []
        assert [p.data.school_code for p in accepted_data(s, history=True)] == ["4228220106"]


def test_a_package_without_data_member_is_refused_with_a_clear_message(station, schools, tmp_path):
    old = resigned_without(schools.a, tmp_path / "old.zip")
    assert verify_package(old, [trust_store.read_key_file(schools.a.key_file, "x").signer]).ok
    o = _refused(station, old)
    assert "没有机读数据 data.json" in o.reason and "旧版本" in o.reason


def test_not_a_zip_and_a_missing_file_are_refused(station, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    assert "不是有效的 zip" in _refused(station, junk).reason
    assert "找不到" in _refused(station, tmp_path / "nothing.zip").reason


def test_a_big_file_beside_the_packages_is_looked_into_not_read(station, schools, tmp_path, monkeypatch):
    """A photo backup on the same USB stick: past LOOK_FIRST only a zip holding a manifest is read
    (the others refused one by one, without reading them), and nothing past MAX_OFFERED; the genuine
    package beside it is still taken in."""
    from core import intake as core_intake
    photos = tmp_path / "照片备份.zip"
    with zipfile.ZipFile(photos, "w") as zf:
        zf.writestr("IMG_0001.jpg", b"\xff\xd8" + b"x" * 5000)
    read: list = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or real(self))
    monkeypatch.setattr(core_intake, "LOOK_FIRST", 1000)
    report = intake(station, [photos, schools.a.path])
    got = {o.file_name: o for o in report.outcomes}
    assert got[photos.name].result == "refused" and "没有 manifest.json" in got[photos.name].reason
    assert got[schools.a.path.name].result == "accepted"          # a package: looked into, then read
    assert photos.name not in read and schools.a.path.name in read
    monkeypatch.setattr(core_intake, "MAX_OFFERED", 2000)
    assert "不是资助助手的提交包" in _refused(station, schools.a.path).reason


def test_cli_lists_each_refusal_with_its_reason_and_exits_1(station, schools, capsys):
    code = run(["--db", str(station.path), "consolidate", "add", str(schools.a.path), str(schools.b.path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "已接收：" in out and "拒收：" in out and "签名人未知" in out and "拒收 1 个" in out


def test_a_folder_is_searched_for_packages(station, schools):
    report = intake(station, [schools.root])
    got = {o.school_code: o.result for o in report.outcomes}
    assert got[A] == "accepted" and got[B] == "refused" and got["4228220104"] == "refused"


# -- a newer package replaces the older one ------------------------------------------------
R = "4228220109"


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """R's first package (学生61, 学生62: 2400.00) and its next one: 学生61's tuition 1000.00 → 900.00,
    学生62 taken off the list, 学生63 added (1200.00): 2300.00."""
    root = tmp_path_factory.mktemp("versions")
    first = two_kid_school(root, R, "茅田乡中心小学", first=61)
    second = revise_school(first, root / "second.zip",
                           students=[replace(high_school_kid("学生61", 61), tuition_fen=90000),
                                     high_school_kid("学生63", 63)],
                           remove=(kid_id(62),))
    return first, second


@pytest.fixture
def r_station(tmp_path, versions):
    path = receiver_db(tmp_path / "r.sqlite")
    d = open_database(path)
    try:
        trust_store.register(d, trust_store.read_key_file(versions[0].key_file, versions[0].name))
        yield d
    finally:
        d.close()


def test_a_newer_package_replaces_the_older_whole_keeping_it_in_history(r_station, versions, capsys):
    first, second = versions
    assert intake(r_station, [first.path]).outcomes[0].accepted
    assert run(["--db", str(r_station.path), "consolidate", "add", str(second.path)]) == 0
    out = capsys.readouterr().out
    assert f"替换了此前接收的 {first.path.name}" in out
    assert "新增 1 人，移除 1 人，金额变动 1 人；合计 2400.00 元 → 2300.00 元（-100.00 元）" in out
    assert "1000.00 → 900.00 元" in out and "学生63" in out and "学生62" in out
    with r_station.session() as s:
        (current,) = accepted_data(s)
        assert current.file_name == second.path.name
        assert sorted(st.name for st in current.data.students) == ["学生61", "学生63"]
        assert package_bytes(s, hashlib.sha256(first.path.read_bytes()).hexdigest()) == first.path.read_bytes()
    con = sqlite3.connect(r_station.path)
    try:
        rows = con.execute("select id, file_name, state, replaced_by from received_package order by id").fetchall()
        assert rows == [(1, first.path.name, "replaced", 2), (2, second.path.name, "current", None)]
        # the replaced package's rows stay (history); the current one's are the new students
        names = sorted((package_id, st.name) for package_id, _, st in stored_students(r_station.path))
        assert names == [(1, "学生61"), (1, "学生62"), (2, "学生61"), (2, "学生63")]
    finally:
        con.close()


def test_the_changes_are_exact_to_the_fen(r_station, versions):
    first, second = versions
    intake(r_station, [first.path])
    (o,) = intake(r_station, [second.path]).outcomes
    ch = o.changes
    assert [(s.name, s.total_fen) for s in ch.added] == [("学生63", 120000)]
    assert [(s.name, s.total_fen) for s in ch.removed] == [("学生62", 120000)]
    assert [(c.name, c.items, c.old_total, c.new_total) for c in ch.changed] == [
        ("学生61", (("HS_TUITION", 100000, 90000),), 120000, 110000)]
    assert (ch.old_total, ch.new_total, ch.delta_fen) == (240000, 230000, -10000)


def test_an_older_package_than_the_current_one_is_refused(r_station, versions):
    first, second = versions
    intake(r_station, [second.path])
    o = _refused(r_station, first.path)
    assert "旧" in o.reason and second.path.name in o.reason and "学校电脑的日期不对" in o.reason


def test_a_package_made_later_than_this_machines_clock_is_refused(r_station, versions, monkeypatch):
    """Made on a PC whose date runs ahead: once stored, every corrected package would look older."""
    from datetime import timedelta

    from db import receiving
    first, _second = versions
    monkeypatch.setattr(receiving, "CLOCK_SLACK", timedelta(days=-36500))   # (any package is "later" now)
    o = _refused(r_station, first.path)
    assert "晚于本机现在的时间" in o.reason and "改正日期" in o.reason
    with r_station.session() as s:
        assert accepted_data(s) == []
    monkeypatch.setattr(receiving, "CLOCK_SLACK", timedelta(days=1))
    assert intake(r_station, [first.path]).outcomes[0].accepted


def test_older_and_newer_given_together_both_land_the_newer_current(r_station, versions):
    first, second = versions
    report = intake(r_station, [second.path, first.path])
    assert [o.result for o in report.outcomes] == ["accepted", "accepted"]
    assert report.outcomes[0].replaced_file == first.path.name       # reported in the order given
    with r_station.session() as s:
        assert [p.file_name for p in accepted_data(s)] == [second.path.name]


def test_package_changes_is_pure_and_sums_an_id_listed_twice():
    from core.package_changes import change_lines, package_changes
    from core.package_data import Grant, PackageData, PackageStudent

    def st(name, number, *grants):
        return PackageStudent(number, name, verified=True, grants=tuple(Grant(c, f, {}) for c, f in grants))
    old = PackageData("1", "校", 2023, students=(st("甲", "A", ("X", 100)), st("甲", "A", ("Y", 50)),
                                                 st("乙", "B", ("X", 100))))
    new = PackageData("1", "校", 2023, students=(st("甲", "A", ("X", 100), ("Y", 51)), st("丙", "C")))
    ch = package_changes(old, new)
    assert [s.id_number for s in ch.added] == ["C"] and [s.id_number for s in ch.removed] == ["B"]
    assert [(c.id_number, c.items) for c in ch.changed] == [("A", (("Y", 50, 51),))]
    assert package_changes(new, new).empty
    lines = change_lines(ch, {"Y": "书本费"})
    assert "书本费 0.50 → 0.51 元" in lines[-1] and "（-0.99 元）" in lines[0]


def test_view_unpacks_a_big_package_only_from_a_trusted_signer(station, schools, capsys, monkeypatch):
    """An intact package signed by an unknown key may be a zip bomb (its manifest says what it holds,
    whoever signed it): past the limit its data is not unpacked; a trusted signer's always is."""
    from db import receiving
    monkeypatch.setattr(receiving, "VIEW_UNTRUSTED_MAX", 1000)
    assert run(["--db", str(station.path), "consolidate", "view", str(schools.b.path)]) == 1
    out = capsys.readouterr().out
    assert "签名人未登记，且提交包解压后有" in out and "不显示其中的数据" in out and "学生" not in out.split("MB")[-1]
    assert run(["--db", str(station.path), "consolidate", "view", str(schools.d.path)]) == 0
    assert "合计 2400.00 元" in capsys.readouterr().out


def test_view_shows_a_draft_without_storing_it(station, schools, capsys):
    before = _content(station)
    assert run(["--db", str(station.path), "consolidate", "view", str(schools.d.path)]) == 0
    out = capsys.readouterr().out
    assert "核验通过" in out and "草稿（不能汇总）" in out and "合计 2400.00 元" in out
    assert "学生31" in out and "422822" in out and kid_id(31) not in out        # ID numbers masked
    assert _content(station) == before and len(_log(station)) == 0
    assert run(["--db", str(station.path), "consolidate", "view", str(schools.b.path)]) == 1
    assert "签名人未知" in capsys.readouterr().out


def test_a_package_of_a_later_school_year_is_not_sent_to_history(schools, tmp_path):
    """A 2023 package at a 2022 receiver: --history (earlier years only) would refuse it too; the
    reason says where it belongs, and that the school's year may be wrong."""
    d = open_database(receiver_db(tmp_path / "older.sqlite", year=2022))
    try:
        trust_store.register(d, trust_store.read_key_file(schools.a.key_file, schools.a.name))
        (o,) = intake(d, [schools.a.path]).outcomes
    finally:
        d.close()
    assert o.result == "refused"
    assert o.reason == ("提交包是2023–2024学年的，本汇总数据库汇总的是2022–2023学年。请在汇总2023–2024学年的数据库中接收"
                        "（不能用 --history：那只接收以前各学年的）；也可能是学校把学年设错了，请与学校核实。")
