"""Filtering the student list: instant search plus 学段 / 家庭类别 / 状态 filters.

The proxy never sorts (the source model does); it only filters, with a
precomputed set of accepted students (see ``gui.search.FilterProxy``). The
filters read the model's columns by position (no row object per student).
"""
from __future__ import annotations

from collections.abc import Callable

from db.student_columns import StudentColumns
from gui.search import FilterProxy
from gui.students.model import (
    STATUS_PENDING,
    STATUS_REMOVED,
    STATUS_VERIFIED,
    StudentRow,
    StudentTableModel,
)

ALL = ""            # "no filter" value of every combo
HAS_PROBLEMS = "有错误或警告"     # an open finding to work on (提示 alone is a note)
STATUS_CHOICES = (STATUS_VERIFIED, STATUS_PENDING, HAS_PROBLEMS, STATUS_REMOVED)
Test = Callable[[StudentColumns, int], bool]


class StudentFilterProxy(FilterProxy):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._stage = ALL
        self._category = ALL
        self._status = ALL
        self.set_predicate("status", self._on_columns(_status_test(ALL)))

    def _on_columns(self, test: Test) -> Callable[[int], bool]:
        """A predicate over positions: ``test`` on the source model's current columns."""
        def predicate(pos: int) -> bool:
            model = self.sourceModel()
            assert isinstance(model, StudentTableModel)
            return test(model.columns, pos)
        return predicate

    def _field_is(self, field: str, wanted: str) -> Callable[[int], bool]:
        return self._on_columns(lambda cols, pos: cols.column(field)[pos] == wanted)

    def set_stage(self, stage: str) -> None:
        self._stage = wanted = stage or ALL
        self.set_predicate("stage", self._field_is("stage", wanted) if wanted else None)

    def set_category(self, label: str, apply: bool = True) -> None:
        self._category = wanted = label or ALL
        self.set_predicate("category", self._field_is("category", wanted) if wanted else None, apply)

    def set_status(self, status: str) -> None:
        self._status = status or ALL
        self.set_predicate("status", self._on_columns(_status_test(self._status)))

    def filters(self) -> dict[str, str]:
        return {"stage": self._stage, "category": self._category, "status": self._status,
                "search": self.query}


def _status_test(status: str) -> Test:
    """Removed students are shown only under 已移出名单; every other choice lists the students on the list."""
    if status == STATUS_REMOVED:
        return lambda cols, p: bool(cols.removed[p])
    if status == HAS_PROBLEMS:
        return lambda cols, p: cols.findings[p].needs_work and not cols.removed[p]
    if status == STATUS_VERIFIED:
        return lambda cols, p: bool(cols.verified[p]) and not cols.removed[p]
    if status == STATUS_PENDING:
        return lambda cols, p: not cols.verified[p] and not cols.removed[p]
    return lambda cols, p: not cols.removed[p]


__all__ = ["ALL", "STATUS_CHOICES", "StudentFilterProxy", "StudentRow"]
