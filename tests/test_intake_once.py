"""Consolidation's speed, as behaviour: storing a package costs the same handful of statements
whatever its number of students (its students and grants stay in its stored bytes, no row each)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from receiving_fixtures import high_school_kid, school_package, trusting_receiver, two_kid_school
from sqlalchemy import event

from db.receiving import accepted_data, intake


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    root = tmp_path_factory.mktemp("schools")
    big = [high_school_kid(f"学生{n}", n) for n in range(100, 107)]
    return SimpleNamespace(small=two_kid_school(root, "4228220201", "小坪小学", first=1),
                           big=school_package(root, code="4228220202", name="大坪小学", students=big))


@pytest.fixture
def station(tmp_path, schools):
    yield from trusting_receiver(tmp_path / "station.sqlite", (schools.small, schools.big))


def _statements(db, fn):
    seen: list[tuple[str, bool]] = []

    def count(_conn, _cursor, statement, _params, _context, executemany):
        seen.append((statement.split()[0].upper(), executemany))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_a_package_costs_the_same_statements_whatever_its_size(station, schools):
    small = _statements(station, lambda: intake(station, [schools.small.path]))
    big = _statements(station, lambda: intake(station, [schools.big.path]))
    assert len(big) == len(small) <= 20, big
    assert [s for s, executemany in big if executemany] == []     # no row per student or grant
    with station.session() as sess:
        assert [(p.file_name, len(p.data.students), sum(len(st.grants) for st in p.data.students),
                 sum(st.total_fen for st in p.data.students)) for p in accepted_data(sess)] == [
            (schools.small.path.name, 2, 6, 240000), (schools.big.path.name, 7, 21, 840000)]
    con = station.engine.raw_connection()
    try:
        rows = con.execute("select file_name, students, total_fen from received_package order by id").fetchall()
    finally:
        con.close()
    # every grant (免学费, 免书本费, 免住宿费 0) is read back from the stored package; its count and total kept
    assert rows == [(schools.small.path.name, 2, 240000), (schools.big.path.name, 7, 840000)]
