"""``set_text`` drops exactly the control characters a worksheet cannot hold (openpyxl's
ILLEGAL_CHARACTERS_RE), whether the text is printable (no search) or not, and keeps a
formula-like text a string."""
import pytest
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.exports.xlsx_common import set_text


@pytest.mark.parametrize("text", ["张三", "=1+1", "a\x01b\x0bc\x1fd", "甲\t乙\n丙\r", "王\u3000五\xa0", "", 1234,
                                  "x" * 40000])
def test_set_text_keeps_the_text_but_its_control_characters(text):
    cell = Workbook().active.cell(1, 1)
    set_text(cell, text)
    assert cell.data_type == "s" and cell.value == ILLEGAL_CHARACTERS_RE.sub("", str(text))[:32767]
