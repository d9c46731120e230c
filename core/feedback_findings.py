"""What a receiver sends back in a feedback package (反馈包): its cross-school findings
(core.consolidate) and the 不属实 points of completed spot checks (core.spotcheck), as
``FeedbackFinding``s with a stable key, the origin and the details the school needs.

A key names one problem across feedbacks, so a newer feedback carries (or supersedes)
the school's handling of it: the code, the ID number, the item and the other schools for
a cross-school finding; the sample, the ID number and the checked point for a spot check.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.consolidate.checks import TOTALS_MISMATCH, CrossFinding
from core.domain import school_year_label
from core.feedback import ORIGIN_CROSS, ORIGIN_SPOT, ORIGIN_VISIT, FeedbackFinding
from core.money import format_fen
from core.spotcheck import POINTS_BY_CODE, SpotFinding

SPOT_TITLES = {False: "专项核查不属实", True: "暗访核查不属实"}


def _yuan(fen: int) -> str:
    return f"{format_fen(fen)} 元"


def from_cross(f: CrossFinding, item_names: Mapping[str, str] | None = None) -> FeedbackFinding:
    """A cross-school finding (汇总核查) about the school as the school receives it."""
    names = item_names or {}
    details: list[tuple[str, str]] = []
    if f.item:
        details.append(("项目", names.get(f.item, f.item)))
    if f.code == TOTALS_MISMATCH.code:
        if f.amount_fen is not None:
            details.append(("提交包声明", _yuan(f.amount_fen)))
        if f.expected_fen is not None:
            details.append(("学生明细相加", _yuan(f.expected_fen)))
    elif f.amount_fen is not None:
        details.append(("本校金额", _yuan(f.amount_fen)))
    for o in f.others:
        label = f"{school_year_label(o.school_year)}" if o.school_year is not None else "另一所学校"
        who = f"{o.school_name or o.school_code}（代码 {o.school_code}）" + (f"，姓名 {o.name}" if o.name else "")
        details.append((label, f"{who}：{_yuan(o.amount_fen)}"))
    details.append(("处理建议", f.hint))
    others = ",".join(sorted(f"{o.school_code}/{o.school_year or ''}" for o in f.others))
    figure = f"|{f.figure}" if f.figure else ""       # (the total's key as before: feedback already sent keeps it)
    return FeedbackFinding(key=f"{f.code}|{f.id_number}|{f.item}|{others}{figure}", code=f.code, severity=f.severity,
                           title=f.title, message=f.message, origin=ORIGIN_CROSS, id_number=f.id_number,
                           name=f.name, details=tuple(details))


def from_spot(f: SpotFinding) -> FeedbackFinding:
    """A 不属实 point of a completed 专项核查 or 暗访 check (an unannounced visit's only once done:
    db.spotcheck.results_for_school returns completed checks only)."""
    point = POINTS_BY_CODE.get(f.point)
    return FeedbackFinding(
        key=f"SPOT|{f.sample_id}|{f.id_number}|{f.point}", code=f.code, severity=f.severity,
        title=SPOT_TITLES[bool(f.unannounced)], message=f.message,
        origin=ORIGIN_VISIT if f.unannounced else ORIGIN_SPOT, id_number=f.id_number, name=f.name,
        details=(("抽查编号", str(f.sample_id)), ("核查项", point.label if point else f.point),
                 *((("核查内容", point.what),) if point else ()), ("核查情况", f.note or "（未写说明）")))


def for_school(school_code: str, cross: Iterable[CrossFinding], spots: Iterable[SpotFinding] = (),
               item_names: Mapping[str, str] | None = None) -> list[FeedbackFinding]:
    """The findings that concern ``school_code``: its cross-school findings (a duplicate is
    reported to each school it names, once each) and its spot checks' 不属实 points."""
    code = school_code.strip()
    out = [from_cross(f, item_names) for f in cross if f.school_code.strip() == code]
    out += [from_spot(f) for f in spots if f.school_code.strip() == code]
    seen: set[str] = set()
    unique = []
    for f in out:
        if f.key not in seen:
            seen.add(f.key)
            unique.append(f)
    return unique
