"""The spreadsheet precheck's one-pass path (issue 13) keeps every protection of the full scan.

A chunk of a sheet whose every row and cell tag starts with a capital reference within the
limits, without a formula or a namespace prefix, is accepted from one regular-expression pass
(``sheet_scan._USUAL``); any other chunk goes through the full scan (extents, tags without
references, formulas). These tests put the irregular tag after megabytes of regular rows, in
every form the fast pattern does not accept, and show that a regular sheet is not scanned twice.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from test_spreadsheet_safety import inline, read_in_subprocess, write_xlsx

from core.errors import InputFileError
from core.importers import limits, sheet_scan
from core.importers.reader import read_table

# about 3 MB of regular rows: the irregular tag comes three chunks (limits.CHUNK) in
_ROWS = 40_000


def _regular_rows(count: int = _ROWS) -> str:
    return "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="GR{i}"><v>1</v></c></row>'
                   for i in range(1, count + 1))


def test_a_far_cell_after_megabytes_of_regular_rows_is_refused_before_calamine(tmp_path):
    n = _ROWS + 1
    path = write_xlsx(tmp_path / "late.xlsx",
                      _regular_rows() + f'<row r="{n}"><c r="XFD1048576"><v>1</v></c></row>')
    out = read_in_subprocess(path)
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "太大或范围异常" in out.stdout and "1048576" in out.stdout


@pytest.mark.parametrize("tag, words", [
    ('<row r="{n}"><c s="1" r="GS{n}"><v>1</v></c></row>', "第 201 列"),      # reference not first
    ("<row r=\"{n}\"><c r='GS{n}'><v>1</v></c></row>", "第 201 列"),          # single quotes
    ('<row r="{n}"><c r="gs{n}"><v>1</v></c></row>', "第 201 列"),            # lower case
    ('<row r="{n}"><c  r="GS{n}"><v>1</v></c></row>', "第 201 列"),           # two spaces
    ('<row r="1000001"><c r="A1000001"><v>1</v></c></row>', "第 1000001 行"),  # seven digits
    ('<row r="{n}"><c r="A{n}"><v>1</v></c><x:c r="GS{n}"><x:v>1</x:v></x:c></row>', "第 201 列"),
    ("<row>" + "<c/>" * 201 + '<c t="inlineStr"><is><t>x</t></is></c></row>', "第 201 列"),
])
def test_every_irregular_tag_after_regular_rows_goes_through_the_full_scan(tmp_path, tag, words):
    path = write_xlsx(tmp_path / "odd.xlsx", _regular_rows() + tag.format(n=_ROWS + 1))
    with pytest.raises(InputFileError) as err:
        limits.precheck_spreadsheet(path, path.read_bytes()[:1024])
    assert words in err.value.message


def test_a_formula_after_regular_rows_is_still_noted(tmp_path):
    n = _ROWS + 1
    path = write_xlsx(tmp_path / "f.xlsx",
                      _regular_rows() + f'<row r="{n}"><c r="B{n}"><f>A1*2</f></c>'
                                        f'<c r="C{n}"><f>A1</f><v>1</v></c></row>')
    checked = limits.precheck_spreadsheet(path, path.read_bytes()[:1024])
    assert checked.uncomputed == {"名单": {(n - 1, 1)}}


def test_cells_without_references_keep_being_counted_in_later_regular_chunks(tmp_path, monkeypatch):
    """Once a sheet has a row without a reference, positions are counted tag by tag to its end:
    regular chunks after it are walked too (skipping them would lose the count)."""
    monkeypatch.setattr(limits, "MAX_ROWS", 50_000)
    head = "<row/>" * 10 + f'<row>{inline("A11", "x")}</row>'
    tail = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(12, 49_991))
    path = write_xlsx(tmp_path / "walk.xlsx", head + tail + "<row/>" * 20)
    assert path.stat().st_size > 0 and len(head + tail) > 2 * limits.CHUNK
    with pytest.raises(InputFileError) as err:
        limits.precheck_spreadsheet(path, path.read_bytes()[:1024])
    assert "第 50001 行" in err.value.message


def test_a_regular_sheet_is_scanned_once(tmp_path, monkeypatch):
    """The detail passes do not run on a sheet as Excel or openpyxl writes it (they would
    double the precheck's time); the dimension is still checked."""
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号"])
    for i in range(20_000):
        ws.append([f"学生{i}", f"{i:018d}"])
    path = tmp_path / "plain.xlsx"
    wb.save(path)

    class Unused:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"a detail pass ran ({name})")
    for name in ("_EXTENT", "_NO_REF", "_UNPREFIXED_FORMULA"):
        monkeypatch.setattr(sheet_scan, name, Unused())
    assert limits.precheck_spreadsheet(path, path.read_bytes()[:1024]).uncomputed == {}
    assert read_table(path).rows[20_000][0] == "学生19999"


def test_a_lying_dimension_before_regular_rows_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "dim.xlsx", _regular_rows(100), dimension="A1:XFD1048576")
    with pytest.raises(InputFileError) as err:
        limits.precheck_spreadsheet(Path(path), path.read_bytes()[:1024])
    assert "声明的范围" in err.value.message
