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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from db.readonly import connect_read_only

T = TypeVar("T")


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
        con = connect_read_only(path)
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


@dataclass(frozen=True)
class _Read(Generic[T]):
    state: tuple[tuple[int, int] | None, ...]     # the file's, when the read started (file_state)
    thread: threading.Thread
    found: list[T | BaseException | None]         # [what the read returned or raised], once the thread ended


class ReadAhead(Generic[T]):
    """A read of files started on a thread (``start``), handed over (``take``) only when the file and its
    write-ahead log are as they were when it started: what a read made then would give now. ``read``
    returns None when it could not read (the caller then reads itself).

    ``in_child``: ``read`` is work that holds Python's lock; it runs in a child process
    (``core.in_child``), started in the calling thread (a fork before other threads run), and the
    thread only waits for its answer. ``read`` must then be a module-level function.

    ``raises``: the exceptions of these types that ``read`` raised are handed over: ``take`` raises
    them (a refusal of the file, the same as a read made there would raise). Any other exception is
    not: ``take`` gives None and the caller reads itself, where it is reported.

    ``waits``: ``read`` takes a keyword ``ready`` (a ``threading.Event``) and sets it when the caller
    may go on; ``start`` returns then, or when the read ended (a thread's read only).

    ``joins``: ``forget`` joins the thread of a read nothing took, for a read that must not outlive the
    command (python-calamine's parse); the others (SQLite reads, a wait for a child) are left to end
    alone, so that a command refused before it took them says so at once."""

    def __init__(self, name: str, read: Callable[..., T | None], in_child: bool = False,
                 raises: tuple[type[BaseException], ...] = (), waits: bool = False, joins: bool = False) -> None:
        if in_child and waits:
            raise ValueError("a read in a child process cannot say when the caller may go on")
        self._name, self._read, self._in_child = name, read, in_child
        self._raises, self._waits, self._joins = raises, waits, joins
        self._started: dict[Path, _Read[T]] = {}
        self._lock = threading.Lock()

    def start(self, path: Path | str, *args: Any) -> None:
        """Start reading an existing file (nothing for a missing or empty one): ``read(path, *args)``."""
        p = Path(path)
        try:
            if not p.is_file() or p.stat().st_size == 0:
                return
        except OSError:
            return
        ready = threading.Event()
        with self._lock:
            if _key(p) in self._started:
                return
            found: list[T | BaseException | None] = [None]
            state = file_state(p)          # before the read starts: a write after this is seen at take
            more = {"ready": ready} if self._waits else {}
            read: Callable[[], T | None] = lambda: self._read(p, *args, **more)    # noqa: E731
            if self._in_child:
                from core import in_child
                wait = in_child.start_child(self._read, p, *args, name=self._name) if in_child.spare_core() else None
                if wait is None:
                    return                 # no free core or no process: the caller reads itself
                read = wait

            def run() -> None:
                try:
                    found[0] = read()
                except BaseException as exc:  # noqa: BLE001 - handed to ``take``, raised there or read again
                    found[0] = exc
                finally:
                    ready.set()
            thread = threading.Thread(target=run, name=self._name, daemon=True)
            self._started[_key(p)] = _Read(state, thread, found)
            thread.start()
        if self._waits:
            ready.wait()

    def forget(self, path: Path | str | None = None) -> None:
        """Drop a read started for ``path`` (None: every read) that nothing took (the command stopped
        before); its thread is joined when ``joins``."""
        with self._lock:
            if path is None:
                dropped = list(self._started.values())
                self._started.clear()
            else:
                one = self._started.pop(_key(path), None)
                dropped = [one] if one is not None else []
        for read in dropped if self._joins else ():
            read.thread.join()

    def take(self, path: Path | str) -> T | None:
        """The started read of ``path`` when the file did not change since it started, else None
        (or the exception it raised, when it is one of ``raises``)."""
        with self._lock:
            started = self._started.pop(_key(path), None)
        if started is None:
            return None
        started.thread.join()
        if started.state != file_state(Path(path)):
            return None
        found = started.found[0]
        if isinstance(found, BaseException):
            if isinstance(found, self._raises):
                raise found
            return None
        return found


def _key(path: Path | str) -> Path:
    return Path(os.path.abspath(path))


_checks = ReadAhead("zizhu-quick-check", lambda path: probe(path))   # (probe looked up at each call)
start = _checks.start       # start checking a file in the background, before the imports
forget = _checks.forget     # a check no open took (the command stopped before it opened)


def _is_readonly(exc: sqlite3.Error | None) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return exc is not None and (name.startswith("SQLITE_READONLY") or "readonly database" in str(exc).lower())


def _hot_journal(path: Path, found: Probe) -> bool:
    """Whether the read-only check failed only because a rollback journal waits to be played back
    (``<db>-journal``, left by another tool that wrote in DELETE mode and stopped mid-transaction):
    a read-only connection cannot roll it back, a read-write one does at its first read."""
    if not _is_readonly(found.error):
        return False
    journal = path.with_name(path.name + "-journal")
    try:
        return journal.stat().st_size > 0 and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    except OSError:
        return False


def _roll_back_journal(path: Path) -> None:
    """Open ``path`` read-write once and read: SQLite plays the hot journal back (the file returns to
    its last committed state) and deletes it. Nothing else is written (no journal mode is set)."""
    try:
        con = sqlite3.connect(path, timeout=15.0)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        pass            # the check made again reports what is wrong


def result(path: Path) -> Probe:
    """The check of ``path``: the started one when the file did not change since it started,
    else a check made now. A leftover rollback journal is played back first (``_hot_journal``),
    then the file is checked again. Called with the single-instance lock held."""
    found = _checks.take(path) or probe(path)
    if _hot_journal(path, found):
        _roll_back_journal(path)
        found = probe(path)
    return found
