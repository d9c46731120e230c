"""One day for a whole check run (db.findings.run_and_store)."""
from __future__ import annotations

from datetime import date

import pytest
from conftest import two_student_school

from db.session import open_database


@pytest.fixture
def db(tmp_path):
    d = open_database(two_student_school(tmp_path / "school.sqlite"))
    yield d
    d.close()


def test_a_check_run_across_midnight_is_stamped_with_the_day_it_checked(db, monkeypatch):
    """`today` was read twice in one run (date review, session 30): the checks against day D, the stamp
    with D+1, so a run straddling midnight counted as current for a day it never checked."""
    from datetime import timedelta

    import db.check_state as check_state
    import db.findings as findings
    from db.check_state import current_check
    day = date(2025, 3, 1)

    class Before(date):
        @classmethod
        def today(cls):
            return day

    class After(date):
        @classmethod
        def today(cls):
            return day + timedelta(days=1)

    monkeypatch.setattr(findings, "date", Before)
    monkeypatch.setattr(check_state, "date", After)           # midnight passes between the checks and the stamp
    with db.session() as s:
        findings.run_and_store(s)
    with db.session() as s:
        assert current_check(s, today=day) is not None
        assert current_check(s, today=day + timedelta(days=1)) is None
