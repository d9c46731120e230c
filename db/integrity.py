"""SQLite's integrity check of a database file before it is opened (``db.session.inspect_file``).

``probe`` runs ``PRAGMA quick_check`` on a read-only connection. A command starts it early
(``start``, before it imports SQLAlchemy and the models): SQLite works without Python's lock, so
the check of a county's 64 MB file runs beside those imports on a second core instead of after
them. ``result`` hands the started check's answer over only when the file (and its write-ahead
log) is as it was when the check started; otherwise it checks again. Either way no database is
written before its check passed (docs/DECISIONS.md, "The integrity check on open").

Only sqlite3 and threading here: importing this module must cost nothing.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Probe:
    """What the check found: SQLite's answer rows (["ok"] when intact) and the file's tables,
    or the sqlite3 error that stopped it."""

    rows: tuple[str, ...] = ()
    tables: frozenset[str] = frozenset()
    error: sqlite3.Error | None = None
    opened: bool = True          # False: the error came from opening the file


def probe(path: Path) -> Probe:
    """``PRAGMA quick_check`` and the table names of ``path``, read-only."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return Probe(error=exc, opened=False)
    try:
        rows = tuple(str(r[0]) for r in con.execute("PRAGMA quick_check").fetchall())
        tables = frozenset(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'"))
        return Probe(rows, tables)
    except sqlite3.Error as exc:
        return Probe(error=exc)
    finally:
        con.close()


def file_state(path: Path) -> tuple[tuple[int, int] | None, ...]:
    """Size and modification time of the file and of its write-ahead log (None: absent or empty,
    as a read-only connection leaves it: a write leaves frames in it or, checkpointed, changes the file)."""
    out = []
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            st = os.stat(p)
            out.append((st.st_size, st.st_mtime_ns) if st.st_size else None)
        except OSError:
            out.append(None)
    return tuple(out)


class _Started:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = file_state(path)
        self.found: Probe | None = None
        self.thread = threading.Thread(target=self._run, name="zizhu-quick-check", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.found = probe(self.path)


_started: dict[Path, _Started] = {}
_lock = threading.Lock()


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path))


def start(path: Path | str) -> None:
    """Start checking an existing database file in the background (nothing for a new file)."""
    p = Path(path)
    try:
        if not p.is_file() or p.stat().st_size == 0:
            return
    except OSError:
        return
    with _lock:
        _started.setdefault(_key(p), _Started(p))


def forget(path: Path | str) -> None:
    """Drop a check started for ``path`` that no open took (the command stopped before it opened)."""
    with _lock:
        _started.pop(_key(Path(path)), None)


def result(path: Path) -> Probe:
    """The check of ``path``: the started one when the file did not change since it started,
    else a check made now."""
    with _lock:
        started = _started.pop(_key(path), None)
    if started is not None:
        started.thread.join()
        if started.found is not None and started.state == file_state(path):
            return started.found
    return probe(path)
