"""The same ID spelled otherwise is no change (review of re-imports, 5).

The next file had the same ID with a trailing space (or a lower-case x, a space in the middle):
the same normalised number, but the raw text (``id_raw``) counted as a data change and the
verified student went back to 待核准 and lost its seal. The spelling alone is no change now, and
is not stored: ``id_raw`` is among the sealed fields, so storing it would break the seal of a
student who stays verified; the first spelling stays, as the file held it then.
"""
from __future__ import annotations

from datetime import date

from reimport_fixtures import HS, audit_since, audit_top, school, sheet, students
from sqlalchemy import func, select

from core.idnumber import make_id
from db.models import FindingRow
from db.usecases import check, verify
from db.workflows import preview_import, run_import

HEADER = ["姓名", "身份证号", "学段"]
WITH_X = next(n for n in (make_id("110101", date(2008, 3, 4), q) for q in range(1, 999)) if n.endswith("X"))


def test_a_spacing_or_case_of_the_id_keeps_the_student_verified(db, tmp_path):
    school(db)
    run_import(db, "students", sheet(tmp_path / "v1.xlsx", HEADER, ["张丽", HS, "普通高中"], ["李四", WITH_X, "普通高中"]))
    verify(db, [s["id"] for s in students(db)])
    before = students(db)
    assert all(s["verified"] and s["sealed"] for s in before)
    last = audit_top(db)
    again = sheet(tmp_path / "v2.xlsx", HEADER, ["张丽", HS + " ", "普通高中"],
                  ["李四", WITH_X[:6] + " " + WITH_X[6:-1] + "x", "普通高中"])
    preview = preview_import(db, "students", again)
    assert preview.plan.counts()["updated"] == 0 and preview.plan.counts()["unchanged"] == 2
    assert preview.review == [] and preview.notes == []
    run_import(db, "students", again)
    assert students(db) == before                       # verified, sealed, the first spelling kept
    assert [e for e in audit_since(db, last) if e[0] == "student"] == []
    check(db)
    with db.session() as s:                             # the seals hold: no 核准后数据被改动
        assert s.scalar(select(func.count()).select_from(FindingRow)
                        .where(FindingRow.code == "TAMPERED_AFTER_VERIFY")) == 0


def test_a_roster_id_with_a_trailing_space_is_no_change(db, tmp_path):
    header = ["姓名", "证件号码"]
    run_import(db, "roster", sheet(tmp_path / "r1.xlsx", header, ["张丽", HS]))
    last = audit_top(db)
    report = run_import(db, "roster", sheet(tmp_path / "r2.xlsx", header, ["张丽", " " + HS + " "]))
    assert report.counts["updated"] == 0 and report.counts["unchanged"] == 1
    assert audit_since(db, last) == []
