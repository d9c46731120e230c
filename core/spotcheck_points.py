"""The points a spot check confirms in the field (专项核查的核查项) and the two verdicts.
Plain data, apart from ``core.spotcheck``, so the command line lists them without loading
the sampling code."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """One thing the checker confirms in the field (属实 / 不属实 with a note)."""

    code: str
    label: str
    what: str


POINTS: tuple[Point, ...] = (
    Point("ENROLMENT", "在籍在校", "学生在该校正式在籍并在校就读（查学籍、点名册，见到本人）"),
    Point("HOUSEHOLD", "家庭类别", "家庭经济困难类别属实（建档立卡户查扶贫手册或扶贫系统）"),
    Point("FEES", "实收费用", "学校实际收取的学费、住宿费等与上报一致，已免除的费用没有再收"),
    Point("FUNDS", "资金到账", "资助资金已足额到账或已减免（查银行卡流水、存折或减免凭证）"),
    Point("LETTER", "告知书已收到", "家庭已收到资助结果告知书，回执已签字交回"),
)
POINTS_BY_CODE: dict[str, Point] = {p.code: p for p in POINTS}
TRUE_LABEL, FALSE_LABEL = "属实", "不属实"
