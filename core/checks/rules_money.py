"""Rules about subsidies: enrolment, fees, policy parameters, loans, payments, letters."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from operator import attrgetter

from core.checks.base import (
    POLICY_FIELD,
    CheckContext,
    Finding,
    Rule,
    Severity,
    StudentFacts,
)
from core.domain import Ownership, parse_ownership, parse_stage
from core.engine import Calculator, ItemDecision, PendingCause
from core.money import format_fen
from core.policy import FEE_LABELS, YUAN_PER_YEAR, parameter_label
from core.records import RECORD_COLUMNS, stored_records
from core.text import holds_number

# A student's facts in the order of ``stored_records``' rows (its ``id`` is the facts' ``key``).
_RECORD_ROW = attrgetter("key", *RECORD_COLUMNS[1:])
# The stored fields behind ``core.engine.decision_key`` (everything ``decide`` reads of a student),
# as stored: equal stored values parse to equal record attributes, so they decide alike.
_DECIDING = attrgetter("full_time", "stage", "location", "ownership", "category", "has_loan", "prior_grants",
                       "tuition_fen", "textbook_fen", "lodging_fen")


@dataclass(frozen=True)
class Outcome:
    """What the rules read of a student's engine result (``StudentResult``), one shared by all the
    students whose stored values decide alike: a county has a few hundred such combinations."""

    decisions: list[ItemDecision]
    granted: list[ItemDecision]
    pending: list[ItemDecision]
    total_fen: int


def results(ctx: CheckContext) -> list[tuple[StudentFacts, Outcome]]:
    """Every student's engine outcome, computed once per run and once per decision combination
    (the ``Calculator`` on the record ``stored_records`` makes of the combination's first student;
    tests/test_check_fast_paths.py holds each student's outcome to the engine's own result)."""
    def make() -> list[tuple[StudentFacts, Outcome]]:
        calc = Calculator(ctx.policy)
        outcomes: dict[tuple[object, ...], Outcome] = {}
        out = []
        for s in ctx.students:
            deciding = _DECIDING(s)
            outcome = outcomes.get(deciding)
            if outcome is None:
                res = calc(stored_records([_RECORD_ROW(s)])[0])
                outcome = outcomes[deciding] = Outcome(res.decisions, res.granted, res.pending, res.total_fen)
            out.append((s, outcome))
        return out
    return ctx.cached("results", make)


def _not_full_time(ctx: CheckContext) -> Iterator[Finding]:
    for s in ctx.students:
        if not s.full_time and s.category in ("REGISTERED", "OTHER_HARDSHIP"):
            yield NOT_FULL_TIME.finding(
                s, f"家庭类别为{ctx.policy.category_label(ctx.policy.parse_category(s.category))}，"
                   "但不是全日制正式学籍，因此不享受任何资助", "full_time")


def _fee_missing(ctx: CheckContext) -> Iterator[Finding]:
    for s, res in results(ctx):
        seen = set()
        for d in res.pending:
            item = ctx.policy.item(d.code)
            fee = item.fee
            if fee and getattr(s, f"{fee}_fen") is None and fee not in seen:
                seen.add(fee)
                yield FEE_MISSING.finding(s, f"符合“{item.name}”条件，但{FEE_LABELS[fee]}为空（空白不等于0）",
                                          f"{fee}_fen", part=fee)


def _above_standard(ctx: CheckContext) -> list[tuple[StudentFacts, Ownership, ItemDecision, int]]:
    """(student, ownership, decision, fee charged) for every granted capped item whose fee is above
    the standard it was capped at; ownership as the engine reads it (unreadable: not listed here,
    VALUE_UNREADABLE flags it)."""
    def make() -> list[tuple[StudentFacts, Ownership, ItemDecision, int]]:
        out = []
        for s, res in results(ctx):
            for d in res.granted:
                item = ctx.policy.item(d.code)
                fee = getattr(s, f"{item.fee}_fen") if item.kind == "fee_capped" else None
                own = parse_ownership(s.ownership or "")
                if fee is not None and fee > d.amount_fen and own is not None:
                    out.append((s, own, d, fee))
        return out
    return ctx.cached("above_standard", make)


def _fee_above(ctx: CheckContext) -> Iterator[Finding]:
    for s, own, d, fee in _above_standard(ctx):
        if own is Ownership.PRIVATE:
            yield FEE_ABOVE_STANDARD.finding(
                s, f"民办学校实收学费 {format_fen(fee)} 元高于公办标准 {format_fen(d.amount_fen)} 元，"
                   f"差额 {format_fen(fee - d.amount_fen)} 元由家庭承担，告知书须写明", "tuition_fen",
                part=d.code)


def _public_fee_above(ctx: CheckContext) -> Iterator[Finding]:
    for s, own, d, fee in _above_standard(ctx):
        if own is Ownership.PUBLIC:
            item = ctx.policy.item(d.code)
            stage = parse_stage(s.stage)
            standard = parameter_label(f"{item.cap}.{stage.value if stage else s.stage}")
            label = FEE_LABELS[item.fee or ""]
            yield PUBLIC_FEE_ABOVE_STANDARD.finding(
                s, f"公办学校{label} {format_fen(fee)} 元高于{standard} {format_fen(d.amount_fen)} 元，"
                   f"“{d.name}”按标准补助 {format_fen(d.amount_fen)} 元；高出的 {format_fen(fee - d.amount_fen)} 元"
                   "不应向家庭收取：请核对实收金额和标准", f"{item.fee}_fen", part=d.code)


def _public_fee_below(ctx: CheckContext) -> Iterator[Finding]:
    """A 公办 school's fee entered above 0 and below the standard its item is capped at: the item pays
    what was charged, so a fee typed for one term pays less than the family is due. Not 0: a public
    school that charges nothing (中职's national free tuition) is the case FEE_MISSING asks to enter
    as 0. Granted items only (the standard is set, the fee entered)."""
    for s, res in results(ctx):
        if parse_ownership(s.ownership or "") is not Ownership.PUBLIC:
            continue
        stage = parse_stage(s.stage)
        for d in res.granted:
            item = ctx.policy.item(d.code)
            if item.kind != "fee_capped" or stage is None:
                continue
            fee = getattr(s, f"{item.fee}_fen")
            cap = ctx.policy.parameters.get(item.cap or "", {}).get(stage)
            if not fee or cap is None or fee >= cap:      # (blank: FEE_MISSING; 0: charged nothing)
                continue
            standard = parameter_label(f"{item.cap}.{stage.value}")
            yield PUBLIC_FEE_BELOW_STANDARD.finding(
                s, f"公办学校{FEE_LABELS[item.fee or '']} {format_fen(fee)} 元低于{standard} {format_fen(cap)} 元，"
                   f"“{d.name}”按实收金额 {format_fen(fee)} 元计算", f"{item.fee}_fen", part=d.code)


def _missing_param(ctx: CheckContext) -> Iterator[Finding]:
    missing: dict[tuple[str, str, str], int] = defaultdict(int)
    for s, res in results(ctx):
        for d in res.pending:
            if d.cause is PendingCause.PARAMETER_UNSET:
                item = ctx.policy.item(d.code)
                missing[(item.cap or "", s.stage, item.name)] += 1
    for (cap, stage, name), n in sorted(missing.items()):
        # part is the parameter's key: double-clicking the finding opens 设置 at that field
        yield Finding(MISSING_POLICY_PARAM.code, MISSING_POLICY_PARAM.severity,
                      f"未设置{parameter_label(f'{cap}.{stage}')}（{YUAN_PER_YEAR}），"
                      f"{n} 名学生的“{name}”无法计算，显示为待补充",
                      part=f"{cap}.{stage}", field=POLICY_FIELD)


def _loan_contract(ctx: CheckContext) -> Iterator[Finding]:
    for s in ctx.students:
        if s.has_loan and not s.loan_contract_no.strip():
            yield LOAN_CONTRACT_MISSING.finding(s, "已填写办理生源地助学贷款，但没有贷款合同号", "loan_contract_no")




def _loan_not_marked(ctx: CheckContext) -> Iterator[Finding]:
    """The opposite of ``_loan_contract``: a contract number without the loan marked. The message
    names the loan items the student would get with it (computed as if the loan were marked)."""
    calc: Calculator | None = None
    for s in ctx.students:
        contract = (s.loan_contract_no or "").strip()
        if s.has_loan or not holds_number(contract):     # ("无", "/", "0", "#N/A", "NULL": no number)
            continue
        calc = calc or Calculator(ctx.policy)
        res = calc(stored_records([_RECORD_ROW(replace(s, has_loan=True))])[0])
        lost = [d.name for d in (*res.granted, *res.pending) if ctx.policy.item(d.code).requires_loan]
        missed = f"，“{'”“'.join(lost)}”不会核定" if lost else ""
        yield LOAN_NOT_MARKED.finding(
            s, f"已填贷款合同号“{contract}”但未标记已办理生源地助学贷款{missed}：已办理的请勾选"
               "“已办生源地助学贷款”，未办理的请删除贷款合同号", "has_loan")


def _payment_findings(ctx: CheckContext) -> list[Finding]:
    return ctx.cached("payments", lambda: list(_compare_payments(ctx)))


def _payments_of(code: str) -> Callable[[CheckContext], list[Finding]]:
    return lambda ctx: [f for f in _payment_findings(ctx) if f.code == code]


@dataclass
class _Due:
    """What the students with one ID number are due for one item: the first of them granted it (the
    finding's subject, as ``by_id`` keeps the first), and the amounts of all of them added up (an ID
    listed twice is ID_DUPLICATE's error; the payment is compared with both entitlements)."""

    student: StudentFacts
    name: str
    amount_fen: int = 0
    students: int = 0

    @property
    def whose(self) -> str:
        return f"（身份证号相同的 {self.students} 名学生合计）" if self.students > 1 else ""


def _item_label(ctx: CheckContext, code: str) -> str:
    """An item of the disbursement record as the clerk knows it: its name in the policy (a retired
    item's too, said to be retired), the code only when the policy no longer has it."""
    try:
        item = ctx.policy.item(code)
    except KeyError:
        return f"项目 {code}（当前政策中没有该项目）"
    return f"“{item.name}”（已停用的项目）" if item.retired else f"“{item.name}”"


def _pending_paid(ctx: CheckContext, s: StudentFacts, d: ItemDecision, fen: int) -> Finding:
    """A payment of an item the student is eligible for but whose amount is pending: it cannot be
    checked until what is missing is entered (never “不应享受”: the student is entitled)."""
    item = ctx.policy.item(d.code)
    paid = f"发放记录中的 {format_fen(fen)} 元无法核对"
    if d.cause is PendingCause.PARAMETER_UNSET:
        stage = parse_stage(s.stage)
        unset = parameter_label(f"{item.cap}.{stage.value if stage else s.stage}")
        return PAYMENT_MISMATCH.finding(
            s, f"“{d.name}”待补充（未设置{unset}），{paid}，请先在“政策 → 政策参数”中填写该标准", part=d.code)
    label = FEE_LABELS.get(item.fee or "", "实收金额")
    return PAYMENT_MISMATCH.finding(
        s, f"“{d.name}”待补充（未填写{label}），{paid}，请先补填{label}（确实未收费请填 0）",
        f"{item.fee}_fen" if item.fee else "", part=d.code)


def _compare_payments(ctx: CheckContext) -> Iterator[Finding]:
    """One pass over the disbursement record gives all three payment codes."""
    if ctx.payments is None:
        return
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for p in ctx.payments:
        paid[(p.id_number, p.item_code)] += p.amount_fen
    entitled: dict[tuple[str, str], _Due] = {}
    pending: dict[tuple[str, str], tuple[StudentFacts, ItemDecision]] = {}
    by_id: dict[str, StudentFacts] = {}
    for s, res in results(ctx):
        if not s.id_number:
            continue
        by_id.setdefault(s.id_number, s)
        for d in res.granted:
            due = entitled.get((s.id_number, d.code))
            if due is None:
                due = entitled[(s.id_number, d.code)] = _Due(s, d.name)
            due.amount_fen += d.amount_fen
            due.students += 1
        for d in res.pending:
            pending.setdefault((s.id_number, d.code), (s, d))
    for key, due in entitled.items():
        amount = due.amount_fen
        if key not in paid:
            if not amount:   # a zero entitlement needs no payment
                continue
            yield PAYMENT_MISSING.finding(
                due.student, f"应享受“{due.name}” {format_fen(amount)} 元{due.whose}，发放记录中没有", part=key[1])
        elif paid[key] != amount:
            yield PAYMENT_MISMATCH.finding(
                due.student, f"“{due.name}”应发 {format_fen(amount)} 元{due.whose}，实发 {format_fen(paid[key])} 元",
                part=key[1])
    for key, fen in paid.items():
        if key in entitled:
            continue
        if key in pending:
            yield _pending_paid(ctx, *pending[key], fen)
            continue
        student = by_id.get(key[0])
        msg = f"发放记录中{_item_label(ctx, key[1])}发放 {format_fen(fen)} 元，但按政策不应享受"
        if student is not None:
            yield PAYMENT_UNDUE.finding(student, msg, part=key[1])
        else:
            yield Finding(PAYMENT_UNDUE.code, PAYMENT_UNDUE.severity, msg + "（身份证号不在学生名单中）",
                          id_number=key[0], part=f"{key[0]}:{key[1]}")


def _not_notified(ctx: CheckContext) -> Iterator[Finding]:
    from core.told import letter_due
    for s, res in results(ctx):
        if s.notified or not letter_due(bool(res.granted), s.category):
            continue
        yield NOT_NOTIFIED.finding(s, f"享受资助 {format_fen(res.total_fen)} 元，尚未向家庭发送告知书" if res.granted
                                   else "建档立卡学生，本学年暂不享受资助，尚未向家庭告知结果和原因")


NOT_FULL_TIME = Rule("NOT_FULL_TIME", Severity.INFO, "非全日制正式学籍",
                     "核对学籍；确非全日制则无需处理", _not_full_time)
FEE_MISSING = Rule("FEE_MISSING", Severity.WARNING, "实收费用未填写",
                   "填写实收金额；确实未收费请填 0", _fee_missing)
FEE_ABOVE_STANDARD = Rule("FEE_ABOVE_STANDARD", Severity.INFO, "民办学校学费高于公办标准",
                          "无需改正；告知书会写明家庭需自付的差额", _fee_above)
PUBLIC_FEE_ABOVE_STANDARD = Rule(
    "PUBLIC_FEE_ABOVE_STANDARD", Severity.WARNING, "公办学校收费高于核定标准",
    "核对实收金额：录入有误的改正该生的实收金额；标准填错的在“政策 → 政策参数”中改正；"
    "确属超标准收费的，高出部分应退还家庭（告知书不会让家庭承担），核实后可接受并注明原因", _public_fee_above)
PUBLIC_FEE_BELOW_STANDARD = Rule(
    "PUBLIC_FEE_BELOW_STANDARD", Severity.WARNING, "公办学校收费低于核定标准",
    "核对实收金额：如果按学期收取，请填写全学年的实收金额；标准填错的在“政策 → 政策参数”中改正；"
    "确实只收了这么多（或已减免）的，核实后可接受此提示并注明原因", _public_fee_below)
MISSING_POLICY_PARAM = Rule("MISSING_POLICY_PARAM", Severity.ERROR, "政策参数未设置",
                            "在“政策 → 政策参数”中填写该标准（双击这一行直接打开；命令行：policy set 参数名 金额，"
                            "例如 policy set 公办普通高中学费标准 1200），"
                            "依据本县发改局/物价局核定学费的收费文件",
                            _missing_param)
LOAN_CONTRACT_MISSING = Rule("LOAN_CONTRACT_MISSING", Severity.WARNING, "贷款合同号缺失",
                             "补填生源地助学贷款合同号", _loan_contract)
LOAN_NOT_MARKED = Rule("LOAN_NOT_MARKED", Severity.WARNING, "有贷款合同号但未标记贷款",
                       "已办理生源地助学贷款的，在该生信息中勾选“已办生源地助学贷款”（或在名单的“生源地助学贷款”"
                       "列填“是”后重新导入）；未办理的，删除贷款合同号", _loan_not_marked)
PAYMENT_MISSING = Rule("PAYMENT_MISSING", Severity.ERROR, "应发未发",
                       "核对发放记录，补发或说明原因", _payments_of("PAYMENT_MISSING"))
PAYMENT_UNDUE = Rule("PAYMENT_UNDUE", Severity.ERROR, "不应发放却已发放",
                     "核对学生信息和发放记录，必要时追回", _payments_of("PAYMENT_UNDUE"))
PAYMENT_MISMATCH = Rule("PAYMENT_MISMATCH", Severity.ERROR, "发放金额不一致",
                        "核对发放金额与资助标准；项目待补充的，先补填所缺的实收金额或政策参数再核对",
                        _payments_of("PAYMENT_MISMATCH"))
NOT_NOTIFIED = Rule("NOT_NOTIFIED", Severity.INFO, "尚未告知家庭",
                    "打印并发放资助结果告知书，收回回执", _not_notified)

RULES = (NOT_FULL_TIME, FEE_MISSING, FEE_ABOVE_STANDARD, PUBLIC_FEE_ABOVE_STANDARD, PUBLIC_FEE_BELOW_STANDARD,
         MISSING_POLICY_PARAM, LOAN_CONTRACT_MISSING, LOAN_NOT_MARKED, PAYMENT_MISSING, PAYMENT_UNDUE,
         PAYMENT_MISMATCH, NOT_NOTIFIED)
