"""The fast writers write what the slow ones wrote: every cell's value, type and style, the
sheets' layout and print set-up, and every PDF page's text and where each character is drawn, for the small sample in its
plain, draft and demo forms (tests/data/exports-golden.json, made by
tests/data/make_exports_golden.py from the writers before they were made fast)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_dump import golden_outputs

GOLDEN = Path(__file__).parent / "data" / "exports-golden.json"


@pytest.fixture(scope="module")
def now(tmp_path_factory):
    return json.loads(json.dumps(golden_outputs(tmp_path_factory.mktemp("golden"))))


@pytest.fixture(scope="module")
def before():
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("variant", ["plain", "draft", "demo"])
@pytest.mark.parametrize("name", ["workbook.xlsx", "notice.xlsx"])
def test_workbook_cells_styles_and_layout_unchanged(before, now, variant, name):
    old, new = before[variant][name], now[variant][name]
    assert new["properties"] == old["properties"]
    assert new["order"] == old["order"]
    for sheet, was in old["sheets"].items():
        got = new["sheets"][sheet]
        for coordinate, (value, kind, style) in was["cells"].items():
            assert coordinate in got["cells"], f"{sheet}!{coordinate} missing"
            v, k, s = got["cells"][coordinate]
            assert (v, k) == (value, kind), f"{sheet}!{coordinate}"
            assert new["styles"][s] == old["styles"][style], f"{sheet}!{coordinate}"
        assert set(got["cells"]) == set(was["cells"]), sheet
        for key in ("merged", "widths", "heights", "freeze", "print_titles", "page", "header", "footer"):
            assert got[key] == was[key], f"{sheet}: {key}"


@pytest.mark.parametrize("variant", ["plain", "draft", "demo"])
@pytest.mark.parametrize("name", ["report.pdf", "notice.pdf", "letters.pdf", "household.pdf"])
def test_pdf_pages_and_text_unchanged(before, now, variant, name):
    old, new = before[variant][name], now[variant][name]
    assert (new["pages"], new["sizes"]) == (old["pages"], old["sizes"])
    for page, (was, got) in enumerate(zip(old["text"], new["text"], strict=True), start=1):
        assert got == was, f"{name} page {page}"
    for page, (was, got) in enumerate(zip(old["places"], new["places"], strict=True), start=1):
        assert got == was, f"{name} page {page}: a character moved"
    assert now[variant]["warnings"] == before[variant]["warnings"]


def test_fit_columns_measures_written_rows_and_reads_the_others():
    from openpyxl import Workbook

    from core.exports.xlsx_common import Money, fit_columns, put_text, write_header, write_row

    ws = Workbook().active
    put_text(ws, 1, 1, "一个很长很长很长很长很长很长很长的标题")          # skipped: the merged title
    write_header(ws, 2, ["序号", "一个很长很长很长很长的表头"])             # wraps: counts 16 at most
    write_row(ws, 3, [1, "张三"])
    write_row(ws, 4, [Money(123456789), "李四"], bold=True)                # "1,234,567.89" + 2 for bold
    put_text(ws, 6, 2, "注：写在表外的一行说明文字")                       # not written by write_row: read
    fit_columns(ws, skip_rows=[1])
    assert ws.column_dimensions["A"].width == 12 + 2 + 2
    assert ws.column_dimensions["B"].width == 26 + 2
    fit_columns(ws, skip_rows=[1, 6])
    assert ws.column_dimensions["B"].width == 16 + 2
    fit_columns(ws, skip_rows=[1, 2, 4, 6])          # skipped rows among the measured: all read again
    assert (ws.column_dimensions["A"].width, ws.column_dimensions["B"].width) == (6, 6)
