"""Filtering the student list: instant search plus 学段 / 家庭类别 / 状态 filters.

The proxy never sorts (the source model does); it only filters, with a
precomputed set of accepted students (see ``gui.search.FilterProxy``).
"""
from __future__ import annotations

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


class StudentFilterProxy(FilterProxy):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._stage = ALL
        self._category = ALL
        self._status = ALL
        self.set_predicate("status", _status_predicate(ALL))

    def set_stage(self, stage: str) -> None:
        self._stage = wanted = stage or ALL
        self.set_predicate("stage", (lambda r: r.stage == wanted) if wanted else None)

    def set_category(self, label: str, apply: bool = True) -> None:
        self._category = wanted = label or ALL
        self.set_predicate("category", (lambda r: r.category == wanted) if wanted else None, apply)

    def set_status(self, status: str) -> None:
        self._status = status or ALL
        self.set_predicate("status", _status_predicate(self._status))

    def filters(self) -> dict[str, str]:
        return {"stage": self._stage, "category": self._category, "status": self._status,
                "search": self.query}


def _status_predicate(status: str):
    """Removed students are shown only under 已移出名单; every other choice lists the students on the list."""
    if status == STATUS_REMOVED:
        return lambda r: r.removed
    if status == HAS_PROBLEMS:
        return lambda r: r.findings.needs_work and not r.removed
    if status in (STATUS_VERIFIED, STATUS_PENDING):
        return lambda r, v=status: r.status == v
    return lambda r: not r.removed


__all__ = ["ALL", "STATUS_CHOICES", "StudentFilterProxy", "StudentRow"]
