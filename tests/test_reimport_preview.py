"""The preview of a re-import names what it would overwrite (review of re-imports, 2).

``import students --dry-run`` (and the wizard's preview page, tests/test_gui_import_review.py)
printed only counts: a re-import of the school office's own copy overwrote the clerk's hand
edits and sent verified students back to 待核准 unseen. Now each student to be updated is listed
with the masked ID and every field old → new in Chinese, money in yuan, at most ``MAX_SHOWN``
by name, and the preview says how many 已核准 students go back to 待核准.
"""
from __future__ import annotations

from datetime import date

from reimport_fixtures import HS, HS2, school, sheet, students

from cli.commands import run
from core.idnumber import make_id, mask_id
from db.importing_review import MAX_SHOWN, review_lines
from db.session import open_database
from db.usecases import edit_student, verify
from db.workflows import preview_import, run_import

HEADER = ["姓名", "身份证号", "学段", "家庭类别", "实收学费"]
OFFICE = [["张丽", HS, "普通高中", "非困难", 1000], ["李四", HS2, "普通高中", "非困难", 1000]]


def _hand_edited(tmp_path):
    """Both imported and verified; 张丽's category and fee corrected by hand before."""
    db = school(open_database(tmp_path / "t.sqlite"))
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, *OFFICE))
    zhang = students(db)[0]["id"]
    edit_student(db, zhang, {"category": "REGISTERED", "tuition_fen": 120000})
    verify(db, [s["id"] for s in students(db)])
    return db


def test_the_dry_run_lists_each_field_it_would_overwrite(tmp_path, capsys):
    db = _hand_edited(tmp_path)
    path = db.path
    db.close()
    again = sheet(tmp_path / "v2.xlsx", HEADER, *OFFICE)      # the office's copy, without the corrections
    assert run(["--db", str(path), "import", "students", str(again), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "将更新 1 行，无变化 1 行" in out
    assert "注意：1 名已核准的学生数据有变化，将退回“待核准”，需要重新核准" in out
    lines = out.splitlines()
    at = lines.index(f"  第 2 行 张丽（{mask_id(HS)}）［已核准 → 待核准］")
    assert lines[at - 1] == "将更新的学生：共 1 名（其中 1 名已核准，将退回待核准）"
    assert lines[at + 1:at + 3] == ["      家庭类别：建档立卡 → 非困难", "      实收学费（元）：1200.00 → 1000.00"]
    assert "李四" not in out                      # unchanged: not listed
    assert HS not in out                          # the ID masked
    db = open_database(path)
    try:
        zhang = students(db)[0]
        assert (zhang["category"], zhang["tuition_fen"], zhang["verified"]) == ("REGISTERED", 120000, True)
    finally:
        db.close()


def test_a_long_list_is_cut_with_the_rest_counted(tmp_path):
    db = school(open_database(tmp_path / "t.sqlite"))
    try:
        ids = [make_id("110101", date(2008, 1 + i % 12, 1 + i % 27), 200 + i) for i in range(MAX_SHOWN + 7)]
        run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER,
                                         *([f"学生{i}", n, "普通高中", "非困难", 1000] for i, n in enumerate(ids))))
        preview = preview_import(db, "students", sheet(tmp_path / "v2.xlsx", HEADER,
                                                       *([f"学生{i}", n, "普通高中", "非困难", 900]
                                                         for i, n in enumerate(ids))))
        lines = preview.review
        assert lines[0] == f"将更新的学生：共 {MAX_SHOWN + 7} 名"          # none verified: nothing goes back
        assert sum(line.startswith("  第 ") for line in lines) == MAX_SHOWN
        assert lines[-1] == "  ……另有 7 名没有逐一列出"
        assert not preview.notes
        assert review_lines(preview.plan, limit=3)[-1] == f"  ……另有 {MAX_SHOWN + 4} 名没有逐一列出"
    finally:
        db.close()


def test_a_roster_update_is_listed_with_the_roster_labels(tmp_path):
    db = open_database(tmp_path / "t.sqlite")
    try:
        header = ["姓名", "证件号码", "户编号"]
        run_import(db, "roster", sheet(tmp_path / "r1.xlsx", header, ["张丽", HS, "4228220001"]))
        preview = preview_import(db, "roster", sheet(tmp_path / "r2.xlsx", header, ["张丽", HS, "4228220009"]))
        assert preview.review == ["将更新的人员：共 1 人", f"  第 2 行 张丽（{mask_id(HS)}）",
                                  "      户编号：4228220001 → 4228220009"]
    finally:
        db.close()
