"""A corrected ID survives the next re-import; the child is not added again (review of re-imports, 6).

The clerk corrected a mistyped (still valid) ID in the form; the school's list kept the old one.
The form overwrote ``id_raw`` with the typed ID and students were matched by ID only, so the next
import added the child again: two listed students, paid twice. Now ``id_raw`` keeps the ID as the
file held it (no migration), a row with that ID and the same name updates the corrected student
(its corrected ID kept), and the preview flags an added row named as a listed student.
"""
from __future__ import annotations

from reimport_fixtures import HS, HS2, WRONG, school, sheet, students

from core.idnumber import mask_id
from db.compute import compute_school
from db.session import Database
from db.usecases import edit_student, verify
from db.workflows import preview_import, run_import

HEADER = ["姓名", "身份证号", "学段", "家庭类别", "实收学费"]


def _imported(db: Database, path, *rows) -> int:
    school(db)
    run_import(db, "students", sheet(path, HEADER, *rows))
    return students(db)[0]["id"]


def test_the_file_with_the_old_id_updates_the_corrected_student(db, tmp_path):
    sid = _imported(db, tmp_path / "v1.xlsx", ["张丽", WRONG, "普通高中", "建档立卡", 1000])
    diff = edit_student(db, sid, {"id_number": HS}).diff
    assert diff == {"id_number": (WRONG, HS)}            # the file's ID stays in id_raw
    verify(db, [sid])
    again = sheet(tmp_path / "v2.xlsx", HEADER, ["张丽", WRONG, "普通高中", "建档立卡", 1200])
    preview = preview_import(db, "students", again)
    assert preview.plan.counts()["added"] == 0 and preview.plan.counts()["updated"] == 1
    assert [sid_ for sid_, _row, _now in preview.plan.corrected] == [sid]
    assert "1 行的身份证号是学生在本程序中更正之前的号码：将按更正后的学生更新，保留更正后的身份证号" in preview.notes
    assert f"  第 2 行 张丽（{mask_id(WRONG)}） → 名单中的身份证号 {mask_id(HS)}" in preview.review
    run_import(db, "students", again)
    (zhang,) = students(db)
    assert (zhang["id_number"], zhang["id_raw"], zhang["tuition_fen"]) == (HS, WRONG, 120000)
    results, totals = compute_school(db)
    assert len(results) == 1 and totals.total == 120000    # paid once

    run_import(db, "students", sheet(tmp_path / "v3.xlsx", HEADER, ["张丽", HS, "普通高中", "建档立卡", 1200]))
    assert [(s["id_number"], s["tuition_fen"]) for s in students(db)] == [(HS, 120000)]   # the school's fix too


def test_an_invalid_id_and_a_missing_id_corrected_are_found_again(db, tmp_path):
    bad = HS2[:-1] + ("0" if HS2[-1] != "0" else "1")
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, ["张丽", bad, "普通高中", "建档立卡", 1000],
                                     ["李四", None, "普通高中", "建档立卡", 1000]))
    zhang, li = (s["id"] for s in students(db))
    edit_student(db, zhang, {"id_number": HS2})
    edit_student(db, li, {"id_number": HS})
    report = run_import(db, "students", tmp_path / "v1.xlsx")
    assert report.counts["added"] == 0 and len(report.plan.corrected) == 2
    assert [(s["name"], s["id_number"]) for s in students(db)] == [("张丽", HS2), ("李四", HS)]


def test_another_name_with_the_old_id_is_not_the_corrected_student(db, tmp_path):
    sid = _imported(db, tmp_path / "v1.xlsx", ["张丽", WRONG, "普通高中", "建档立卡", 1000])
    edit_student(db, sid, {"id_number": HS})
    report = run_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER, ["王芳", WRONG, "普通高中", "非困难", 0]))
    assert report.counts["added"] == 1 and report.plan.corrected == []
    assert [(s["name"], s["id_number"]) for s in students(db)] == [("张丽", HS), ("王芳", WRONG)]


def test_an_undone_correction_matches_by_the_id_again(db, tmp_path):
    sid = _imported(db, tmp_path / "v1.xlsx", ["张丽", WRONG, "普通高中", "建档立卡", 1000])
    diff = edit_student(db, sid, {"id_number": HS}).diff
    edit_student(db, sid, {f: old for f, (old, _new) in diff.items()})       # the form's undo
    assert [(s["id_number"], s["id_raw"]) for s in students(db)] == [(WRONG, WRONG)]
    report = run_import(db, "students", tmp_path / "v1.xlsx")
    assert report.counts["unchanged"] == 1 and report.plan.corrected == []


def test_an_added_row_named_as_a_listed_student_is_flagged(db, tmp_path):
    """A correction made before this fix (or of a number cell, whose text named no one) left no
    trace of the file's ID: the row is added, and the preview says a listed student has its name."""
    sid = _imported(db, tmp_path / "v1.xlsx", ["张丽", WRONG, "普通高中", "建档立卡", 1000],
                    ["李四", HS2, "普通高中", "非困难", 0])
    edit_student(db, sid, {"id_number": HS, "id_raw": HS})       # as the form wrote it before
    preview = preview_import(db, "students", tmp_path / "v1.xlsx")
    assert preview.plan.counts()["added"] == 1
    assert [(row.line, other) for row, other, _number in preview.plan.same_name] == [(2, sid)]
    assert ("新增的 1 行与名单中已有的学生同名、身份证号不同：请核对是否为同一名学生（是同一人时导入会重复享受资助）"
            in preview.notes)
    assert f"  第 2 行 张丽（{mask_id(WRONG)}）：名单中已有 张丽（{mask_id(HS)}）" in preview.review


def test_the_old_id_now_another_childs_updates_the_corrected_student_not_the_other_child(db, tmp_path):
    """张丽's file ID (WRONG) was really 王芳's; the clerk corrected 张丽, and 王芳 came with WRONG in the
    next list. The school's old file (张丽 still WRONG) updates 张丽, never 王芳 (session 18's diff review)."""
    zhang = _imported(db, tmp_path / "v1.xlsx", ["张丽", WRONG, "普通高中", "建档立卡", 1000])
    edit_student(db, zhang, {"id_number": HS})
    run_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER, ["张丽", HS, "普通高中", "建档立卡", 1000],
                                     ["王芳", WRONG, "普通高中", "非困难", 0]))
    wang = next(s["id"] for s in students(db) if s["name"] == "王芳")
    verify(db, [wang])
    report = run_import(db, "students", sheet(tmp_path / "v3.xlsx", HEADER, ["张丽", WRONG, "普通高中", "建档立卡", 1300]))
    assert [sid_ for sid_, _row, _now in report.plan.corrected] == [zhang]
    rows = {s["name"]: (s["id"], s["id_number"], s["category"], s["tuition_fen"], s["verified"]) for s in students(db)}
    assert rows == {"张丽": (zhang, HS, "REGISTERED", 130000, False), "王芳": (wang, WRONG, "NONE", 0, True)}


def test_two_children_of_one_name_without_ids_are_never_told_apart_by_the_name(db, tmp_path):
    """A file without IDs, two 张伟: the clerk types the first one's ID and verifies him. The same file
    again must not give him the other child's row (a name alone cannot say which 张伟 is which)."""
    school(db)
    first = ["张伟", None, "普通高中", "建档立卡", 1000]
    other = ["张伟", None, "普通高中", "非困难", 0]
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, first, other))
    one, _two = (s["id"] for s in students(db))
    edit_student(db, one, {"id_number": HS})
    verify(db, [one])
    report = run_import(db, "students", tmp_path / "v1.xlsx")
    assert report.plan.corrected == []
    mine = next(s for s in students(db) if s["id"] == one)
    assert (mine["id_number"], mine["category"], mine["tuition_fen"], mine["verified"]) == (HS, "REGISTERED", 100000, True)


def test_an_id_cleared_in_the_form_is_flagged_not_hidden_by_the_files_id(db, tmp_path):
    from db.usecases import check
    from db.views import finding_rows
    sid = _imported(db, tmp_path / "v1.xlsx", ["张丽", HS, "普通高中", "建档立卡", 1000])
    edit_student(db, sid, {"id_number": ""})
    (zhang,) = students(db)
    assert (zhang["id_number"], zhang["id_raw"]) == ("", "")
    check(db)
    assert "ID_INVALID" in {r.code for r in finding_rows(db) if r.student_id == sid}
