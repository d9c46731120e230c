"""Summaries of the accepted packages: per school, township, stage, item and funding source,
and the county budget table (项目 × 资金来源: 人数, 金额).

The totals (overall, per school, per township, per item and source) are what the packages
CLAIM (``PackageData.totals``), duplicates included and counted (``Summary.duplicates``);
TOTALS_MISMATCH (core.consolidate.checks) says when a claim differs from its students. The
breakdowns the claims do not carry — per stage and the budget table's item × source — are
added up from the students' grants, so they equal the claims exactly when no package has a
TOTALS_MISMATCH. All amounts are integer fen; ``to_json`` writes yuan strings.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.consolidate.checks import duplicate_groups, item_names, totals_mismatches
from core.domain import Stage
from core.money import format_fen
from core.package_data import PackageData
from core.pinyin import pinyin_order
from core.policy import SOURCE_LABELS

NO_TOWNSHIP = "（未填乡镇）"
NO_STAGE = "未填学段"


def _add(into: dict[str, int], more: Mapping[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def _yuan_map(fen: Mapping[str, int]) -> dict[str, str]:
    return {k: format_fen(v) for k, v in fen.items()}


@dataclass
class Figures:
    """Claimed figures of one or more packages."""

    schools: int = 0
    students: int = 0                  # listed in the packages
    students_granted: int = 0          # claimed
    pending: int = 0                   # claimed: items still pending
    total: int = 0                     # claimed, fen
    by_item: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    duplicate_ids: int = 0             # people (IDs) also subsidised by another school
    duplicated: set[str] = field(default_factory=set, repr=False)   # their IDs: a person in two schools
                                                                    # of a row is one person of it

    def add(self, pkg: PackageData, duplicates: Collection[str]) -> None:
        t = pkg.totals
        self.schools += 1
        self.students += len(pkg.students)
        self.students_granted += t.students_granted
        self.pending += t.pending
        self.total += t.total
        _add(self.by_item, t.by_item)
        _add(self.by_source, t.by_source)
        self.duplicated.update(duplicates)
        self.duplicate_ids = len(self.duplicated)

    def to_json(self) -> dict[str, Any]:
        return {"schools": self.schools, "students": self.students, "students_granted": self.students_granted,
                "pending": self.pending, "total": format_fen(self.total), "by_item": _yuan_map(self.by_item),
                "by_source": _yuan_map(self.by_source), "duplicate_ids": self.duplicate_ids}


@dataclass
class SchoolSummary:
    school_code: str
    school_name: str
    township: str
    school_year: int
    figures: Figures
    totals_match: bool                 # the claims equal the students' sums

    def to_json(self) -> dict[str, Any]:
        out = {"school_code": self.school_code, "school_name": self.school_name, "township": self.township,
               "school_year": self.school_year, **self.figures.to_json(), "totals_match": self.totals_match}
        del out["schools"]
        return out


@dataclass
class TownshipSummary:
    township: str
    figures: Figures

    def to_json(self) -> dict[str, Any]:
        return {"township": self.township, **self.figures.to_json()}


@dataclass
class Cell:
    """One cell of a breakdown added up from the students: how many, how much."""

    students: int = 0
    amount_fen: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"students": self.students, "amount": format_fen(self.amount_fen)}


@dataclass
class StageSummary:
    stage: str
    students: int = 0
    students_granted: int = 0
    amount_fen: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"stage": self.stage, "students": self.students, "students_granted": self.students_granted,
                "total": format_fen(self.amount_fen), "by_source": _yuan_map(self.by_source)}


@dataclass
class BudgetRow:
    """项目 × 资金来源: how many students and how much, in all and per funding source. ``total.students``
    counts every grant of the item, 0.00 included (受助 as the school counts it); a source's ``students``
    only the grants it pays a share above zero of. The 合计 row counts each student once: granted any
    item, and per source when that source pays above zero of any of the student's grants."""

    code: str                          # "" for the 合计 row
    name: str
    total: Cell = field(default_factory=Cell)
    by_source: dict[str, Cell] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, **self.total.to_json(),
                "by_source": {k: v.to_json() for k, v in self.by_source.items()}}


@dataclass
class Duplicates:
    """The ID numbers subsidised by more than one school, as they sit inside the totals."""

    ids: int = 0                       # distinct ID numbers
    entries: int = 0                   # their entries over all schools (each counted in its school's totals)
    amount_fen: int = 0                # what those entries amount to

    def to_json(self) -> dict[str, Any]:
        return {"ids": self.ids, "entries": self.entries, "amount": format_fen(self.amount_fen)}


@dataclass
class Summary:
    totals: Figures
    by_school: list[SchoolSummary]
    by_township: list[TownshipSummary]
    by_stage: list[StageSummary]
    budget: list[BudgetRow]            # one row per item, then 合计
    duplicates: Duplicates
    items: dict[str, str]              # item code -> name, in print order
    sources: dict[str, str]            # funding source -> label (市级, 县级, …)

    def to_json(self) -> dict[str, Any]:
        t = self.totals
        return {
            "totals": {"by_item": _yuan_map(t.by_item), "by_source": _yuan_map(t.by_source),
                       "total": format_fen(t.total), "schools": t.schools, "students": t.students,
                       "students_granted": t.students_granted, "pending": t.pending},
            "duplicates": self.duplicates.to_json(),
            "items": dict(self.items), "sources": dict(self.sources),
            "by_school": [s.to_json() for s in self.by_school],
            "by_township": [s.to_json() for s in self.by_township],
            "by_stage": [s.to_json() for s in self.by_stage],
            "budget": [r.to_json() for r in self.budget],
        }


def source_order(found: Iterable[str], labels: Mapping[str, str] = SOURCE_LABELS) -> dict[str, str]:
    """Funding sources in print order (市级, 县级, then any other) -> label."""
    seen = set(found)
    ordered = [s for s in SOURCE_LABELS if s in seen] + sorted(seen - set(SOURCE_LABELS))
    return {s: labels.get(s) or SOURCE_LABELS.get(s, s) for s in ordered}


def _stages(packages: Sequence[PackageData]) -> list[StageSummary]:
    order = {s.value: i for i, s in enumerate(Stage)}
    sums: dict[str, StageSummary] = {}
    for pkg in packages:
        for st in pkg.students:
            stage = st.stage or NO_STAGE
            s = sums.get(stage) or sums.setdefault(stage, StageSummary(stage))
            s.students += 1
            if st.grants:
                s.students_granted += 1
            for g in st.grants:
                s.amount_fen += g.amount_fen
                _add(s.by_source, g.shares)
    return sorted(sums.values(), key=lambda s: (order.get(s.stage, len(order)), s.stage))


def _budget(packages: Sequence[PackageData], items: Mapping[str, str]) -> list[BudgetRow]:
    rows = {code: BudgetRow(code, name) for code, name in items.items()}
    total = BudgetRow("", "合计")
    for pkg in packages:
        for st in pkg.students:
            total.total.students += bool(st.grants)     # 受助 as the school counts it: a grant of 0.00 too
            paid_by: set[str] = set()
            for g in st.grants:
                row = rows.get(g.code) or rows.setdefault(g.code, BudgetRow(g.code, g.code))
                row.total.students += 1
                row.total.amount_fen += g.amount_fen
                total.total.amount_fen += g.amount_fen
                for src, fen in g.shares.items():
                    cell = row.by_source.get(src) or row.by_source.setdefault(src, Cell())
                    cell.amount_fen += fen
                    cell.students += fen > 0
                    tcell = total.by_source.get(src) or total.by_source.setdefault(src, Cell())
                    tcell.amount_fen += fen
                    if fen > 0:
                        paid_by.add(src)
            for src in paid_by:
                total.by_source[src].students += 1
    return [*rows.values(), total]


def summarise(packages: Sequence[PackageData], townships: Mapping[str, str] | None = None,
              items: Mapping[str, str] | None = None) -> Summary:
    """The summaries of ``packages`` (one per school). A school's township is
    ``townships[school_code]`` (the receiver's expected-schools list, as ``consolidate status``
    shows it: one township is one row even when a school wrote its name otherwise), else its
    package's, else （未填乡镇）. Items are
    listed in the order of ``items`` (code -> name: the receiver's policy), then any other
    item the packages name. The budget table counts a student for an item when the item is
    granted, with an amount of 0.00 too (受助 as the school's own figures count it), and for a
    funding source only when that source's share is above zero (``BudgetRow``)."""
    townships = townships or {}
    groups = duplicate_groups(packages)
    per_package: dict[int, set[str]] = {}
    dup = Duplicates(ids=len(groups))
    for key, holders in groups.items():
        for h in holders:
            per_package.setdefault(id(h.package), set()).add(key)
            dup.entries += 1
            dup.amount_fen += h.amount_fen

    totals = Figures()
    schools: list[SchoolSummary] = []
    towns: dict[str, TownshipSummary] = {}
    for pkg in packages:
        dups = per_package.get(id(pkg), set())
        figures = Figures()
        figures.add(pkg, dups)
        totals.add(pkg, dups)
        match = next(totals_mismatches(pkg, {}), None) is None
        township = townships.get(pkg.school_code, "") or pkg.township or NO_TOWNSHIP
        schools.append(SchoolSummary(pkg.school_code, pkg.school_name, township, pkg.school_year, figures, match))
        town = towns.get(township) or towns.setdefault(township, TownshipSummary(township, Figures()))
        town.figures.add(pkg, dups)

    names = {**(items or {}), **{k: v for k, v in item_names(packages).items() if k not in (items or {})}}
    for code in totals.by_item:
        names.setdefault(code, code)
    labels: dict[str, str] = {}
    for pkg in packages:
        for src, label in pkg.sources.items():
            labels.setdefault(src, label)
    budget = _budget(packages, names)
    found_sources = {*totals.by_source, *(s for r in budget for s in r.by_source)}
    schools.sort(key=lambda s: (s.township == NO_TOWNSHIP, pinyin_order(s.township), s.school_code))
    by_township = sorted(towns.values(), key=lambda t: (t.township == NO_TOWNSHIP, pinyin_order(t.township)))
    return Summary(totals, schools, by_township, _stages(packages), budget, dup, names,
                   source_order(found_sources, labels))
