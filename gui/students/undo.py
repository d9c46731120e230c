"""Undoable student writes on the main window's QUndoStack.

Each command is pushed after its write succeeded (the first ``redo``, called by
``QUndoStack.push``, only records it); undo and redo run an audited use case in
the worker — the pool is serial, so they reach the database in the order the
clerk asked — and report what it changed (``Changes``) through ``on_applied``,
so the change is routed like any other. A student edit writes the old values
back through ``db.usecases.edit_student`` (re-checked at once) and redo
re-applies them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QWidget

from db.changes import Changes, changes_of
from db.session import Database
from db.usecases import edit_student
from gui import worker


class WorkerCommand(QUndoCommand):
    """A write that already happened; ``do``/``undo_write`` say how to write it again or back."""

    def __init__(self, text: str, on_applied: Callable[[Changes], None], widget: QWidget | None = None) -> None:
        super().__init__(text)
        self._on_applied = on_applied
        self._widget = widget
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self.do()

    def undo(self) -> None:
        self.undo_write()

    def do(self) -> None:
        raise NotImplementedError

    def undo_write(self) -> None:
        raise NotImplementedError

    def run(self, fn: Callable[..., Any], *args: Any) -> None:
        worker.run_task(fn, *args, on_success=lambda result: self._on_applied(changes_of(result)),
                        on_failure=self._failed, parent=self._widget)

    def _failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self.setObsolete(True)
        show_exception(self._widget, exc)


class StudentEditCommand(WorkerCommand):
    """A saved edit of one student."""

    def __init__(self, db: Database, student_id: int, name: str, diff: dict[str, tuple[Any, Any]],
                 on_applied: Callable[[Changes], None], widget: QWidget | None = None) -> None:
        super().__init__(f"修改学生“{name}”", on_applied, widget)
        self.db = db
        self.student_id = student_id
        fields = [f for f in diff if f != "verified"]   # verification is not an edit to undo
        self.old = {f: diff[f][0] for f in fields}
        self.new = {f: diff[f][1] for f in fields}

    def do(self) -> None:
        self.run(edit_student, self.db, self.student_id, self.new)

    def undo_write(self) -> None:
        self.run(edit_student, self.db, self.student_id, self.old)
