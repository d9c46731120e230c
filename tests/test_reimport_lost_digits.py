"""A list whose ID column was a number column, imported again with the IDs as text (what the
ID_NUMERIC_CELL finding asks): each child's record gets its whole ID; none is added a second time."""
from __future__ import annotations

from datetime import date

from reimport_fixtures import HS, HS2, school, sheet, students

from core.idnumber import make_id
from db.usecases import check
from db.workflows import run_import

HEADER = ["姓名", "身份证号", "学段", "家庭类别"]
HS3 = make_id("422822", date(2006, 11, 30), 1)       # 4228222006113000?? : its float keeps 15 digits


def test_the_ids_typed_again_as_text_correct_the_records_they_lost_digits_in(db, tmp_path):
    school(db)
    numbers = sheet(tmp_path / "n.xlsx", HEADER, ["张伟", float(HS), "普通高中", "建档立卡"],
                    ["李娜", float(HS2), "普通高中", "建档立卡"], ["赵磊", "4.22822E+17", "普通高中", "建档立卡"])
    run_import(db, "students", numbers)
    before = students(db)
    assert [s["id_number"] for s in before] == ["", "", ""]
    assert {f.code for f in check(db).findings if f.code == "ID_NUMERIC_CELL"} == {"ID_NUMERIC_CELL"}
    texts = sheet(tmp_path / "t.xlsx", HEADER, ["张伟", HS, "普通高中", "建档立卡"],
                  ["李娜", HS2, "普通高中", "建档立卡"], ["赵磊", HS3, "普通高中", "建档立卡"])
    report = run_import(db, "students", texts)
    # 赵磊's cell kept only "422822" (Excel's text of the number): any child of the county could be
    # him, so he is added, and his old record stays flagged (naming the new one)
    assert report.counts["added"] == 1 and report.counts["updated"] == 2
    after = students(db)
    assert [(s["id"], s["name"], s["id_number"], s["id_numeric_cell"]) for s in after[:2]] == [
        (before[0]["id"], "张伟", HS, False), (before[1]["id"], "李娜", HS2, False)]
    assert after[3]["name"] == "赵磊" and after[3]["id_number"] == HS3
    left = [f for f in check(db).findings if f.code == "ID_NUMERIC_CELL"]
    assert [f.student_key for f in left] == [before[2]["id"]]
    assert f"名单中另有同名的 赵磊（{HS3[:6]}" in left[0].message and "移出名单" in left[0].message


def test_a_double_that_rounded_into_the_fifteenth_digit_still_matches(db, tmp_path):
    """422822201007288995 is kept as 422822201007289024 (or 4228222010072890 and two zeros): its first
    15 digits are not the number's."""
    number = "422822201007288995"
    assert str(int(float(number))) == "422822201007289024"
    school(db)
    run_import(db, "students", sheet(tmp_path / "n.xlsx", HEADER, ["张伟", float(number), "小学", "建档立卡"]))
    report = run_import(db, "students", sheet(tmp_path / "t.xlsx", HEADER, ["张伟", number, "小学", "建档立卡"]))
    assert report.counts["added"] == 0 and [s["id_number"] for s in students(db)] == [number]


def test_digits_that_disagree_or_two_children_of_one_name_add_a_row(db, tmp_path):
    school(db)
    other = make_id("110101", date(2009, 6, 1), 125)          # not what 张伟's number cell kept
    run_import(db, "students", sheet(tmp_path / "n.xlsx", HEADER, ["张伟", float(HS), "普通高中", "建档立卡"],
                                     ["王芳", float(HS2), "普通高中", "建档立卡"],
                                     ["王芳", "4.22822E+17", "普通高中", "建档立卡"]))
    report = run_import(db, "students", sheet(tmp_path / "t.xlsx", HEADER, ["张伟", other, "普通高中", "建档立卡"],
                                              ["王芳", HS2, "普通高中", "建档立卡"]))
    assert report.counts["added"] == 2 and report.counts["updated"] == 0
    assert [s["id_number"] for s in students(db)] == ["", "", "", other, HS2]


def test_a_student_without_an_id_number_is_found_by_the_text_its_file_held(db, tmp_path):
    from cli.commands import run
    school(db)
    run_import(db, "students", sheet(tmp_path / "n.xlsx", HEADER, ["张伟", float(HS), "普通高中", "建档立卡"],
                                     ["李娜", float(HS2), "普通高中", "建档立卡"]))
    raw = students(db)[0]["id_raw"]
    db.close()
    assert run(["--db", str(db.path), "remove-student", raw, "--reason", "重复录入"]) == 0
    assert [s["removed_at"] is not None for s in students(db)] == [True, False]


def test_accept_with_the_masked_id_check_shows_says_the_whole_number_is_needed(tmp_path, capsys):
    from conftest import two_student_school

    from cli.commands import run
    db = str(two_student_school(tmp_path / "m.sqlite"))
    masked = HS[:6] + "*" * 8 + HS[-4:]
    assert run(["--db", db, "accept", "FEE_MISSING", masked, "--reason", "已核实"]) == 2
    assert "请写完整的18位身份证号" in capsys.readouterr().err
