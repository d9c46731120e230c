"""户编号 and 贷款合同号 typed into number cells lose their digits past the fifteenth as 学籍号 does:
flagged at import in both lists (review, session 17: two households ...0001 and ...0002 became
one, silently, and the 每户一页 letters put two families on one page)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook

from core.idnumber import make_id
from core.importers.reader import read_table
from core.importers.roster import parse_roster
from core.importers.students import parse_students
from core.policy import default_policy

LOST = 4215211012010000          # what a number cell keeps of 4215211012010001 and of …0002
IDS = [make_id("421521", date(2012, 3, d), 11 + d) for d in (1, 2, 3)]
FLAG = "户编号（D列）来自数字格式单元格，后几位可能已丢失"


def _book(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_roster_household_number_cells_are_flagged(tmp_path):
    path = _book(tmp_path / "r.xlsx", ["县(市、区)", "乡(镇)", "行政村", "户编号", "姓名", "证件号码"],
                 [["某县", "甲镇", "一村", LOST, "张一", IDS[0]],
                  ["某县", "乙镇", "二村", "4.21521E+15", "李二", IDS[1]],
                  ["某县", "乙镇", "二村", "4215211012010003", "王三", IDS[2]]])
    rows = parse_roster(read_table(path)).rows
    assert [any(p.startswith(FLAG) for p in r.problems) for r in rows] == [True, True, False]
    assert rows[0].raw and not rows[2].problems          # a flagged row keeps its cells for the problem file
    assert rows[2].values["household_no"] == "4215211012010003"


def test_student_household_and_loan_contract_cells_are_flagged(tmp_path):
    path = _book(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "户编号", "贷款合同号"],
                 [["张一", IDS[0], "小学", LOST, float(LOST)],
                  ["李二", IDS[1], "小学", "4215211012010002", "HBE2023001"]])
    first, second = parse_students(read_table(path), default_policy()).rows
    assert any(p.startswith(FLAG) for p in first.problems)
    assert any(p.startswith("贷款合同号（E列）来自数字格式单元格") for p in first.problems)
    assert not second.problems
    assert second.values["household_no"] == "4215211012010002" and second.values["loan_contract_no"] == "HBE2023001"
