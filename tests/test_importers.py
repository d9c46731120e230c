"""Importers: reading files, finding headers, parsing students and rosters,
exporting problem rows. Every test builds its own small files in tmp_path."""
from __future__ import annotations

import csv
import os
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from core.errors import InputFileError, MissingColumnsError, OutputFileError
from core.idnumber import check_id, make_id
from core.importers import Table, find_header, parse_roster, parse_students, read_table, write_problem_rows
from core.importers.common import NUMERIC_ID_PROBLEM, WHOLE_NUMBER_CELL
from core.policy import default_policy
from core.records import STUDENT_COLUMNS

DATA = Path(__file__).parent / "data"
ID1 = make_id("110101", date(2008, 5, 1), 11)    # 男
ID2 = make_id("110101", date(2010, 9, 30), 22)   # 女
ID3 = make_id("110101", date(2006, 1, 15), 33)
ID_X = next(make_id("110101", date(2007, 3, 3), s) for s in range(1, 999)
            if make_id("110101", date(2007, 3, 3), s).endswith("X"))
BAD_CHECK = ID1[:17] + ("0" if ID1[17] != "0" else "1")

STUDENT_HEADER = ["姓名", "身份证号", "学段", "就读地", "学校性质", "是否全日制正式学籍",
                  "家庭类别", "实收学费", "实收书本费", "实收住宿费", "生源地助学贷款"]


@pytest.fixture(scope="module")
def policy():
    return default_policy()


# ---------------------------------------------------------------- file helpers

def write_xlsx(path: Path, rows: list[list], title: str | None = None, width: int = 0,
               empty_first_sheet: bool = False) -> Path:
    """An .xlsx as a clerk makes it: optional merged title row above the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if empty_first_sheet:
        ws.title = "空白"
        ws = wb.create_sheet("名单")
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1,
                       end_column=max(width, len(rows[0]) if rows else 1))
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str) -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows(rows)
    return path


def students_of(rows: list[list], policy, **kw):
    return parse_students(Table("mem.xlsx", "S", rows), policy, **kw)


def by_name(result):
    return {r.values["name"]: r for r in result.rows}


# ---------------------------------------------------------------- reading files

def test_xlsx_with_title_row_spaced_headers_and_number_id(tmp_path, policy):
    path = write_xlsx(tmp_path / "名单.xlsx", [
        ["序号", "姓 名", "身份证号", "学  段", "乡（镇）", "备注"],
        [1, "张三", ID1, "初中", "城关镇", ""],
        [2, "李四", 411521200001011234, "小学", "城关镇", "转学"],
    ], title="XX学校建档立卡学生名单")
    table = read_table(path)
    assert table.sheet == "Sheet"
    assert table.rows[0][0] == "XX学校建档立卡学生名单"
    result = parse_students(table, policy)
    m = result.mapping
    assert m.line == 2
    assert m.columns["name"] == 1 and m.matched["name"] == "姓 名"
    assert m.columns["township"] == 4 and m.matched["township"] == "乡（镇）"
    assert result.unknown_headers == ["序号", "备注"]
    rows = by_name(result)
    assert [r.line for r in result.rows] == [3, 4]
    assert rows["张三"].values["id_number"] == ID1 and rows["张三"].problems == []
    assert rows["张三"].values["township"] == "城关镇"
    li = rows["李四"]
    assert li.values["id_numeric_cell"] is True
    assert li.values["id_number"] == ""
    assert li.values["id_raw"].startswith("4115212000010") and len(li.values["id_raw"]) == 18
    assert NUMERIC_ID_PROBLEM in li.problems
    assert li.raw[0] == "2" and li.raw[2] == li.values["id_raw"]


def test_first_non_empty_sheet_is_read(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [["姓名", "身份证号", "学段"]], empty_first_sheet=True)
    assert read_table(path).sheet == "名单"


def test_dates_phone_and_long_numbers_from_cells(tmp_path, policy):
    path = write_xlsx(tmp_path / "a.xlsx", [
        ["姓名", "身份证号", "学段", "出生日期", "联系电话", "银行卡号", "学籍号", "年级"],
        ["张三", ID1, "初中", date(2008, 5, 1), 13800138000, 6217001234567890123, "G" + ID1, 3],
        ["李四", ID2, "初中", datetime(2010, 9, 30, 0, 0), "", "6217001234567890", "", "三"],
    ])
    rows = by_name(parse_students(read_table(path), policy))
    z = rows["张三"].values
    assert z["birth_date"] == "2008-05-01"
    assert z["phone"] == "13800138000"
    assert z["student_no"] == "G" + ID1
    assert z["grade"] == "3"
    assert any("银行卡号" in p and "文本格式" in p for p in rows["张三"].problems)
    assert rows["李四"].values["birth_date"] == "2010-09-30"
    assert rows["李四"].values["bank_card"] == "6217001234567890"
    assert rows["李四"].problems == []


def test_csv_utf8_bom_and_gbk(tmp_path, policy):
    data = [["学生姓名", "身份证号码", "就读学段", "家庭类别"],
            ["王五", ID1, "高中", "脱贫户"], ["赵六", ID2, "中专", "监测户"]]
    for enc in ("utf-8-sig", "gbk"):
        table = read_table(write_csv(tmp_path / f"s_{enc}.csv", data, enc))
        assert table.rows[1] == ["王五", ID1, "高中", "脱贫户"]
        rows = by_name(parse_students(table, policy))
        assert rows["王五"].values["stage"] == "普通高中"
        assert rows["王五"].values["category"] == "REGISTERED"
        assert rows["赵六"].values["stage"] == "中职"
        assert rows["赵六"].values["category"] == "OTHER_HARDSHIP"


def test_csv_scientific_id_text(tmp_path, policy):
    path = write_csv(tmp_path / "s.csv", [["姓名", "身份证号", "学段"], ["张三", "4.11521E+17", "初中"]],
                     "utf-8")
    row = parse_students(read_table(path), policy).rows[0]
    assert row.values["id_numeric_cell"] is True
    assert row.values["id_raw"] == "4.11521E+17"
    assert row.problems == [NUMERIC_ID_PROBLEM]


@pytest.mark.parametrize(("cell", "said"), [(411521800101123, "这是15位的旧式身份证号，请换成18位的公民身份号码"),
                                           (411521800101123.0, "这是15位的旧式身份证号，请换成18位的公民身份号码"),
                                           (12345, "身份证号应为18位，这里是5位：请核对原始证件后改正"),
                                           (0, "身份证号应为18位，这里是1位：请核对原始证件后改正"),
                                           (-12345, "身份证号应为18位，这里是5位：请核对原始证件后改正")])
def test_a_number_cell_of_fifteen_digits_or_fewer_lost_nothing(tmp_path, policy, cell, said):
    """Excel keeps 15 digits: an old 15-digit ID (or a short number) typed as a number is whole, and
    was said to have lost its last digits; its own problem is said. It is stored as before (no ID,
    the number cell marked): matched by its text and name, as the rows stored by older versions."""
    path = write_xlsx(tmp_path / "s.xlsx", [["姓名", "身份证号", "学段"], ["张三", cell, "初中"]])
    row = parse_students(read_table(path), policy).rows[0]
    assert row.problems == [WHOLE_NUMBER_CELL + said]
    assert (row.values["id_number"], row.values["id_raw"], row.values["id_numeric_cell"]) == ("", str(int(cell)), True)


@pytest.mark.parametrize("suffix", ["xlsx", "ods", "xls"])
def test_files_saved_by_libreoffice(suffix, policy):
    """Files written by a real office program (tests/data/make_office_fixtures.py): a merged
    title row, a fee from a formula, an ID typed as a number, empty and zero fees."""
    result = parse_students(read_table(DATA / f"office-students.{suffix}"), policy)
    rows = by_name(result)
    assert result.mapping.line == 2 and not result.skipped and len(rows) == 3
    zhang, li, wang = rows["张三"], rows["李四"], rows["王五"]
    assert zhang.values["stage"] == "普通高中" and zhang.values["id_number"] == ID1 and zhang.problems == []
    assert (zhang.values["tuition_fen"], zhang.values["lodging_fen"]) == (120050, 30000)   # 1200.5, =0.1*3000
    assert li.values["id_numeric_cell"] is True and li.problems == [NUMERIC_ID_PROBLEM]
    assert (li.values["tuition_fen"], li.values["lodging_fen"]) == (None, 0)                # empty is not 0
    assert (zhang.values["prior_grants"], li.values["prior_grants"]) == ("", "*")
    assert wang.values["id_number"] == ID2 and wang.values["tuition_fen"] is None and wang.problems == []


def test_xlsx_saved_with_xls_extension_is_read(tmp_path):
    src = write_xlsx(tmp_path / "a.xlsx", [["姓名", "身份证号", "学段"], ["张三", ID1, "初中"]])
    wrong = tmp_path / "a.xls"
    wrong.write_bytes(src.read_bytes())
    assert read_table(wrong).rows[1] == ["张三", ID1, "初中"]


@pytest.mark.parametrize("name, content, words", [
    ("missing.xlsx", None, ["找不到文件", "missing.xlsx"]),
    ("list.docx", b"PK\x03\x04xx", ["list.docx", "不支持", ".xlsx"]),
    ("broken.xlsx", b"this is not a workbook", ["broken.xlsx", "不是有效的Excel文件", "另存为 .xlsx"]),
    ("web.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>",
     ["web.xls", "网页", "另存为 .xlsx"]),
    ("empty.csv", b"", ["empty.csv", "空"]),
    ("blank.csv", b" , \r\n,,\r\n", ["blank.csv", "没有任何数据"]),
    ("bin.csv", b"\xff\xfe\x00\xd8\x00\x00", ["bin.csv"]),
])
def test_unreadable_files(tmp_path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError) as exc:
        read_table(path)
    text = exc.value.message + exc.value.hint
    for word in words:
        assert word in text
    assert exc.value.hint.startswith("请")


# ---------------------------------------------------------------- header and mapping

def test_missing_required_column_names_it_and_lists_found(policy):
    rows = [["姓名", "身份证号", "年级", "班级"], ["张三", ID1, "1", "2"]]
    with pytest.raises(InputFileError) as exc:
        students_of(rows, policy)
    msg = exc.value.message
    assert "“学段”" in msg and "身份证号”" not in msg.split("找到的列有")[0]
    assert "找到的列有：姓名、身份证号、年级、班级" in msg
    assert "第1行" in msg


def test_no_header_row_at_all(policy):
    with pytest.raises(InputFileError) as exc:
        students_of([["a", "b"], ["c", "d"]], policy)
    assert "找不到表头行" in exc.value.message
    assert "姓名" in exc.value.hint and "学段" in exc.value.hint


def test_header_decorations_and_title_rows():
    rows = [["XX县学生资助名单"], ["填报单位：XX中学", "", "日期：2023-04-10"],
            ["*姓名", "身份证号（必填）", "学段", "实收学费（元）"], ["张三", ID1, "初中", "100"]]
    m = find_header(Table("a.xlsx", "S", rows), STUDENT_COLUMNS)
    assert m.header_row == 2
    assert m.columns == {"name": 0, "id_number": 1, "stage": 2, "tuition": 3}


def test_overrides_map_and_ignore_columns(policy):
    rows = [["姓名", "学生证件", "学段", "学费", "身份证号"],
            ["张三", ID1, "初中", "100", "作废"]]
    ovr = {"学生 证件": "id_number", "身份证号": "", "学费": ""}
    result = students_of(rows, policy, overrides=ovr)
    m = result.mapping
    assert m.columns["id_number"] == 1
    assert "tuition" not in m.columns
    assert set(m.ignored) == {"学费", "身份证号"} and m.unknown == []
    assert result.rows[0].values["id_number"] == ID1
    assert result.rows[0].values["tuition_fen"] is None
    saved = m.overrides()
    assert saved["学生证件"] == "id_number" and saved["学费"] == ""
    again = students_of(rows, policy, overrides=saved)
    assert again.mapping.columns == m.columns


def test_two_id_columns_with_data_are_refused_until_the_clerk_picks_one(policy):
    # (the second may be a guardian's: its order tells nothing, tests/test_import_messy.py)
    rows = [["姓名", "身份证号", "学段", "身份证号码"], ["张三", ID1, "初中", ID2]]
    with pytest.raises(MissingColumnsError) as exc:
        students_of(rows, policy)
    assert exc.value.missing == ["id_number"] and "B列“身份证号”、D列“身份证号码”" in exc.value.message
    result = students_of(rows, policy, overrides={"身份证号": "id_number"})
    assert result.mapping.columns["id_number"] == 1
    assert result.unknown_headers == ["身份证号码"]


# ---------------------------------------------------------------- student values

def test_synonym_headers_and_location_yes_no(policy):
    rows = [["学生姓名", "公民身份号码", "就读学段", "是否外地就学", "办学性质", "困难类型",
             "书本费", "住宿费", "是否办理生源地助学贷款", "监护人", "行政村", "全国学籍号"],
            ["甲", ID1, "幼儿园", "是", "民办", "低保", "80", "0", "是", "甲父", "一村", "L123"],
            ["乙", ID2, "专科", "否", "", "", "", "", "否", "", "", ""],
            ["丙", ID3, "硕士", "外地", "", "建档立卡户", "", "", "", "", "", ""]]
    rows_ = by_name(students_of(rows, policy))
    a, b, c = rows_["甲"].values, rows_["乙"].values, rows_["丙"].values
    assert (a["stage"], a["location"], a["ownership"], a["category"]) == ("学前教育", "外地", "民办", "OTHER_HARDSHIP")
    assert (a["textbook_fen"], a["lodging_fen"], a["has_loan"]) == (8000, 0, True)
    assert (a["head_name"], a["village"], a["student_no"]) == ("甲父", "一村", "L123")
    assert (b["stage"], b["location"], b["has_loan"]) == ("高职专科", "本地", False)
    assert (c["stage"], c["location"], c["category"]) == ("硕士研究生", "外地", "REGISTERED")
    assert all(not r.problems for r in rows_.values())


def test_defaults_for_empty_optional_values(policy):
    rows = [[*STUDENT_HEADER, "性别"], ["张三", ID1, "初中", "", "", "", "", "", "", "", "", ""]]
    row = students_of(rows, policy).rows[0]
    v = row.values
    assert (v["location"], v["ownership"], v["full_time"], v["category"]) == ("本地", "公办", True, "NONE")
    assert v["has_loan"] is False
    assert (v["gender"], v["birth_date"]) == ("男" if int(ID1[16]) % 2 else "女", f"{ID1[6:10]}-{ID1[10:12]}-{ID1[12:14]}")
    assert (v["tuition_fen"], v["textbook_fen"], v["lodging_fen"]) == (None, None, None)
    assert row.problems == []


def test_columns_absent_take_defaults(policy):
    v = students_of([["姓名", "身份证号", "学段"], ["张三", ID1, "博士"]], policy).rows[0].values
    assert v["stage"] == "博士研究生"
    assert (v["location"], v["ownership"], v["full_time"], v["category"]) == ("本地", "公办", True, "NONE")
    assert v["tuition_fen"] is None and v["bank_card"] == "" and v["phone"] == ""


def test_fees_empty_zero_and_amounts(policy):
    rows = [["姓名", "身份证号", "学段", "实收学费", "实收书本费", "实收住宿费"],
            ["甲", ID1, "高中", "", "0", 0],
            ["乙", ID2, "高中", "1,200.50", 1200.5, "300元"],
            ["丙", ID3, "高中", 359.99999999999994, "１２０", "  "]]
    rows_ = by_name(students_of(rows, policy))
    assert [rows_["甲"].values[k] for k in ("tuition_fen", "textbook_fen", "lodging_fen")] == [None, 0, 0]
    assert [rows_["乙"].values[k] for k in ("tuition_fen", "textbook_fen", "lodging_fen")] == [120050, 120050, 30000]
    assert [rows_["丙"].values[k] for k in ("tuition_fen", "textbook_fen", "lodging_fen")] == [36000, 12000, None]
    assert all(not r.problems for r in rows_.values())


def test_bad_values_are_kept_with_problems(policy):
    rows = [[*STUDENT_HEADER, "性别"],
            ["张三", ID1, "大班", "省城", "私立", "不清楚", "贫困", "一千", "-5", "1.234", "也许", "未知"]]
    result = students_of(rows, policy)
    assert len(result.rows) == 1
    row = result.rows[0]
    v = row.values
    assert (v["stage"], v["location"], v["ownership"], v["category"], v["gender"]) == \
        ("大班", "省城", "私立", "贫困", "未知")
    assert v["full_time"] is True and v["has_loan"] is False
    assert (v["tuition_fen"], v["textbook_fen"], v["lodging_fen"]) == (None, None, None)
    problems = "\n".join(row.problems)
    assert len(row.problems) == 10
    assert "学段（C列）的值“大班”无法识别" in problems and "学前教育" in problems and "博士研究生" in problems
    assert "就读地（D列）" in problems and "“本地”或“外地”" in problems
    assert "学校性质（E列）" in problems and "“公办”或“民办”" in problems
    assert "是否全日制正式学籍（F列）的值“不清楚”" in problems and "已按“是”处理" in problems
    assert "家庭类别（G列）的值“贫困”" in problems and "建档立卡" in problems and "脱贫户" in problems
    assert "实收学费（H列）" in problems and "不是数字" in problems
    assert "实收书本费（I列）" in problems and "负数" in problems
    assert "实收住宿费（J列）" in problems and "两位小数" in problems
    assert "生源地助学贷款（K列）" in problems and "已按“否”处理" in problems
    assert "性别（L列）的值“未知”" in problems


def test_gender_and_names(policy):
    rows = [["姓名", "身份证号", "学段", "性别"],
            ["张  三", ID1, "初中", "M"], ["李　四", ID2, "初中", "女性"],
            ["阿依古丽·买买提", ID3, "初中", "f"]]
    rows_ = by_name(students_of(rows, policy))
    assert rows_["张三"].values["gender"] == "男"
    assert rows_["李四"].values["gender"] == "女"
    assert rows_["阿依古丽·买买提"].values["gender"] == "女"


def test_id_normalisation_and_invalid_ids(policy):
    fullwidth = ID2.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    rows = [["姓名", "身份证号", "学段"],
            ["甲", ID_X.lower(), "初中"], ["乙", f"  {fullwidth} ", "初中"],
            ["丙", BAD_CHECK, "初中"], ["丁", ID1[:15], "初中"], ["戊", "", "初中"],
            ["己", ID3[:6] + " " + ID3[6:14] + " " + ID3[14:], "初中"]]
    rows_ = by_name(students_of(rows, policy))
    assert rows_["甲"].values["id_number"] == ID_X and rows_["甲"].values["id_raw"] == ID_X.lower()
    assert rows_["乙"].values["id_number"] == ID2 and rows_["乙"].values["id_raw"] == f"  {fullwidth} "
    assert rows_["己"].values["id_number"] == ID3
    for name in "甲乙己":
        assert rows_[name].problems == [] and rows_[name].values["id_numeric_cell"] is False
    assert rows_["丙"].values["id_number"] == BAD_CHECK
    assert rows_["丙"].problems == [check_id(BAD_CHECK).problem]
    assert rows_["丁"].problems == [check_id(ID1[:15]).problem]
    assert "身份证号为空" in rows_["戊"].problems[0]


def test_duplicate_ids_are_both_kept(policy):
    rows = [["姓名", "身份证号", "学段"], ["张三", ID1, "初中"], ["张三", ID1, "初中"]]
    result = students_of(rows, policy)
    assert len(result.rows) == 2
    assert [r.line for r in result.rows] == [2, 3]
    assert all(r.values["id_number"] == ID1 for r in result.rows)
    # said at the preview, before the import (the check's 身份证号重复 comes after it)
    assert result.rows[0].problems == [] and result.rows[1].problems == [
        "第3行的身份证号与第2行相同：同一名学生填了两次，或其中一行的身份证号填错了"]
    assert result.rows[1].raw                      # (saved with the problem rows)


def test_skipped_and_empty_rows(policy):
    rows = [["序号", "姓名", "身份证号", "学段", "实收学费"],
            [1, "张三", ID1, "初中", 100],
            ["", "", "", "", ""],
            [None, "   ", None, None, None],
            [2, "", "", "", ""],
            ["", "合计", "", "", 100],
            ["序号", "姓名", "身份证号", "学段", "实收学费"],
            ["", "填表人：李老师", "", "", ""],
            [3, "王五", "", "初中", ""],
            [4, "", ID2, "初中", ""]]
    result = students_of(rows, policy)
    assert [r.line for r in result.rows] == [2, 9, 10]
    assert [r.line for r in result.skipped] == [5, 6, 7, 8]
    assert all(len(r.problems) == 1 and "未导入" in r.problems[0] for r in result.skipped)
    assert "合计" in result.skipped[1].problems[0]
    assert "表头" in result.skipped[2].problems[0]
    assert "身份证号为空" in result.rows[1].problems[0]
    assert "姓名（B列）为空" in result.rows[2].problems[0]


def test_footer_rows_are_skipped_with_a_reason_never_imported_as_students(policy):
    """The sheet's footer — 合计/小计 rows, "制表人：… 审核人：…" signature lines spread over the
    cells (the ID cell holding "审核人:"), a 填表说明 note — is listed as skipped, with why;
    real students with a bad or missing ID are still imported and flagged."""
    from core.importers.common import SKIPPED_FOOTER, SKIPPED_TOTAL
    rows = [["序号", "姓名", "身份证号", "学段", "实收学费"],
            [1, "张三", ID1, "初中", 100],
            [2, "李四", BAD_CHECK, "初中", 100],
            [3, "王五", "", "初中", ""],
            ["小计", "", "", "", 200],
            ["", "合计：3人", "", "", 300],
            ["制表人：张老师", "", "审核人:", "", ""],
            ["", "张老师", "审核人：李校长", "", ""],
            ["制表人：", "张老师", "", "审核人：", "李校长"],
            ["", "填表说明", "", "", ""],
            ["", "", "", "填表说明：1. 身份证号请设为文本格式", ""],
            ["", "备注：学费按实收填写", "", "", ""],
            ["", "学校负责人（签字）：", "", "日期：2023-03-20", ""]]
    result = students_of(rows, policy)
    assert [r.values["name"] for r in result.rows] == ["张三", "李四", "王五"]
    reasons = {r.line: r.problems[-1] for r in result.skipped}
    assert reasons == {5: SKIPPED_TOTAL, 6: SKIPPED_TOTAL, 7: SKIPPED_FOOTER, 8: SKIPPED_FOOTER,
                       9: SKIPPED_FOOTER, 10: SKIPPED_FOOTER, 11: SKIPPED_FOOTER, 12: SKIPPED_FOOTER,
                       13: SKIPPED_FOOTER}
    assert "不是学生" in SKIPPED_TOTAL and "制表人" in SKIPPED_FOOTER


def test_roster_footer_rows_are_skipped():
    rows = [["姓名", "证件号码", "户编号"], ["张大", ID1, "1"],
            ["制表人：王", "审核人：", ""], ["总计", "", "1"]]
    result = parse_roster(Table("r.csv", "r", rows))
    assert [r.values["name"] for r in result.rows] == ["张大"]
    assert [r.line for r in result.skipped] == [3, 4]


def test_progress_is_reported_at_most_about_100_times(policy):
    rows = [["姓名", "身份证号", "学段"]] + [[f"学生{i}", ID1, "初中"] for i in range(1234)]
    calls: list[tuple[int, int]] = []
    result = students_of(rows, policy, progress=lambda d, t: calls.append((d, t)))
    assert len(result.rows) == 1234
    assert 2 <= len(calls) <= 101
    assert calls[-1] == (1234, 1234)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# ---------------------------------------------------------------- roster

ROSTER_HEADER = ["县(市、区)", "乡（镇）", "行政村", "户编号", "姓名", "证件号码", "与户主关系",
                 "在校生状况", "就读学校", "人口数"]


def test_roster_values_and_ids(tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", [
        ROSTER_HEADER,
        ["XX县", "城关镇", "一村", 411521000001, "张大", ID1, "户主", "非在校生", "", 4],
        ["XX县", "城关镇", "一村", "411521000001", "张小", ID_X.lower(), "之子", "初中", "XX中学", ""],
        ["XX县", "城关镇", "一村", "411521000002", "李大", 411521200001011234, "户主", "", "", 2],
        ["XX县", "城关镇", "一村", "411521000003", "王大", BAD_CHECK, "户主", "", "", 1],
        ["合计", "", "", "", "", "", "", "", "", 7],
    ], title="XX县建档立卡人员名单")
    result = parse_roster(read_table(path))
    assert result.mapping.columns["township"] == 1
    assert result.unknown_headers == ["人口数"]
    rows = by_name(result)
    assert set(rows) == {"张大", "张小", "李大", "王大"}
    assert rows["张大"].values == {
        "name": "张大", "id_number": ID1, "id_raw": ID1, "id_numeric_cell": False,
        "county": "XX县", "township": "城关镇", "village": "一村", "household_no": "411521000001",
        "relation": "户主", "schooling_status": "非在校生", "school_name": ""}
    assert rows["张小"].values["id_number"] == ID_X
    assert rows["李大"].values["id_numeric_cell"] is True and rows["李大"].problems == [NUMERIC_ID_PROBLEM]
    assert rows["王大"].problems == [check_id(BAD_CHECK).problem]
    assert [r.line for r in result.skipped] == [7]


def test_roster_synonyms_and_missing_id_column():
    rows = [["区县", "乡镇", "村", "姓名", "身份证号码", "就学状况"], ["XX县", "A镇", "B村", "张三", ID1, "在校"]]
    v = parse_roster(Table("r.csv", "r", rows)).rows[0].values
    assert (v["county"], v["township"], v["village"], v["schooling_status"]) == ("XX县", "A镇", "B村", "在校")
    assert v["household_no"] == "" and v["school_name"] == ""
    with pytest.raises(InputFileError) as exc:
        parse_roster(Table("r.csv", "r", [["姓名", "户编号"], ["张三", "1"]]))
    assert "“证件号码”" in exc.value.message and "找到的列有：姓名、户编号" in exc.value.message


def big_roster(n: int) -> Table:
    ids = [make_id("110101", date(1950 + i % 60, 1 + i % 12, 1 + i % 28), i % 1000) for i in range(2000)]
    rows: list[list[Any]] = [["XX县建档立卡名单"], ROSTER_HEADER]
    rows += [["XX县", "城关镇", "一村", f"4115210{i:07d}", f"张{i % 97}", ids[i % 2000], "之子",
              "在校生", "XX中学", 4.0] for i in range(n)]
    return Table("big.xlsx", "S", rows)


def test_a_big_roster_reports_progress_about_a_hundred_times():
    calls = []
    result = parse_roster(big_roster(20_000), progress=lambda d, t: calls.append(d))
    assert len(result.rows) == 20_000 and not result.skipped
    assert not any(r.problems for r in result.rows[:1000])
    assert 10 <= len(calls) <= 102 and calls == sorted(calls)


@pytest.mark.slow
def test_roster_200k_rows_is_quick():
    table = big_roster(200_000)
    start = time.perf_counter()
    result = parse_roster(table)
    elapsed = time.perf_counter() - start
    assert len(result.rows) == 200_000 and not result.skipped
    assert elapsed < 20, f"200,000 roster rows took {elapsed:.1f}s"


def test_fast_id_check_agrees_with_check_id():
    from core.idnumber import is_valid_id, normalize_id
    samples = [ID1, ID2, ID3, ID_X, BAD_CHECK, ID1[:15], ID1[:17], ID1 + "1",
               ID1[:6] + "20230230" + ID1[14:], ID1[:6] + "18991231" + ID1[14:],
               make_id("110101", date(2099, 1, 1), 1), ID1[:17] + "Y", "A" + ID1[1:],
               make_id("999999", date(2000, 1, 1), 5)]
    for s in samples:
        assert is_valid_id(normalize_id(s)) == check_id(s).valid, s


# ---------------------------------------------------------------- problem rows export

def test_problem_rows_export_is_re_readable(tmp_path, policy):
    src = write_xlsx(tmp_path / "in.xlsx", [
        ["序号", "姓名", "身份证号", "学段", "实收学费"],
        [1, "张三", ID1, "初中", 100],
        [2, "李四", 411521200001011234, "小学", ""],
        [3, "王五", ID_X.lower(), "大班", "一千"],
    ], title="XX学校学生名单")
    result = parse_students(read_table(src), policy)
    bad = result.problem_rows
    assert [r.values["name"] for r in bad] == ["李四", "王五"]
    out = tmp_path / "问题行.xlsx"
    out.write_bytes(b"old content")        # replaced atomically
    write_problem_rows(out, result.headers, bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "问题行.xlsx"]

    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws[1]] == ["序号", "姓名", "身份证号", "学段", "实收学费", "问题"]
    assert ws.freeze_panes == "A2"
    assert ws["C2"].data_type == "s" and ws["C2"].number_format == "@"
    assert ws["C3"].value == ID_X.lower()
    assert ws["F2"].value == NUMERIC_ID_PROBLEM
    assert "；" in ws["F3"].value and "大班" in ws["F3"].value

    again = parse_students(read_table(out), policy)
    assert again.unknown_headers == ["序号"] and again.mapping.ignored == ["问题"]
    assert [r.values["name"] for r in again.rows] == ["李四", "王五"]
    assert again.rows[0].values["id_raw"] == bad[0].values["id_raw"]
    assert again.rows[1].values["id_number"] == ID_X
    assert again.rows[1].problems == bad[1].problems


def test_problem_rows_export_failure_leaves_no_temp_file(tmp_path):
    target = tmp_path / "no_such_folder" / "x.xlsx"
    with pytest.raises(OutputFileError) as exc:
        write_problem_rows(target, ["姓名"], [])
    assert "不存在" in exc.value.message
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "x.xlsx").mkdir()            # a folder in the way: os.replace fails
    with pytest.raises(OutputFileError):
        write_problem_rows(folder / "x.xlsx", ["姓名"], [])
    assert [p.name for p in folder.iterdir()] == ["x.xlsx"]
    assert os.path.isdir(folder / "x.xlsx")


def test_birth_month_typed_as_a_number_keeps_its_month(tmp_path, policy):
    src = write_xlsx(tmp_path / "b.xlsx", [["姓名", "身份证号", "学段", "出生日期"],
                                           ["王五", ID1, "初中", 2009.10], ["赵六", ID2, "初中", 2009.01]])
    rows = parse_students(read_table(src), policy).rows
    assert [r.values["birth_date"] for r in rows] == ["2009.10", "2009.01"]


# ------------------------------------------- formulas without a value, date serials

def test_formula_cells_without_a_computed_value_are_problem_rows(tmp_path, policy):
    wb = openpyxl.Workbook()          # openpyxl writes formulas without a cached value
    ws = wb.active
    ws.append(["姓名", "身份证号", "学段", "实收学费"])
    ws.append(["张三", ID1, "普通高中", "=1000+200"])
    ws.append(['=CONCAT("李","四")', ID2, "小学", 0])
    ws.append(["王五", ID3, "初中", 0])
    ws.append(['="x"', '="y"', '="z"', "=1"])           # a row of formulas only: read as empty
    path = tmp_path / "f.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.rows[1][3] == "" and table.uncomputed == {(1, 3), (2, 0), (4, 0), (4, 1), (4, 2), (4, 3)}
    result = parse_students(table, policy)
    problems = {r.line: r.problems for r in result.rows + result.skipped}
    assert any("实收学费（D列）的单元格是公式" in p and "请在Excel中打开并保存，或把公式改为数值" in p
               for p in problems[2])
    assert any("姓名（A列）的单元格是公式" in p for p in problems[3])
    assert not problems[4]
    assert 5 in problems and "身份证号（B列）的单元格是公式" in problems[5][1]   # listed, not silently dropped
    roster = parse_roster(read_table(write_xlsx(tmp_path / "r.xlsx", [["姓名", "证件号码"], ["=1", ID1]])))
    assert "姓名（A列）的单元格是公式" in roster.rows[0].problems[0]


def test_a_cached_formula_value_is_read_normally(tmp_path, policy):
    path = write_xlsx(tmp_path / "c.xlsx", [["姓名", "身份证号", "学段"], ["张三", ID1, "普通高中"]])
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode()
    head, _sep, rest = xml.partition("<c r=\"A2\"")
    cell_end = rest.index("</c>") + 4
    parts[sheet] = (head + '<c r="A2" t="str"><f>CONCAT("张","三")</f><v>张三</v></c>' + rest[cell_end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    table = read_table(path)
    assert table.uncomputed == set()
    assert by_name(parse_students(table, policy))["张三"].problems == []


def test_excel_date_serial_in_birth_date_is_flagged(policy):
    header = ["姓名", "身份证号", "学段", "出生日期"]
    result = students_of([header, ["张三", ID1, "普通高中", 39569.0], ["李四", ID2, "小学", 2010.09],
                          ["王五", ID3, "初中", date(2006, 1, 15)], ["赵六", ID_X, "初中", 200703]], policy)
    rows = by_name(result)
    assert any("Excel的日期序号" in p and "2008-05-01" in p and "出生日期（D列）" in p for p in rows["张三"].problems)
    assert rows["张三"].values["birth_date"] == "39569"
    assert rows["李四"].problems == [] and rows["王五"].problems == [] and rows["赵六"].problems == []


def test_earlier_once_only_aid_covers_every_once_only_item_whatever_its_code(policy):
    """往年已享受就学扶助 是 is stored as the fact (every once-only item), not as the codes the policy had
    at the import: an item renamed, copied, or retired at the import and restored since is covered
    too (money review, session 17: it was paid again)."""
    from core.engine import Calculator
    from core.policy import load_policy
    from core.records import grants_of, student_record
    header = ["姓名", "身份证号", "学段", "往年已享受就学扶助", "生源地助学贷款", "家庭类别", "就读地"]
    rows = [header, ["张三", ID1, "本科", "是", "是", "建档立卡", "外地"], ["李四", ID2, "本科", "否", "是", "建档立卡", "外地"]]
    retired = load_policy(policy.text.replace('code = "LOAN_AID"', 'code = "LOAN_AID"\nretired = true', 1))
    assert "LOAN_AID" not in retired.once_codes
    for at_import in (policy, retired):
        got = parse_students(Table("s.xlsx", "S", rows), at_import)
        assert [r.values["prior_grants"] for r in got.rows] == ["*", ""]
        renamed = load_policy(policy.text.replace('"LOAN_AID"', '"JIUXUE_FUZHU"'))
        for now in (policy, renamed):
            code = now.once_codes[0]
            granted = [{d.code for d in Calculator(now)(student_record(
                {**r.values, "full_time": True}, key=i, prior_grants=grants_of(r.values["prior_grants"]))).granted}
                for i, r in enumerate(got.rows)]
            assert code not in granted[0] and code in granted[1], (at_import.once_codes, code)


@pytest.mark.parametrize(("raw", "said"), [
    ("411521800101123", "数字没有丢失，但这是15位的旧式身份证号，请换成18位的公民身份号码"),
    ("411521200001010000", "最后几位已经丢失"),
    ("4.11521E+17", "最后几位已经丢失"),
])
def test_the_number_cell_finding_says_lost_digits_only_when_digits_were_lost(raw, said):
    from core.checks import CheckContext, StudentFacts, run_checks
    s = StudentFacts(key=1, name="张三", id_number="", id_raw=raw, id_numeric_cell=True, stage="初中")
    ctx = CheckContext(students=[s], roster=[], policy=default_policy(), school_name="甲校",
                       school_year=2023, today=date(2024, 4, 1))
    (message,) = [f.message for f in run_checks(ctx) if f.code == "ID_NUMERIC_CELL"]
    assert message.endswith(said)
    assert (raw in message) is (raw == "4.11521E+17")       # a long one masked; the short text as typed
