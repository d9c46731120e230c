"""The safety pre-check measures every part calamine may read cells from, whatever the workbook's
parts say (core.importers.limits._check_xlsx): a sheet whose name holds ">", a sheet id behind another
"…:id" attribute, a commented-out relationship, a target resolved another way, a sheet-data part the
workbook does not list. In each workbook a column-201 cell stands for XFD1048576 (which aborts the
process inside calamine): refused means measured; a table 201 wide would mean calamine saw an
unmeasured part. (Found by review; before the fix the first three were read 201 wide.)"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from test_spreadsheet_safety import _CT, _RELS, inline

from core.errors import InputFileError
from core.importers import limits, sheet_scan
from core.importers.reader import read_table

WS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
       '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}'
       '</sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships">{rels}</Relationships>')
FAR = f'<row r="1">{inline("A1", "姓名")}<c r="GS1"><v>1</v></c></row>'
NEAR = f'<row r="1">{inline("A1", "姓名")}</row>'


def sheet(data: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>')


def workbook(path: Path, parts: dict[str, str | bytes], sheets: str = '<sheet name="S" sheetId="1" r:id="rId1"/>',
             rels: str = f'<Relationship Id="rId1" Type="{WS}" Target="worksheets/sheet1.xml"/>') -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT.format(extra=""))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB.format(sheets=sheets))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(rels=rels))
        for name, text in parts.items():
            z.writestr(name, text)
    return path


CASES = {
    "a '>' in the sheet's name": dict(
        parts={"xl/data/s.xml": sheet(FAR)}, sheets='<sheet name="a&gt;b" sheetId="1" r:id="rId1"/>'.replace(
            "&gt;", ">"), rels=f'<Relationship Id="rId1" Type="{WS}" Target="data/s.xml"/>'),
    "another ':id' attribute before r:id": dict(
        parts={"xl/worksheets/sheet1.xml": sheet(NEAR), "xl/data/s.xml": sheet(FAR)},
        sheets='<sheet name="S" sheetId="1" xmlns:x="urn:x" x:id="rId1" r:id="rId2"/>',
        rels=f'<Relationship Id="rId1" Type="{WS}" Target="worksheets/sheet1.xml"/>'
             f'<Relationship Id="rId2" Type="{WS}" Target="data/s.xml"/>'),
    "a commented-out relationship after the real one": dict(
        parts={"xl/worksheets/sheet1.xml": sheet(NEAR), "xl/data/s.xml": sheet(FAR)},
        rels=f'<Relationship Id="rId1" Type="{WS}" Target="data/s.xml"/>'
             f'<!-- <Relationship Id="rId1" Type="{WS}" Target="worksheets/sheet1.xml"/> -->'),
    "a target written with the xl/ folder": dict(
        parts={"xl/data/s.xml": sheet(FAR)}, rels=f'<Relationship Id="rId1" Type="{WS}" Target="xl/data/s.xml"/>'),
    "an absolute target": dict(
        parts={"xl/data/s.xml": sheet(FAR)}, rels=f'<Relationship Id="rId1" Type="{WS}" Target="/xl/data/s.xml"/>'),
    "a part without the .xml suffix": dict(
        parts={"xl/data/s.bin": sheet(FAR)}, rels=f'<Relationship Id="rId1" Type="{WS}" Target="data/s.bin"/>'),
    "no relationship at all": dict(parts={"xl/data/s.xml": sheet(FAR)}, rels=""),
}


@pytest.mark.parametrize("case", CASES)
def test_every_part_calamine_may_read_is_measured(tmp_path, case):
    path = workbook(tmp_path / "w.xlsx", **CASES[case])
    try:
        table = read_table(path)
    except InputFileError as exc:
        assert "超过上限 200 列" in exc.message, exc.message
    else:
        pytest.fail(f"read {max(map(len, table.rows))} wide: calamine saw an unmeasured part")


def test_the_sheets_name_is_read_as_calamine_reads_it(tmp_path):
    path = workbook(tmp_path / "w.xlsx", **CASES["a '>' in the sheet's name"])
    with pytest.raises(InputFileError) as err:
        read_table(path)
    assert "工作表“a>b”" in err.value.message


def test_a_part_holding_sheet_data_is_scanned_but_other_parts_are_not(tmp_path, monkeypatch):
    scanned: list[str] = []
    real = sheet_scan._scan_sheet
    monkeypatch.setattr(sheet_scan, "_scan_sheet", lambda path, zf, info, *a, **k: scanned.append(info.filename)
                        or real(path, zf, info, *a, **k))
    styles = '<?xml version="1.0"?><styleSheet xmlns="x"><cellXfs count="1"><xf/></cellXfs></styleSheet>'
    path = workbook(tmp_path / "w.xlsx", {"xl/worksheets/sheet1.xml": sheet(NEAR), "xl/styles.xml": styles,
                                          "xl/extra/hidden.xml": sheet(NEAR)})
    assert read_table(path).rows[0][0] == "姓名"
    assert sorted(scanned) == ["xl/extra/hidden.xml", "xl/worksheets/sheet1.xml"]


def test_a_plain_workbook_still_reads(tmp_path):
    path = workbook(tmp_path / "w.xlsx", {"xl/worksheets/sheet1.xml": sheet(NEAR)})
    assert read_table(path).rows == [["姓名"]]


def test_a_cell_text_naming_the_tags_does_not_make_shared_strings_a_sheet(tmp_path, monkeypatch):
    scanned: list[str] = []
    real = sheet_scan._scan_sheet
    monkeypatch.setattr(sheet_scan, "_scan_sheet", lambda path, zf, info, *a, **k: scanned.append(info.filename)
                        or real(path, zf, info, *a, **k))
    shared = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<si><t>&lt;sheetData&gt; dimension sheetData</t></si></sst>')
    path = workbook(tmp_path / "w.xlsx", {"xl/worksheets/sheet1.xml": sheet(NEAR), "xl/sharedStrings.xml": shared})
    read_table(path)
    assert scanned == ["xl/worksheets/sheet1.xml"]


@pytest.mark.parametrize(("free", "sampled"), [(True, False), (False, False), (False, True)])
def test_the_sheets_xml_is_kept_for_the_halves_only_when_a_core_may_be_free(tmp_path, monkeypatch, free, sampled):
    """Kept when a core is free now, or when the cores' use can be sampled over the pre-check (a high
    load figure is then looked behind after it: core.in_child.spare_core); else not."""
    from core.importers import halves
    monkeypatch.setattr(limits, "SPLIT_MIN", 0)
    monkeypatch.setattr(limits, "CHUNK", 512)          # (chunks enough to cut)
    monkeypatch.setattr(halves, "spare_core", lambda since=None: free)
    if not sampled:
        monkeypatch.setattr(halves, "cpu_sample", lambda: None)
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 200))
    path = workbook(tmp_path / "w.xlsx", {"xl/worksheets/sheet1.xml": sheet(rows)})
    kept = limits.precheck_spreadsheet(path, path.read_bytes()[:1024]).split
    assert (kept is not None) is (free or sampled)
    if kept is not None:
        kept.abandon()


_SST = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main" {attrs}><si><t>姓名</t></si></sst>')


def _with_strings(path: Path, attrs: str) -> Path:
    from test_spreadsheet_safety import write_xlsx
    return write_xlsx(path, '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=_SST.format(attrs=attrs).encode())


@pytest.mark.parametrize("attrs", ['uniqueCount="4000000000"', 'count="1" uniqueCount = " 4000000000"'])
def test_a_shared_strings_count_beyond_the_strings_is_refused_before_calamine(tmp_path, attrs):
    """calamine reserves the declared uniqueCount before reading: four billion aborts the process."""
    from test_spreadsheet_safety import read_in_subprocess
    out = read_in_subprocess(_with_strings(tmp_path / "s.xlsx", attrs))
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "声明了 4000000000 个字符串，实际只有 1 个" in out.stdout


def test_the_count_is_read_by_a_parser_however_the_root_is_written(tmp_path, monkeypatch):
    """Whitespace and a '>' in a value before the count, across chunk ends: the regex alone would miss it."""
    monkeypatch.setattr(limits, "CHUNK", 64)
    path = _with_strings(tmp_path / "s.xlsx", 'a=">"' + " " * 300 + 'uniqueCount' + " " * 200 + '="4000000000"')
    with pytest.raises(InputFileError) as err:
        read_table(path)
    assert "声明了 4000000000 个字符串" in err.value.message


@pytest.mark.parametrize("attrs", ['count="1" uniqueCount="1"', 'uniqueCount="50000"', 'count="4000000000"',
                                   'x:uniqueCount="4000000000" xmlns:x="urn:x"'])
def test_a_count_calamine_does_not_reserve_by_is_read(tmp_path, attrs):
    """As many as there are, a few more (up to UNIQUE_SLACK), a total count (calamine does not reserve by
    it) — and a prefixed count is refused only for being large (a superset: any local name uniqueCount)."""
    path = _with_strings(tmp_path / "s.xlsx", attrs)
    if attrs.startswith("x:"):
        with pytest.raises(InputFileError):
            read_table(path)
    else:
        assert read_table(path).rows == [["姓名"]]


@pytest.mark.parametrize("encoding", ["GBK", "GB2312", "no-such-encoding"])
def test_a_part_declared_in_an_encoding_expat_does_not_read_still_reads(tmp_path, encoding):
    """docProps/app.xml declared GBK (some Chinese exporters write it): calamine never reads that part;
    the pre-check's parser could not either and the import ended in 程序内部错误 (review, session 17)."""
    app = f'<?xml version="1.0" encoding="{encoding}"?><Properties><Application>某某系统</Application></Properties>'
    path = workbook(tmp_path / "w.xlsx", {"xl/worksheets/sheet1.xml": sheet(NEAR),
                                          "docProps/app.xml": app.encode("gbk")})
    assert read_table(path).rows == [["姓名"]]
