"""What an Excel 97-2003 sheet (.xls) shows the clerk that calamine does not give, as for an .xlsx
(tests/test_import_sheet_marks.py): error values (a BOOLERR error, a FORMULA whose cached result is
an error: calamine reads both as ""), hidden rows (ROW's fDyZero), merged cells (MERGEDCELLS: calamine
gives the value to the first cell only). Found by the .xls pre-check's record walk
(``core.importers.xls_limits``) and keyed by the sheet's name as calamine gives it. The files are
built record by record (tests/test_xls_precheck.py's writer) and read by calamine as a clerk's are."""
from __future__ import annotations

import struct
from datetime import date

import pytest
from test_xls_precheck import BOF, BOUNDSHEET, EOF, ole_file, rec, short_string, xls

from core.idnumber import make_id
from core.importers import limits, parse_students, read_table
from core.importers.xls_limits import check_records
from core.policy import default_policy

IDS = [make_id("110101", date(2008, 5, 1 + i), 11 + 2 * i) for i in range(8)]
HEADER = ["姓名", "身份证号", "学段", "家庭类别"]
LABEL, BOOLERR, FORMULA, ROW, MERGEDCELLS, CODEPAGE = 0x0204, 0x0205, 0x0006, 0x0208, 0x00E5, 0x0042
NA, REF = 0x2A, 0x17


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def label(row: int, col: int, text: str) -> bytes:
    """A LABEL cell (BIFF8: an XLUnicodeString, UTF-16LE)."""
    return rec(LABEL, struct.pack("<HHHHB", row, col, 0, len(text), 1) + text.encode("utf-16-le"))


def cells(rows: list[list[str | None]]) -> bytes:
    return b"".join(label(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None)


def boolerr(row: int, col: int, code: int) -> bytes:
    return rec(BOOLERR, struct.pack("<HHHBB", row, col, 0, code, 1))


def formula_error(row: int, col: int, code: int) -> bytes:
    """A FORMULA whose cached result is the error ``code`` (its parsed expression left empty)."""
    result = bytes([0x02, 0, code, 0, 0, 0, 0xFF, 0xFF])
    return rec(FORMULA, struct.pack("<HHH", row, col, 0) + result + struct.pack("<HIH", 0, 0, 0))


def row_record(row: int, hidden: bool) -> bytes:
    return rec(ROW, struct.pack("<HHHHHHHH", row, 0, 4, 0x0113, 0, 0, 0x0120 if hidden else 0x0100, 0x0F))


def merged(*ranges: tuple[int, int, int, int]) -> bytes:
    """MERGEDCELLS of (first row, last row, first column, last column) each."""
    return rec(MERGEDCELLS, struct.pack("<H", len(ranges)) + b"".join(struct.pack("<HHHH", *r) for r in ranges))


def problems_by_name(result) -> dict[str, list[str]]:
    return {r.values.get("name", ""): r.problems for r in result.rows + result.skipped}


def test_error_values_are_problems_of_their_rows_not_blanks(tmp_path, policy):
    rows = [HEADER, ["张三", IDS[0], "普通高中", "建档立卡"], ["李四", None, "初中", "建档立卡"],
            ["王五", IDS[2], "小学", None], ["赵六", IDS[3], "小学", None]]
    sheet = cells(rows) + boolerr(2, 1, NA) + formula_error(3, 3, NA) + boolerr(4, 3, REF)
    path = xls(tmp_path / "名单.xls", sheet, name="学生名单")     # (a UTF-16 name: calamine's key)
    table = read_table(path)
    assert table.sheet == "学生名单"
    assert table.rows[2][1] == "" and table.rows[3][3] == ""       # calamine: the errors read as empty
    assert table.errors == {(2, 1): "#N/A", (3, 3): "#N/A", (4, 3): "#REF!"}
    problems = problems_by_name(parse_students(table, policy))
    assert any("身份证号（B列）的单元格是Excel错误值 #N/A（读出为空）" in p and "查找公式" in p
               for p in problems["李四"])
    assert any("家庭类别（D列）的单元格是Excel错误值 #N/A" in p for p in problems["王五"])
    assert any("家庭类别（D列）的单元格是Excel错误值 #REF!" in p for p in problems["赵六"])
    assert problems["张三"] == []


def test_hidden_rows_are_read_and_named(tmp_path, policy):
    rows = [["2026年学生名单"], HEADER, *[[f"学生{i}", IDS[i], "小学", "建档立卡"] for i in range(5)]]
    marks = b"".join(row_record(r, r in (0, 3, 5)) for r in range(len(rows)))   # the title, two students
    table = read_table(xls(tmp_path / "h.xls", marks + cells(rows)))
    assert table.hidden == {0, 3, 5}
    result = parse_students(table, policy)
    assert {r.values["name"] for r in result.rows} == {f"学生{i}" for i in range(5)}    # none left out
    assert result.notes == ["第 4、6 行在表格中是隐藏的（或被筛选隐藏），也已读入：如果其中有不应导入的行，"
                            "请在表格中删除这些行（不要只隐藏）后重新导入"]


def test_a_merged_cell_is_read_on_each_of_its_rows(tmp_path, policy):
    rows = [HEADER, ["张大", IDS[0], "初中", "建档立卡"], ["张二", IDS[1], "小学", None],
            ["张三", IDS[2], "小学", None], ["李四", IDS[3], "小学", "非困难"], ["以下空白"]]
    sheet = cells(rows) + merged((1, 3, 3, 3), (5, 5, 0, 3))      # three siblings; a note across the row
    table = read_table(xls(tmp_path / "m.xls", sheet))
    assert table.rows[2][3] == "" and (1, 3, 3, 3) in table.merged
    result = parse_students(table, policy)
    categories = {r.values["name"]: r.values["category"] for r in result.rows}
    assert categories["张二"] == categories["张三"] == categories["张大"] != categories["李四"]
    assert not any("家庭类别" in p for r in result.rows for p in r.problems)
    assert result.notes == ["第 3、4 行的D列是与上一行合并的单元格，已按合并单元格的内容读入（与表格中看到的一致）"]


def test_a_chart_in_the_sheet_does_not_end_it(tmp_path, policy):
    """A chart embedded in the sheet is a substream of its own (BOF … EOF) among the sheet's records;
    calamine reads the sheet's cells after it, and the merged ranges come after it too."""
    chart = rec(BOF, struct.pack("<HHHHII", 0x0600, 0x0020, 0, 0, 0, 0)) + rec(EOF)
    rows = [HEADER, ["张大", IDS[0], "初中", "建档立卡"], ["张二", IDS[1], "小学", None]]
    sheet = cells(rows[:2]) + chart + cells([[], [], rows[2]]) + merged((1, 2, 3, 3))
    table = read_table(xls(tmp_path / "c.xls", sheet))
    assert table.rows[2][0] == "张二" and table.merged == ((1, 3, 2, 3),)
    result = parse_students(table, policy)
    assert [r.values["category"] for r in result.rows] == ["REGISTERED", "REGISTERED"]
    assert result.notes == ["第 3 行的D列是与上一行合并的单元格，已按合并单元格的内容读入（与表格中看到的一致）"]


def test_a_plain_xls_has_no_marks(tmp_path, policy):
    rows = [HEADER, *[[f"学生{i}", IDS[i], "小学", "建档立卡"] for i in range(3)]]
    sheet = b"".join(row_record(r, False) for r in range(len(rows))) + cells(rows)
    table = read_table(xls(tmp_path / "plain.xls", sheet))
    assert table.errors == {} and table.uncomputed == set() and table.hidden == frozenset() and table.merged == ()
    result = parse_students(table, policy)
    assert result.notes == [] and all(r.problems == [] for r in result.rows)


@pytest.mark.parametrize("name", ["Sheet1", "Blätter", "学生名单", "名单\0"])
def test_the_marks_are_keyed_by_the_name_calamine_gives(tmp_path, name):
    """Latin-1 (compressed) and UTF-16 names as calamine decodes them (its NULs dropped)."""
    table = read_table(xls(tmp_path / "n.xls", cells([["姓名"], ["张三"]]) + boolerr(1, 1, NA), name=name))
    assert table.sheet == name.replace("\0", "")
    assert table.errors == {(1, 1): "#N/A"}


def test_a_name_that_depends_on_the_code_page_gets_no_marks(tmp_path):
    """A Latin-1 name under code page 936 (GBK) is not decoded with certainty: no marks (the file is
    read as before); a plain ASCII one is."""
    sheet = cells([["姓名"], ["张三"]]) + boolerr(1, 1, NA)
    gbk = rec(CODEPAGE, struct.pack("<H", 936))
    assert read_table(xls(tmp_path / "a.xls", sheet, gbk, name="Blätter")).errors == {}
    assert read_table(xls(tmp_path / "b.xls", sheet, gbk, name="Sheet1")).errors == {(1, 1): "#N/A"}


def test_only_the_sheets_calamine_lists_are_marked_and_merges_are_bounded(tmp_path, monkeypatch):
    """A BOUNDSHEET after the globals' EOF names no sheet for calamine: its records are measured, not
    marked; a sheet's merged ranges are kept up to ``MAX_MERGES``."""
    from core.importers import xls_limits
    monkeypatch.setattr(xls_limits, "MAX_MERGES", 2)
    bof = rec(BOF, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    body = rec(BOF, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0)) + boolerr(0, 0, NA) \
        + merged((0, 1, 0, 0), (2, 3, 0, 0), (4, 5, 0, 0)) + rec(EOF)

    def stream(at: int) -> bytes:
        listed = rec(BOUNDSHEET, struct.pack("<IBB", at, 0, 0) + short_string("A"))
        late = rec(BOUNDSHEET, struct.pack("<IBB", at, 0, 0) + short_string("B"))
        return bof + listed + rec(EOF) + late + body
    at = len(stream(0)) - len(body)
    marks = check_records(tmp_path / "x.xls", stream(at), lambda rows, cols: None)
    assert set(marks) == {"A"}
    assert marks["A"].errors == {(0, 0): "#N/A"} and marks["A"].merged == [(0, 0, 1, 0), (2, 0, 3, 0)]
    ole_file(tmp_path / "x.xls", stream(at))
    assert limits.precheck_spreadsheet(tmp_path / "x.xls", b"").marks.keys() == {"A"}


def test_an_error_cell_beyond_the_limits_is_refused_not_marked(tmp_path, monkeypatch):
    from core.errors import InputFileError
    monkeypatch.setattr(limits, "MAX_ROWS", 10)
    with pytest.raises(InputFileError) as err:
        read_table(xls(tmp_path / "far.xls", cells([["姓名"]]) + boolerr(10, 0, NA)))
    assert "第 11 行" in err.value.message


def test_a_workbook_of_several_streams_gets_no_marks(tmp_path):
    """calamine reads one of them (which, the pre-check does not tell): no marks from either."""
    from test_xls_precheck import _stream
    one = _stream(cells([["姓名"], ["张三"]]) + boolerr(1, 1, NA))
    path = ole_file(tmp_path / "two.xls", one, more=(("Book", one, True),))
    assert limits.precheck_spreadsheet(path, path.read_bytes()[:8]).marks == {}
    assert read_table(path).errors == {}


def _biff5(name: bytes) -> bytes:
    """A BIFF5 workbook stream (code page 936: GBK): its sheet's name in code-page bytes, no flags byte."""
    bof = rec(BOF, struct.pack("<HHHH", 0x0500, 0x0005, 0, 0))
    body = rec(BOF, struct.pack("<HHHH", 0x0500, 0x0010, 0, 0)) + rec(0x0203, struct.pack("<HHHd", 0, 0, 0, 1.0)) \
        + boolerr(1, 0, NA) + row_record(1, True) + rec(EOF)

    def stream(at: int) -> bytes:
        listed = rec(BOUNDSHEET, struct.pack("<IBB", at, 0, 0) + bytes([len(name)]) + name)
        return bof + rec(CODEPAGE, struct.pack("<H", 936)) + listed + rec(EOF)
    return stream(len(stream(0))) + body


def test_a_biff5_sheet_is_marked_when_its_name_is_plain_ascii(tmp_path):
    """A BIFF5 name is in the code page's bytes, which calamine decodes its own way: a plain ASCII one is
    certain, another (GBK "名单") is not, and that sheet gets no marks."""
    plain = read_table(ole_file(tmp_path / "a.xls", _biff5(b"Sheet1")))
    assert plain.sheet == "Sheet1" and plain.errors == {(1, 0): "#N/A"} and plain.hidden == {1}
    gbk = read_table(ole_file(tmp_path / "b.xls", _biff5("名单".encode("gbk"))))
    assert gbk.rows[0][0] == 1.0 and gbk.errors == {} and gbk.hidden == frozenset()
