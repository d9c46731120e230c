"""The consolidated package's writers (core.exports.consolidated, consolidated_report): workbook,
report, data.json of kind "consolidated", inner packages verbatim and signed like a school package."""
from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook
from pdftext import pdf_text
from test_consolidate import half, package, pid, student

from core.checks.base import RosterFacts
from core.consolidate import cross_check, summarise
from core.domain import Stage
from core.errors import ValidationError
from core.exports.consolidated import (
    SHEETS,
    Consolidation,
    InnerPackage,
    data_member,
    inner_packages,
    write_consolidated_workbook,
)
from core.exports.consolidated_report import write_consolidated_report
from core.exports.data import SchoolInfo
from core.idnumber import mask_id
from core.package_data import PackageData, parse_package_data


def _inner(p: PackageData, n: int) -> InnerPackage:
    return InnerPackage(f"{n:02d}" * 32, f"{p.school_code}.zip", "2024-06-01T10:00:00", "", p.school_code,
                        p.school_name, p.township, p.school_year, "2024-05-30T10:00:00", p.totals.total)


def consolidation(packages, roster=()) -> Consolidation:
    found = cross_check(packages, roster=roster, outside_items=[("外地就学普高资助", frozenset({Stage.HIGH_SCHOOL}))])
    return Consolidation(SchoolInfo("龙坪乡扶贫工作站", "ST4228", 2023, "龙坪乡"),
                         [_inner(p, i) for i, p in enumerate(packages)], summarise(packages), found,
                         county="建始县", policy_name="建始县教育扶贫“百日攻坚”资助政策",
                         generated_at=datetime(2024, 6, 5, 9, 30), generated_by="张会计",
                         signer_fingerprint="ABCD EFGH")


def _three():
    a = package("A1", "=HYPERLINK(\"x\")中心小学", student(1, half("HS_TUITION", 100000), half("HS_TEXTBOOK", 20000)),
                student(2, half("HS_TUITION", 100001)))
    b = package("B1", "红岩寺镇中学", student(1, half("HS_TUITION", 80050)), township="红岩寺镇")
    return a, b


def test_workbook_sheets_hold_the_summaries_to_the_fen_and_no_formula(tmp_path):
    a, b = _three()
    c = consolidation([a, b], roster=[RosterFacts(1, "王五", pid(30), "", "小学三年级")])
    path = write_consolidated_workbook(tmp_path / "s.xlsx", c)
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    ws = wb["按学校"]
    rows = [[cell.value for cell in r] for r in ws.iter_rows(min_row=3)]
    school = next(r for r in rows if r[1] == "A1")
    assert school[2] == "=HYPERLINK(\"x\")中心小学"
    assert ws.cell(row=3, column=3).data_type == "s"                  # text, never a formula
    total = next(r for r in rows if r[0] == "合计")
    assert str(total[6]) == "3000.51"                                 # 2200.01 + 800.50, Decimal yuan
    assert any("重复受助的学生" in str(r[0]) for r in rows)             # duplicates inside the totals, said
    budget = [[cell.value for cell in r] for r in wb["预算表"].iter_rows(min_row=3)]
    assert [str(x) for x in budget[0][:5]] == ["免学费", "3", "2800.51", "3", "1400.26"]
    assert budget[-2][0] == "合计" and str(budget[-2][2]) == "3000.51"
    findings = [[cell.value for cell in r] for r in wb["跨校核查问题"].iter_rows(min_row=3)]
    assert [r[2] for r in findings] == ["同一学生在多所学校享受资助"] * 2 + ["建档立卡在校生不在任何学校的名单中"]
    assert findings[0][6] == mask_id(pid(1))                          # lists mask ID numbers
    assert not any(pid(1) in str(v) for r in findings for v in r)


def test_report_pdf_has_the_totals_findings_and_signature_lines(tmp_path):
    a, b = _three()
    c = consolidation([a, b])
    assert write_consolidated_report(tmp_path / "r.pdf", c) == []
    text = pdf_text(tmp_path / "r.pdf")
    for expected in ("教育资助汇总报告", "龙坪乡扶贫工作站", "2023–2024学年", "资助金额合计 3000.51 元",
                     "市级 1500.26 元", "其中含 1 名在多所学校重复受助的学生", "资助资金预算表", "制表人",
                     "审核人", "负责人", "单位盖章", "ABCD EFGH", mask_id(pid(1))):
        assert expected in text.replace("\r", "").replace("\n", ""), expected
    assert pid(1) not in text


def test_data_member_is_a_consolidated_package_data_listing_the_inner_packages():
    a, b = _three()
    c = consolidation([a, b])
    raw = data_member(c)
    parsed = parse_package_data(raw)
    assert (parsed.kind, parsed.school_code, parsed.school_name, parsed.students) == (
        "consolidated", "ST4228", "龙坪乡扶贫工作站", ())
    assert parsed.totals.total == 300051 and parsed.totals.by_source == {"city": 150026, "county": 150025}
    assert [f.code for f in parsed.findings] == ["DUPLICATE_ACROSS_SCHOOLS"] * 2
    doc = json.loads(raw)
    assert [p["sha256"] for p in doc["packages"]] == [p.sha256 for p in c.packages]
    assert doc["packages"][0]["member"] == "school-A1-" + "00" * 8 + ".zip"
    assert doc["findings"][0]["id_number"] == pid(1)                  # machine data keeps the full ID


def test_inner_packages_reads_back_the_verbatim_members_and_refuses_a_changed_one(tmp_path):
    a, b = _three()
    c = consolidation([a, b])
    contents = [b"first", b"second"]
    c.packages = [replace(p, sha256=hashlib.sha256(data).hexdigest()) for p, data in zip(c.packages, contents, strict=True)]
    blobs = {p.member: data for p, data in zip(c.packages, contents, strict=True)}

    def zipped(name, members):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            for member, data in members.items():
                zf.writestr(member, data)
        return tmp_path / name

    assert inner_packages(zipped("c.zip", {"data.json": data_member(c), **blobs})) == list(blobs.items())
    changed = zipped("bad.zip", {"data.json": data_member(c), **blobs, c.packages[1].member: b"changed"})
    with pytest.raises(ValidationError, match="SHA-256"):
        inner_packages(changed)
    with pytest.raises(ValidationError, match="不是汇总包"):
        inner_packages(zipped("school.zip", {"data.json": a.to_bytes()}))
    with pytest.raises(ValidationError, match="缺少文件"):
        inner_packages(zipped("short.zip", {"data.json": data_member(c), c.packages[0].member: b"first"}))
