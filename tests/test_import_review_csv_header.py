"""From the import review: a stray quote in a CSV swallowed the rest of the file without a word,
a repeated header took its first column even when empty, and a full disk while saving an .xlsx
left the temporary open and printed "Exception ignored in: ZipFile.__del__" after the Chinese error."""
from __future__ import annotations

import builtins
import csv
import gc
import io
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from core.errors import InputFileError, OutputFileError
from core.exports.xlsx_common import save_workbook
from core.idnumber import make_id
from core.importers import Table, parse_students, read_table
from core.importers.output import save_atomic
from core.policy import default_policy

IDS = [make_id("110101", date(2012, 5, 3), 100 + i) for i in range(300)]


@pytest.fixture(scope="module")
def policy():
    return default_policy()


# -- 1. CSV: a quote opened and never closed ---------------------------------------------------

def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def student_lines(n: int, grade=lambda i: "五年级") -> list[str]:
    return ["姓名,身份证号,学段,年级"] + [f"学生{i},{IDS[i % len(IDS)]},小学,{grade(i)}" for i in range(n)]


def test_a_stray_quote_refuses_the_file_naming_its_line_and_column(tmp_path):
    lines = student_lines(200, lambda i: '"五年级' if i == 3 else "五年级")   # line 5 of the file
    with pytest.raises(InputFileError) as info:
        read_table(write_lines(tmp_path / "q.csv", lines))
    text = str(info.value)
    assert "第5行D列" in text and "“\"五年级”" in text and "英文双引号" in text
    assert "其后 196 行" in text                           # the rows it would have swallowed
    assert "记事本" in text and "删除第5行" in text        # what to do, and where


def test_a_stray_quote_on_the_last_line(tmp_path):
    with pytest.raises(InputFileError, match="第2行A列"):
        read_table(write_lines(tmp_path / "q.csv", ["姓名,身份证号,学段", f'"张三,{IDS[0]},小学']))


def test_the_notepad_line_is_named_when_earlier_cells_hold_line_breaks(tmp_path):
    lines = student_lines(4)
    lines[1] = f'学生0,{IDS[0]},小学,"五年级\n二班"'         # a cell on two lines: record 2 is lines 2-3
    lines[3] = f'学生2,{IDS[2]},小学,"五年级'
    with pytest.raises(InputFileError) as info:
        read_table(write_lines(tmp_path / "q.csv", lines))
    assert "第4行D列（用记事本打开时是第5行）" in str(info.value) and "删除第5行" in str(info.value)


def test_quoted_cells_with_line_breaks_and_quotes_are_still_read(tmp_path):
    path = tmp_path / "ok.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["姓名", "身份证号", "学段", "备注"],
                                  ["张三", IDS[0], "小学", "五年级\n二班"],
                                  ["李四", IDS[1], "小学", 'a "b" c'],
                                  ["王五", IDS[2], "小学", ""]])
    table = read_table(path)
    assert [row[3] for row in table.rows] == ["备注", "五年级\n二班", 'a "b" c', ""]


def test_an_overlong_cell_is_explained_in_chinese(tmp_path):
    lines = student_lines(6000, lambda i: '"五年级' if i == 9 else "五年级")   # 200 000 characters swallowed
    with pytest.raises(InputFileError) as info:
        read_table(write_lines(tmp_path / "big.csv", lines))
    text = str(info.value)
    assert "第11行有一个单元格超过 131072 个字符" in text and "英文双引号" in text
    assert "记事本" in text and "CSV格式有误" not in text


# -- 2. a header met twice: the column with data ------------------------------------------------

def categories(result) -> list[str]:
    return [r.values["category"] for r in result.rows]


def test_a_repeated_header_takes_the_column_with_data(policy):
    rows = [["姓名", "身份证号", "学段", "家庭类别", "家庭类别"],
            ["甲", IDS[0], "小学", "", "建档立卡"], ["乙", IDS[1], "小学", "", "建档立卡"]]
    result = parse_students(Table("a.xlsx", "S", rows), policy)
    alone = parse_students(Table("b.xlsx", "S", [[r[i] for i in (0, 1, 2, 4)] for r in rows]), policy)
    assert result.mapping.columns["category"] == 4
    assert categories(result) == categories(alone) and categories(alone)[0]
    assert result.unknown_headers == ["家庭类别（D列，没有数据）"]


def test_a_repeated_header_with_data_in_both_keeps_the_first_and_says_so(policy):
    rows = [["姓名", "身份证号", "学段", "家庭类别", "家庭类别"],
            ["甲", IDS[0], "小学", "非困难", ""], ["乙", IDS[1], "小学", "", "建档立卡"]]
    result = parse_students(Table("a.xlsx", "S", rows), policy)
    assert result.mapping.columns["category"] == 3
    [note] = result.unknown_headers
    assert note.startswith("家庭类别（E列：与D列同名") and "只导入了D列" in note and "E列未使用" in note


def test_an_empty_column_of_the_field_s_own_header_gives_way_to_a_synonym_with_data(policy):
    rows = [["姓名", "身份证号", "学段", "全日制", "是否全日制正式学籍"], ["甲", IDS[0], "中职", "否", ""]]
    result = parse_students(Table("a.xlsx", "S", rows), policy)
    assert result.mapping.matched["full_time"] == "全日制" and result.rows[0].values["full_time"] is False
    assert result.unknown_headers == ["是否全日制正式学籍"]


def test_a_repeated_header_with_both_columns_empty_keeps_the_first(policy):
    rows = [["姓名", "身份证号", "学段", "家庭类别", "家庭类别"], ["甲", IDS[0], "小学", "", " "]]
    result = parse_students(Table("a.xlsx", "S", rows), policy)
    assert result.mapping.columns["category"] == 3
    assert result.unknown_headers == ["家庭类别（E列，没有数据）"]


# -- 3. a full disk while saving an .xlsx --------------------------------------------------------

class FullDisk:
    """A file whose disk fills after ``room`` bytes."""

    def __init__(self, fh, room: int) -> None:
        self.fh, self.room = fh, room

    def write(self, data) -> int:
        self.room -= len(data)
        if self.room < 0:
            raise OSError(28, "No space left on device")
        return self.fh.write(data)

    def __getattr__(self, name):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()


def big_workbook(write_only: bool) -> openpyxl.Workbook:
    wb = openpyxl.Workbook(write_only=write_only)
    ws = wb.create_sheet("名单") if write_only else wb.active
    for i in range(3000):
        ws.append([f"学生{i}", IDS[i % len(IDS)], "中文内容" * 3, i * 1.5])
    return wb


@pytest.mark.parametrize("save, write_only", [(save_atomic, False), (save_workbook, False),
                                              (save_workbook, True)])
def test_a_full_disk_leaves_nothing_open_and_nothing_printed(tmp_path, monkeypatch, save, write_only):
    wb = big_workbook(write_only)
    real_open, opened, unraisable = builtins.open, [], []

    def open_(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        if Path(str(file)).name.startswith(".~") and "b" in mode:     # core.paths' atomic temporary
            opened.append(FullDisk(fh, 4000))
            return opened[-1]
        return fh

    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)                       # zipfile opens a path with io.open
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_value))
    with pytest.raises(OutputFileError, match="磁盘空间不足"):
        save(wb, tmp_path / "out.xlsx")
    assert opened and all(f.fh.closed for f in opened)           # closed before the temporary was removed
    assert list(tmp_path.iterdir()) == []
    gc.collect()                                                 # the failed save's frames are gone
    assert unraisable == []


@pytest.mark.parametrize("save", [save_atomic, save_workbook])
def test_a_saved_workbook_reads_back(tmp_path, save):
    save(big_workbook(False), tmp_path / "ok.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "ok.xlsx").active
    assert ws.max_row == 3000 and ws["A3000"].value == "学生2999"
