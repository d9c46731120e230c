"""The roster rows the check reads, read ahead while the `check` command imports its modules.

``db.findings._roster_for_check`` reads the roster rows the rules can use (a listed student's ID,
or this school's spelling of 就读学校): at county size SQLite scans 200,000 rows for it (0.15–0.2 s).
`check` starts the same read here (``start``), on a read-only sqlite3 connection in a thread, before
it imports SQLAlchemy, the models and the rules: SQLite works without Python's lock, so on a two-core
PC the scan runs beside those imports. ``take`` hands the rows to the check only when the file (and
its write-ahead log) is as it was when the read started, the guard ``db.integrity`` uses; otherwise
(or on any error) the check reads them itself, as every caller that started nothing does.

Only sqlite3, threading and light core modules here: importing this module must cost nothing.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from core.text import our_school_names
from db.integrity import ReadAhead
from db.readonly import connect_read_only

# The columns of core.checks.RosterFacts, in its field order.
COLUMNS = ("id", "name", "id_number", "school_name", "schooling_status", "household_no")


def roster_for_check_sql(names: int) -> str:
    """The rows whose ID is a listed student's (db.models.ON_LIST: not removed) or whose 就读学校 is one of
    ``names`` spellings (parameters), in roster order: the query of ``db.findings._roster_for_check``."""
    return (f"SELECT {', '.join(COLUMNS)} FROM roster_person WHERE id_number IN "
            "(SELECT id_number FROM student WHERE removed_at IS NULL AND id_number != '') "
            f"OR school_name IN ({', '.join('?' * names)}) ORDER BY id")


def read_roster_for_check(con: sqlite3.Connection) -> list[Any]:
    """The check's roster rows, read with plain sqlite3 (the school's name from the database)."""
    school = con.execute("SELECT name FROM school LIMIT 1").fetchone()
    names = [r[0] for r in con.execute("SELECT DISTINCT school_name FROM roster_person")]
    ours = sorted(our_school_names(school[0] if school else "", names))
    return con.execute(roster_for_check_sql(len(ours)), ours).fetchall()


def _read(path: Path) -> list[Any] | None:
    try:
        con = connect_read_only(path)
    except sqlite3.Error:
        return None
    try:
        return read_roster_for_check(con)
    except sqlite3.Error:
        return None               # the check reads them itself (and reports what is wrong)
    finally:
        con.close()


_ahead = ReadAhead("zizhu-roster-read", _read)
start = _ahead.start      # start reading the check's roster rows of an existing database file
forget = _ahead.forget    # a read that no check took
take = _ahead.take        # the rows read ahead for a file unchanged since the read started, else None
