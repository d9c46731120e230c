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

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from core.text import our_school_names
from db.integrity import file_state

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


class _Started:
    def __init__(self, path: Path) -> None:
        self.state = file_state(path)
        self.path = path
        self.rows: list[Any] | None = None
        self.thread = threading.Thread(target=self._run, name="zizhu-roster-read", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return
        try:
            self.rows = read_roster_for_check(con)
        except sqlite3.Error:
            self.rows = None          # the check reads them itself (and reports what is wrong)
        finally:
            con.close()


_started: dict[Path, _Started] = {}
_lock = threading.Lock()


def _key(path: Path | str) -> Path:
    return Path(os.path.abspath(path))


def start(path: Path | str) -> None:
    """Start reading the check's roster rows of an existing database file (nothing for a new file)."""
    p = Path(path)
    try:
        if not p.is_file() or p.stat().st_size == 0:
            return
    except OSError:
        return
    with _lock:
        _started.setdefault(_key(p), _Started(p))


def forget(path: Path | str) -> None:
    """Drop a read started for ``path`` that no check took."""
    with _lock:
        _started.pop(_key(path), None)


def take(path: Path | str) -> list[Any] | None:
    """The rows read ahead for ``path`` when the file did not change since the read started, else None."""
    with _lock:
        started = _started.pop(_key(path), None)
    if started is None:
        return None
    started.thread.join()
    if started.rows is not None and started.state == file_state(started.path):
        return started.rows
    return None
