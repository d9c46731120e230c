"""What a sheet shows the clerk that calamine does not give: error values (#N/A, read as empty),
hidden or filtered-out rows, merged cells (the value in the first cell only). Each is found by the
safety pre-check's scan (``core.importers.sheet_scan``) in the chunks not of the usual form only,
and told: an error value is a problem of its row, a hidden row is read and named, a merged cell's
value is given to each of its rows (messy-spreadsheet review, session 22)."""
from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from cli.commands import run
from core.idnumber import make_id
from core.importers import parse_roster, parse_students, read_table, sheet_scan
from core.policy import default_policy

IDS = [make_id("110101", date(2008, 5, 1 + i), 11 + 2 * i) for i in range(8)]
HEADER = ["姓名", "身份证号", "学段", "家庭类别"]


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def workbook(path: Path, rows: list[list], edit=None) -> Path:
    """A one-sheet workbook of ``rows`` (openpyxl, as a clerk's Excel file is read), ``edit(ws)``
    before saving."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if edit:
        edit(ws)
    wb.save(path)
    return path


def patched(path: Path, old: str, new: str) -> Path:
    """``path`` with ``old`` replaced by ``new`` in its sheet's XML (as Excel or WPS writes it)."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode()
    assert old in xml, xml[:2000]
    parts[sheet] = xml.replace(old, new, 1).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    return path


def error_cell(ws, ref: str, text: str) -> None:
    ws[ref].value = text
    ws[ref].data_type = "e"


def problems_by_name(result) -> dict[str, list[str]]:
    return {r.values.get("name", ""): r.problems for r in result.rows + result.skipped}


# -- error values --------------------------------------------------------------------------------

def test_error_values_are_problems_of_their_rows_not_blanks(tmp_path, policy):
    rows = [HEADER, ["张三", IDS[0], "普通高中", "建档立卡"], ["李四", IDS[1], "初中", "建档立卡"],
            ["王五", IDS[2], "小学", "非困难"], ["赵六", IDS[3], "小学", "建档立卡"]]

    def edit(ws):
        error_cell(ws, "B3", "#N/A")         # 李四's ID: a pasted VLOOKUP result
        error_cell(ws, "D4", "#REF!")        # 王五's category
        error_cell(ws, "D5", "#N/A")

    path = workbook(tmp_path / "名单.xlsx", rows, edit)
    # 赵六's category: a lookup formula whose cached result is #N/A (Excel writes both)
    patched(path, '<c r="D5" t="e"><v>#N/A</v></c>', '<c r="D5" t="e"><f>VLOOKUP(B5,名单!A:B,2,0)</f><v>#N/A</v></c>')
    table = read_table(path)
    assert table.errors == {(2, 1): "#N/A", (3, 3): "#REF!", (4, 3): "#N/A"}
    result = parse_students(table, policy)
    problems = problems_by_name(result)
    assert any("身份证号（B列）的单元格是Excel错误值 #N/A（读出为空）" in p and "查找公式" in p
               for p in problems["李四"])
    assert any("家庭类别（D列）的单元格是Excel错误值 #REF!" in p for p in problems["王五"])
    assert any("家庭类别（D列）的单元格是Excel错误值 #N/A" in p for p in problems["赵六"])
    assert problems["张三"] == []


def test_an_error_value_in_the_roster_is_a_problem(tmp_path):
    path = workbook(tmp_path / "r.xlsx", [["姓名", "证件号码"], ["张三", IDS[0]], ["李四", IDS[1]]],
                    lambda ws: error_cell(ws, "B3", "#N/A"))
    result = parse_roster(read_table(path))
    problems = problems_by_name(result)
    assert any("证件号码（B列）的单元格是Excel错误值 #N/A" in p for p in problems["李四"])
    assert problems["张三"] == []


def test_a_usual_sheet_is_not_searched_for_marks(tmp_path, policy, monkeypatch):
    """The usual file (every tag as the usual writers write it) pays nothing for the marks: the
    search runs in chunks not of the usual form only (the import's benchmark)."""
    def refuse(*_args):
        raise AssertionError("a usual chunk was searched for marks")
    monkeypatch.setattr(sheet_scan._SheetScan, "_marks", refuse)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for i, id_number in enumerate(IDS):
        ws.append([f"学生{i}", id_number, "小学", "建档立卡"])
    wb.save(tmp_path / "plain.xlsx")
    table = read_table(tmp_path / "plain.xlsx")
    assert table.errors == {} and table.hidden == frozenset() and table.merged == ()
    assert parse_students(table, policy).notes == []
    # LibreOffice writes every row's attributes, hidden="false" among them: still the usual form
    path = tmp_path / "lo.xlsx"
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/"))
    parts[sheet] = re.sub(rb'<row r="(\d+)">', rb'<row r="\1" customFormat="false" ht="12.8" hidden="false" '
                          rb'customHeight="false" outlineLevel="0" collapsed="false">', parts[sheet])
    assert parts[sheet].count(b'hidden="false"') == len(IDS) + 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    assert read_table(path).hidden == frozenset()


# -- hidden rows -----------------------------------------------------------------------------------

def test_hidden_rows_are_read_and_named(tmp_path, policy):
    rows = [["2026年学生名单"], HEADER, *[[f"学生{i}", IDS[i], "小学", "建档立卡"] for i in range(5)]]

    def edit(ws):
        for r in (1, 4, 6):          # the title (above the header: not named), two students
            ws.row_dimensions[r].hidden = True

    table = read_table(workbook(tmp_path / "h.xlsx", rows, edit))
    assert table.hidden == {0, 3, 5}
    result = parse_students(table, policy)
    assert {r.values["name"] for r in result.rows} == {f"学生{i}" for i in range(5)}    # none left out
    assert len(result.notes) == 1
    assert result.notes[0].startswith("第 4、6 行在表格中是隐藏的（或被筛选隐藏），也已读入")
    assert "删除这些行" in result.notes[0]


def test_a_hidden_row_as_excel_writes_it(tmp_path):
    """Excel puts ``spans`` and other attributes before ``hidden``; ``hidden="0"`` is not hidden."""
    path = workbook(tmp_path / "x.xlsx", [["姓名", "证件号码"], ["张三", IDS[0]], ["李四", IDS[1]]])
    patched(path, '<row r="2">', '<row r="2" spans="1:2" hidden="0" x14ac:dyDescent="0.25">')
    patched(path, '<row r="3">', '<row r="3" spans="1:2" ht="0" customHeight="1" hidden="1">')
    table = read_table(path)
    assert table.hidden == {2}
    assert parse_roster(table).notes == ["第 3 行在表格中是隐藏的（或被筛选隐藏），也已读入：如果其中有不应导入的行，"
                                          "请在表格中删除这些行（不要只隐藏）后重新导入"]


# -- merged cells -----------------------------------------------------------------------------------

def test_a_merged_cell_is_read_on_each_of_its_rows(tmp_path, policy):
    rows = [HEADER, ["张大", IDS[0], "初中", "建档立卡"], ["张二", IDS[1], "小学", None],
            ["张三", IDS[2], "小学", None], ["李四", IDS[3], "小学", "非困难"], ["以下空白"]]

    def edit(ws):
        ws.merge_cells("D2:D4")           # three siblings: one family category
        ws.merge_cells("A6:D6")           # a note across the row: not a student's value

    table = read_table(workbook(tmp_path / "m.xlsx", rows, edit))
    assert (1, 3, 3, 3) in table.merged
    result = parse_students(table, policy)
    categories = {r.values["name"]: r.values["category"] for r in result.rows}
    assert categories["张二"] == categories["张三"] == categories["张大"] != categories["李四"]
    assert not any("家庭类别" in p for r in result.rows for p in r.problems)
    assert result.notes == ["第 3、4 行的D列是与上一行合并的单元格，已按合并单元格的内容读入（与表格中看到的一致）"]
    assert "以下空白" not in categories          # the forms' end mark: a footer, not a student
    assert [r.values["name"] for r in result.skipped] == ["以下空白"]


def test_the_merged_cells_are_measured_once_per_list(tmp_path, policy, monkeypatch):
    """The rows and the notes fill the same cells, from one pass over the merged ranges."""
    from core.importers import common
    rows = [HEADER, ["张大", IDS[0], "初中", "建档立卡"], ["张二", IDS[1], "小学", None], ["李四", IDS[3], "小学", "非困难"]]
    table = read_table(workbook(tmp_path / "m.xlsx", rows, lambda ws: ws.merge_cells("D2:D3")))
    real, calls = common.merge_fills, []
    monkeypatch.setattr(common, "merge_fills", lambda *a: calls.append(1) or real(*a))
    assert "第 3 行的D列" in parse_students(table, policy).notes[0] and len(calls) == 1
    calls.clear()
    parse_roster(table)
    assert len(calls) == 1


def test_a_student_over_two_rows_with_the_name_and_id_merged_is_one_student(tmp_path, policy):
    """Some forms give a student a row per family member, 姓名 and 身份证号 merged over them: the rows
    under are no second student (not filled: skipped as before, no duplicate ID), while a merged
    category is filled; an unmapped column's merge is neither filled nor noted."""
    header = [*HEADER, "家庭成员", "备注"]
    rows = [header, ["张三", IDS[0], "小学", "建档立卡", "父 张大", "甲"], [None, None, None, None, "母 李二", None],
            ["李四", IDS[1], "小学", "非困难", "父 李大", None]]

    def edit(ws):
        for ref in ("A2:A3", "B2:B3", "D2:D3", "F2:F3"):
            ws.merge_cells(ref)

    result = parse_students(read_table(workbook(tmp_path / "f.xlsx", rows, edit)), policy)
    assert [(r.values["name"], r.problems) for r in result.rows] == [("张三", []), ("李四", [])]
    assert [r.line for r in result.skipped] == [3]
    assert result.notes == []        # line 3 was skipped: nothing of it was read


def test_a_hidden_footer_row_is_not_named_as_read(tmp_path, policy):
    rows = [HEADER, ["张三", IDS[0], "小学", "建档立卡"], ["以下为空"], ["以 下 空 白"]]

    def edit(ws):
        ws.row_dimensions[3].hidden = True

    result = parse_students(read_table(workbook(tmp_path / "e.xlsx", rows, edit)), policy)
    assert [r.line for r in result.skipped] == [3, 4] and result.notes == []


def test_a_merge_in_the_header_is_left_as_read(tmp_path, policy):
    """A merged title or header cell is no data row's value: nothing filled, nothing noted."""
    rows = [["学生名单", None, None, None], HEADER, ["张三", IDS[0], "小学", "建档立卡"]]
    table = read_table(workbook(tmp_path / "t.xlsx", rows, lambda ws: ws.merge_cells("A1:D1")))
    result = parse_students(table, policy)
    assert result.notes == [] and [r.values["name"] for r in result.rows] == ["张三"]


def test_the_command_line_tells_the_notes(tmp_path, capsys):
    rows = [HEADER, ["张大", IDS[0], "初中", "建档立卡"], ["张二", IDS[1], "小学", None]]

    def edit(ws):
        ws.merge_cells("D2:D3")
        ws.row_dimensions[3].hidden = True

    path = workbook(tmp_path / "名单.xlsx", rows, edit)
    db = str(tmp_path / "z.sqlite")
    assert run(["--db", db, "init", "--school", "第一中学", "--code", "4115", "--school-year", "2026"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "import", "students", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "注意：第 3 行在表格中是隐藏的" in out
    assert "注意：第 3 行的D列是与上一行合并的单元格" in out


# -- CSV delimiters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_a_csv_is_read_with_its_own_delimiter_under_a_title_line(tmp_path, policy, delimiter):
    """Excel in a European locale saves semicolons; a title line above the header has none."""
    lines = ["2026年秋季学期学生名单", delimiter.join(HEADER),
             delimiter.join(["张三", IDS[0], "普通高中", "建档立卡"]),
             delimiter.join(["李四", IDS[1], "初中", "非困难"])]
    path = tmp_path / "名单.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    result = parse_students(read_table(path), policy)
    assert [(r.values["name"], r.values["stage"], r.problems) for r in result.rows] == [
        ("张三", "普通高中", []), ("李四", "初中", [])]


def test_a_comma_csv_whose_notes_hold_semicolons_stays_a_comma_csv(tmp_path, policy):
    path = tmp_path / "名单.csv"
    path.write_text("姓名,身份证号,学段,备注\n"
                    f"张三,{IDS[0]},小学,\"转入;原校;一小;2025;;;;\"\n李四,{IDS[1]},小学,\"a;b;c;d;e;f;g;h\"\n", encoding="utf-8")
    assert [r.values["name"] for r in parse_students(read_table(path), policy).rows] == ["张三", "李四"]
