"""A re-import updates the student on the list, not one taken off it (review of re-imports, 3).

Students were matched in id order, removed ones too: with a student typed twice and the first
taken off the list (移出名单, 重复录入), the corrected file's values went to the removed record and
the listed one kept the old fee. A listed student is now matched first; a row matching only a
removed student updates it, it stays removed, and the preview says so.
"""
from __future__ import annotations

from reimport_fixtures import HS, HS2, school, sheet, students

from core.idnumber import mask_id
from db.usecases import remove
from db.workflows import preview_import, run_import

HEADER = ["姓名", "身份证号", "学段", "实收学费"]


def test_the_listed_student_is_updated_before_a_removed_one_with_the_same_id(db, tmp_path):
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, ["张丽", HS, "普通高中", 1000],
                                     ["张丽", HS, "普通高中", 1000]))          # typed twice
    first, second = students(db)
    remove(db, first["id"], "重复录入，保留另一条")
    again = sheet(tmp_path / "v2.xlsx", HEADER, ["张丽", HS, "普通高中", 1500])
    preview = preview_import(db, "students", again)
    assert [sid for sid, _row, _ch in preview.plan.updated] == [second["id"]]
    assert preview.plan.off_list == [] and not any("移出名单" in n for n in preview.notes)
    run_import(db, "students", again)
    removed, listed = students(db)
    assert (removed["tuition_fen"], listed["tuition_fen"]) == (100000, 150000)
    assert removed["removed_at"] is not None and listed["removed_at"] is None


def test_a_row_matching_only_a_removed_student_updates_it_off_the_list_and_says_so(db, tmp_path):
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, ["张丽", HS, "普通高中", 1000],
                                     ["李四", HS2, "普通高中", 1000]))
    remove(db, students(db)[0]["id"], "已转学")
    zhang = students(db)[0]
    again = sheet(tmp_path / "v2.xlsx", HEADER, ["张丽", HS, "普通高中", 1500], ["李四", HS2, "普通高中", 1000])
    preview = preview_import(db, "students", again)
    assert preview.plan.counts()["added"] == 0
    assert [sid for sid, _row in preview.plan.off_list] == [zhang["id"]]
    assert "1 行只对应已移出名单的学生：将更新这些学生，他们仍在移出名单中" in preview.notes
    at = preview.review.index("只对应已移出名单的学生（按这些学生对应，他们仍在移出名单中）：共 1 行")
    assert preview.review[at + 1] == f"  第 2 行 张丽（{mask_id(HS)}）"
    report = run_import(db, "students", again)
    assert "1 行只对应已移出名单的学生：已更新这些学生，他们仍在移出名单中" in report.notes
    after = students(db)[0]
    assert after["tuition_fen"] == 150000 and after["removed_at"] == zhang["removed_at"]
