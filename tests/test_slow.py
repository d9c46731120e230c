"""Slow tier (pytest -m slow): county-size data through the real paths."""
import pytest
from sqlalchemy import func, select

from benchmarks.data import write_list as _write
from core.demo import MIXED, generate_demo
from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS
from db import store
from db.models import FindingRow, RosterPerson, Student
from db.session import open_database
from db.usecases import check as run_check
from db.workflows import run_import

pytestmark = pytest.mark.slow


def test_county_size_import_and_check(tmp_path):
    data = generate_demo(n_students=50_000, seed=11, roster_extra=150_000, school_kind=MIXED)
    students_x, roster_x = tmp_path / "students.xlsx", tmp_path / "roster.xlsx"
    _write(students_x, STUDENT_COLUMNS, data.students)
    _write(roster_x, ROSTER_COLUMNS, data.roster)
    db = open_database(tmp_path / "county.sqlite")
    with db.session() as s:
        store.init_school(s, data.school["name"], data.school["code"], data.school["school_year"])
    rep = run_import(db, "students", students_x)
    assert rep.counts["added"] == 50_000
    rep = run_import(db, "roster", roster_x)
    assert rep.counts["added"] == len(data.roster)
    again = run_import(db, "students", students_x)
    assert again.counts["unchanged"] == 50_000 and again.counts["added"] == 0
    run = run_check(db)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == 50_000
        assert s.scalar(select(func.count()).select_from(RosterPerson)) == len(data.roster)
        codes = set(s.scalars(select(FindingRow.code)))
    assert {"ID_INVALID", "DUPLICATE_ID", "NOT_ON_ROSTER", "NAME_MISMATCH", "CATEGORY_MISMATCH",
            "ROSTER_NOT_ENROLLED", "ID_NUMERIC_CELL", "FEE_MISSING", "LOAN_CONTRACT_MISSING"} <= codes
    assert run.counts["error"] > 0
    db.close()
