"""A student import names the listed students the new file does not hold (a second school year).

The new year's list leaves out the graduates and those who moved away. An import only adds and
updates, so they stayed on the list, their subsidies computed and reported, and nothing said so.
Now the preview lists them by name (masked ID), the import's notes count them and say what to do,
and ``import students`` lists them after the import too. Nobody is removed by the import: a file
of one grade is a valid import as well.
"""
from __future__ import annotations

from reimport_fixtures import HS, HS2, HS3, school, sheet, students

from cli.commands import run
from core.idnumber import mask_id
from db.importing_review import review_lines
from db.session import open_database
from db.usecases import remove
from db.workflows import preview_import, run_import

HEADER = ["姓名", "身份证号", "学段", "家庭类别", "实收学费"]
ZHANG, LI, WANG = (["张丽", HS, "普通高中", "非困难", 1000], ["李四", HS2, "普通高中", "非困难", 1000],
                   ["王五", HS3, "普通高中", "非困难", 1000])


def _three(tmp_path):
    db = school(open_database(tmp_path / "t.sqlite"))
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, ZHANG, LI, WANG))
    return db


def test_the_preview_names_the_listed_students_the_file_leaves_out(tmp_path):
    db = _three(tmp_path)
    try:
        preview = preview_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER, ZHANG))
        assert [(name, number) for _sid, name, number in preview.plan.absent] == [("李四", HS2), ("王五", HS3)]
        at = preview.review.index("名单中有、但文件中没有的学生（仍在名单中；已离校的请移出名单）：共 2 名")
        assert preview.review[at + 1:at + 3] == [f"  李四（{mask_id(HS2)}）", f"  王五（{mask_id(HS3)}）"]
        assert not any(HS2 in line or HS3 in line for line in preview.review)      # masked
        assert any(n.startswith("名单中有 2 名学生不在这个文件中（可能已毕业、转学或辍学）") for n in preview.notes)
    finally:
        db.close()


def test_the_import_leaves_them_listed_and_says_so(tmp_path, capsys):
    db = _three(tmp_path)
    path = db.path
    db.close()
    new_year = sheet(tmp_path / "v2.xlsx", HEADER, ZHANG, ["新生", "110101200901010011", "普通高中", "非困难", 1000])
    assert run(["--db", str(path), "import", "students", str(new_year)]) == 0
    out = capsys.readouterr().out
    assert "注意：名单中有 2 名学生不在这个文件中" in out and "移出名单" in out
    lines = out.splitlines()
    at = lines.index("名单中有、但文件中没有的学生（仍在名单中；已离校的请移出名单）：共 2 名")
    assert lines[at + 1:at + 3] == [f"  李四（{mask_id(HS2)}）", f"  王五（{mask_id(HS3)}）"]
    db = open_database(path)
    try:   # nobody removed by the import
        assert [(s["name"], s["removed_at"] is None) for s in students(db)] == [
            ("张丽", True), ("李四", True), ("王五", True), ("新生", True)]
    finally:
        db.close()


def test_students_already_off_the_list_and_a_whole_file_are_not_named(tmp_path):
    db = _three(tmp_path)
    try:
        li = next(s["id"] for s in students(db) if s["name"] == "李四")
        remove(db, [li], "已转学")
        plan = preview_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER, ZHANG)).plan
        assert [name for _sid, name, _number in plan.absent] == ["王五"]        # 李四 is off the list already
        whole = preview_import(db, "students", sheet(tmp_path / "v3.xlsx", HEADER, ZHANG, WANG))
        assert whole.plan.absent == [] and not any("不在这个文件中" in n for n in whole.notes)
        assert not any("文件中没有的学生" in line for line in review_lines(whole.plan))
    finally:
        db.close()


def test_a_listed_student_an_added_row_is_named_as_is_not_said_absent(tmp_path):
    """张丽 stored under HS, the file's 张丽 under another ID: possibly the same child with a corrected
    ID (the same-name note says so). Telling the clerk to take her off the list as absent would lose
    her verification, letters and payments."""
    from reimport_fixtures import WRONG
    db = _three(tmp_path)
    try:
        preview = preview_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER,
                                                       ["张丽", WRONG, "普通高中", "非困难", 1000], LI, WANG))
        assert [row.values["name"] for row, _sid, _number in preview.plan.same_name] == ["张丽"]
        assert preview.plan.absent == []
        assert not any("不在这个文件中" in n for n in preview.notes)
    finally:
        db.close()


def test_after_the_import_the_same_name_rows_are_named_too(tmp_path, capsys):
    """Without --dry-run the import said only how many added rows were named as a listed student;
    the clerk who skipped the preview could not find the pair (one child under two IDs: paid twice)."""
    from reimport_fixtures import WRONG
    db = _three(tmp_path)
    path = db.path
    db.close()
    again = sheet(tmp_path / "v2.xlsx", HEADER, ["张丽", WRONG, "普通高中", "非困难", 1000], LI, WANG)
    assert run(["--db", str(path), "import", "students", str(again)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("新增、但与名单中已有学生同名（身份证号不同，请核对是否为同一人）：共 1 处")
    assert lines[at + 1] == f"  第 2 行 张丽（{mask_id(WRONG)}）：名单中已有 张丽（{mask_id(HS)}）"
