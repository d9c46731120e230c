"""A cell tag holding its reference twice: calamine takes the last one, so the pre-check measures
every reference a tag holds, whatever separates it (review of session 17: a 1.6 KB file with
``<c r="B1" r="XFD1048576">`` passed the pre-check and aborted the process in calamine)."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_spreadsheet_safety import inline, read_in_subprocess, write_xlsx

from core.errors import InputFileError
from core.importers import limits, sheet_scan

HEADER = f'<row r="1">{inline("A1", "姓名")}'


@pytest.mark.parametrize("attrs", [' r="XFD1048576"', " r='GS5'", '\x0cr="GS5"', ' t="s" r="A1048576"',
                                   ' cm="1" r="XFD1"', '\tr="A2000000"', ' r = "GS5"'],
                         ids=["far", "single-quoted", "form-feed", "after-type", "after-other", "tab", "spaced"])
def test_a_second_reference_is_measured(tmp_path, attrs):
    path = write_xlsx(tmp_path / "dup.xlsx", HEADER + f'<c r="B1"{attrs} t="inlineStr"><is><t>x</t></is></c></row>')
    assert path.stat().st_size < 3000
    out = read_in_subprocess(path)          # a regression aborts the child (exit 134), never pytest
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "太大或范围异常" in out.stdout


def _scan(data: str) -> sheet_scan._SheetScan:
    scan = sheet_scan._SheetScan(Path("t.xlsx"), "Sheet1")
    xml = f"<worksheet><sheetData>{data}</sheetData></worksheet>".encode()
    scan.feed(xml, final=True)
    return scan


def test_other_attributes_within_the_limits_stay_regular():
    """A tag with attributes the usual writers do not write (cm, vm, ph) has its references measured
    and the sheet stays regular: the halves still read it."""
    scan = _scan(HEADER + '<c r="B1" cm="1" vm="2" t="n"><v>1</v></c><c r="C1" ph="1" s="2"/></row>')
    assert scan.regular and not scan.walk
    with pytest.raises(InputFileError):
        _scan(HEADER + '<c r="B1" cm="1" r="GS1" t="n"><v>1</v></c></row>')


def test_the_usual_tags_pass_at_once():
    """What Excel, WPS, LibreOffice and openpyxl write stays on the one-pass path (no measuring)."""
    tags = ('<c r="B1" t="inlineStr"><is><t>x</t></is></c><c r="C1" s="3" t="s"><v>0</v></c>'
            '<c r="D1" s="1"/><c r="E1" t="inlineStr" /><c r="F1"><v>2</v></c><c r="G1" t="b"><v>1</v></c>')
    data = (HEADER + tags + "</row>").encode()
    assert sheet_scan._USUAL.search(data) is None
    assert sheet_scan._USUAL.search(data.replace(b' s="3" t="s"', b' t="s" s="3"')) is not None   # measured instead


# -- rows × columns: calamine lays out the whole rectangle (review, session 17: A1 and GR999999, each
# within its own limit, asked for 6.4 GB from a 1.6 KB file) --------------------------------------

@pytest.mark.parametrize("cells", [
    '<row r="999999"><c r="GR999999"><v>1</v></c></row>',
    '<row r="2"><c r="GR2"><v>1</v></c></row><row r="999999"><c r="A999999"><v>1</v></c></row>',
    '<row r="2"><c r="B2" cm="1"><v>1</v></c></row><row r="400000"><c t="n" r="BZ400000"><v>1</v></c></row>',
], ids=["one-far-corner", "far-column-and-far-row-apart", "unusual-tags"])
def test_a_rectangle_beyond_the_cell_limit_is_refused_before_calamine(tmp_path, cells):
    path = write_xlsx(tmp_path / "corner.xlsx", HEADER + "</row>" + cells)
    assert path.stat().st_size < 3000
    out = read_in_subprocess(path)
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "个单元格" in out.stdout and "超过上限 30000000 个" in out.stdout


def test_a_long_narrow_sheet_reads(tmp_path):
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c><c r="B{i}"><v>{i}</v></c></row>'
                   for i in range(2, 200_002))
    path = write_xlsx(tmp_path / "long.xlsx", HEADER + "</row>" + rows)
    table = limits.precheck_spreadsheet(path, path.read_bytes()[:1024])
    assert table.uncomputed == {}


def test_a_bound_over_the_limit_is_read_again_exactly(tmp_path, monkeypatch):
    """The usual chunks are bounded (99,999 rows, column AZ), not read: over the limit by the bound
    alone, the sheet is read again reference by reference, and refused only when it really is."""
    monkeypatch.setattr(sheet_scan, "MAX_CELLS", 5_000_000)          # below the bound 99,999 × 52
    again: list[tuple[int, int]] = []
    real = sheet_scan._exact_reach
    monkeypatch.setattr(sheet_scan, "_exact_reach", lambda *a: again.append(real(*a)) or again[-1])
    small = write_xlsx(tmp_path / "s.xlsx", HEADER + '<c r="C1"><v>1</v></c></row><row r="9"><c r="B9"><v>2</v></c></row>')
    limits.precheck_spreadsheet(small, small.read_bytes()[:1024])
    assert again == [(9, 3)]
    big = write_xlsx(tmp_path / "b.xlsx", HEADER + '</row><row r="120000"><c r="AZ120000"><v>2</v></c></row>')
    with pytest.raises(InputFileError) as err:
        limits.precheck_spreadsheet(big, big.read_bytes()[:1024])
    assert "120000 行 × 52 列" in err.value.message and again[-1] == (120000, 52)


@pytest.mark.parametrize("top", [100000, 199999, 200002, 543210, 999998, 999999])
def test_beyond_finds_exactly_the_rows_after_the_last(top):
    """A chunk's farthest row is its last row's number when no reference goes past it (one search)."""
    pattern = sheet_scan._beyond(top)
    for row in {100000, top - 1, top, top + 1, top + 10, top + 100_000, 999999} & set(range(100000, 1_000_000)):
        assert bool(pattern.search(f'<c r="AB{row}" t="n">'.encode())) == (row > top), row


def _refused(path: Path) -> str:
    with pytest.raises(InputFileError) as err:       # (refused before calamine: safe in this process)
        limits.precheck_spreadsheet(path, path.read_bytes()[:1024])
    return err.value.message


@pytest.mark.parametrize("row, ref", [("1000000", "GR1000000"), ("0999999", "GR0999999"), ("999999", "gr999999")])
def test_a_far_reference_is_read_as_calamine_reads_it(tmp_path, row, ref):
    """Row 1,000,000 is within the row limit, a leading zero is read by calamine (second review)."""
    path = write_xlsx(tmp_path / "far.xlsx", HEADER + f'</row><row r="{row}"><c r="{ref}"><v>1</v></c></row>')
    assert "个单元格" in _refused(path)


_PAD = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(2, 400))   # past one chunk


@pytest.mark.parametrize("bad", [
    '<row r="999999" r="401">' + '<c><v>1</v></c>' * 200 + '</row>',   # calamine places by the first r=
    '<row r="401"><c x="a>b" r="GR999999"><v>1</v></c></row>',          # a ">" inside a value
], ids=["row-with-two-references", "quoted-gt"])
def test_a_chunk_walked_later_is_measured_as_calamine_reads_it(tmp_path, monkeypatch, bad):
    monkeypatch.setattr(limits, "CHUNK", 4096)
    path = write_xlsx(tmp_path / "walk.xlsx", HEADER + "<c><v>1</v></c></row>" + _PAD + bad)   # the walk from chunk 1
    assert "个单元格" in _refused(path)


def test_a_walk_begun_later_counts_on_from_the_rows_before(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CHUNK", 4096)
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(999_800, 999_990))
    gap = " " * 5000           # (the walk's chunk holds no row with a number: it counts on from before)
    path = write_xlsx(tmp_path / "later.xlsx", HEADER + "</row>" + rows + gap + "<row></row>" * 20 + "<row><c><v>1</v></c></row>")
    assert "用到第 1000001 行" in _refused(path)      # (the first row counted past the limit)
