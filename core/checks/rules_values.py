"""Rules about values the program cannot read: a name left empty, or a 学段, 性别, 就读地,
学校性质, 全日制正式学籍, 家庭类别 or 出生日期 kept as it was typed (the import flags such a row and
keeps it; 全日制 is stored as the guess 是 with the cell's text beside it, ``full_time_text``). As a
finding the problem is re-checked after every save, so it goes away once corrected."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from operator import attrgetter
from typing import Any

from core.checks.base import CheckContext, Finding, Rule, Severity, StudentFacts
from core.domain import (
    Category,
    Stage,
    parse_gender,
    parse_location,
    parse_ownership,
    parse_stage,
)

_CATEGORIES = {c.value for c in Category}
# field, label, what the value must be, the parser (None: unreadable)
_CHOICES: tuple[tuple[str, str, str, Callable[[str], Any]], ...] = (
    ("gender", "性别", "应填“男”或“女”", parse_gender),
    ("location", "就读地", "应填“本地”或“外地”", parse_location),
    ("ownership", "学校性质", "应填“公办”或“民办”", parse_ownership),
)


# The values ``_values`` reads of a student; a county's students have a few hundred combinations
# (``full_time_text`` is "" but for the few cells the import could not read).
_READ = attrgetter("stage", *(fld for fld, *_ in _CHOICES), "full_time_text", "category")
_FULL_TIME_ACCEPTED = "应填“是”或“否”（也可填“全日制”“非全日制”）"


def _unreadable(ctx: CheckContext) -> Iterator[Finding]:
    stages = "、".join(s.value for s in Stage)
    categories = "、".join(ctx.policy.category_label(c) for c in Category)
    clean: dict[tuple[Any, ...], bool] = {}    # values -> whether they all read (decided once)
    for s in ctx.students:
        if not (s.name or "").strip():
            yield VALUE_UNREADABLE.finding(s, "姓名为空：请补填学生姓名", "name", part="name")
        values = _READ(s)
        ok = clean.get(values)
        if ok is None:
            ok = clean[values] = next(_values(s, stages, categories), None) is None
        if not ok:
            yield from _values(s, stages, categories)
    yield from _births(ctx)


def _births(ctx: CheckContext) -> Iterator[Finding]:
    """A 出生日期 the program cannot read ("3/5/2011", "二〇一一年五月三日"): never compared with the ID
    (ID_BIRTH_MISMATCH), so it is asked about. Each distinct text is read once."""
    from core.checks.dates import parse_birth
    readable: dict[str, bool] = {}
    for s in ctx.students:
        text = (s.birth_date or "").strip()
        if not text:
            continue
        ok = readable.get(text)
        if ok is None:
            ok = readable[text] = parse_birth(text) is not None
        if not ok:
            yield VALUE_UNREADABLE.finding(s, "出生日期的写法无法识别：请按 2010-05-03 或 2010年5月3日 的格式填写",
                                           "birth_date", part="birth_date")


# The fields the amounts depend on: unreadable, the student is computed on a guess (学段 unknown:
# nothing; 就读地 as 本地; 学校性质 as 公办; 全日制正式学籍 as 是; 家庭类别 as 非困难), so the finding
# is an error: the student cannot be verified nor a final package made until it is corrected. 性别
# and the name change no amount: a warning.
_DECIDING = frozenset(("stage", "location", "ownership", "full_time", "category"))


# A finding's message travels beside the masked ID (the 核查报告 of the package, its data.json): the value
# it quotes must not give back what the mask hides. A birth date is never quoted (it is the mask's eight
# digits); another field's value is not when it holds a number or a date (six digits or more: a column
# shifted by one puts the ID or the birth date there), only said to be one.
_HIDDEN_FROM = 6


def _quoted(text: str) -> str:
    return "（号码或日期，不在此显示）" if sum(c.isdigit() for c in text) >= _HIDDEN_FROM else f"“{text}”"


def _found(s: StudentFacts, message: str, fld: str) -> Finding:
    f = VALUE_UNREADABLE.finding(s, message, fld, part=fld)
    return replace(f, severity=Severity.ERROR) if fld in _DECIDING else f


def _values(s: StudentFacts, stages: str, categories: str) -> Iterator[Finding]:
    """The findings about a student's 学段, 性别, 就读地, 学校性质, 全日制正式学籍 and 家庭类别, in that order."""
    if not (s.stage or "").strip():
        yield _found(s, f"学段为空：请填写学段（{stages}）", "stage")
    elif parse_stage(s.stage) is None:
        yield _found(s, f"学段{_quoted(s.stage)}无法识别，应填：{stages}", "stage")
    for fld, label, accepted, parse in _CHOICES:
        text = (getattr(s, fld) or "").strip()
        if text and parse(text) is None:
            yield _found(s, f"{label}{_quoted(text)}无法识别，{accepted}", fld)
    if s.full_time_text:
        yield _found(s, f"全日制正式学籍{_quoted(s.full_time_text)}无法识别，{_FULL_TIME_ACCEPTED}；暂按“是”计算",
                     "full_time")
    if s.category not in _CATEGORIES:
        yield _found(s, f"家庭类别{_quoted(s.category)}无法识别，应填：{categories}", "category")


VALUE_UNREADABLE = Rule("VALUE_UNREADABLE", Severity.WARNING, "信息无法识别",
                        "打开该学生，按提示改正标出的栏目（也可改正名单后重新导入）", _unreadable)

RULES = (VALUE_UNREADABLE,)
