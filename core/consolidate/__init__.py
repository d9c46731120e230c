"""The receiving side's consolidation (汇总): cross-checks and summaries over the accepted
school packages. Pure: ``PackageData`` in, findings and figures out (db.consolidation
gathers the inputs)."""
from __future__ import annotations

from core.consolidate.checks import (
    CROSS_RULES,
    CROSS_RULES_BY_CODE,
    CrossFinding,
    CrossRule,
    Involved,
    counts_of,
    cross_check,
    finding_line,
    in_school,
    outside_item_names,
)
from core.consolidate.summary import Summary, summarise

__all__ = ["CROSS_RULES", "CROSS_RULES_BY_CODE", "CrossFinding", "CrossRule", "Involved", "Summary", "counts_of",
           "cross_check", "finding_line", "in_school", "outside_item_names", "summarise"]
