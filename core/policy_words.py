"""The policy in the clerk's words: rule kinds, item fields, an item's rule and shares,
and the note beside the seed's “2022” amounts (the 政策 view, `policy show`, diffs)."""
from __future__ import annotations

from decimal import Decimal

from core.domain import Stage
from core.money import format_fen
from core.policy import FEE_LABELS, SOURCE_LABELS, Item, Policy, parameter_label

KIND_LABELS: dict[str, str] = {
    "fixed": "固定金额",
    "fee": "按实收费用",
    "fee_capped": "按实收费用，不超过标准",
    "per_stage": "按学段定额",
}

# The Chinese name of each draft field (problems, diffs and the form's labels).
FIELD_LABELS: dict[str, str] = {
    "code": "项目代码", "name": "项目名称", "stages": "学段", "categories": "家庭类别",
    "locations": "就读地", "kind": "金额规则", "amount": "标准金额", "fee": "按哪项费用",
    "cap": "封顶标准", "stage_amounts": "各学段标准", "shares": "资金分担",
    "once": "每人仅享受一次", "requires_loan": "须办理生源地助学贷款", "needs_application": "需申请",
    "retired": "已停用",
}

# The seed's quirk: four amounts read "2022" because the source text says so.
SEED_QUIRK_FEN = 202200
SEED_QUIRK_NOTE = ("政策原文写的是“2022元”（可能与年份混淆），程序照原文录入；"
                   "首次导出前请向县教育局核实这个标准")


def percent_text(pct: Decimal) -> str:
    return format(pct.normalize(), "f")


def rule_text(item: Item) -> str:
    """The amount rule in the clerk's words (the 金额规则 column, `policy show`)."""
    if item.kind == "fixed":
        return f"{'每人一次性' if item.once else '每人每年'} {format_fen(item.amount_fen or 0)} 元"
    if item.kind == "per_stage":
        return "按学段：" + "，".join(f"{st.value} {format_fen(fen)} 元" for st, fen in item.stage_amounts)
    fee = FEE_LABELS.get(item.fee or "", item.fee or "")
    if item.kind == "fee":
        return f"按{fee}"
    stages = [s.value for s in Stage if s in item.stages]
    cap = parameter_label(f"{item.cap}.{stages[0]}") if stages else item.cap or ""
    if len(stages) > 1:
        cap = cap.replace(stages[0], "（各学段）")
    return f"按{fee}，不超过{cap}"


def shares_text(item: Item) -> str:
    return "、".join(f"{SOURCE_LABELS[src]} {percent_text(pct)}%" for src, pct in item.shares)


def locations_text(item: Item) -> str:
    return item.locations_text if item.locations is not None else "不限"


def source_notes(policy: Policy) -> dict[str, str]:
    """item code -> the note shown beside an amount that reads “2022” as the source says
    (the seed's quirk), so the county checks it before the first export."""
    notes: dict[str, str] = {}
    for item in policy.all_items:
        amounts = [item.amount_fen] if item.kind == "fixed" else [fen for _, fen in item.stage_amounts]
        if SEED_QUIRK_FEN in amounts:
            notes[item.code] = SEED_QUIRK_NOTE
    return notes
