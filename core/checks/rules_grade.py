"""The rule about a student's 年级 against its 学段: a grade word that clearly names another
stage (初中 with 年级 “高二”) is flagged; a blank, unrecognised or ambiguous grade never is.

Only unambiguous words are read: a bare “一年级” … “六年级” is a 小学 grade, but also how a
中职 school (the demo's) or a 五年制 college writes its first years, so it names no stage;
“高一” is written by 普通高中 and by 职高 (中职) alike, “大一” by 高职专科 and 本科 alike,
so each names both; “小一” and “大一” are also a kindergarten's classes (小班一班, 大班一班), and
“高职一年级” a 五年一贯制 student's first (中职) years. A class written after the grade
(“高二3班”, “初一(2)班”) is ignored, and Arabic numerals read as Chinese ones (“高2” is “高二”).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from core.checks.base import CheckContext, Finding, Rule, Severity
from core.domain import Stage, parse_stage
from core.text import value_key

_NUMERALS = "一二三四五六七八九"
_DIGITS = str.maketrans("123456789", _NUMERALS)
_CLASS = re.compile(r"\(?\d+\)?班$")         # after value_key: full-width brackets and digits are ASCII

_HIGH = frozenset((Stage.HIGH_SCHOOL, Stage.VOCATIONAL))
_COLLEGE = frozenset((Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE))
_POSTGRADUATE = frozenset((Stage.MASTER, Stage.DOCTOR))
# 小一, 大一: a kindergarten writes its classes so too (小班一班, 大班一班)
_PRIMARY_OR_PRESCHOOL = frozenset((Stage.PRIMARY, Stage.PRESCHOOL))


def _years(prefixes: tuple[str, ...], count: int, stages: frozenset[Stage], suffix: str = "年级"
           ) -> dict[str, frozenset[Stage]]:
    return {f"{p}{_NUMERALS[i]}{suffix}": stages for p in prefixes for i in range(count)}


def _only(stage: Stage) -> frozenset[Stage]:
    return frozenset((stage,))


# A grade as written (value_key'd, numerals Chinese) -> the stages it can belong to.
GRADE_STAGES: dict[str, frozenset[Stage]] = {
    **{w: _only(Stage.PRESCHOOL) for w in ("托班", "小班", "中班", "大班", "学前班", "幼儿园小班", "幼儿园中班",
                                           "幼儿园大班", "学前小班", "学前中班", "学前大班")},
    **_years(("小学",), 6, _only(Stage.PRIMARY)),
    **_years(("小",), 6, _PRIMARY_OR_PRESCHOOL, suffix=""),                # 小一 … 小六 (or 小班一班)
    **_years(("初",), 4, _only(Stage.JUNIOR), suffix=""),                   # 初一 … 初四 (五四制)
    **_years(("初中",), 4, _only(Stage.JUNIOR)),
    **{f"{n}年级": _only(Stage.JUNIOR) for n in "七八九"},
    **_years(("高",), 3, _HIGH, suffix=""),                                 # 高一 … 高三
    **_years(("高中",), 3, _HIGH),
    **_years(("普通高中", "普高"), 3, _only(Stage.HIGH_SCHOOL)),
    **_years(("中职", "职高", "中专"), 3, _only(Stage.VOCATIONAL)),
    **_years(("职高",), 3, _only(Stage.VOCATIONAL), suffix=""),             # 职高一 …
    **_years(("大",), 5, _COLLEGE | {Stage.PRESCHOOL}, suffix=""),          # 大一 … 大五 (or 大班一班)
    **_years(("大专", "专科"), 3, _only(Stage.JUNIOR_COLLEGE)),
    **_years(("高职",), 3, frozenset((Stage.JUNIOR_COLLEGE, Stage.VOCATIONAL))),    # 五年一贯制: 中职 first
    **_years(("本科",), 5, _only(Stage.UNDERGRADUATE)),
    **_years(("研",), 3, _POSTGRADUATE, suffix=""),                         # 研一 … 研三
    **_years(("硕士", "硕士研究生"), 3, _only(Stage.MASTER)),
    **_years(("硕",), 3, _only(Stage.MASTER), suffix=""),
    **_years(("博士", "博士研究生"), 5, _only(Stage.DOCTOR)),
    **_years(("博",), 5, _only(Stage.DOCTOR), suffix=""),
}


def grade_stages(grade: str) -> frozenset[Stage] | None:
    """The stages a grade can belong to; None when it names none for certain (blank, unknown, ambiguous)."""
    key = value_key(grade or "")
    if not key:
        return None
    for k in (key, _CLASS.sub("", key)):
        found = GRADE_STAGES.get(k.translate(_DIGITS))
        if found:
            return found
    return None


def _names(stages: frozenset[Stage]) -> str:
    return "或".join(s.value for s in Stage if s in stages)


def _stage_grade(ctx: CheckContext) -> Iterator[Finding]:
    seen: dict[tuple[str, str], str] = {}      # (stage, grade) as stored -> the message ("" = they agree)
    for s in ctx.students:
        pair = (s.stage, s.grade)
        message = seen.get(pair)
        if message is None:
            message = seen[pair] = _disagreement(*pair)
        if message:
            yield STAGE_GRADE.finding(s, message, "stage")


def _disagreement(stage_text: str, grade: str) -> str:
    """The finding's message when the grade names another stage than ``stage_text``; else ""."""
    stage = parse_stage(stage_text or "")
    stages = grade_stages(grade)
    if stage is None or stages is None or stage in stages:   # unreadable 学段: VALUE_UNREADABLE says so
        return ""
    return (f"年级“{grade.strip()}”是{_names(stages)}的年级，学段却填为{stage.value}；"
            "学段决定享受哪些资助项目，请以学籍为准改正学段或年级")


STAGE_GRADE = Rule("STAGE_GRADE", Severity.WARNING, "年级与学段不符",
                   "以学籍为准改正学段或年级（学段决定资助项目）；确属特殊情况可接受并注明原因", _stage_grade)

RULES = (STAGE_GRADE,)
