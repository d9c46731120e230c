"""A letter told before the result changed (告知后结果有变化): the family must be told again.

``NOT_NOTIFIED`` (core/checks/rules_money.py) asks whether a letter was ever printed; this rule asks
whether what it told (``StudentFacts.told``, core.told) is still the student's result. A letter printed
by a version before migration 0011 recorded no content (``told`` None) and is not compared.
"""
from __future__ import annotations

from collections.abc import Iterator

from core.checks.base import CheckContext, Finding, Rule, Severity
from core.checks.rules_money import Outcome, results
from core.money import format_fen
from core.told import told_key, told_total


def _told_changed(ctx: CheckContext) -> Iterator[Finding]:
    keys: dict[int, str] = {}        # one key per shared outcome (a county has a few hundred)
    for s, res in results(ctx):
        if not s.notified or s.told is None:
            continue
        now = keys.get(id(res))
        if now is None:
            now = keys[id(res)] = told_key(res.granted, res.pending)
        if now != s.told:
            yield NOTIFIED_CHANGED.finding(s, _message(s.told, res))


def _message(told: str, res: Outcome) -> str:
    before = told_total(told)
    was = f"告知书写的是 {format_fen(before)} 元" if before is not None else "告知书的内容"
    if not res.granted:
        now = "现在已不享受资助"
    elif before == res.total_fen:
        now = f"现在金额仍为 {format_fen(res.total_fen)} 元，但资助项目或待核实项目有变化"
    else:
        now = f"现在应享受 {format_fen(res.total_fen)} 元"
    return f"{was}，{now}：需重新打印告知书告知家庭"


NOTIFIED_CHANGED = Rule("NOTIFIED_CHANGED", Severity.WARNING, "告知后资助结果有变化",
                        "在“告知书”页重新打印该生的告知书（打印后自动记录），发给家庭并收回新的回执；"
                        "确已用其他方式告知家庭的，可接受并注明原因", _told_changed)

RULES = (NOTIFIED_CHANGED,)
