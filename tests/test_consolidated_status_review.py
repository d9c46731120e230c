# ruff: noqa: F811 - the fixtures imported from another test module are the test functions' arguments
"""The signed 汇总包 states the 报送情况 of the expected schools (consolidate schools): how many
were expected, how many the totals hold, and by name the schools 缺报 (nothing in the totals)
and 迟报 (in them, after the deadline) — in data.json (the optional field ``reporting``), on
report.pdf's cover and in its 一、总体情况, in summary.xlsx (sheet 报送情况) — and the export's
message (CLI and GUI) warns when schools are missing. Without a list nothing new is said.
A bureau takes in a station's package with the field and one without it (an older program's)."""
from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import xlsx
from openpyxl import load_workbook
from pdftext import pdf_text
from receiving_fixtures import STATION_PASSPHRASE, receiver_db, two_kid_school
from test_gui_receiving import drop, page, schools, station  # noqa: F401 - fixtures

from cli.commands import run
from db import trust_store
from db.receiving import intake
from db.session import open_database

A, B, C, D = "4228220401", "4228220402", "4228220403", "4228220404"
NAMES = {A: "建始县第一中学", B: "建始县第二中学", C: "建始县职业高中", D: "建始县民族中学"}
TOWNS = {A: "业州镇", B: "花坪镇", C: "业州镇", D: "高坪镇"}
HEADER = ["学校代码", "学校名称", "乡镇", "学段"]
DEADLINE = date.today() - timedelta(days=1)       # A came before it, B and D after; C sent nothing
WARNING = f"注意：应报 4 所，缺报 1 所（{NAMES[C]}），汇总数据不完整"


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """A, B and D's packages (two students, 2400.00 each); C never sends one."""
    root = tmp_path_factory.mktemp("sent")
    return {code: two_kid_school(root, code, NAMES[code], township=TOWNS[code], first=first)
            for code, first in ((A, 1), (B, 11), (D, 21))}


@pytest.fixture
def on_deadline(monkeypatch):
    """The 核准信息数据 phase ends yesterday (whatever day the suite runs)."""
    from db import receiving_status
    monkeypatch.setattr(receiving_status, "deadline", lambda session, year: DEADLINE)


def _station(folder: Path, sent, *, listed: tuple[str, ...] | None = (A, B, C, D), name: str = "station.sqlite"):
    """A station that took in A, B and D (A's receipt moved before the deadline) and, unless
    ``listed`` is None, imported the list of those expected schools."""
    from db.receiving_status import import_expected_schools
    d = open_database(receiver_db(folder / name))
    for pkg in sent.values():
        trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
    assert intake(d, [p.path for p in sent.values()]).count("accepted") == 3
    if listed is not None:
        rows = [[code, NAMES[code], TOWNS[code], "普通高中"] for code in listed]
        import_expected_schools(d, xlsx(folder / f"{name}-list.xlsx", HEADER, *rows))
    con = sqlite3.connect(d.path)
    con.execute("update received_package set received_at = ? where school_code = ?",
                (f"{DEADLINE - timedelta(days=10):%Y-%m-%d} 09:00:00.000000", A))
    con.commit()
    con.close()
    return d


def _members(path: Path) -> SimpleNamespace:
    with zipfile.ZipFile(path) as zf:
        data = json.loads(zf.read("data.json"))
        (path.parent / "report.pdf").write_bytes(zf.read("report.pdf"))
        (path.parent / "summary.xlsx").write_bytes(zf.read("summary.xlsx"))
    return SimpleNamespace(data=data, report=pdf_text(path.parent / "report.pdf"),
                           cover=pdf_text(path.parent / "report.pdf", 1),
                           workbook=load_workbook(path.parent / "summary.xlsx"))


def test_the_package_states_the_missing_and_late_schools_everywhere(sent, on_deadline, tmp_path, capsys):
    from db.consolidation import export_consolidated
    d = _station(tmp_path, sent)
    (tmp_path / "out").mkdir()
    try:
        result = export_consolidated(d, tmp_path / "out" / "汇总包.zip", STATION_PASSPHRASE)
        assert run(["--db", str(d.path), "consolidate", "export", str(tmp_path / "cli" / "汇总包.zip"),
                    "--passphrase-file", str(_passphrase_file(tmp_path))]) == 0
    finally:
        d.close()
    # the result the CLI and the GUI word
    assert result.packages == 3 and result.warnings[0] == WARNING
    assert WARNING in capsys.readouterr().out
    # data.json
    got = _members(result.path)
    rep = got.data["reporting"]
    assert (rep["expected"], rep["received"], rep["deadline"]) == (4, 3, DEADLINE.isoformat())
    assert rep["missing"] == [{"code": C, "name": NAMES[C], "township": TOWNS[C], "note": "逾期未报"}]
    assert [(r["code"], r["name"], r["township"]) for r in rep["late"]] == [(B, NAMES[B], TOWNS[B]),
                                                                           (D, NAMES[D], TOWNS[D])]
    assert rep["late"][0]["received_at"] == f"{date.today():%Y-%m-%d}" and rep["unlisted"] == []
    assert got.data["totals"]["total"] == 720000                      # the totals: integer fen, the 3 received
    # report.pdf: the cover, then 一、总体情况 with the 报送情况 before 二、按乡镇
    text = got.report.replace("\r", "").replace("\n", "")
    assert "报送情况" in got.cover and "应报 4 所、已报 3 所，缺报 1 所、迟报 2 所" in got.cover
    assert "本次汇总 3 所学校的提交包（应报 4 所，缺报 1 所，汇总数据不完整" in text
    assert f"应报 4 所、已报 3 所；缺报 1 所：{NAMES[C]}；迟报 2 所：{NAMES[B]}、{NAMES[D]}。" in text
    assert text.index("报送情况") < text.index("二、按乡镇") and f"缺报 {C} {NAMES[C]} {TOWNS[C]} 逾期未报" in text
    assert "汇总数据不完整" in text.split("二、按乡镇")[0]
    # summary.xlsx: the sheet 报送情况 first, the note under the schools' totals
    wb = got.workbook
    assert wb.sheetnames[0] == "报送情况"
    rows = [[c for c in r] for r in wb["报送情况"].iter_rows(values_only=True)]
    counts = {r[0]: r[1] for r in rows if r[0] and r[1] is not None}
    assert (counts["应报学校（所）"], counts["已报学校（所）"], counts["缺报学校（所）"], counts["迟报学校（所）"]) == (4, 3, 1, 2)
    assert ["缺报", C, NAMES[C], TOWNS[C], "逾期未报"] in rows
    assert [r[:3] for r in rows if r[0] == "迟报"] == [["迟报", B, NAMES[B]], ["迟报", D, NAMES[D]]]
    notes = [r[0] for r in wb["按学校"].iter_rows(values_only=True) if r[0] and str(r[0]).startswith("注：")]
    assert any("缺报的 1 所学校没有数据" in n and "汇总数据不完整" in n for n in notes)


def _passphrase_file(folder: Path) -> Path:
    path = folder / "pass.txt"
    path.write_text(STATION_PASSPHRASE + "\n", encoding="utf-8")
    (folder / "cli").mkdir(exist_ok=True)
    return path


def test_every_expected_school_reported_is_stated_without_a_warning(sent, on_deadline, tmp_path):
    from db.consolidation import export_consolidated
    d = _station(tmp_path, sent, listed=(A, B, D))
    try:
        result = export_consolidated(d, tmp_path / "汇总包.zip", STATION_PASSPHRASE)
    finally:
        d.close()
    assert not any("缺报" in w for w in result.warnings)
    got = _members(result.path)
    assert (got.data["reporting"]["expected"], got.data["reporting"]["received"]) == (3, 3)
    assert got.data["reporting"]["missing"] == []
    assert "应报 3 所、已报 3 所；缺报：无；迟报 2 所" in got.report.replace("\r", "").replace("\n", "")
    assert "汇总数据不完整" not in got.report.replace("\r", "").replace("\n", "")


def test_without_a_list_of_expected_schools_nothing_new_is_said(sent, on_deadline, tmp_path, capsys):
    from db.consolidation import export_consolidated
    d = _station(tmp_path, sent, listed=None)
    try:
        result = export_consolidated(d, tmp_path / "汇总包.zip", STATION_PASSPHRASE)
    finally:
        d.close()
    assert result.warnings == [] and result.reporting is None
    got = _members(result.path)
    assert "reporting" not in got.data
    assert "报送情况" not in got.report and "应报" not in got.report
    assert "报送情况" not in got.workbook.sheetnames and got.workbook.sheetnames[0] == "按学校"


def _without_field(station_zip: Path, station_db: Path, out: Path) -> Path:
    """The station's package as an older program wrote it: data.json without ``reporting``,
    signed again with the station's own key."""
    from core.package import RESERVED, write_package
    from db.keys import ensure_key
    with zipfile.ZipFile(station_zip) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n not in RESERVED}
        meta = json.loads(zf.read("manifest.json"))
    data = json.loads(files["data.json"])
    del data["reporting"]
    files["data.json"] = (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")
    for key in ("format_version", "files"):
        meta.pop(key)
    d = open_database(station_db)
    try:
        with d.session() as s:
            private, public_raw = ensure_key(s, STATION_PASSPHRASE)
    finally:
        d.close()
    return write_package(out, files, meta, private, public_raw)


def test_a_bureau_takes_in_a_station_package_with_and_without_the_field(sent, on_deadline, tmp_path, capsys):
    from core.consolidate.reporting import reporting_of
    from core.exports.consolidated import inner_packages, reporting_in
    from core.package_data import parse_package_data
    from db.consolidation import export_consolidated
    from db.keys import export_public_key
    d = _station(tmp_path, sent)
    try:
        new = export_consolidated(d, tmp_path / "new.zip", STATION_PASSPHRASE).path
        key = export_public_key(d, tmp_path / "station-key.txt")
    finally:
        d.close()
    old = _without_field(new, d.path, tmp_path / "old.zip")
    for path, stated in ((new, True), (old, False)):
        with zipfile.ZipFile(path) as zf:
            raw = zf.read("data.json")
        assert parse_package_data(raw).kind == "consolidated" and len(inner_packages(path)) == 3
        assert (reporting_of(json.loads(raw)) is not None) is stated
        assert (reporting_in(path) is not None) is stated
        bureau = open_database(receiver_db(tmp_path / f"bureau-{path.stem}.sqlite", name="建始县教育体育局",
                                           code="JY4228"))
        try:
            trust_store.register(bureau, trust_store.read_key_file(key.path, "龙坪乡扶贫工作站"))
            for pkg in sent.values():
                trust_store.register(bureau, trust_store.read_key_file(pkg.key_file, pkg.name))
            report = intake(bureau, [path])
            assert [o.result for o in report.outcomes] == ["accepted"] * 3, [o.reason for o in report.outcomes]
            capsys.readouterr()
            assert run(["--db", str(bureau.path), "consolidate", "view", str(path)]) == 0
            out = capsys.readouterr().out
        finally:
            bureau.close()
        if stated:
            assert f"报送情况（报送单位自报）：应报 4 所、已报 3 所；缺报 1 所：{NAMES[C]}" in out
        else:
            assert "报送情况：汇总包中没有写明" in out


def test_the_report_lists_many_missing_schools_with_long_names_uncut(tmp_path):
    """Forty schools missing: all in the table; the one-line warning names ten and counts the rest."""
    from test_consolidated_export import _three, consolidation

    from core.consolidate.reporting import Reporting, SchoolRef
    from core.exports.consolidated_report import write_consolidated_report
    missing = tuple(SchoolRef(f"42282205{i:02d}", f"建始县某某乡镇第{i}中心小学附属幼儿园教学点", "官店镇", "逾期未报")
                    for i in range(40))
    c = consolidation(list(_three()))
    c.reporting = Reporting(45, 5, missing, (), (SchoolRef("X1", "名单外小学", "", "不在应报学校名单中"),), "2024-05-10")
    assert write_consolidated_report(tmp_path / "r.pdf", c) == []
    text = pdf_text(tmp_path / "r.pdf").replace("\r", "").replace("\n", "")
    assert all(f"42282205{i:02d}" in text for i in range(40)) and "名单外小学" in text
    assert "缺报的 40 所学校没有数据" in text
    warning = c.reporting.warning()
    assert warning.startswith("注意：应报 45 所，缺报 40 所（") and warning.endswith("等 40 所），汇总数据不完整")
    assert warning.count("教学点") == 10


@pytest.fixture
def exporting(page, monkeypatch, tmp_path):
    page.done = []
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(page, "ask_save", lambda title, name, filters: tmp_path / "out" / name)
    monkeypatch.setattr(page, "ask_passphrase", lambda first: STATION_PASSPHRASE)
    monkeypatch.setattr(page, "show_done", lambda title, text: page.done.append(text))
    return page


def test_the_gui_warns_after_the_export_when_schools_are_missing(exporting, station, schools, qtbot):
    from db.receiving_models import ExpectedSchool
    a, b, *_ = schools
    with station.session() as s:
        for code, name in ((a.code, a.name), (b.code, b.name), ("4228220109", "花坪小学")):
            s.add(ExpectedSchool(code=code, name=name, township="花坪镇", level="小学"))
    drop(qtbot, exporting, [a.path, b.path])
    exporting.export_button.click()
    [text] = exporting.done
    assert "注意：应报 3 所，缺报 1 所（花坪小学），汇总数据不完整" in text
    assert text.count("注意：应报") == 1                  # said once, not again among the report's notes


def test_the_gui_says_nothing_new_without_a_list(exporting, schools, qtbot):
    a, *_ = schools
    drop(qtbot, exporting, [a.path])
    exporting.export_button.click()
    [text] = exporting.done
    assert "应报" not in text and "缺报" not in text
