"""One computed snapshot per change for the pages that show every student's subsidies.

The 工作台, the 学生名册 and the 告知书 page share one ``SnapshotFeed``: a
``refresh()`` computes ``db.views.snapshot`` once in the worker (one shared
``Calculator`` over the school) and hands the result to all three. A refresh
asked for while one is computing runs once more afterwards, never in parallel.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from db.session import Database
from db.views import Snapshot, snapshot
from gui import worker


def compute_snapshot(db: Database) -> Snapshot:
    """Worker: the snapshot, names with their pinyin sort keys (a collator per thread)."""
    from gui.collation import name_key_function
    return snapshot(db, name_key=name_key_function())


class SnapshotFeed(QObject):
    started = Signal()
    ready = Signal(object)      # Snapshot
    failed = Signal(object)     # the exception (shown once, by the feed)

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.current: Snapshot | None = None
        self._busy = False
        self._again = False

    def refresh(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy, self._again = True, False
        self.started.emit()
        worker.run_task(compute_snapshot, self.db, on_success=self._done, on_failure=self._failed, parent=self)

    def _done(self, snap: Snapshot) -> None:
        self._busy = False
        if self._again:
            self.refresh()
            return
        self.current = snap
        self.ready.emit(snap)

    def _failed(self, exc: Any) -> None:
        from gui.errors import show_exception
        self._busy = False
        self.failed.emit(exc)
        widget = self.parent()
        show_exception(widget if isinstance(widget, QWidget) else None, exc)
        if self._again:
            self.refresh()
