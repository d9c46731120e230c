"""Cross-check of the student list with the poverty roster (比对)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from core.checks.base import CheckContext, Finding, RosterFacts, Rule, Severity
from core.idnumber import mask_id
from core.pinyin import same_reading
from core.text import header_key, our_school_names


def roster_by_id(ctx: CheckContext) -> dict[str, RosterFacts]:
    def make() -> dict[str, RosterFacts]:
        return {r.id_number: r for r in ctx.roster if r.id_number}
    return ctx.cached("roster_by_id", make)


def _not_on_roster(ctx: CheckContext) -> Iterator[Finding]:
    if not ctx.roster_total:
        return  # no roster imported yet: nothing to compare with
    by_id = roster_by_id(ctx)
    for s in ctx.students:
        if s.category == "REGISTERED" and s.id_number and s.id_number not in by_id:
            yield NOT_ON_ROSTER.finding(
                s, f"家庭类别为建档立卡，但身份证号 {mask_id(s.id_number)} 不在建档立卡名单中", "category")


def _name_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    by_id = roster_by_id(ctx)
    for s in ctx.students:
        r = by_id.get(s.id_number) if s.id_number else None
        if r is None or r.name.replace(" ", "") == s.name.replace(" ", ""):
            continue
        msg = f"学生名单姓名“{s.name}”与建档立卡名单姓名“{r.name}”不一致"
        if len(r.name) == len(s.name) and same_reading(r.name, s.name):
            msg += "（读音相同，可能是错别字）"
        yield NAME_MISMATCH.finding(s, msg, "name")


def _category_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    by_id = roster_by_id(ctx)
    for s in ctx.students:
        if s.id_number in by_id and s.category != "REGISTERED":
            label = ctx.policy.parse_category(s.category)
            shown = ctx.policy.category_label(label) if label else s.category
            yield CATEGORY_MISMATCH.finding(
                s, f"身份证号在建档立卡名单中，但家庭类别填为“{shown}”，建档立卡专属的资助项目会被漏掉",
                "category")


# A roster 在校生状况 that says the person has left school (or never went). The receiving side's
# ``core.consolidate.in_school`` asks more: a word saying the person is in school, since nothing else
# ties the person to a school there. Here the roster's 就读学校 names this school, so only a status
# saying otherwise stands against it: an unfamiliar word (在籍, 正常) or 学龄前儿童 (how a kindergarten's
# children are often registered) is still asked about, and so is an empty status.
# 毕业 but not 毕业班, 毕业年级 or 应届毕业生 (still in school); not 未入学 / 未上学 (学龄前儿童（未入学）).
_LEFT_SCHOOL = re.compile(r"非在校|不在校|未在校|辍学|失学|退学|休学|(?<!应届)毕业(?!班|年级)|肄业|转出|转走|离校|"
                          r"务工|务农")


def _left_school(status: str) -> bool:
    """Whether a roster person's 在校生状况 says the person is not in school (已毕业, 辍学, 已转出 …)."""
    return bool(status) and _LEFT_SCHOOL.search(header_key(status)) is not None


def _roster_not_enrolled(ctx: CheckContext) -> Iterator[Finding]:
    ours = our_school_names(ctx.school_name, {r.school_name for r in ctx.roster})
    if not ours:
        return
    enrolled = {s.id_number for s in ctx.students if s.id_number}
    for r in ctx.roster:
        if (r.school_name in ours and r.id_number and r.id_number not in enrolled
                and not _left_school(r.schooling_status or "")):
            yield Finding(ROSTER_NOT_ENROLLED.code, ROSTER_NOT_ENROLLED.severity,
                          f"建档立卡名单中的 {r.name}（{mask_id(r.id_number)}，{r.schooling_status or '在校生'}）"
                          f"登记就读于本校，但不在学生名单中，可能漏报",
                          roster_key=r.key, id_number=r.id_number, name=r.name)


NOT_ON_ROSTER = Rule("NOT_ON_ROSTER", Severity.ERROR, "建档立卡学生不在名单中",
                     "核对身份证号；若不是建档立卡家庭，请改正家庭类别", _not_on_roster)
NAME_MISMATCH = Rule("NAME_MISMATCH", Severity.WARNING, "姓名与建档立卡名单不一致",
                     "以户口簿为准改正姓名；确为同一人（如生僻字、异体字）可接受并注明原因", _name_mismatch)
CATEGORY_MISMATCH = Rule("CATEGORY_MISMATCH", Severity.WARNING, "在建档立卡名单中但类别不是建档立卡",
                         "把家庭类别改为建档立卡，以免漏报资助项目", _category_mismatch)
ROSTER_NOT_ENROLLED = Rule("ROSTER_NOT_ENROLLED", Severity.WARNING, "名单中本校学生未在学生名单",
                           "核实该生是否在本校就读；在读则补录到学生名单", _roster_not_enrolled)

RULES = (NOT_ON_ROSTER, NAME_MISMATCH, CATEGORY_MISMATCH, ROSTER_NOT_ENROLLED)
