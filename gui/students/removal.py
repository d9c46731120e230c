"""移出名单 is undoable: the command on the main window's QUndoStack puts the
students back on the list (移回名单) on undo and takes them off again on redo,
each an audited use case run in the worker (a removal re-checks the findings),
its ``Changes`` reported through ``on_applied`` like any other change."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QWidget

from db.changes import Changes
from db.session import Database
from db.usecases import remove, restore
from gui import worker

REMOVE_EXAMPLE = "例如：表尾的签名行被误导入；该生已转学"


class RemoveStudentsCommand(QUndoCommand):
    """A removal that already happened (pushed after it succeeded: the first redo
    only reports it); undo restores the students, redo removes them again."""

    def __init__(self, db: Database, ids: list[int], label: str, reason: str,
                 on_applied: Callable[[Changes], None], widget: QWidget | None = None) -> None:
        super().__init__(f"移出名单：{label}")
        self.db, self.ids, self.reason = db, list(ids), reason
        self._on_applied = on_applied
        self._widget = widget
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self._run(remove, self.db, self.ids, self.reason)

    def undo(self) -> None:
        self._run(restore, self.db, self.ids)

    def _run(self, fn: Callable[..., Any], *args: Any) -> None:
        def failed(exc: BaseException) -> None:
            from gui.errors import show_exception
            self.setObsolete(True)
            show_exception(self._widget, exc)
        worker.run_task(fn, *args, on_success=lambda done: self._on_applied(done.changes), on_failure=failed,
                        parent=self._widget)
