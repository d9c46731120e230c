"""Filtering the student list: instant search plus 学段 / 家庭类别 / 状态 filters.

The proxy never sorts (the source model does); it only filters, with a
precomputed set of accepted students (see ``gui.search.FilterProxy``). The
filters read the model's columns, every student at once (``ColumnTest.by_position``:
C-level passes over a column, no Python call and no row object per student).
"""
from __future__ import annotations

from operator import and_

from db.student_columns import StudentColumns
from gui.columns_model import ColumnTest, negated
from gui.search import FilterProxy
from gui.students.model import (
    STATUS_PENDING,
    STATUS_REMOVED,
    STATUS_VERIFIED,
    StudentRow,
)

ALL = ""            # "no filter" value of every combo
HAS_PROBLEMS = "有错误或警告"     # an open finding to work on (提示 alone is a note)
STATUS_CHOICES = (STATUS_VERIFIED, STATUS_PENDING, HAS_PROBLEMS, STATUS_REMOVED)


def on_list(cols: StudentColumns) -> bytes:
    return negated(cols.removed)


def _field_is(field: str, wanted: str) -> ColumnTest:
    return ColumnTest(lambda cols: bytes(map(wanted.__eq__, cols.column(field))))


def _needs_work(cols: StudentColumns) -> bytes:
    """An open error or warning, on the list (one test per distinct findings object: most students
    share the one without any)."""
    needs = {id(f): f.needs_work for f in {id(f): f for f in cols.findings}.values()}
    return bytes(map(and_, map(needs.__getitem__, map(id, cols.findings)), on_list(cols)))


def status_test(status: str) -> ColumnTest:
    """Removed students are shown only under 已移出名单; every other choice lists the students on the list."""
    if status == STATUS_REMOVED:
        return ColumnTest(lambda cols: cols.removed)
    if status == HAS_PROBLEMS:
        return ColumnTest(_needs_work)
    if status == STATUS_VERIFIED:
        return ColumnTest(lambda cols: bytes(map(and_, cols.verified, on_list(cols))))
    if status == STATUS_PENDING:
        return ColumnTest(lambda cols: bytes(map(and_, negated(cols.verified), on_list(cols))))
    return ColumnTest(on_list)


class StudentFilterProxy(FilterProxy):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._stage = ALL
        self._category = ALL
        self._status = ALL
        self.set_predicate("status", status_test(ALL))

    def set_stage(self, stage: str) -> None:
        self._stage = wanted = stage or ALL
        self.set_predicate("stage", _field_is("stage", wanted) if wanted else None)

    def set_category(self, label: str, apply: bool = True) -> None:
        self._category = wanted = label or ALL
        self.set_predicate("category", _field_is("category", wanted) if wanted else None, apply)

    def set_status(self, status: str) -> None:
        self._status = status or ALL
        self.set_predicate("status", status_test(self._status))

    def filters(self) -> dict[str, str]:
        return {"stage": self._stage, "category": self._category, "status": self._status,
                "search": self.query}


__all__ = ["ALL", "STATUS_CHOICES", "StudentFilterProxy", "StudentRow"]
