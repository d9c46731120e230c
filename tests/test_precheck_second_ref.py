"""A cell tag holding its reference twice: calamine takes the last one, so the pre-check measures
every reference a tag holds, whatever separates it (review of session 17: a 1.6 KB file with
``<c r="B1" r="XFD1048576">`` passed the pre-check and aborted the process in calamine)."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_spreadsheet_safety import inline, read_in_subprocess, write_xlsx

from core.errors import InputFileError
from core.importers import limits

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


def _scan(data: str) -> limits._SheetScan:
    scan = limits._SheetScan(Path("t.xlsx"), "Sheet1")
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
    assert limits._USUAL.search(data) is None
    assert limits._USUAL.search(data.replace(b' s="3" t="s"', b' t="s" s="3"')) is not None   # measured instead
