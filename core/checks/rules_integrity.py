"""Rules about the integrity of what was verified: seals, the audit log, the roster."""
from __future__ import annotations

from collections.abc import Iterator

from core.checks.base import CheckContext, Finding, Rule, Severity, StudentFacts
from core.checks.rules_money import results
from core.engine import ItemDecision
from core.money import format_fen
from core.seal import seal_holds, version_of


def _holds(ctx: CheckContext, s: StudentFacts, seal: str, decisions: list[ItemDecision]) -> bool:
    """Whether a student's stored ``seal`` holds: a version-2 seal over the facts and the fields read
    for it (``seal_extras``; none read: it cannot be confirmed, so it does not hold)."""
    if version_of(seal) == 1:
        return seal_holds(seal, vars(s), decisions)
    extras = ctx.seal_extras.get(s.key)
    return extras is not None and seal_holds(seal, {**vars(s), **extras}, decisions)


def _tampered(ctx: CheckContext) -> Iterator[Finding]:
    for s, res in results(ctx):
        if not s.verified:
            continue
        if not s.seal:
            yield TAMPERED_AFTER_VERIFY.finding(s, "已核准，但没有核准时的封存值，无法确认数据未被改动")
        elif not _holds(ctx, s, s.seal, res.decisions):
            yield TAMPERED_AFTER_VERIFY.finding(
                s, f"核准后数据或资助金额被改动：与核准时的封存值不一致（现合计 {format_fen(res.total_fen)} 元）")


def _school_finding(rule: Rule, message: str, field: str = "") -> Finding:
    return Finding(rule.code, rule.severity, message, field=field)


def _audit_chain(ctx: CheckContext) -> Iterator[Finding]:
    if ctx.audit_problem:
        yield _school_finding(AUDIT_CHAIN_BROKEN, ctx.audit_problem)


def _roster_empty(ctx: CheckContext) -> Iterator[Finding]:
    if ctx.roster_total or not ctx.students:
        return
    registered = sum(s.category == "REGISTERED" for s in ctx.students)
    before = max(ctx.roster_meta.previous_size or 0, ctx.roster_meta.size or 0)
    if registered:
        yield _school_finding(ROSTER_EMPTY, f"建档立卡名单为空，{registered} 名家庭类别为建档立卡的学生无法与名单比对",
                              "roster")
    elif before:
        yield _school_finding(ROSTER_EMPTY, f"建档立卡名单已被清空（之前有 {before} 人），学生名单无法与名单比对",
                              "roster")


def _roster_shrunk(ctx: CheckContext) -> Iterator[Finding]:
    now = ctx.roster_total
    before = max(ctx.roster_meta.previous_size or 0, ctx.roster_meta.size or 0)
    if now and before and now * 2 < before:
        when = f"（{ctx.roster_meta.imported_at[:10]} 导入）" if ctx.roster_meta.imported_at else ""
        yield _school_finding(ROSTER_SHRUNK, f"建档立卡名单从 {before} 人减少到 {now} 人{when}，减少了一半以上",
                              "roster")


TAMPERED_AFTER_VERIFY = Rule(
    "TAMPERED_AFTER_VERIFY", Severity.ERROR, "核准后数据被改动",
    "核对该生的信息和资助金额：有误请在程序中改正后重新核准；确认无误请重新核准（会重新封存）", _tampered)
AUDIT_CHAIN_BROKEN = Rule(
    "AUDIT_CHAIN_BROKEN", Severity.ERROR, "审计日志被改动",
    "审计日志只能由本程序追加；请从改动前的备份恢复数据库，并查明是谁在程序之外改动了数据库文件", _audit_chain)
ROSTER_EMPTY = Rule(
    "ROSTER_EMPTY", Severity.ERROR, "建档立卡名单为空",
    "请导入扶贫办提供的最新完整建档立卡名单，再重新核查", _roster_empty)
ROSTER_SHRUNK = Rule(
    "ROSTER_SHRUNK", Severity.ERROR, "建档立卡名单人数骤减",
    "核对是否导入了不完整的名单；名单确实减少（如大批脱贫退出）可接受并注明原因", _roster_shrunk)

RULES = (TAMPERED_AFTER_VERIFY, AUDIT_CHAIN_BROKEN, ROSTER_EMPTY, ROSTER_SHRUNK)
