"""Cross-checks only a receiver can run, over the accepted school packages (汇总核查).

Pure functions of the packages' ``PackageData`` (core.package_data), the receiver's
roster and its policy's once-only items: one dict/Counter pass each, so 50,000
students across 50 packages take well under a second. A finding is shaped like a
``check --json`` flag plus the school it concerns (``school_code``/``school_name``),
so the receiver lists it, a feedback package carries it back to that school, and
the consolidated export prints it. Messages mask ID numbers; the data fields keep
them full (the receiver's files are confidential, like the packages).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.checks.base import SEVERITY_LABELS, FindingState, RosterFacts, Severity
from core.domain import Location, Stage, received_before, school_year_label
from core.engine import Totals
from core.idnumber import mask_id, normalize_id
from core.money import format_fen
from core.package_data import PackageData, PackageStudent
from core.policy import SOURCE_LABELS, Policy
from core.text import header_key


@dataclass(frozen=True)
class CrossRule:
    code: str
    severity: Severity
    title: str              # Chinese, short
    hint: str               # Chinese, one line: what to do


DUPLICATE_ACROSS_SCHOOLS = CrossRule(
    "DUPLICATE_ACROSS_SCHOOLS", Severity.ERROR, "同一学生在多所学校享受资助",
    "核实该生实际就读的学校；非就读学校撤销其资助后重新导出上报包")
ROSTER_NOT_ENROLLED = CrossRule(
    "ROSTER_NOT_ENROLLED", Severity.WARNING, "建档立卡在校生不在任何学校的名单中",
    "核实该生在哪里就读：在县外就学的可享受外地就学资助项目；在本县就读的请所在学校补录后重新报送")
ONCE_ONLY_REPEATED = CrossRule(
    "ONCE_ONLY_REPEATED", Severity.ERROR, "一次性资助项目重复享受",
    "每人只能享受一次的项目在往年已经发放，不得再次发放；请学校改正后重新导出上报包")
TOTALS_MISMATCH = CrossRule(
    "TOTALS_MISMATCH", Severity.ERROR, "提交包的合计与学生明细不符",
    "提交包声明的合计与逐个学生相加的结果不一致，或某项资助的各资金来源分担之和与其金额不符；"
    "请不要使用这个上报包，请学校重新导出")

CROSS_RULES: tuple[CrossRule, ...] = (DUPLICATE_ACROSS_SCHOOLS, ROSTER_NOT_ENROLLED, ONCE_ONLY_REPEATED,
                                      TOTALS_MISMATCH)
CROSS_RULES_BY_CODE: dict[str, CrossRule] = {r.code: r for r in CROSS_RULES}


@dataclass(frozen=True)
class Involved:
    """Another school a finding names (the other side of a duplicate, the earlier year's grant)."""

    school_code: str
    school_name: str
    name: str = ""                 # the student's name as that school wrote it
    amount_fen: int = 0
    school_year: int | None = None


@dataclass(frozen=True)
class CrossFinding:
    """One cross-check finding, about one student (or one package) of one school."""

    code: str
    severity: str                  # Severity value: "error" | "warning"
    id_number: str                 # full; "" for a finding about a package as a whole
    name: str
    message: str                   # Chinese; ID numbers masked
    school_code: str = ""
    school_name: str = ""
    state: str = FindingState.OPEN.value
    item: str = ""                 # the item (or funding source) concerned, as a code
    amount_fen: int | None = None  # this school's amount (duplicate), the claimed figure (totals)
    expected_fen: int | None = None  # the figure re-added from the students (totals)
    others: tuple[Involved, ...] = ()
    figure: str = ""               # which of a package's own figures (totals: students_granted, pending)

    @property
    def title(self) -> str:
        return CROSS_RULES_BY_CODE[self.code].title

    @property
    def hint(self) -> str:
        return CROSS_RULES_BY_CODE[self.code].hint

    def to_json(self) -> dict[str, Any]:
        """A ``check --json`` flag plus the school, the item and the amounts (yuan strings)."""
        out: dict[str, Any] = {
            "code": self.code, "severity": self.severity, "title": self.title, "id_number": self.id_number,
            "name": self.name, "message": self.message, "state": self.state,
            "school_code": self.school_code, "school_name": self.school_name}
        if self.item:
            out["item"] = self.item
        if self.amount_fen is not None:
            out["amount"] = format_fen(self.amount_fen)
        if self.expected_fen is not None:
            out["expected"] = format_fen(self.expected_fen)
        if self.others:
            out["others"] = [{"school_code": o.school_code, "school_name": o.school_name, "name": o.name,
                              "amount": format_fen(o.amount_fen),
                              **({"school_year": o.school_year} if o.school_year is not None else {})}
                             for o in self.others]
        return out


def _make(rule: CrossRule, message: str, *, id_number: str = "", name: str = "", pkg: PackageData | None = None,
          school_code: str = "", school_name: str = "", **kw: Any) -> CrossFinding:
    """A finding of ``rule`` about ``pkg``'s school (or the school named, when no package is)."""
    if pkg is not None:
        school_code, school_name = pkg.school_code, pkg.school_name
    return CrossFinding(rule.code, rule.severity.value, id_number, name, message,
                        school_code=school_code, school_name=school_name, **kw)


def _yuan(fen: int) -> str:
    return f"{format_fen(fen)} 元"


def _school(pkg: PackageData) -> str:
    return pkg.school_name or pkg.school_code


def item_names(packages: Iterable[PackageData]) -> dict[str, str]:
    """Item code -> name, as the packages name them (the first package naming a code wins)."""
    names: dict[str, str] = {}
    for p in packages:
        for code, name in p.items.items():
            names.setdefault(code, name)
    return names


# -- duplicates ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Holder:
    """One package's entry for an ID number: the package, the student, the amount granted."""

    package: PackageData
    student: PackageStudent
    amount_fen: int


def subsidised_by_id(packages: Sequence[PackageData]) -> dict[str, list[Holder]]:
    """Normalised ID -> the packages subsidising it (one entry per package: a school listing
    an ID twice is the school's own DUPLICATE_ID finding, its amounts are added here). A student
    with items still 待补充 (pending) counts as subsidised: the school will pay once the missing
    fee is entered, and a final package may carry them (DECISIONS, session 20)."""
    by_id: dict[str, dict[int, Holder]] = {}
    for index, pkg in enumerate(packages):
        for st in pkg.students:
            amount = st.total_fen
            key = normalize_id(st.id_number)
            if (amount <= 0 and not st.pending) or not key:
                continue
            held = by_id.setdefault(key, {})
            prev = held.get(index)
            held[index] = Holder(pkg, st, amount + (prev.amount_fen if prev else 0))
    return {k: list(v.values()) for k, v in by_id.items()}


def duplicate_groups(packages: Sequence[PackageData]) -> dict[str, list[Holder]]:
    """The ID numbers subsidised by two or more schools' packages."""
    return {k: v for k, v in subsidised_by_id(packages).items() if len(v) > 1}


def _granted(h: Holder) -> str:
    """"1200.00 元", or "0.00 元，另有 3 项待补充" for a student whose items are still pending."""
    pending = len(h.student.pending)
    return f"{_yuan(h.amount_fen)}，另有 {pending} 项待补充" if pending else _yuan(h.amount_fen)


def _duplicates(groups: Mapping[str, list[Holder]]) -> Iterator[CrossFinding]:
    for holders in groups.values():
        for h in holders:
            others = [o for o in holders if o is not h]
            named = "、".join(f"{_school(o.package)}（{_granted(o)}）" for o in others)
            yield _make(DUPLICATE_ACROSS_SCHOOLS,
                        f"{h.student.name}（{mask_id(h.student.id_number)}）由本校资助 {_granted(h)}，"
                        f"同时又由{named}资助；同一学生只能在一所学校享受资助",
                        id_number=h.student.id_number, name=h.student.name, pkg=h.package,
                        amount_fen=h.amount_fen,
                        others=tuple(Involved(o.package.school_code, o.package.school_name, o.student.name,
                                              o.amount_fen) for o in others))


# -- roster members in school but in no package ---------------------------------------------

_NOT_IN_SCHOOL = re.compile(r"非在校|不在校|未在校|辍学|失学|退学|休学|毕业|未上学|未入学|学龄前|务工|务农|在家")
_IN_SCHOOL = re.compile(r"在校|在读|就读|就学|上学|学前|幼儿园|小学|初中|高中|中职|职高|中专|技校|高职|专科|大专|"
                        r"本科|大学|硕士|博士|研究生|年级")


def outside_item_names(policy: Policy) -> list[tuple[str, frozenset[Stage]]]:
    """The policy's 外地就学 items (granted only to students studying outside the county), each with
    its stages."""
    return [(i.name, i.stages) for i in policy.items if i.locations == frozenset({Location.OUTSIDE})]


# A roster 在校生状况's stage, when its words say it (中职 before 高中: 职业高中; 高职 is 专科).
_STATUS_STAGES = tuple((re.compile(words), stage) for words, stage in (
    (r"学前|幼儿", Stage.PRESCHOOL), (r"中职|职业高中|职高|中专|技工|技校", Stage.VOCATIONAL),
    (r"高职|专科|大专", Stage.JUNIOR_COLLEGE), (r"博士", Stage.DOCTOR), (r"硕士|研究生", Stage.MASTER),
    (r"本科|大学|大[一二三四五]", Stage.UNDERGRADUATE), (r"高中|高[一二三]", Stage.HIGH_SCHOOL),
    (r"初中|初[一二三]|[七八九]年级", Stage.JUNIOR), (r"小学|[一二三四五六1-6]年级", Stage.PRIMARY)))


def status_stage(status: str) -> Stage | None:
    """The stage a 在校生状况 names ("普通高中一年级", "七年级", "本科"); None when it names none."""
    text = header_key(status)
    return next((stage for words, stage in _STATUS_STAGES if words.search(text)), None)


def _outside_text(status: str, outside_items: Sequence[tuple[str, frozenset[Stage]]]) -> str:
    """What a roster child studying outside the county may get: the 外地就学 items of the stage its
    status names (all of them when it names none; none when no item is for that stage)."""
    stage = status_stage(status)
    names = [name for name, stages in outside_items if stage is None or stage in stages]
    if names:
        return f"可能在县外就学，可享受外地就学资助项目（{'、'.join(names)}）"
    return "可能在县外就学" if stage is None else f"可能在县外就学（政策中没有{stage.value}的外地就学资助项目）"


def in_school(status: str) -> bool:
    """Whether a roster 在校生状况 says the person is in school ("小学三年级", "在校生", "本科"
    yes; "非在校生", "学龄前儿童", "辍学", "已毕业", empty no: an empty status says nothing)."""
    text = header_key(status)
    return bool(text) and not _NOT_IN_SCHOOL.search(text) and bool(_IN_SCHOOL.search(text))


def _roster_not_enrolled(packages: Sequence[PackageData], roster: Iterable[RosterFacts],
                         outside_items: Sequence[tuple[str, frozenset[Stage]]]) -> Iterator[CrossFinding]:
    listed = {normalize_id(s.id_number) for p in packages for s in p.students}
    schools = {header_key(p.school_name): p for p in packages if p.school_name}
    for r in roster:
        key = normalize_id(r.id_number)
        if not key or key in listed or not in_school(r.schooling_status):
            continue
        pkg = schools.get(header_key(r.school_name))
        where = f"，登记就读学校为{r.school_name}" if r.school_name else ""
        listed.add(key)     # a person on the roster twice is one finding
        yield _make(ROSTER_NOT_ENROLLED,
                    f"建档立卡名单中的 {r.name}（{mask_id(r.id_number)}）在校生状况为“{r.schooling_status}”{where}，"
                    f"但不在任何已接收的学校提交包中：{_outside_text(r.schooling_status, outside_items)}；"
                    f"也可能所在学校漏报或尚未报送",
                    id_number=r.id_number, name=r.name, pkg=pkg, school_name=r.school_name)


# -- once-only items granted again ----------------------------------------------------------

def _once_only(packages: Sequence[PackageData], history: Sequence[PackageData],
               once_codes: Sequence[str], names: Mapping[str, str]) -> Iterator[CrossFinding]:
    once = set(once_codes)
    if not once:
        return
    earlier: dict[tuple[str, str], list[tuple[PackageData, PackageStudent, int]]] = {}
    for pkg in history:
        for st in pkg.students:
            for g in st.grants:
                if g.code in once:
                    earlier.setdefault((normalize_id(st.id_number), g.code), []).append((pkg, st, g.amount_fen))
    for pkg in packages:
        for st in pkg.students:
            for g in st.grants:
                if g.code not in once:
                    continue
                item = names.get(g.code, g.code)
                before = [e for e in earlier.get((normalize_id(st.id_number), g.code), ())
                          if e[0].school_year < pkg.school_year]
                who = f"{st.name}（{mask_id(st.id_number)}）"
                if before:
                    said = "、".join(f"{school_year_label(e[0].school_year)}由{_school(e[0])}发放 {_yuan(e[2])}"
                                    for e in before)
                    message = (f"{who}本学年获得“{item}”{_yuan(g.amount_fen)}，但该项目每人只能享受一次，"
                               f"往年已享受：{said}")
                elif received_before(g.code, st.prior_grants):
                    message = (f"{who}本学年获得“{item}”{_yuan(g.amount_fen)}，但学校在名单中填报该生往年已享受过"
                               f"该项目（每人只能享受一次）")
                else:
                    continue
                yield _make(ONCE_ONLY_REPEATED, message, id_number=st.id_number, name=st.name, pkg=pkg,
                            item=g.code, amount_fen=g.amount_fen,
                            others=tuple(Involved(e[0].school_code, e[0].school_name, e[1].name, e[2],
                                                  e[0].school_year) for e in before))


# -- claimed totals against the students ----------------------------------------------------

def recount(pkg: PackageData) -> Totals:
    """What a package's students add up to (the figures its ``totals`` claim)."""
    r = Totals()
    for st in pkg.students:
        if st.grants:
            r.students_granted += 1
        r.pending += len(st.pending)
        for g in st.grants:
            r.by_item[g.code] = r.by_item.get(g.code, 0) + g.amount_fen
            r.total += g.amount_fen
            for src, fen in g.shares.items():
                r.by_source[src] = r.by_source.get(src, 0) + fen
    return r


def share_mismatches(pkg: PackageData, names: Mapping[str, str]) -> Iterator[CrossFinding]:
    """TOTALS_MISMATCH findings of one package's grants whose funding sources' shares do not add up to
    the grant's amount, or with a share below zero (``parse_package_data`` refuses a negative amount in
    data.json; a package made in memory is held to the same rule). The claimed totals may agree with such
    a grant, the sources' figures then being wrong with them, so no other finding would tell."""
    for st in pkg.students:
        for g in st.grants:
            shares = sum(g.shares.values())
            if shares == g.amount_fen and min(g.shares.values(), default=0) >= 0:
                continue
            negative = [src for src, fen in g.shares.items() if fen < 0]
            parts = "，".join(f"{_source(pkg, src)} {_yuan(fen)}" for src, fen in g.shares.items()) or "无"
            said = f"各资金来源分担相加为 {_yuan(shares)}（{parts}）"
            if shares != g.amount_fen:
                said += f"，相差 {_yuan(abs(shares - g.amount_fen))}"
            if negative:
                said += f"；{'、'.join(_source(pkg, src) for src in negative)}分担为负数"
            item = names.get(g.code) or pkg.items.get(g.code) or g.code
            who = f"{st.name}（{mask_id(st.id_number)}）" if st.id_number else f"{st.name}（无身份证号）"
            yield _make(TOTALS_MISMATCH, f"提交包（{_school(pkg)}）中 {who}的“{item}”金额为 {_yuan(g.amount_fen)}，"
                                         f"而{said}",
                        id_number=st.id_number, name=st.name, pkg=pkg, item=g.code, amount_fen=g.amount_fen,
                        expected_fen=shares, figure="shares")


def _source(pkg: PackageData, src: str) -> str:
    return pkg.sources.get(src) or SOURCE_LABELS.get(src, src)


def totals_mismatches(pkg: PackageData, names: Mapping[str, str]) -> Iterator[CrossFinding]:
    """TOTALS_MISMATCH findings of one package: each claimed figure that differs from its students,
    then each grant whose shares differ from its amount (``share_mismatches``)."""
    got, claimed = recount(pkg), pkg.totals
    where = f"提交包（{_school(pkg)}）"
    figures: list[tuple[str, str, int, int]] = []
    for code in dict.fromkeys([*claimed.by_item, *got.by_item]):
        figures.append((code, f"资助项目“{names.get(code, code)}”的金额", claimed.by_item.get(code, 0),
                        got.by_item.get(code, 0)))
    for src in dict.fromkeys([*claimed.by_source, *got.by_source]):
        figures.append((src, f"{_source(pkg, src)}资金",
                        claimed.by_source.get(src, 0), got.by_source.get(src, 0)))
    figures.append(("", "资助金额总计", claimed.total, got.total))
    for item, label, said, real in figures:
        if said != real:
            yield _make(TOTALS_MISMATCH, f"{where}声明{label}为 {_yuan(said)}，"
                                         f"而学生明细相加为 {_yuan(real)}，相差 {_yuan(abs(said - real))}",
                        pkg=pkg, item=item, amount_fen=said, expected_fen=real)
    for figure, label, said_n, real_n, unit in (
            ("students_granted", "受助学生人数", claimed.students_granted, got.students_granted, "人"),
            ("pending", "待补充项目数", claimed.pending, got.pending, "个")):
        if said_n != real_n:
            yield _make(TOTALS_MISMATCH, f"{where}声明{label}为 {said_n} {unit}，而学生明细为 {real_n} {unit}",
                        pkg=pkg, figure=figure)
    yield from share_mismatches(pkg, names)


# -- all together ---------------------------------------------------------------------------

def cross_check(packages: Sequence[PackageData], *, roster: Iterable[RosterFacts] = (),
                history: Sequence[PackageData] = (), once_codes: Sequence[str] = (),
                outside_items: Sequence[tuple[str, frozenset[Stage]]] = ()) -> list[CrossFinding]:
    """Every cross-check over the receiver's current packages (one per school and year),
    its roster, the earlier years' packages it holds (``history``) and its policy's once-only
    item codes; ``outside_items`` names the 外地就学 items a roster member may be entitled to.
    Findings in catalogue order, each rule's in package order."""
    names = item_names([*packages, *history])
    return [*_duplicates(duplicate_groups(packages)),
            *_roster_not_enrolled(packages, roster, outside_items),
            *_once_only(packages, history, once_codes, names),
            *(f for pkg in packages for f in totals_mismatches(pkg, names))]


def counts_of(findings: Iterable[CrossFinding]) -> dict[str, Any]:
    """``check --json``'s counts: open findings per severity and per code."""
    counts: dict[str, Any] = {s.value: 0 for s in Severity}
    by_code: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
        by_code[f.code] = by_code.get(f.code, 0) + 1
    counts["by_code"] = by_code
    counts["accepted"] = 0
    return counts


def finding_line(f: CrossFinding) -> str:
    """One line of a text listing: [错误] 标题 学校 姓名 身份证号（掩码）：说明."""
    who = " ".join(x for x in (f.school_name, f.name, mask_id(f.id_number) if f.id_number else "") if x) or "—"
    return f"[{SEVERITY_LABELS[f.severity]}] {f.title} {who}：{f.message}"
