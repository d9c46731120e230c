"""The check catalogue: stable codes, one small rule each (see base.Rule)."""
from __future__ import annotations

from core.bulk import gc_paused
from core.checks import (
    rules_grade,
    rules_identity,
    rules_integrity,
    rules_letters,
    rules_money,
    rules_roster,
    rules_values,
)
from core.checks.base import (
    POLICY_FIELD,
    SEVERITY_LABELS,
    STATE_LABELS,
    CheckContext,
    Finding,
    FindingState,
    Payment,
    RosterFacts,
    RosterMeta,
    Rule,
    Severity,
    StudentFacts,
    policy_setting,
)

RULES: tuple[Rule, ...] = (rules_identity.RULES + rules_grade.RULES + rules_values.RULES + rules_roster.RULES
                           + rules_money.RULES + rules_letters.RULES + rules_integrity.RULES)
RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}


def rule_code(text: str) -> str:
    """A rule's code from its code (any case) or its Chinese title ("" when neither)."""
    key = text.strip()
    if key.upper() in RULES_BY_CODE:
        return key.upper()
    return next((r.code for r in RULES if r.title == key), "")


@gc_paused()
def run_checks(ctx: CheckContext) -> list[Finding]:
    """Every rule over the context; findings in catalogue order."""
    out: list[Finding] = []
    for rule in RULES:
        out.extend(rule.run(ctx))
    return out


__all__ = [
    "POLICY_FIELD",
    "RULES",
    "RULES_BY_CODE",
    "SEVERITY_LABELS",
    "STATE_LABELS",
    "CheckContext",
    "Finding",
    "FindingState",
    "Payment",
    "RosterFacts",
    "RosterMeta",
    "Rule",
    "Severity",
    "StudentFacts",
    "policy_setting",
    "rule_code",
    "run_checks",
]
