"""Which students' subsidies a policy change changes (变更预览), item by item, to the fen.

Pure: students in, differences out. ``student_deltas`` is the one comparison: the
preview lists its result, and saving a new version un-verifies exactly the verified
students it returns (db.store.affected_students), with the same old → new amounts
in the audit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.domain import StudentRecord
from core.engine import STATUS_LABELS, Calculator, ItemDecision, Status, StudentResult
from core.idnumber import mask_id
from core.money import format_fen
from core.policy import Policy


@dataclass(frozen=True)
class ItemDelta:
    """One item of one student whose decision or amount changes (``None`` status: the item
    is not in that policy — added, removed or retired)."""
    code: str
    name: str
    old_status: Status | None
    old_fen: int
    new_status: Status | None
    new_fen: int

    @staticmethod
    def _side(status: Status | None, fen: int) -> str:
        if status is Status.GRANTED:
            return f"{format_fen(fen)} 元"
        return "无此项目" if status is None else STATUS_LABELS[status]

    def text(self) -> str:
        """“免学费：1200.00 元 → 100.00 元”, “学前教育资助：2022.00 元 → 不符合”."""
        return f"{self.name}：{self._side(self.old_status, self.old_fen)} → {self._side(self.new_status, self.new_fen)}"


@dataclass(frozen=True)
class StudentDelta:
    key: int | None          # the student's database id
    name: str
    id_masked: str           # never the full ID number (lists, letters, logs)
    old_total: int           # fen granted before and after
    new_total: int
    items: tuple[ItemDelta, ...]

    def text(self) -> str:
        return (f"合计 {format_fen(self.old_total)} 元 → {format_fen(self.new_total)} 元："
                + "；".join(i.text() for i in self.items))


def _by_code(result: StudentResult) -> dict[str, ItemDecision]:
    return {d.code: d for d in result.decisions}


def _effect(d: ItemDecision | None) -> tuple[Status, int]:
    """What an item does for a student: an item that is not in the policy (added, removed,
    retired) does what a 不符合 item does, nothing; so adding an item changes only the
    students it grants or leaves pending."""
    return (Status.NOT_ELIGIBLE, 0) if d is None or d.status is Status.NOT_ELIGIBLE else (d.status, d.amount_fen)


def _delta(a: StudentResult, b: StudentResult) -> StudentDelta | None:
    old, new = _by_code(a), _by_code(b)
    items = []
    for code in [*new, *(c for c in old if c not in new)]:
        x, y = old.get(code), new.get(code)
        if _effect(x) != _effect(y):
            named = y or x
            assert named is not None      # the code comes from one of the two
            items.append(ItemDelta(code, named.name, x.status if x else None, x.amount_fen if x else 0,
                                   y.status if y else None, y.amount_fen if y else 0))
    if not items:
        return None
    st = b.student
    return StudentDelta(st.key, st.name, mask_id(st.id_number) if st.id_number else "", a.total_fen, b.total_fen,
                        tuple(items))


def student_deltas(results_old: Iterable[StudentResult], results_new: Iterable[StudentResult]
                   ) -> list[StudentDelta]:
    """The students (results in the same order under both policies) whose per-item decisions
    or amounts differ."""
    return [d for a, b in zip(results_old, results_new, strict=True) if (d := _delta(a, b))]


def compare(students: Iterable[StudentRecord], old: Policy, new: Policy
            ) -> tuple[list[StudentResult], list[StudentResult]]:
    """Every student computed under both policies (one shared calculator each)."""
    before, after = Calculator(old), Calculator(new)
    olds: list[StudentResult] = []
    news: list[StudentResult] = []
    for rec in students:
        olds.append(before(rec))
        news.append(after(rec))
    return olds, news
