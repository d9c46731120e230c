"""Issue 11's Done-when, end to end: school packages built by the program, consolidated at the
township station and then at the county bureau through the command line (init, trust add,
consolidate add / check / summary / export, key export), every figure to the fen.

Schools (all 2023–2024, 普通高中, fees in yuan: tuition / textbooks):
  A 龙坪乡中心小学   学生1 1000/200, 学生2 1000/200                      → 2400.00
  B 龙坪乡初级中学   学生二 (学生2's ID) 800.50/0, 学生3 1000/200        → 2000.50
  C 花坪镇中心小学   a genuine package with one byte of data.json changed (tampered)
  U 不明小学         a package whose key nobody registered (unknown key)
  R 高坪镇中学       first 学生41, 学生42 (2400.00), then 学生41's tuition 900, 学生42 gone,
                     学生43 added → 2300.00 (the newer package replaces the first)
  D 长梁乡中心小学   a draft
The station takes A, B, R (the first, then the newer one); the bureau had R's first package
straight from the school and then takes the station's package. Then the loop closes: the bureau
signs a 反馈包 for B, B imports it (its 核查问题 page shows the finding and its origin), corrects
and exports again, and the duplicate is gone at the station and at the bureau.
"""
from __future__ import annotations

import io
import json
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from types import SimpleNamespace

import pytest
from receiving_fixtures import (
    Kid,
    high_school_kid,
    kid_id,
    revise_school,
    school_package,
    stored_students,
    tampered,
    two_kid_school,
)

from cli.commands import run
from core.idnumber import mask_id

A, B, C, U, R, D = (f"42282204{n:02d}" for n in range(1, 7))
STATION, STATION_NAME = "ST4228", "龙坪乡扶贫工作站"
BUREAU, BUREAU_NAME = "JY4228", "建始县教育体育局"
STATION_PASS, BUREAU_PASS = "station-secret-1", "bureau-secret-1"

TOTAL = 240000 + 200050 + 230000


def cli(*argv) -> SimpleNamespace:
    """Run one command as ``main.py`` does; its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run([str(a) for a in argv])
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())


def ok(*argv) -> str:
    done = cli(*argv)
    assert done.code == 0, (argv, done.out, done.err)
    return done.out


def json_of(*argv) -> tuple[int, dict]:
    done = cli(*argv)
    return done.code, json.loads(done.out)


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    root = tmp_path_factory.mktemp("schools")
    twice = Kid("学生二", kid_id(2), tuition_fen=80050, textbook_fen=0, lodging_fen=0)
    c = two_kid_school(root, C, "花坪镇中心小学", township="花坪镇", first=21)
    r1 = two_kid_school(root, R, "高坪镇中学", township="高坪镇", first=41)
    return SimpleNamespace(
        a=two_kid_school(root, A, "龙坪乡中心小学", township="龙坪乡", first=1),
        b=school_package(root, code=B, name="龙坪乡初级中学", township="龙坪乡",
                         students=[twice, high_school_kid("学生3", 3)]),
        c=c, c_tampered=tampered(c, root / "C-tampered.zip"),
        u=two_kid_school(root, U, "不明小学", township="花坪镇", first=31),
        r1=r1,
        r2=revise_school(r1, root / "R-second.zip",
                         students=[replace(high_school_kid("学生41", 41), tuition_fen=90000),
                                   high_school_kid("学生43", 43)], remove=(kid_id(42),)),
        d=two_kid_school(root, D, "长梁乡中心小学", township="长梁乡", first=51, draft=True),
        root=root)


@pytest.fixture(scope="module")
def chain(schools, tmp_path_factory):
    """The whole chain through the command line; every step's output kept for the tests."""
    root = tmp_path_factory.mktemp("chain")
    st, bu = root / "station.sqlite", root / "bureau.sqlite"
    for pw, text in ((root / "station-pw.txt", STATION_PASS), (root / "bureau-pw.txt", BUREAU_PASS)):
        pw.write_text(text + "\n", encoding="utf-8")
    s = schools
    ok("--db", st, "init", "--school", STATION_NAME, "--code", STATION, "--school-year", "2023")
    for pkg in (s.a, s.b, s.c, s.r1, s.d):
        ok("--db", st, "trust", "add", pkg.key_file, "--school", pkg.name, "--township", pkg.township, "--yes")
    first = cli("--db", st, "consolidate", "add", s.a.path, s.b.path, s.c_tampered, s.u.path, s.r1.path, s.d.path)
    newer = cli("--db", st, "consolidate", "add", s.r2.path)
    station_check = json_of("--db", st, "consolidate", "check", "--json")
    station_summary = json_of("--db", st, "consolidate", "summary", "--json")
    package = root / "龙坪乡扶贫工作站-汇总包.zip"
    exported = ok("--db", st, "consolidate", "export", package, "--passphrase-file", root / "station-pw.txt")
    station_key = root / "station.pub"
    ok("--db", st, "key", "export", station_key)

    ok("--db", bu, "init", "--school", BUREAU_NAME, "--code", BUREAU, "--school-year", "2023")
    ok("--db", bu, "trust", "add", station_key, "--school", STATION_NAME, "--yes")
    for pkg in (s.a, s.b, s.r1):
        ok("--db", bu, "trust", "add", pkg.key_file, "--school", pkg.name, "--township", pkg.township, "--yes")
    direct = cli("--db", bu, "consolidate", "add", s.r1.path)              # R sent its first package to both
    via_station = cli("--db", bu, "consolidate", "add", package)
    bureau_check = json_of("--db", bu, "consolidate", "check", "--json")
    bureau_summary = json_of("--db", bu, "consolidate", "summary", "--json")
    return SimpleNamespace(station=st, bureau=bu, first=first, newer=newer, station_check=station_check,
                           station_summary=station_summary, package=package, exported=exported,
                           station_key=station_key, direct=direct, via_station=via_station,
                           bureau_check=bureau_check, bureau_summary=bureau_summary, root=root)


def _rows(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# -- at the station ------------------------------------------------------------------------

def test_the_station_refuses_exactly_the_tampered_the_unknown_and_the_draft_package(chain, schools):
    assert chain.first.code == 1
    out = chain.first.out
    assert "共 6 个文件：接收 3 个，已接收过 0 个，拒收 3 个；拒收的提交包没有导入任何数据" in out
    refused = dict(_rows(chain.station, "select file_name, reason from intake_log where result = 'refused'"))
    assert refused == {
        schools.c_tampered.name: "提交包已被改动或损坏：文件 data.json 已被改动：内容与清单记录的 SHA-256 校验值不一致。",
        schools.u.path.name: f"签名人未知：签名人公钥指纹 {schools.u.fingerprint} 不是本机数据库的签名密钥，"
                             "也不在信任列表中，无法确认提交包是哪所学校签发的。",
        schools.d.path.name: "这是草稿提交包，不能汇总（草稿可以用 consolidate view 查看）。"
                             "请学校核准全部学生后导出正式上报包。"}
    for name, reason in refused.items():
        assert f"拒收：{name}" in out and f"  原因：{reason}" in out
    # a refused package leaves no row: only A, B and R's two versions are stored
    assert _rows(chain.station, "select school_code, file_name, state from received_package "
                                "order by school_code, id") == [
        (A, schools.a.path.name, "current"), (B, schools.b.path.name, "current"),
        (R, schools.r1.path.name, "replaced"), (R, schools.r2.path.name, "current")]


def test_the_newer_package_replaces_the_first_which_stays_in_history_with_the_change(chain, schools):
    assert chain.newer.code == 0
    out = chain.newer.out
    assert f"替换了此前接收的 {schools.r1.path.name}（保留在历史中）" in out
    assert "新增 1 人，移除 1 人，金额变动 1 人；合计 2400.00 元 → 2300.00 元（-100.00 元）" in out
    assert sorted(st.name for _, name, st in stored_students(chain.station) if name == schools.r2.path.name) == [
        "学生41", "学生43"]


def test_the_station_totals_are_exact_to_the_fen(chain):
    code, js = chain.station_summary
    assert code == 0
    t = js["totals"]
    assert t["total"] == "6700.50" and TOTAL == 670050
    assert t["by_item"]["HS_TUITION"] == "5700.50" and t["by_item"]["HS_TEXTBOOK"] == "1000.00"
    assert t["by_source"] == {"city": "3350.25", "county": "3350.25"}
    assert (t["schools"], t["students"], t["students_granted"]) == (3, 6, 6)
    assert {r["school_code"]: r["total"] for r in js["by_school"]} == {A: "2400.00", B: "2000.50", R: "2300.00"}
    assert {r["township"]: r["total"] for r in js["by_township"]} == {"龙坪乡": "4400.50", "高坪镇": "2300.00"}
    assert js["duplicates"] == {"ids": 1, "entries": 2, "amount": "2000.50"}


def test_the_duplicate_names_both_schools_and_both_amounts(chain):
    code, js = chain.station_check
    assert code == 1 and js["counts"]["error"] == 2 and js["counts"]["warning"] == 0
    dup = {f["school_code"]: f for f in js["flags"]}
    assert {f["code"] for f in js["flags"]} == {"DUPLICATE_ACROSS_SCHOOLS"} and set(dup) == {A, B}
    assert (dup[A]["amount"], dup[A]["others"][0]["school_code"], dup[A]["others"][0]["amount"]) == (
        "1200.00", B, "800.50")
    assert (dup[B]["amount"], dup[B]["others"][0]["school_code"], dup[B]["others"][0]["amount"]) == (
        "800.50", A, "1200.00")
    masked = mask_id(kid_id(2))
    assert dup[A]["message"] == (f"学生2（{masked}）由本校资助 1200.00 元，同时又由龙坪乡初级中学（800.50 元）资助；"
                                 "同一学生只能在一所学校享受资助")
    assert dup[B]["message"] == (f"学生二（{masked}）由本校资助 800.50 元，同时又由龙坪乡中心小学（1200.00 元）资助；"
                                 "同一学生只能在一所学校享受资助")


def test_the_station_package_is_signed_and_carries_the_three_current_packages(chain, schools):
    assert f"已导出汇总包：{chain.package}（3 所学校，资助金额合计 6700.50 元）" in chain.exported
    assert "汇总包中列出跨校核查问题 2 条（其中错误 2 条）" in chain.exported
    from core.exports.consolidated import inner_files
    assert sorted(f.file_name for f in inner_files(chain.package)) == sorted(
        p.path.name for p in (schools.a, schools.b, schools.r2))


# -- at the bureau -------------------------------------------------------------------------

def test_the_bureau_takes_each_school_inside_with_its_own_key_and_the_newer_r_replaces_the_direct_one(
        chain, schools):
    assert chain.direct.code == 0 and chain.via_station.code == 0
    out = chain.via_station.out
    assert (f"汇总包 {chain.package.name}：{STATION_NAME}（代码 {STATION}）的签名核验通过；"
            "其中 3 个学校提交包逐个用各校的公钥核验：") in out
    assert f"替换了此前接收的 {schools.r1.path.name}（保留在历史中）" in out
    assert _rows(chain.bureau, "select school_code, file_name, via, state from received_package order by id") == [
        (R, schools.r1.path.name, "", "replaced"), (A, schools.a.path.name, STATION, "current"),
        (B, schools.b.path.name, STATION, "current"), (R, schools.r2.path.name, STATION, "current")]


def test_the_bureau_totals_equal_the_station_totals_to_the_fen(chain):
    code, js = chain.bureau_summary
    assert code == 0
    assert js == chain.station_summary[1]        # every figure: totals, schools, townships, stages, budget


def test_the_cross_school_findings_reappear_at_the_bureau(chain):
    code, js = chain.bureau_check
    assert code == 1
    assert js["flags"] == chain.station_check[1]["flags"]
    assert js["counts"] == chain.station_check[1]["counts"]


# -- back to the school: the feedback round trip ---------------------------------------------

@pytest.fixture(scope="module")
def feedback(chain, schools):
    """The bureau signs a 反馈包 for B (the school with the duplicate); B registers the bureau's
    key and imports it — all on the command line."""
    root = chain.root
    package, key = root / "B-反馈包.zip", root / "bureau.pub"
    sent = ok("--db", chain.bureau, "consolidate", "feedback", "--school", B, package,
              "--passphrase-file", root / "bureau-pw.txt")
    ok("--db", chain.bureau, "key", "export", key)
    ok("--db", schools.b.db_path, "trust", "add", key, "--school", BUREAU_NAME, "--yes")
    imported = ok("--db", schools.b.db_path, "import", "feedback", package)
    return SimpleNamespace(sent=sent, imported=imported, package=package)


def test_the_bureau_feedback_reaches_the_school_on_the_command_line(feedback):
    assert "问题 1 个（错误 1，警告 0，提示 0）" in feedback.sent
    assert "新问题 1 个" in feedback.imported and f"来自：{BUREAU_NAME} 汇总核查" in feedback.imported
    assert kid_id(2) not in feedback.imported and mask_id(kid_id(2)) in feedback.imported


def test_the_finding_is_on_the_schools_findings_page_with_its_origin(feedback, schools, qtbot, shown):
    """B's own database in the real main window: 核查问题 lists the bureau's finding, its origin
    in the 来源 column and the tooltip, both schools and both amounts in the detail pane."""
    from conftest import open_main_window
    from PySide6.QtCore import QItemSelectionModel, Qt

    from db.session import open_database
    from gui.main_window import FINDINGS
    d = open_database(schools.b.db_path)
    try:
        win = open_main_window(qtbot, d, FINDINGS)
        assert win.receiving_item.isHidden()          # the bureau's key registered: still a school, no 汇总
        page = win.findings
        model = page.model
        (row,) = [r for r in model.rows() if r.origin]
        assert (row.code, row.id_number, row.name) == ("DUPLICATE_ACROSS_SCHOOLS", kid_id(2), "学生二")
        n = model.rows().index(row)
        headers = {model.headerData(c, Qt.Orientation.Horizontal): c for c in range(model.columnCount())}
        origin = model.index(n, headers["来源"])
        assert model.data(origin) == "汇总核查"
        assert f"来自：{BUREAU_NAME} 汇总核查" in model.data(origin, Qt.ItemDataRole.ToolTipRole)
        page.view.clearSelection()
        for r in range(page.proxy.rowCount()):
            if page.source_row(page.proxy.index(r, 0)).origin:
                page.view.selectionModel().select(page.proxy.index(r, 0), QItemSelectionModel.SelectionFlag.Select
                                                  | QItemSelectionModel.SelectionFlag.Rows)
        text = page.detail.toPlainText()
        assert f"来自：{BUREAU_NAME} 汇总核查" in text and "800.50 元" in text
        assert f"龙坪乡中心小学（代码 {A}），姓名 学生2：1200.00 元" in text
        assert shown == []
    finally:
        d.close()


def test_the_school_corrects_and_the_duplicate_is_gone_at_the_station_and_the_bureau(feedback, chain, schools):
    """再修正, closing the loop: B takes 学生二 (studying at A) off its list, marks the bureau's finding
    fixed and exports again; the station replaces B's package and passes it on; the bureau's
    cross-check finds nothing and its totals lose exactly B's 800.50. (Runs last: it changes the
    station's and the bureau's databases the tests above read.)"""
    root, school = chain.root, schools.b.db_path
    pw = root / "school-pw.txt"
    pw.write_text("school-secret-1\n", encoding="utf-8")
    ok("--db", school, "remove-student", kid_id(2), "--reason", "在龙坪乡中心小学就读，本校不再资助")
    ok("--db", school, "mark-fixed", "DUPLICATE_ACROSS_SCHOOLS", kid_id(2), "--note", "已移出名单（在龙坪乡中心小学就读）")
    corrected = root / "B-corrected.zip"
    ok("--db", school, "export", corrected, "--passphrase-file", pw)
    out = ok("--db", chain.station, "consolidate", "add", corrected)
    assert "移除 1 人" in out and "合计 2000.50 元 → 1200.00 元（-800.50 元）" in out
    assert cli("--db", chain.station, "consolidate", "check").code == 0
    second = root / "龙坪乡扶贫工作站-汇总包-2.zip"
    ok("--db", chain.station, "consolidate", "export", second, "--passphrase-file", root / "station-pw.txt")
    out = ok("--db", chain.bureau, "consolidate", "add", second)
    assert out.count("已接收过：") == 2 and f"替换了此前接收的 {schools.b.path.name}" in out
    code, js = json_of("--db", chain.bureau, "consolidate", "check", "--json")
    assert code == 0 and js["flags"] == []
    code, js = json_of("--db", chain.bureau, "consolidate", "summary", "--json")
    assert js["totals"]["total"] == "5900.00" and TOTAL - 80050 == 590000
    assert {r["school_code"]: r["total"] for r in js["by_school"]} == {A: "2400.00", B: "1200.00", R: "2300.00"}
    assert js["duplicates"]["ids"] == 0
