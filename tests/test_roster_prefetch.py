"""`check` reads the roster rows the check needs ahead, beside its imports (db.roster_prefetch): the
same rows as the check's own read, and never when the file changed since the read started."""
import sqlite3

from sqlalchemy import or_, select

from core.checks import RosterFacts
from core.text import our_school_names
from db import integrity, roster_prefetch
from db.findings import _roster_for_check
from db.models import ON_LIST, RosterPerson, Student


def _orm_rows(session, school_name):
    """The rows as the ORM expression the SQL text replaced selected them."""
    ours = our_school_names(school_name, session.scalars(select(RosterPerson.school_name).distinct()))
    listed = select(Student.id_number).where(ON_LIST, Student.id_number != "")
    wanted = or_(RosterPerson.id_number.in_(listed), RosterPerson.school_name.in_(sorted(ours)))
    cols = (RosterPerson.id, RosterPerson.name, RosterPerson.id_number, RosterPerson.school_name,
            RosterPerson.schooling_status, RosterPerson.household_no)
    return [RosterFacts._make(r) for r in session.execute(select(*cols).where(wanted).order_by(RosterPerson.id))]


def _spoil(path):
    """Some of the school's roster rows spelt otherwise, one student off the list, a stranger."""
    con = sqlite3.connect(path)
    with con:
        name = con.execute("SELECT name FROM school").fetchone()[0]
        con.execute("UPDATE roster_person SET school_name = ? WHERE id % 3 = 0", (f" {name} ",))
        con.execute("UPDATE roster_person SET school_name = '别的学校' WHERE id % 7 = 0")
        con.execute("UPDATE student SET removed_at = '2024-01-01 00:00:00' WHERE id = "
                    "(SELECT min(id) FROM student)")
    con.close()
    return name


def test_read_ahead_rows_are_the_checks_rows(demo_db):
    name = _spoil(demo_db.path)
    with demo_db.session() as s:
        expected = _orm_rows(s, name)
        assert _roster_for_check(s, name) == expected          # the SQL text selects what the ORM did
    assert any(r.school_name == "别的学校" for r in expected)   # listed IDs whatever the school
    roster_prefetch.start(demo_db.path)
    with demo_db.session() as s:
        started = roster_prefetch._ahead._started[integrity._key(demo_db.path)]
        assert _roster_for_check(s, name) == expected
    rows = started.found[0]
    assert rows is not None and list(map(RosterFacts._make, rows)) == expected       # it was the one used
    assert integrity._key(demo_db.path) not in roster_prefetch._ahead._started


def test_not_taken_when_the_file_changed(demo_db):
    with demo_db.session() as s:
        first = _roster_for_check(s, "")[0]
    roster_prefetch.start(demo_db.path)
    con = sqlite3.connect(demo_db.path)        # a write after the read started (another program)
    with con:
        con.execute("UPDATE roster_person SET name = name || '乙' WHERE id = ?", (first.key,))
    con.close()
    assert roster_prefetch.take(demo_db.path) is None
    with demo_db.session() as s:
        assert _roster_for_check(s, "")[0].name == first.name + "乙"      # read again: the new name


def test_nothing_started_nothing_taken(demo_db):
    assert roster_prefetch.take(demo_db.path) is None
    roster_prefetch.start(demo_db.path)
    roster_prefetch.forget(demo_db.path)
    assert roster_prefetch.take(demo_db.path) is None
