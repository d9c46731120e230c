"""Rules about the ID number itself and what it implies."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date

from core.checks.base import CheckContext, Finding, Rule, Severity, StudentFacts
from core.checks.dates import birth_matches, parse_birth
from core.domain import parse_gender, parse_stage
from core.idnumber import age_on, birth_dates, check_id, looks_scientific, mask_id, region_of
from core.text import holds_number


def _births(ctx: CheckContext) -> dict[int, date]:
    """Birth date by student key, for every student whose ID is valid (checked once per run)."""
    def make() -> dict[int, date]:
        keyed = [(st.key, st.id_number) for st in ctx.students if st.id_number and not st.id_numeric_cell]
        born = birth_dates([number for _key, number in keyed], ctx.today)     # the import's ID rule
        return {key: day for (key, _number), day in zip(keyed, born, strict=True) if day is not None}
    return ctx.cached("births", make)


def _id_invalid(ctx: CheckContext) -> Iterator[Finding]:
    births = _births(ctx)
    for s in ctx.students:
        if s.id_numeric_cell or s.key in births:
            continue
        info = check_id(s.id_number or s.id_raw, ctx.today)
        if info.valid:   # stored number empty but the raw text is valid
            continue
        yield ID_INVALID.finding(s, info.problem, "id_number")


def _id_region(ctx: CheckContext) -> Iterator[Finding]:
    births = _births(ctx)
    for s in ctx.students:
        if s.key not in births:
            continue
        year = int(s.id_number[6:10])
        known, name = region_of(s.id_number[:6], year)
        if not known:
            where = f"（{name}）" if name else ""
            yield ID_REGION_UNKNOWN.finding(
                s, f"身份证号前6位地区码 {s.id_number[:6]}{where} 在身份证号第7–10位的出生年份不存在；"
                   "补办或迁移户口的人可能使用较新的地区码", "id_number",    # (the year is what the mask hides)
                basis=f"身份证号前6位地区码 {s.id_number[:6]}{where} 在出生年份 {year} 年不存在；"
                      "补办或迁移户口的人可能使用较新的地区码")          # (the wording before session 20)


def _id_numeric(ctx: CheckContext) -> Iterator[Finding]:
    numeric = [s for s in ctx.students if s.id_numeric_cell]       # (few, usually none)
    if not numeric:
        return
    names = {(s.name or "").strip() for s in numeric}
    whole: dict[str, list[StudentFacts]] = defaultdict(list)      # the listed students with a whole ID, by name
    for s in ctx.students:
        if s.id_number and not s.id_numeric_cell and (name := (s.name or "").strip()) in names:
            whole[name].append(s)
    for s in numeric:
        digits = sum(c.isdigit() for c in s.id_raw)
        shown = mask_id(s.id_raw) if digits > 10 else s.id_raw
        twins = "、".join(f"{o.name}（{mask_id(o.id_number)}）" for o in whole.get((s.name or "").strip(), ()))
        also = f"；名单中另有同名的 {twins}，如是同一名学生，请把本条移出名单" if twins else ""
        # Excel keeps 15 significant digits: a shorter number (an old 15-digit ID) lost none
        lost = "最后几位已经丢失" if digits > 15 or looks_scientific(s.id_raw) else \
            f"数字没有丢失，但{check_id(s.id_raw, ctx.today).problem}"
        yield ID_NUMERIC_CELL.finding(s, f"身份证号“{shown}”来自数字格式的Excel单元格，{lost}{also}", "id_number")


def _birth(ctx: CheckContext) -> Iterator[Finding]:
    births = _births(ctx)
    for s in ctx.students:
        born = births.get(s.key)
        if born is None or not s.birth_date.strip():
            continue
        if birth_matches(s.birth_date, born) is False:
            parsed = parse_birth(s.birth_date)
            parts = [] if parsed is None else [
                label for label, a, b in (("年", parsed[0], born.year), ("月", parsed[1], born.month),
                                          ("日", parsed[2], born.day)) if b is not None and a is not None and a != b]
            which = "、".join(parts) or "日期"
            yield ID_BIRTH_MISMATCH.finding(
                s, f"填写的出生日期与身份证号中的出生日期不一致（{which}不同）", "birth_date")   # (no digits:
            # those the two share are the ones a masked number hides, mask_id)


def _gender(ctx: CheckContext) -> Iterator[Finding]:
    births = _births(ctx)
    for s in ctx.students:
        if not s.gender.strip() or s.key not in births:
            continue
        from_id = "男" if int(s.id_number[16]) % 2 else "女"
        entered = parse_gender(s.gender)
        if entered is not None and entered != from_id:
            yield ID_GENDER_MISMATCH.finding(
                s, f"填写的性别“{s.gender}”与身份证号（第17位表示{from_id}）不一致", "gender")


def _duplicates(ctx: CheckContext) -> Iterator[Finding]:
    """Every copy of a repeated ID is flagged, the first one too: which copy is the wrong one
    (entered twice, or another child's number typed) is for the clerk to find out, and until
    then none of them can be verified (an error that cannot be accepted, db.findings)."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for s in ctx.students:
        if (number := s.id_number) in seen:
            repeated.add(number)
        elif number:
            seen.add(number)
    if not repeated:
        return
    groups: dict[str, list[StudentFacts]] = defaultdict(list)     # (the repeated numbers only, in list order)
    for s in ctx.students:
        if s.id_number in repeated:
            groups[s.id_number].append(s)
    for number, group in groups.items():
        for copy in group:
            others = "、".join(o.name or "（无姓名）" for o in group if o is not copy)
            yield DUPLICATE_ID.finding(
                copy, f"身份证号 {mask_id(number)} 在学生名单中出现 {len(group)} 次，"
                      f"与 {others} 重复", "id_number")


def _same_child(ctx: CheckContext) -> Iterator[Finding]:
    """Two listed students of one name born the same day (their IDs' digits 7–14), or of one name
    and one 学籍号, under two ID numbers: most likely one child entered twice, once under a mistyped
    or corrected ID (a re-import adds the corrected one: a corrected birth date moves digits 7–14,
    the 学籍号 stays), and paid twice. Both are flagged, once each; two children of one name and one
    birthday (rare) are accepted with a reason."""
    others: dict[int, set[str]] = {}
    why: dict[int, list[str]] = {}
    listed = [s for s in ctx.students if len(s.id_number) == 18 and s.name]
    for reason, key in (("同一天出生", lambda s: s.id_number[6:14]),
                        ("学籍号相同", lambda s: s.student_no.strip() if holds_number(s.student_no) else None)):
        for group in _twins(listed, key):
            numbers = {s.id_number for s in group}
            if len(numbers) < 2:
                continue          # (one number: 身份证号重复 says it)
            for copy in group:
                others.setdefault(copy.key, set()).update(numbers - {copy.id_number})
                if reason not in why.setdefault(copy.key, []):
                    why[copy.key].append(reason)
    for s in ctx.students:
        if s.key in others:
            shown = "、".join(mask_id(n) for n in sorted(others[s.key]))
            yield SAME_CHILD_TWICE.finding(
                s, f"名单中另有同名、{'、'.join(why[s.key])}的学生（身份证号 {shown}），可能是同一名学生录入了两次",
                "id_number")


def _twins(students: list[StudentFacts], part: Callable[[StudentFacts], str | None]) -> Iterator[list[StudentFacts]]:
    """The groups of students with one name and one ``part`` (None: not compared), of two or more."""
    first: dict[tuple[str, str], StudentFacts] = {}
    groups: dict[tuple[str, str], list[StudentFacts]] = {}     # only the keys seen twice (few)
    for s in students:
        value = part(s)
        if value is None:
            continue
        key = (s.name.strip(), value)
        seen = first.setdefault(key, s)
        if seen is not s:
            groups.setdefault(key, [seen]).append(s)
    yield from groups.values()


def _age_stage(ctx: CheckContext) -> Iterator[Finding]:
    sept = date(ctx.school_year, 9, 1)
    births = _births(ctx)
    for s in ctx.students:
        stage = parse_stage(s.stage)
        if stage is None or stage not in ctx.policy.age_ranges:
            continue
        born = births.get(s.key)
        if born is None:
            parsed = parse_birth(s.birth_date)
            if parsed is None or parsed[2] is None:
                continue
            born = date(parsed[0], parsed[1], parsed[2])
        age = age_on(born, sept)
        low, high = ctx.policy.age_ranges[stage]
        if not low <= age <= high:
            yield AGE_STAGE.finding(
                s, f"按出生日期计算，{ctx.school_year}年9月1日的年龄{'小于' if age < low else '大于'}"
                   f"{stage.value}的合理范围 {low}–{high} 岁", "stage",    # (no age: with the masked ID
                basis=f"{ctx.school_year}年9月1日年龄为 {age} 岁，不在{stage.value}的合理范围 {low}–{high} 岁内")
                                                          # it gives the birth year back; before session 20 it did)


ID_INVALID = Rule("ID_INVALID", Severity.ERROR, "身份证号无效",
                  "对照户口簿或身份证原件改正身份证号", _id_invalid)
ID_REGION_UNKNOWN = Rule("ID_REGION_UNKNOWN", Severity.WARNING, "地区码在出生年份不存在",
                         "核对原件；若证件确实如此，可接受并注明原因", _id_region)
ID_NUMERIC_CELL = Rule("ID_NUMERIC_CELL", Severity.ERROR, "身份证号来自数字单元格",
                       "在Excel中把身份证号列设为“文本”格式后重新录入，再导入（单元格还保留着完整位数的，同名学生会补上"
                       "完整的身份证号；已显示为“4.22822E+17”的，导入后把这一条旧记录移出名单）；也可以在学生信息中直接"
                       "改正身份证号", _id_numeric)
ID_BIRTH_MISMATCH = Rule("ID_BIRTH_MISMATCH", Severity.WARNING, "出生日期与身份证号不一致",
                         "以户口簿为准，改正出生日期或身份证号", _birth)
ID_GENDER_MISMATCH = Rule("ID_GENDER_MISMATCH", Severity.WARNING, "性别与身份证号不一致",
                          "以户口簿为准，改正性别或身份证号", _gender)
DUPLICATE_ID = Rule("DUPLICATE_ID", Severity.ERROR, "身份证号重复",
                    "核对是否重复录入：同一学生录入了两次的，把多余的一条移出名单；"
                    "身份证号填错的，对照户口簿改正", _duplicates)
AGE_STAGE = Rule("AGE_STAGE", Severity.WARNING, "年龄与学段不符",
                 "核对学段和身份证号；确属特殊情况（如休学、延迟入学）可接受并注明原因", _age_stage)

SAME_CHILD_TWICE = Rule("SAME_CHILD_TWICE", Severity.WARNING, "疑似同一学生录入两次",
                        "对照户口簿核对：同一名学生的，把身份证号错误的那一条移出名单（否则会重复资助）；"
                        "确是两名学生的（同名同日出生；学籍号相同的，先改正填错的学籍号），接受并注明原因",
                        _same_child)

RULES = (ID_INVALID, ID_REGION_UNKNOWN, ID_NUMERIC_CELL, ID_BIRTH_MISMATCH, ID_GENDER_MISMATCH,
         DUPLICATE_ID, SAME_CHILD_TWICE, AGE_STAGE)
