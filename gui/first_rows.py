"""The student list's first screenful at the program's start, before the whole list is computed.

Computing every student (``db.views.snapshot``) takes seconds at county size; the clerk sees the
list's first rows long before. At start the list is sorted by name (pinyin order; equal names by
id, as the model's stable sort leaves them), so its first rows are known from the names alone:
the worker's child process (started early, ``gui.worker_child.start_early``, and given this task at
once: on the other core while the GUI imports its modules) reads every id and name read-only and
picks the first ``FIRST_ROWS``;
the worker computes just those students. They are shown with the count saying 正在读取… until the
whole list replaces them: the same rows in the same places, so nothing moves under the clerk.
Nothing here writes: the start backup and the start-up check run after the whole list.
"""
from __future__ import annotations

import heapq
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.session import Database
    from db.views import Snapshot
    from gui.students.view import StudentsPage

log = logging.getLogger(__name__)

FIRST_ROWS = 100          # more than a maximised window shows

def first_ids(path: Path, n: int = FIRST_ROWS) -> list[int]:
    """Worker's child process: the ids of the first ``n`` students of the list sorted by name
    (the collator's sort key; equal keys by id)."""
    from db.readonly import student_names
    from gui.collation import name_key_function
    rows = student_names(path)
    sort_key = name_key_function()
    keys = [sort_key(name) for _id, name in rows]
    chosen: Any = range(len(rows))
    if len(rows) > n:
        last = heapq.nsmallest(n, keys)[-1]
        chosen = [i for i, k in enumerate(keys) if not last < k]      # ties with the n-th kept
    return [rows[i][0] for i in sorted(chosen, key=keys.__getitem__)[:n]]

def first_task(path: Path, n: int = FIRST_ROWS) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    """``first_ids`` of the database at ``path`` as a task for the worker's child process: sent
    when the child is started (``gui.worker_child.start_early``) and asked for by ``compute_first``."""
    return first_ids, (Path(path).resolve(), n), {}


def compute_first(db: Database, n: int = FIRST_ROWS) -> Snapshot:
    """Worker: the snapshot of the list's first ``n`` students (their ids from the child process)."""
    from gui import worker
    from gui.feed import compute_snapshot
    fn, args, kwargs = first_task(db.path, n)
    return compute_snapshot(db, ids=worker.in_child(fn, *args, **kwargs))

def is_name_sort(sort: Any) -> bool:
    """Whether the list is sorted as ``first_ids`` picks: by name, ascending (the start's sort)."""
    from PySide6.QtCore import Qt

    from gui.students.model import COLUMNS
    return sort is not None and sort[1] == Qt.SortOrder.AscendingOrder and COLUMNS[sort[0]].header == "姓名"

class FirstRows:
    """The first screenful, asked for as soon as the database is open (``DatabaseSwitcher.start``)
    and shown by ``show_in`` once the window exists, unless the whole list came first."""

    def __init__(self, db: Database, n: int = FIRST_ROWS) -> None:
        from gui import worker
        self.db = db
        self.snap: Snapshot | None = None
        self.page: StudentsPage | None = None
        worker.run_task(compute_first, db, n, on_success=self._arrived, on_failure=self._failed)

    def _arrived(self, snap: Snapshot) -> None:
        self.snap = snap
        self._show()

    @staticmethod
    def _failed(exc: BaseException) -> None:      # the whole list follows anyway (and shows its error)
        log.warning("the student list's first rows could not be read: %s", exc)

    def show_in(self, page: StudentsPage) -> None:
        self.page = page
        self._show()

    def _show(self) -> None:
        page, snap = self.page, self.snap
        if page is None or snap is None:
            return
        self.snap = self.page = None
        feed, sort = page.feed, page.model.sort_state()
        if feed is None or feed.current is not None or page.model.rowCount() or not is_name_sort(sort):
            return                             # the whole list is there already (or sorted otherwise)
        page.apply_data(page.prepare(snap, sort))
        page.update_count()                    # still 正在读取…: the whole list is on its way
