"""The receiving side and the funding sources' shares: a grant whose shares do not add up to its
amount is a TOTALS_MISMATCH, and the budget table's note says what each count counts."""
from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from pdftext import page_count, pdf_text
from test_consolidate import half, package, pid, student
from test_consolidated_export import consolidation

from core.consolidate import cross_check, summarise
from core.errors import ValidationError
from core.exports.consolidated import write_consolidated_workbook
from core.exports.consolidated_report import write_consolidated_report
from core.feedback_findings import for_school
from core.idnumber import mask_id
from core.package_data import Grant, parse_package_data

# -- a grant's shares against its amount ----------------------------------------------------


def _short_county(fen: int, short: int) -> Grant:
    """A 5:5 grant whose county share is ``short`` fen less than it should be."""
    g = half("HS_TUITION", fen)
    return Grant(g.code, fen, {"city": g.shares["city"], "county": g.shares["county"] - short})


def test_a_grant_whose_shares_do_not_add_up_is_a_totals_mismatch_even_when_the_claims_agree():
    """The claimed totals are the students' own sums (by_source moved with the share): the figures agree,
    only the grant itself does not."""
    bad = package("A1", "甲校", student(1, half("HS_TUITION", 100000)), student(2, _short_county(100000, 100)))
    found = cross_check([bad])
    assert [(f.code, f.item, f.id_number, f.figure) for f in found] == [
        ("TOTALS_MISMATCH", "HS_TUITION", pid(2), "shares")]
    f = found[0]
    assert (f.school_code, f.school_name, f.name, f.amount_fen, f.expected_fen) == ("A1", "甲校", "学生2", 100000, 99900)
    assert f.message == (f"提交包（甲校）中 学生2（{mask_id(pid(2))}）的“免学费”金额为 1000.00 元，"
                         "而各资金来源分担相加为 999.00 元（市级 500.00 元，县级 499.00 元），相差 1.00 元")
    assert pid(2) not in f.message
    assert f.to_json()["expected"] == "999.00" and f.to_json()["amount"] == "1000.00"
    # the school's row in the summary: its claims and its students no longer agree
    assert [r.totals_match for r in summarise([bad]).by_school] == [False]
    # and the school hears of it, one feedback finding per grant
    sent = for_school("A1", found)
    assert [s.key for s in sent] == [f"TOTALS_MISMATCH|{pid(2)}|HS_TUITION||shares"]


def test_shares_above_the_amount_and_missing_shares_are_mismatches_too():
    over = Grant("HS_TEXTBOOK", 20000, {"city": 10000, "county": 10001})
    none = Grant("HS_TUITION", 100000, {})
    found = cross_check([package("A1", "甲校", student(1, over), student(2, none))])
    assert [(f.id_number, f.item, f.expected_fen) for f in found] == [(pid(1), "HS_TEXTBOOK", 20001),
                                                                      (pid(2), "HS_TUITION", 0)]
    assert "相差 0.01 元" in found[0].message and "（无）" in found[1].message


def test_a_negative_share_is_named_even_when_the_shares_add_up():
    odd = Grant("HS_TUITION", 100000, {"city": 100100, "county": -100})
    found = cross_check([package("A1", "甲校", student(1, odd))])
    assert [(f.code, f.item) for f in found] == [("TOTALS_MISMATCH", "HS_TUITION")]
    assert "县级 -1.00 元" in found[0].message and "县级分担为负数" in found[0].message
    assert "相差" not in found[0].message


def test_grants_that_add_up_and_grants_of_zero_are_no_finding():
    zero = Grant("HS_TUITION", 0, {"city": 0, "county": 0})
    assert cross_check([package("A1", "甲校", student(1, half("HS_TUITION", 100001), zero))]) == []


def test_a_negative_share_in_data_json_is_refused_when_read():
    """data.json cannot carry a negative share at all: both readers refuse it, naming the place."""
    doc = package("A1", "甲校", student(1, half("HS_TUITION", 100000))).to_json()
    doc["students"][0]["grants"][0]["shares"]["county"] = -100
    doc["students"][0]["grants"][0]["amount_fen"] = 49900
    with pytest.raises(ValidationError, match=r"shares\.county"):
        parse_package_data(json.dumps(doc, ensure_ascii=False).encode())


# -- the budget table's note ----------------------------------------------------------------

def _lodging_package():
    """免住宿费: one student charged 600.00, one charged nothing (a grant of 0.00)."""
    return package("A1", "甲校", student(1, half("HS_LODGING", 60000)),
                   student(2, Grant("HS_LODGING", 0, {"city": 0, "county": 0})))


OLD_NOTE = "人数为该项目（该资金来源）金额大于 0 的学生数"


def test_workbook_budget_note_says_what_each_count_counts(tmp_path):
    c = consolidation([_lodging_package()])
    wb = load_workbook(write_consolidated_workbook(tmp_path / "s.xlsx", c))
    rows = [[cell.value for cell in r] for r in wb["预算表"].iter_rows(min_row=2)]
    head = rows[0]
    assert head[:7] == ["资助项目", "受助人数", "金额（元）", "市级人数", "市级金额（元）", "县级人数", "县级金额（元）"]
    lodging = next(r for r in rows if r[0] == "HS_LODGING")
    assert (lodging[1], lodging[3], lodging[5]) == (2, 1, 1)       # the numbers are kept
    note = next(str(r[0]) for r in rows if str(r[0]).startswith("注："))
    assert OLD_NOTE not in note
    assert "“受助人数”为享受该项目的学生数，含金额为 0.00 元的学生" in note
    assert "“市级人数”、“县级人数”为该资金来源分担金额大于 0 的学生数" in note
    assert "合计行的“受助人数”为享受任一项目的学生人数" in note
    assert note.endswith("；金额由各校学生明细相加。")


def test_report_budget_note_says_what_each_count_counts(tmp_path):
    c = consolidation([_lodging_package()])
    assert write_consolidated_report(tmp_path / "r.pdf", c) == []
    pdf = tmp_path / "r.pdf"
    text = "".join("".join(pdf_text(pdf, i).split()) for i in range(1, page_count(pdf) + 1))
    assert OLD_NOTE not in text
    assert "“人数”为享受该项目的学生数，含金额为0.00元的学生" in text
    assert "“市级人数”、“县级人数”为该资金来源分担金额大于0的学生数" in text
    assert "合计行的“人数”为享受任一项目的学生人数" in text


def test_a_source_label_with_markup_is_printed_as_written(tmp_path):
    """The overview names the sources as the packages label them: a label with "<b" broke reportlab's
    paragraph parser (the report was not written)."""
    c = consolidation([_lodging_package()])
    c.summary.sources["city"] = "市级<b>财政"
    pdf = tmp_path / "r.pdf"
    assert write_consolidated_report(pdf, c) == []
    text = "".join("".join(pdf_text(pdf, i).split()) for i in range(1, page_count(pdf) + 1))
    assert "市级<b>财政" in text
