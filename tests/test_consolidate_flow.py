"""Consolidation at a station on packages the program built: cross-checks, summaries and the signed
consolidated package (consolidate check / summary / export), to the fen."""
from __future__ import annotations

import json
import zipfile
from datetime import date
from types import SimpleNamespace

import pytest
from receiving_fixtures import Kid, high_school_kid, kid_id, receiver_db, school_package

from cli.commands import run
from core.exports.consolidated import inner_packages
from core.idnumber import mask_id
from core.package import verify_package
from core.package_data import parse_package_data
from core.records import ParsedRow
from db import trust_store
from db.consolidation import consolidation
from db.importing import apply_plan, plan_import
from db.keys import own_signer
from db.receiving import intake
from db.session import open_database

A, B, OLD, D = "4228220201", "4228220202", "4228220203", "4228220204"
STUDENT_BORN = date(2003, 9, 1)       # a 本科 student


def _loan_kid(name: str) -> Kid:
    """A registered 本科 student with a student-origin loan: 本科生资助 3000.00 (county) +
    生源地助学贷款一次性就学扶助 2022.00 (city) = 5022.00."""
    return Kid(name, kid_id(900, STUDENT_BORN), stage="本科",
               extra={"has_loan": True, "loan_contract_no": "HT2022-001"})


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    """A: 学生1, 学生2 (1200.00 each). B: 学生2 again with 800.50 of tuition, 学生3 (1200.00).
    OLD (2022): the loan student. D (2023): the loan student again. Every package final."""
    root = tmp_path_factory.mktemp("schools")
    twice = Kid("学生二", kid_id(2), tuition_fen=80050, textbook_fen=0, lodging_fen=0)
    return SimpleNamespace(
        a=school_package(root, code=A, name="龙坪乡中心小学", township="龙坪乡",
                         students=[high_school_kid("学生1", 1), high_school_kid("学生2", 2)]),
        b=school_package(root, code=B, name="龙坪乡初级中学", township="龙坪乡",
                         students=[twice, high_school_kid("学生3", 3)]),
        old=school_package(root, code=OLD, name="往年学校", township="高坪镇", year=2022,
                           students=[_loan_kid("贷款生")]),
        d=school_package(root, code=D, name="高坪镇中学", township="高坪镇", students=[_loan_kid("贷款生")]))


@pytest.fixture
def station(tmp_path, schools):
    """A station trusting the four schools, with the four packages (OLD as history) and a roster
    holding one pupil in school whom no package lists."""
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    try:
        for pkg in (schools.a, schools.b, schools.old, schools.d):
            trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
        assert intake(d, [schools.old.path], history=True).count("accepted") == 1
        assert intake(d, [schools.a.path, schools.b.path, schools.d.path]).count("accepted") == 3
        with d.session() as s:
            people = [{"name": "王五", "id_number": kid_id(77), "schooling_status": "普通高中二年级",
                       "school_name": "恩施市第一中学"},
                      {"name": "学生1", "id_number": kid_id(1), "schooling_status": "普通高中一年级"},
                      {"name": "户主", "id_number": kid_id(78, date(1980, 1, 1)), "schooling_status": "非在校生"}]
            apply_plan(s, plan_import(s, "roster", [ParsedRow(i, p) for i, p in enumerate(people)], [],
                                      ["name", "id_number", "schooling_status", "school_name"]))
        yield d
    finally:
        d.close()


def test_station_findings_name_the_duplicate_the_repeated_once_only_item_and_the_missing_pupil(station):
    done = consolidation(station)
    assert len(done.packages) == 3 and done.history == 1
    by_code: dict[str, list] = {}
    for f in done.findings:
        by_code.setdefault(f.code, []).append(f)
    assert sorted(by_code) == ["DUPLICATE_ACROSS_SCHOOLS", "ONCE_ONLY_REPEATED", "ROSTER_NOT_ENROLLED"]
    dup = {f.school_code: f for f in by_code["DUPLICATE_ACROSS_SCHOOLS"]}
    assert dup[A].amount_fen == 120000 and dup[B].amount_fen == 80050
    assert "龙坪乡初级中学（800.50 元）" in dup[A].message and "龙坪乡中心小学（1200.00 元）" in dup[B].message
    assert dup[A].id_number == kid_id(2) and mask_id(kid_id(2)) in dup[A].message
    (once,) = by_code["ONCE_ONLY_REPEATED"]
    assert (once.school_code, once.item, once.amount_fen) == (D, "LOAN_AID", 202200)
    assert "2022–2023学年由往年学校发放 2022.00 元" in once.message
    (missing,) = by_code["ROSTER_NOT_ENROLLED"]
    assert missing.id_number == kid_id(77) and "外地就学普高资助" in missing.message
    assert not by_code.get("TOTALS_MISMATCH")          # packages made by the program add up


def test_station_summary_is_exact_to_the_fen(station):
    s = consolidation(station).summary
    a, b, d = 240000, 80050 + 120000, 300000 + 202200
    assert (s.totals.total, s.totals.schools, s.totals.students, s.totals.students_granted) == (a + b + d, 3, 5, 5)
    assert s.totals.by_item["HS_TUITION"] == 100000 * 3 + 80050
    assert s.totals.by_item["HS_TEXTBOOK"] == 20000 * 3
    assert s.totals.by_item["LOAN_AID"] == 202200 and s.totals.by_item["HIGHER_GRANT"] == 300000
    assert s.totals.by_source == {"city": 120000 + 40025 + 60000 + 202200, "county": 120000 + 40025 + 60000 + 300000}
    assert (s.duplicates.ids, s.duplicates.amount_fen) == (1, 120000 + 80050)
    towns = {t.township: t.figures for t in s.by_township}
    assert towns["龙坪乡"].total == a + b and towns["龙坪乡"].duplicate_ids == 1     # one person, in both
    assert towns["高坪镇"].total == d and towns["高坪镇"].schools == 1      # the 2022 package is history only
    budget = {r.code: r for r in s.budget}
    assert (budget["LOAN_AID"].total.students, budget["LOAN_AID"].by_source["city"].amount_fen) == (1, 202200)
    assert s.budget[-1].total.amount_fen == s.totals.total


def test_consolidate_check_and_summary_commands(station, capsys):
    assert run(["--db", str(station.path), "consolidate", "check", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["error"] == 3 and out["counts"]["warning"] == 1 and out["counts"]["packages"] == 3
    flag = next(f for f in out["flags"] if f["code"] == "DUPLICATE_ACROSS_SCHOOLS" and f["school_code"] == A)
    assert flag["school_name"] == "龙坪乡中心小学" and flag["amount"] == "1200.00"
    assert flag["others"][0]["amount"] == "800.50" and flag["id_number"] == kid_id(2)
    assert run(["--db", str(station.path), "consolidate", "check"]) == 1
    text = capsys.readouterr().out
    assert "[错误] 同一学生在多所学校享受资助 龙坪乡中心小学" in text and kid_id(2) not in text

    assert run(["--db", str(station.path), "consolidate", "summary", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["totals"]["total"] == "9422.50" and js["totals"]["by_source"] == {"city": "4222.25",
                                                                                "county": "5200.25"}
    assert js["duplicates"] == {"ids": 1, "entries": 2, "amount": "2000.50"}
    assert {r["school_code"]: r["total"] for r in js["by_school"]} == {A: "2400.00", B: "2000.50", D: "5022.00"}
    assert [r["township"] for r in js["by_township"]] == ["高坪镇", "龙坪乡"]          # in pinyin order
    assert {r["stage"]: r["total"] for r in js["by_stage"]} == {"普通高中": "4400.50", "本科": "5022.00"}
    assert js["budget"][-1]["name"] == "合计" and js["budget"][-1]["amount"] == "9422.50"
    assert run(["--db", str(station.path), "consolidate", "summary"]) == 0
    text = capsys.readouterr().out
    assert "资助金额合计 9422.50 元" in text and "其中含重复受助 1 人" in text and "资助资金预算表" in text


def test_consolidated_package_is_signed_by_the_station_and_carries_each_school_package_verbatim(
        station, schools, tmp_path, capsys):
    pw = tmp_path / "pw.txt"
    pw.write_text("station-secret-1\n", encoding="utf-8")
    target = tmp_path / "汇总包.zip"
    assert run(["--db", str(station.path), "consolidate", "export", str(target), "--passphrase-file", str(pw)]) == 0
    assert "3 所学校" in capsys.readouterr().out
    with station.session() as s:
        signer = own_signer(s)
    result = verify_package(target, [signer])
    assert result.ok and result.manifest["kind"] == "consolidated" and result.manifest["totals"]["total"] == "9422.50"
    inner = inner_packages(target)
    originals = {p.path.read_bytes(): p for p in (schools.a, schools.b, schools.d)}
    assert sorted(originals) == sorted(data for _name, data in inner)       # verbatim, the 2022 one not among them
    for name, data in inner:                                                 # each still checkable with its key
        school = originals[data]
        (tmp_path / name).write_bytes(data)
        assert verify_package(tmp_path / name, [trust_store.read_key_file(school.key_file, school.name).signer]).ok
    with zipfile.ZipFile(target) as zf:
        data = parse_package_data(zf.read("data.json"))
        assert {"summary.xlsx", "report.pdf", "data.json"} <= set(zf.namelist())
    assert (data.kind, data.school_code, data.totals.total) == ("consolidated", "ST4228", 942250)
    assert len(data.findings) == 4


def test_export_with_nothing_received_is_refused(tmp_path, capsys):
    d = open_database(receiver_db(tmp_path / "empty.sqlite"))
    d.close()
    pw = tmp_path / "pw.txt"
    pw.write_text("station-secret-1\n", encoding="utf-8")
    target = tmp_path / "out.zip"
    assert run(["--db", str(d.path), "consolidate", "export", str(target), "--passphrase-file", str(pw)]) == 2
    assert "还没有接收任何上报包" in capsys.readouterr().err and not target.exists()
