"""移出名单 is undoable: the command on the main window's QUndoStack puts the
students back on the list (移回名单) on undo and takes them off again on redo,
each an audited use case run in the worker (a removal re-checks the findings),
its ``Changes`` reported through ``on_applied`` like any other change."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from db.changes import Changes
from db.session import Database
from db.usecases import remove, restore
from gui.students.undo import WorkerCommand

REMOVE_EXAMPLE = "例如：表尾的签名行被误导入；该生已转学"


class RemoveStudentsCommand(WorkerCommand):
    """A removal that already happened: undo restores the students, redo removes them again."""

    def __init__(self, db: Database, ids: list[int], label: str, reason: str,
                 on_applied: Callable[[Changes], None], widget: QWidget | None = None) -> None:
        super().__init__(f"移出名单：{label}", on_applied, widget)
        self.db, self.ids, self.reason = db, list(ids), reason

    def do(self) -> None:
        self.run(remove, self.db, self.ids, self.reason)

    def undo_write(self) -> None:
        self.run(restore, self.db, self.ids)
