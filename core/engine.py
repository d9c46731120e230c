"""The subsidy engine: which items each student gets, how much, who pays, and why.

Pure functions over ``StudentRecord`` and ``Policy``; money is integer fen.
An item whose input is missing (unset parameter, empty fee) is PENDING with
its reason, never silently zero. A fee entered as 0 is a real zero.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import cached_property, lru_cache

from core.bulk import gc_paused
from core.domain import Ownership, StudentRecord, received_before
from core.money import format_fen, split_shares
from core.policy import FEE_LABELS, Item, Policy, parameter_label


class Status(str, Enum):
    GRANTED = "granted"
    PENDING = "pending"
    NOT_ELIGIBLE = "not_eligible"


# What an eligible student of an item marked needs_application (需申请) is told: the engine
# computes the entitlement like any other item; the application is the family's step.
APPLICATION_NOTE = "本项目需学生或家长提出申请"

STATUS_LABELS = {Status.GRANTED: "享受", Status.PENDING: "待补充", Status.NOT_ELIGIBLE: "不符合"}


class PendingCause(StrEnum):
    """Why a PENDING decision cannot be computed yet."""

    FEE_NOT_ENTERED = "fee_not_entered"     # the student's fee is empty (not 0)
    PARAMETER_UNSET = "parameter_unset"     # the policy parameter the item is capped by is unset


@dataclass(frozen=True)
class ItemDecision:
    code: str
    name: str
    status: Status
    amount_fen: int = 0
    shares: dict[str, int] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()   # why (not) eligible, or why pending; Chinese
    cause: PendingCause | None = None   # set exactly when the status is PENDING

    @property
    def reason_text(self) -> str:
        return "；".join(self.reasons)


@dataclass
class StudentResult:
    student: StudentRecord
    decisions: list[ItemDecision]     # never changed once computed: the views below are kept

    @cached_property
    def granted(self) -> list[ItemDecision]:
        return [d for d in self.decisions if d.status is Status.GRANTED]

    @cached_property
    def pending(self) -> list[ItemDecision]:
        return [d for d in self.decisions if d.status is Status.PENDING]

    @property
    def total_fen(self) -> int:
        return sum(d.amount_fen for d in self.granted)


@dataclass
class Totals:
    by_item: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    total: int = 0
    students_granted: int = 0
    pending: int = 0


def _fee(student: StudentRecord, fee: str) -> int | None:
    return {"tuition": student.tuition_fen, "textbook": student.textbook_fen,
            "lodging": student.lodging_fen}[fee]


def _unmet(student: StudentRecord, item: Item, policy: Policy) -> list[str]:
    """The conditions of ``item`` the student does not meet (empty: eligible)."""
    unmet: list[str] = []
    if not student.full_time:
        unmet.append("不是全日制正式学籍")
    if student.stage is None:
        unmet.append("学段无法识别")
    elif student.stage not in item.stages:
        unmet.append(f"学段为{student.stage.value}，本项目只限{item.stages_text}")
    if item.locations is not None and student.location not in item.locations:
        unmet.append(f"就读地为{student.location.value}，本项目只限{item.locations_text}就读")
    if student.category is None:
        unmet.append("家庭类别无法识别")
    elif student.category not in item.categories:
        unmet.append(f"家庭类别为{policy.category_label(student.category)}，本项目只限{item.categories_text}")
    if item.requires_loan and not student.has_loan:
        unmet.append("未办理生源地助学贷款")
    if item.once and received_before(item.code, student.prior_grants):
        unmet.append("往年已享受过（每人仅享受一次）")
    return unmet


def _met(student: StudentRecord, item: Item, policy: Policy) -> str:
    parts = ["全日制正式学籍", f"学段为{student.stage.value if student.stage else ''}"]
    if item.locations is not None:
        parts.append(f"{student.location.value}就读")
    parts.append(f"家庭类别为{policy.category_label(student.category)}")
    if item.requires_loan:
        parts.append("已办理生源地助学贷款")
    return "符合条件：" + "、".join(parts)


def _eligible(student: StudentRecord, item: Item) -> bool:
    """Fast path of ``_unmet``: no texts built."""
    return (student.full_time and student.stage in item.stages
            and (item.locations is None or student.location in item.locations)
            and student.category in item.categories
            and (not item.requires_loan or student.has_loan)
            and not (item.once and received_before(item.code, student.prior_grants)))


@lru_cache(maxsize=512)
def _not_eligible(code: str, name: str) -> ItemDecision:
    """Shared (immutable) unexplained not-eligible decision for bulk runs."""
    return ItemDecision(code, name, Status.NOT_ELIGIBLE)


def _above_cap(student: StudentRecord) -> str:
    """Who bears a fee above the public standard: at a 民办 school the family (the school may charge
    the rest, seed plan 二.3); a 公办 school charges the approved standard, so the excess is a wrong
    figure or an over-charge (PUBLIC_FEE_ABOVE_STANDARD) the family is never told to pay."""
    if student.ownership is Ownership.PRIVATE:
        return "，差额由家庭承担"
    return "；公办学校按核定标准收费，高出部分不应向家庭收取"


def decide(student: StudentRecord, item: Item, policy: Policy, explain: bool = True) -> ItemDecision:
    """One student, one item. With ``explain=False`` (bulk runs) a not-eligible
    decision carries no reasons; granted and pending ones always do."""
    if not _eligible(student, item):
        if not explain:
            return _not_eligible(item.code, item.name)
        return ItemDecision(item.code, item.name, Status.NOT_ELIGIBLE, reasons=tuple(_unmet(student, item, policy)))
    met = _met(student, item, policy)
    if item.needs_application:
        met += "；" + APPLICATION_NOTE
    if item.kind == "fixed":
        amount = item.amount_fen or 0
        basis = f"标准 {format_fen(amount)} 元"
    elif item.kind == "per_stage":
        assert student.stage is not None
        amount = item.amount_for(student.stage) or 0   # load_policy: an amount for every stage of the item
        basis = f"{student.stage.value}标准 {format_fen(amount)} 元"
    else:
        fee = _fee(student, item.fee or "")
        if fee is None:
            return ItemDecision(item.code, item.name, Status.PENDING, cause=PendingCause.FEE_NOT_ENTERED,
                                reasons=(met, f"未填写{FEE_LABELS[item.fee or '']}，无法计算（空白不等于0）"))
        amount = fee
        basis = f"按{FEE_LABELS[item.fee or '']} {format_fen(fee)} 元"
        if item.kind == "fee_capped":
            assert student.stage is not None and item.cap
            cap = policy.parameters.get(item.cap, {}).get(student.stage)
            if cap is None:
                unset = parameter_label(f"{item.cap}.{student.stage.value}")
                return ItemDecision(
                    item.code, item.name, Status.PENDING, cause=PendingCause.PARAMETER_UNSET, reasons=(
                        met, f"未设置{unset}，请在“政策 → 政策参数”中填写"))
            if fee > cap:
                amount = cap
                basis += f"，高于公办标准 {format_fen(cap)} 元，按标准补助{_above_cap(student)}"
            else:
                basis += f"（公办标准 {format_fen(cap)} 元）"
    return ItemDecision(item.code, item.name, Status.GRANTED, amount,
                        split_shares(amount, item.shares), (met, basis))


def compute_student(student: StudentRecord, policy: Policy, explain: bool = True) -> StudentResult:
    return StudentResult(student, [decide(student, item, policy, explain) for item in policy.items])


def decision_key(s: StudentRecord) -> tuple[object, ...]:
    """Everything ``decide`` reads of a student: equal keys give equal decisions."""
    return (s.full_time, s.stage, s.location, s.ownership, s.category, s.has_loan, s.prior_grants,
            s.tuition_fen, s.textbook_fen, s.lodging_fen)


class Calculator:
    """Computes many students against one policy.

    A county has a few hundred distinct combinations of the attributes that
    decide subsidies (stage, category, location, fees, ...), so decisions are
    made once per combination and shared: they are immutable. Results equal
    ``compute_student``'s exactly (a test holds them side by side).
    """

    def __init__(self, policy: Policy, explain: bool = False) -> None:
        self.policy = policy
        self.explain = explain
        self._memo: dict[tuple[object, ...], tuple[ItemDecision, ...]] = {}
        self._uses: dict[tuple[object, ...], int] = {}     # students computed per combination

    def __call__(self, student: StudentRecord) -> StudentResult:
        key = decision_key(student)
        decisions = self._memo.get(key)
        if decisions is None:
            decisions = self._memo[key] = tuple(
                decide(student, item, self.policy, self.explain) for item in self.policy.items)
            self._uses[key] = 1
        else:
            self._uses[key] += 1
        return StudentResult(student, list(decisions))

    def totals(self) -> Totals:
        """``totals_of`` every student this calculator computed: tallied once per combination."""
        return _tally(((self._memo[key], n) for key, n in self._uses.items()), self.policy)


@gc_paused()
def compute_all(students: Iterable[StudentRecord], policy: Policy,
                explain: bool = False) -> tuple[list[StudentResult], Totals]:
    calc = Calculator(policy, explain)
    results = [calc(s) for s in students]
    return results, calc.totals()


def totals_of(results: Iterable[StudentResult], policy: Policy) -> Totals:
    return totals_of_decisions((r.decisions for r in results), policy)


def totals_of_decisions(decisions: Iterable[Sequence[ItemDecision]], policy: Policy) -> Totals:
    """``totals_of`` from each student's decisions alone (the results need not be kept)."""
    return _tally(((d, 1) for d in decisions), policy)


def _tally(groups: Iterable[tuple[Sequence[ItemDecision], int]], policy: Policy) -> Totals:
    """Totals of ``n`` students with the same ``decisions``, for each (decisions, n)."""
    totals = Totals(by_item={i.code: 0 for i in policy.items},
                    by_source={src: 0 for i in policy.items for src, _ in i.shares})
    for decisions, n in groups:
        granted = [d for d in decisions if d.status is Status.GRANTED]
        if granted:
            totals.students_granted += n
        totals.pending += n * sum(d.status is Status.PENDING for d in decisions)
        for d in granted:
            totals.by_item[d.code] += n * d.amount_fen
            totals.total += n * d.amount_fen
            for src, fen in d.shares.items():
                totals.by_source[src] = totals.by_source.get(src, 0) + n * fen
    return totals
