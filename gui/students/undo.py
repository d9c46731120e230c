"""Undoable student edits: undo writes the old values back through
``db.usecases.edit_student`` (audited like any edit), redo re-applies; each
reports the student through ``on_applied`` so the change is routed like any other."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QWidget

from db.session import Database
from db.usecases import edit_student

log = logging.getLogger(__name__)


class StudentEditCommand(QUndoCommand):
    """A saved edit of one student. Pushed after the save succeeded, so the
    first ``redo`` (called by ``QUndoStack.push``) only reports it."""

    def __init__(self, db: Database, student_id: int, name: str, diff: dict[str, tuple[Any, Any]],
                 on_applied: Callable[[int], None], widget: QWidget | None = None) -> None:
        super().__init__(f"修改学生“{name}”")
        self.db = db
        self.student_id = student_id
        fields = [f for f in diff if f != "verified"]   # verification is not an edit to undo
        self.old = {f: diff[f][0] for f in fields}
        self.new = {f: diff[f][1] for f in fields}
        self._on_applied = on_applied
        self._widget = widget
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def _apply(self, values: dict[str, Any]) -> None:
        # One row, one transaction: small enough to run on the GUI thread, and
        # QUndoStack needs the state changed when undo()/redo() return.
        try:
            edit_student(self.db, self.student_id, values)
        except Exception as exc:  # noqa: BLE001 - shown through the one error path
            from gui.errors import show_exception
            self.setObsolete(True)
            show_exception(self._widget, exc)
            return
        self._on_applied(self.student_id)
