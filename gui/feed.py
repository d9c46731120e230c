"""One computed snapshot per change for the pages that show every student's subsidies.

The 工作台, the 学生名册 and the 告知书 page share one ``SnapshotFeed``: a
``refresh()`` computes ``db.views.snapshot`` once in the worker (one shared
``Calculator`` over the school) and hands the result to all three. A refresh
asked for while one is computing runs once more afterwards, never in parallel.
A page registers its ``prepare`` (``add_preparer``): it runs in the same worker task
on the snapshot, so the rows reach the GUI thread sorted and indexed (``prepared``).
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from db.session import Database
from db.views import Snapshot, snapshot
from gui import worker


def compute_snapshot(db: Database, ids: Collection[int] | None = None) -> Snapshot:
    """Worker: the snapshot (of ``ids`` only when given), names with their pinyin sort keys (a
    collator per thread)."""
    from gui.collation import name_key_function
    return snapshot(db, name_key=name_key_function(), ids=ids)


Job = tuple[str, Callable[[Snapshot, Any], Any], Any]


def compute_prepared(db: Database, jobs: list[Job]) -> tuple[Snapshot, dict[str, Any]]:
    """Worker: the snapshot, then every page's ``prepare`` of it."""
    snap = compute_snapshot(db)
    return snap, {name: prepare(snap, state) for name, prepare, state in jobs}


class SnapshotFeed(QObject):
    started = Signal()
    ready = Signal(object)      # Snapshot
    failed = Signal(object)     # the exception (shown once, by the feed)

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.current: Snapshot | None = None
        self.prepared: dict[str, Any] = {}        # name -> that page's prepare(current)
        self._preparers: dict[str, tuple[Callable[[Snapshot, Any], Any], Callable[[], Any]]] = {}
        self._busy = False
        self._again = False

    def add_preparer(self, name: str, prepare: Callable[[Snapshot, Any], Any], state: Callable[[], Any]) -> None:
        """``prepare(snapshot, state())`` runs in the worker after each snapshot (``state`` is read on
        the GUI thread when the refresh starts, e.g. the table's sort)."""
        self._preparers[name] = (prepare, state)

    def refresh(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy, self._again = True, False
        self.started.emit()
        jobs = [(name, prepare, state()) for name, (prepare, state) in self._preparers.items()]
        worker.run_task(compute_prepared, self.db, jobs, on_success=self._done, on_failure=self._failed, parent=self,
                        keep=True)

    def _done(self, result: tuple[Snapshot, dict[str, Any]]) -> None:
        self._busy = False
        if self._again:
            self.refresh()
            return
        self.current, self.prepared = result
        self.ready.emit(self.current)

    def prepared_for(self, name: str, snap: Snapshot) -> Any:
        """What ``name``'s prepare made of ``snap`` (None: made before it registered, or another snapshot)."""
        return self.prepared.get(name) if snap is self.current else None

    def _failed(self, exc: Any) -> None:
        from gui.errors import show_exception
        self._busy = False
        self.failed.emit(exc)
        widget = self.parent()
        show_exception(widget if isinstance(widget, QWidget) else None, exc)
        if self._again:
            self.refresh()
