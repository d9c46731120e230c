"""A two-row header: a merged 实际收费（元） cell above its sub-headers 学费/书本费/住宿费, the other
headers merged down over both rows (core.importers.header). The sub-headers fill the columns the
upper row leaves empty or unknown; the lower row is not a data row; nothing else changes."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from cli.commands import run
from core.domain import Stage
from core.idnumber import make_id
from core.importers import Table, find_header, parse_students, read_table
from core.importers.coverage import missing_column_warnings
from core.policy import default_policy
from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS

ID1 = make_id("110101", date(2008, 5, 1), 11)
ID2 = make_id("110101", date(2007, 9, 30), 22)

TOP = ["序号", "学生姓名", "公民身份号码", "就读学段", "家庭经济困难类型", "实际收费（元）", "", ""]
SUB = ["", "", "", "", "", "学费", "书本费", "住宿费"]


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def merged_file(path, sub=SUB):
    """The county's 花名册: a title row, the two-row header (merged as Excel merges it), two students."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某某中学2023年秋季学期学生资助花名册"])
    ws.append(TOP)
    ws.append(sub)
    ws.append([1, "张三", ID1, "普通高中", "建档立卡", "1200", "300", "0"])
    ws.append([2, "李四", ID2, "普通高中", "建档立卡", "1200", "300", "400"])
    ws.merge_cells("A1:H1")
    ws.merge_cells("F2:H2")
    for col in "ABCDE":
        ws.merge_cells(f"{col}2:{col}3")
    wb.save(path)
    return path


def test_sub_headers_under_a_merged_cell_are_read_as_the_columns_headers():
    m = find_header(Table("a.xlsx", "S", [["标题"], TOP, SUB, ["1", "张三", ID1, "普通高中", "", "1200", "300", "0"]]),
                    STUDENT_COLUMNS)
    assert {f: m.columns[f] for f in ("tuition", "textbook", "lodging")} == {"tuition": 5, "textbook": 6, "lodging": 7}
    assert m.matched["tuition"] == "学费" and m.headers[5:] == ["学费", "书本费", "住宿费"]
    assert m.header_row == 2 and m.header_rows == 2      # the data follow the lower row ...
    assert m.line == 2                                   # ... and the header starts on line 2
    assert m.unknown == ["序号"]                         # 实际收费（元） gave way to its sub-headers


def test_the_sub_header_row_is_no_skipped_row_and_the_fees_are_imported(tmp_path, policy):
    result = parse_students(read_table(merged_file(tmp_path / "s.xlsx")), policy)
    assert result.skipped == [] and result.problem_rows == []
    rows = {r.values["name"]: r for r in result.rows}
    assert [r.line for r in result.rows] == [4, 5]
    assert (rows["李四"].values["tuition_fen"], rows["李四"].values["textbook_fen"],
            rows["李四"].values["lodging_fen"]) == (120000, 30000, 40000)
    assert result.warnings == []                         # no “没有识别到“实收学费”列”


def test_a_sub_header_row_that_is_shorter_or_longer_than_the_header_row(policy):
    top = ["姓名", "身份证号", "学段", "实际收费"]                # the merged cell's other cells trimmed
    sub = ["", "", "", "学费", "书本费"]
    result = parse_students(Table("a.xlsx", "S", [top, sub, ["张三", ID1, "普通高中", "1200", "300"]]), policy)
    assert result.mapping.columns["textbook"] == 4 and result.rows[0].values["textbook_fen"] == 30000


def test_a_data_row_under_a_one_row_header_stays_a_data_row(policy):
    # values under recognised columns: a data row, even with a header word under an empty header cell
    rows = [["姓名", "身份证号", "学段", ""], ["张三", ID1, "普通高中", "学费"]]
    m = find_header(Table("a.xlsx", "S", rows), STUDENT_COLUMNS)
    assert m.header_row == 0 and m.header_rows == 1 and "tuition" not in m.columns
    assert [r.values["name"] for r in parse_students(Table("a.xlsx", "S", rows), policy).rows] == ["张三"]


def test_only_fields_not_yet_found_and_only_empty_or_unknown_header_cells():
    # the field is already in the header row: the row under it is not taken
    rows = [["姓名", "身份证号", "学段", "实收学费", "备注"], ["", "", "", "", "学费"]]
    m = find_header(Table("a.xlsx", "S", rows), STUDENT_COLUMNS)
    assert m.header_row == 0 and m.columns["tuition"] == 3
    # nothing known in the row under: not taken
    rows = [["姓名", "身份证号", "学段", "实际收费"], ["", "", "", "说明"]]
    assert find_header(Table("a.xlsx", "S", rows), STUDENT_COLUMNS).header_row == 0
    # a column ignored on purpose stays ignored; the others are taken
    rows = [["姓名", "身份证号", "学段", "问题", "收费"], ["", "", "", "书本费", "学费"]]
    m = find_header(Table("a.xlsx", "S", rows), STUDENT_COLUMNS)
    assert m.header_row == 1 and m.columns["tuition"] == 4 and "textbook" not in m.columns
    assert m.headers[3] == "问题"


def test_the_roster_and_the_clerks_overrides_too():
    top = ["姓名", "身份证号码", "户籍地址", "", ""]
    sub = ["", "", "乡(镇)", "行政村", "户编号"]
    m = find_header(Table("r.xlsx", "S", [top, sub, ["张三", ID1, "业州镇", "红岩村", "001"]]), ROSTER_COLUMNS)
    # (three sub-headers outnumber the two headers above them: the lower row is found, the upper completes it)
    assert (m.columns["township"], m.columns["village"], m.columns["household_no"]) == (2, 3, 4)
    assert m.columns["name"] == 0 and m.header_row == 1 and m.line == 1
    # a sub-header the clerk mapped (列对应) is re-read the same way: the mapping is stable
    rows = [TOP, ["", "", "", "", "", "学费（元）", "教材费", "住宿费"]]
    m = find_header(Table("a.xlsx", "S", rows), STUDENT_COLUMNS, overrides={"教材费": "textbook"})
    assert m.columns["textbook"] == 6 and m.header_rows == 2
    assert find_header(Table("a.xlsx", "S", rows), STUDENT_COLUMNS, overrides=m.overrides()).columns == m.columns


def test_cli_import_of_the_merged_header(tmp_path, capsys):
    dbp = str(tmp_path / "c.sqlite")
    assert run(["--db", dbp, "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    capsys.readouterr()
    assert run(["--db", dbp, "import", "students", str(merged_file(tmp_path / "s.xlsx"))]) == 0
    out = capsys.readouterr().out
    assert "实收学费 ← “学费”（F列）" in out and "实收住宿费 ← “住宿费”（H列）" in out
    assert "没有识别到" not in out and "跳过第" not in out and "实际收费" not in out
    assert "已新增 2 行" in out


def test_the_missing_column_warning_names_no_gui_only_control_as_the_only_way():
    hs = missing_column_warnings(default_policy(), {"name", "id_number", "stage", "category"},
                                 {Stage.HIGH_SCHOOL})
    fee = next(w for w in hs if w.startswith("没有识别到“实收学费”列"))
    assert "请把它的表头改为“实收学费”后重新导入" in fee
    assert "（在导入向导中也可以在列对应中指定它" in fee and "请在列对应中指定它（或" not in fee


def test_a_fee_named_under_two_merged_cells_is_left_for_the_clerk_to_map():
    """收费标准 / 减免金额 / 实际收费, each over 学费 and 住宿费 (a common county form): the sub-header
    alone cannot tell the charged fee from the standard, so neither is taken silently."""
    top = ["序号", "姓名", "身份证号", "学段", "收费标准（元）", "", "减免金额（元）", "", "实际收费（元）", ""]
    sub = ["", "", "", "", "学费", "住宿费", "学费", "住宿费", "学费", "住宿费"]
    table = Table("a.xlsx", "S", [top, sub, ["1", "张三", ID1, "普通高中", "1200", "400", "1200", "400", "0", "0"]])
    m = find_header(table, STUDENT_COLUMNS)
    assert "tuition" not in m.columns and "lodging" not in m.columns
    assert any("实收学费" in w for w in missing_column_warnings(default_policy(), set(m.columns), {Stage.HIGH_SCHOOL}))
