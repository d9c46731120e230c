"""The 建档立卡名单 page's first load, read ahead once the program's start is idle.

The roster page is lazy (200,000 people at county size: read when first shown), and its load (ids,
names, their pinyin ranks, the display order, the first rows: ``gui.roster_view.load_roster``) takes
0.6–1 s of the worker's time. Queued after the start's own work (the window's reads, the start
backup, the start-up check: ``gui.databases.DatabaseSwitcher``), it is read before the clerk asks,
and the page, when chosen, is shown from memory.

It delays the clerk's work by one of its steps at most (0.1–0.15 s of CPU at county size): it is
queued at low priority (any task asked for later starts before it) and stops between its steps when
another task is waiting (``worker.others_waiting``); it is then queued again, behind that task. Its
result is used only if nothing the page shows changed since it was asked for: any change the page
depends on (a roster import, a student change: the 学生名册 column) drops it, a read in flight
included, and it is not taken while the worker is busy (a change may still be on its way to the
pages: ``take``); the page then loads as before. A new database is a
new window and page (the old page's read is dropped with it). What it holds is what the page holds
once shown (14 MB of Python objects at county size, the process's resident memory +48 MB after the
read; the search index still comes after the page is shown).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.slicesort import Stopped
from db.session import Database
from gui import worker
from gui.table_model import SortState

if TYPE_CHECKING:
    from gui.roster_view import RosterPage, RosterTable

log = logging.getLogger(__name__)

TRIES = 20          # gave way this often: left to the page's own load


class _Ask:
    """One read ahead asked for; ``dropped`` (set on the GUI thread) stops it at its next step."""
    dropped = False


@dataclass(frozen=True)
class Ahead:
    """A load read ahead, and what it cost (wall and worker-thread CPU seconds: the probe reports it)."""
    table: RosterTable
    wall_s: float
    cpu_s: float


def read_ahead(db: Database, sort: SortState, ask: _Ask) -> Ahead | None:
    """Worker: ``load_roster``, stopped between its steps (None) once another task waits or the read
    is dropped."""
    from gui.roster_view import load_roster

    def stop() -> bool:
        return ask.dropped or worker.others_waiting()
    if stop():
        return None
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        table = load_roster(db, sort, stop)
    except Stopped:
        return None
    return Ahead(table, time.perf_counter() - wall, time.thread_time() - cpu)


class RosterAhead:
    """The page's read ahead: asked for once (``start``), taken by the page's first load (``take``),
    dropped by a change (``drop``)."""

    def __init__(self, page: RosterPage) -> None:
        self.page = page
        self._ask: _Ask | None = None            # in flight
        self._got: Ahead | None = None           # read, not taken yet
        self.tries = 0
        # what the read the page was shown from cost, wall and CPU seconds (the probe's detail; not its
        # rows: they are the page's now)
        self.used: tuple[float, float] | None = None

    @property
    def pending(self) -> bool:
        return self._ask is not None

    @property
    def ready(self) -> bool:
        return self._got is not None

    def start(self) -> None:
        if self._ask is not None or self._got is not None:
            return
        ask = self._ask = _Ask()
        page = self.page
        worker.run_task(read_ahead, page.db, page.model.sort_state(), ask, parent=page, low_priority=True,
                        on_success=lambda got: self._arrived(ask, got),
                        on_failure=lambda exc: self._failed(ask, exc))

    def drop(self) -> None:
        """What was read or is being read is out of date (or not wanted any more)."""
        if self._ask is not None:
            self._ask.dropped = True
        self._ask, self._got = None, None

    def take(self, sort: SortState) -> RosterTable | None:
        """The load read ahead, if it was read for ``sort`` and nothing can have changed it (see
        ``drop``); anything in flight is dropped. Not while the worker is busy: a change made by a
        task can reach the pages only after later work (an import's changes are routed once the
        re-check after it is done), so a read ahead taken then could show the roster as it was
        before: the page loads behind that work instead, as without a read ahead."""
        got = self._got
        self.drop()
        if got is None or got.table.sort != sort or worker.busy():
            return None
        self.used = (got.wall_s, got.cpu_s)
        return got.table

    def _arrived(self, ask: _Ask, got: Ahead | None) -> None:
        if ask is not self._ask:                 # dropped meanwhile
            return
        self._ask = None
        if got is not None:
            self._got = got
            return
        self.tries += 1                          # gave way to another task: again, behind it
        if self.tries < TRIES:
            self.start()

    def _failed(self, ask: _Ask, exc: BaseException) -> None:
        """Not shown: the page's own load, when it is chosen, reads (and reports) again."""
        log.warning("reading the roster ahead failed: %s", exc)
        if ask is self._ask:
            self._ask = None
