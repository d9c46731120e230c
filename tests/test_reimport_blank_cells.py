"""A blank cell in a re-imported student list keeps the stored value (review of re-imports, 1).

The parser turns a blank cell into its column's default (家庭类别 非困难, no fee, 往年已享受 否,
就读地 本地, 全日制 是, "" …) and names the field in ``ParsedRow.blank``; a new student gets the
default, a stored student keeps its value, and the preview and the report say how many blank cells
kept a stored value. Before, the re-import wrote the defaults: a 建档立卡 student's grant vanished.
"""
from __future__ import annotations

from reimport_fixtures import HS, HS2, audit_since, audit_top, school, sheet, students

from core.domain import EVERY_ONCE_ONLY
from core.importers import Table, parse_students
from core.policy import default_policy
from db.compute import compute_school
from db.usecases import verify
from db.workflows import preview_import, run_import

HEADER = ["姓名", "身份证号", "学段", "家庭类别", "实收学费", "往年已享受就学扶助", "就读地", "是否全日制正式学籍",
          "联系电话"]
FULL = ["张丽", HS, "普通高中", "建档立卡", 1000, "是", "本地", "是", "13800000000"]
PART_TIME = ["张丽", HS, "普通高中", "建档立卡", 1000, "是", "外地", "否", "13800000000"]
BLANK = ["张丽", HS, "普通高中", None, None, "", "  ", "\u3000", None]


def test_the_parser_names_the_fields_of_blank_cells_in_the_file_only():
    rows = [["姓名", "身份证号", "学段", "家庭类别", "实收学费", "往年已享受就学扶助", "联系电话"],
            ["张丽", HS, "普通高中", "", None, " ", ""],
            ["李四", HS2, "普通高中", "建档立卡", 0, "否", "138"]]
    parsed = parse_students(Table(rows=rows, path=None, sheet="S"), default_policy())
    blank, full = parsed.rows
    assert blank.blank == {"category", "tuition_fen", "prior_grants", "phone"}
    # the defaults are still the values (a new student gets them)
    assert (blank.values["category"], blank.values["tuition_fen"], blank.values["prior_grants"]) == ("NONE", None, "")
    assert full.blank == frozenset()       # 0 and 否 are values, not blanks; absent columns are not blank
    bools = [["姓名", "身份证号", "学段", "往年已享受就学扶助", "实收学费"], ["张丽", HS, "普通高中", False, 0.0]]
    assert parse_students(Table(rows=bools, path=None, sheet="S"), default_policy()).rows[0].blank == frozenset()


def test_a_first_import_does_not_look_for_blank_cells(db, tmp_path, monkeypatch):
    """No student stored: every row is added with the defaults, so the blanks are not looked for
    (they cost about 0.15 s at 50,000 rows); once students are stored they are."""
    import core.importers.students as students_module
    calls: list[bool] = []
    real = students_module._StudentParser.note_blanks

    def note(self, rows):
        calls.append(True)
        return real(self, rows)
    monkeypatch.setattr(students_module._StudentParser, "note_blanks", note)
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, FULL))
    assert calls == []
    run_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER, BLANK))
    assert calls == [True]


def test_a_blank_cell_keeps_the_stored_value_and_the_verification(db, tmp_path):
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, FULL))
    sid = students(db)[0]["id"]
    verify(db, [sid])
    before = students(db)[0]
    total = compute_school(db)[1].total
    assert before["verified"] and before["sealed"] and total > 0
    last = audit_top(db)

    again = sheet(tmp_path / "v2.xlsx", HEADER, BLANK)
    preview = preview_import(db, "students", again)
    assert preview.plan.counts()["updated"] == 0 and preview.plan.counts()["unchanged"] == 1
    assert preview.plan.kept_blank == 4       # 本地 and 是: the defaults are the stored values
    assert "文件中有 4 个空白单元格没有覆盖已有的数据，将保留原来的值（新增的学生按默认值）" in preview.notes
    assert any("家庭类别（建档立卡）" in line and "实收学费（元）（1000.00）" in line for line in preview.review)

    report = run_import(db, "students", again)
    assert "文件中有 4 个空白单元格没有覆盖已有的数据，保留了原来的值（新增的学生按默认值）" in report.notes
    after = students(db)[0]
    assert after == before                                 # every value, verified and sealed
    assert after["prior_grants"] == EVERY_ONCE_ONLY and after["category"] == "REGISTERED"
    assert compute_school(db)[1].total == total
    assert [e for e in audit_since(db, last) if e[0] == "student"] == []


def test_a_value_still_replaces_and_a_new_student_gets_the_defaults(db, tmp_path):
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, PART_TIME))
    changed = ["张丽", HS, "普通高中", "其他经济困难", 1200, None, None, None, None]
    newcomer = ["李四", HS2, "普通高中", None, None, None, None, None, None]
    report = run_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER, changed, newcomer))
    assert report.counts["updated"] == 1 and report.counts["added"] == 1
    zhang, li = students(db)
    assert (zhang["category"], zhang["tuition_fen"]) == ("OTHER_HARDSHIP", 120000)       # values replace
    assert (zhang["prior_grants"], zhang["location"], zhang["full_time"], zhang["phone"]) == (
        EVERY_ONCE_ONLY, "外地", False, "13800000000")                                     # blanks keep
    assert (li["category"], li["tuition_fen"], li["prior_grants"], li["location"], li["full_time"]) == (
        "NONE", None, "", "本地", True)                                                    # the defaults
    assert report.plan.kept_blank == 4


def test_a_blank_cell_over_an_empty_stored_value_fills_it(db, tmp_path):
    """Students stored before 性别 and 出生日期 were filled from the ID at import: a re-import with those
    cells blank fills them (an empty stored value has nothing to keep), and says nothing of "kept" cells."""
    import sqlite3
    school(db)
    header = ["姓名", "身份证号", "学段", "家庭类别", "性别", "出生日期"]
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", header, ["张丽", HS, "普通高中", "建档立卡", "", ""]))
    con = sqlite3.connect(db.path)
    con.execute("UPDATE student SET gender = '', birth_date = ''")      # as an earlier version stored them
    con.commit()
    con.close()
    again = sheet(tmp_path / "v2.xlsx", header, ["张丽", HS, "普通高中", "建档立卡", None, None])
    preview = preview_import(db, "students", again)
    assert preview.plan.kept_blank == 0 and not any("空白单元格" in n for n in preview.notes)
    run_import(db, "students", again)
    with db.session() as s:
        from db.models import Student
        st = s.query(Student).one()
        assert (st.gender, st.birth_date) == ("男" if int(HS[16]) % 2 else "女", f"{HS[6:10]}-{HS[10:12]}-{HS[12:14]}")
