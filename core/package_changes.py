"""What changed between two packages of one school and year (a newer one replaces the older):
students added, removed, whose amounts changed, item by item, to the fen, and whose other data
changed (信息变动: name, class, family, village, household number, findings… field by field).

An item pending (待补充: its amount cannot be computed yet, e.g. a fee not entered) is no amount:
its side of a change reads 待补充, never 0.00 元 (which would say the child had been granted nothing
before, or that a grant was withdrawn). An item that became or stopped being pending is an amount
change (“待补充 → 200.00 元”, “200.00 元 → 待补充”, “待补充 → 0.00 元”: decided, not granted), so the
pending items are not compared again as other data.

What changes on every export (the package's time, its seal and signature) is no student's data
and is never compared; neither are the funding shares of an unchanged amount (the policy's split)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from core.domain import DEFAULT_CATEGORY_LABELS, EVERY_ONCE_ONLY
from core.idnumber import mask_id
from core.money import format_fen
from core.package_data import PackageData, PackageFinding, PackageStudent

# A student's data a change names besides the amounts: (data.json key, the label the clerk reads).
# "findings": the package's findings on the student's ID number, each a code and its state.
INFO_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"), ("gender", "性别"), ("stage", "学段"), ("grade", "年级"), ("class_name", "班级"),
    ("location", "就读地"), ("ownership", "学校性质"), ("category", "家庭类别"), ("township", "乡镇"),
    ("village", "村"), ("household_no", "户编号"), ("verified", "核准状态"), ("prior_grants", "往年已享受"),
    ("findings", "核查问题"))       # (errors and warnings: not 尚未告知家庭; the pending items: amounts)
_ROW = attrgetter(*(key for key, _label in INFO_FIELDS[:-1]))   # a listed row's (the findings are the package's)
Info = tuple[Any, ...]          # (the ID's findings, then each of its rows' _ROW): ``students_by_id``
_CATEGORIES = {c.value: label for c, label in DEFAULT_CATEGORY_LABELS.items()}


@dataclass(frozen=True)
class StudentAmounts:
    """A student as the change shows it: the grants per item (fen), summed over the
    package's rows with this ID number (a package may list one ID twice), its other
    data (``info``, per ``INFO_FIELDS``; empty when gathered from amounts alone) and the
    codes of its items pending in any of those rows (``pending``: not in ``items`` unless
    another row of the ID was granted the item)."""

    id_number: str
    name: str
    items: Mapping[str, int]
    info: Info = ()
    pending: frozenset[str] = frozenset()

    @property
    def total_fen(self) -> int:
        return sum(self.items.values())


@dataclass(frozen=True)
class AmountChange:
    id_number: str
    name: str
    items: tuple[tuple[str, int, int], ...]     # (item code, old fen, new fen) of each item that differs
    old_total: int
    new_total: int
    old_pending: frozenset[str] = frozenset()   # of those item codes, the ones pending before
    new_pending: frozenset[str] = frozenset()   # and after (their fen: what other rows of the ID got)


@dataclass(frozen=True)
class InfoChange:
    id_number: str
    name: str
    fields: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]   # (INFO_FIELDS key, old, new) that differ


@dataclass(frozen=True)
class PackageChanges:
    added: tuple[StudentAmounts, ...]
    removed: tuple[StudentAmounts, ...]
    changed: tuple[AmountChange, ...]
    old_total: int
    new_total: int
    info_changed: tuple[InfoChange, ...] = ()   # in both, other data than the amounts differs

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.info_changed)

    @property
    def delta_fen(self) -> int:
        return self.new_total - self.old_total


def amounts_by_id(students: Iterable[tuple[str, str, str, int]]) -> dict[str, StudentAmounts]:
    """(id_number, name, item code, fen) rows -> each ID's amounts per item ("" code: no grant)."""
    names: dict[str, str] = {}
    items: dict[str, dict[str, int]] = {}
    for number, name, code, fen in students:
        names.setdefault(number, name)
        mine = items.setdefault(number, {})
        if code:
            mine[code] = mine.get(code, 0) + fen
    return {k: StudentAmounts(k, names[k], {c: v for c, v in items[k].items() if v}) for k in items}


def amount_rows(students: Iterable[PackageStudent]) -> Iterator[tuple[str, str, str, int]]:
    """The (id_number, name, item code, fen) rows ``amounts_by_id`` reads, of a package's students."""
    for st in students:
        yield st.id_number, st.name, "", 0
        for g in st.grants:
            yield st.id_number, st.name, g.code, g.amount_fen


def students_by_id(students: Iterable[PackageStudent],
                   findings: Iterable[PackageFinding] = ()) -> dict[str, StudentAmounts]:
    """Each ID's amounts per item (as ``amounts_by_id``) and other data: its findings as
    "code state" (sorted) and each of its rows' ``INFO_FIELDS`` (sorted: a package may list one
    ID twice). Compared whole, then field by field only for an ID whose data differ."""
    students = list(students)
    amounts = amounts_by_id(amount_rows(students))
    found: dict[str, set[str]] = {}
    for f in findings:
        if f.severity != "info":      # (尚未告知家庭 comes and goes with every letter printed: not a change)
            found.setdefault(f.id_number, set()).add(f"{f.code} {f.state}")
    info: dict[str, Info] = {}
    pending: dict[str, frozenset[str]] = {}
    for st in students:
        k, row = st.id_number, _ROW(st)
        seen = info.get(k)
        info[k] = (tuple(sorted(found.get(k, ()))), row) if seen is None else (seen[0], *sorted((*seen[1:], row)))
        pending[k] = pending.get(k, frozenset()).union(st.pending)
    return {k: StudentAmounts(k, a.name, a.items, info[k], pending[k]) for k, a in amounts.items()}


def _values(info: Info) -> list[tuple[str, ...]]:
    """Each of ``INFO_FIELDS``' values (distinct, sorted, as text) of a student's ``info``."""
    found, *rows = info
    out = []
    for i, (key, _label) in enumerate(INFO_FIELDS[:-1]):
        values: set[str] = set()
        for row in rows:
            v = row[i]
            if key == "verified":
                values.add("已核准" if v else "待核准")
            elif isinstance(v, tuple):
                values.update(v)
            else:
                values.add(v)
        out.append(tuple(sorted(values)))
    return [*out, found]


def package_changes(old: PackageData, new: PackageData) -> PackageChanges:
    """Students (by ID number) only in ``new`` (added), only in ``old`` (removed), in both with
    a different amount for some item (changed), and in both with other data changed
    (info_changed); ordered by ID number."""
    return changes_between(students_by_id(old.students, old.findings), students_by_id(new.students, new.findings))


def changes_between(before: Mapping[str, StudentAmounts], after: Mapping[str, StudentAmounts]) -> PackageChanges:
    """``package_changes`` on students already gathered per ID number (``students_by_id``; gathered
    by ``amounts_by_id``, without their other data and pending items, only the amounts granted are
    compared). An item differs when its fen or whether it is pending differ."""
    added = tuple(after[k] for k in sorted(after.keys() - before.keys()))
    removed = tuple(before[k] for k in sorted(before.keys() - after.keys()))
    changed, info = [], []
    for k in sorted(before.keys() & after.keys()):
        a, b, pa, pb = before[k].items, after[k].items, before[k].pending, after[k].pending
        diff = tuple((code, a.get(code, 0), b.get(code, 0)) for code in sorted(a.keys() | b.keys() | pa | pb)
                     if (a.get(code, 0), code in pa) != (b.get(code, 0), code in pb))
        if diff:
            codes = {code for code, _old, _new in diff}
            changed.append(AmountChange(k, after[k].name, diff, before[k].total_fen, after[k].total_fen,
                                        pa & codes, pb & codes))
        x, y = before[k].info, after[k].info
        if x != y and x and y:
            fields = tuple((key, u, v) for (key, _label), u, v in zip(INFO_FIELDS, _values(x), _values(y), strict=True)
                           if u != v)
            if fields:          # (not only the order of a field's values)
                info.append(InfoChange(k, after[k].name, fields))
    return PackageChanges(added, removed, tuple(changed), sum(s.total_fen for s in before.values()),
                          sum(s.total_fen for s in after.values()), tuple(info))


def change_lines(changes: PackageChanges, items: Mapping[str, str] | None = None, limit: int = 50) -> list[str]:
    """The change in Chinese lines for the clerk (ID numbers masked, amounts in yuan to the fen):
    a summary line, then each added, removed and changed student, then each whose other data
    changed, field by field (the first ``limit`` of each). The totals are the amounts granted
    (as the package's own totals: a pending item is in none of them); a pending item is named
    as 待补充 where the student is (“另有 免书本费 待补充”, “免书本费 待补充 → 200.00 元”)."""
    names = items or {}

    def item(code: str) -> str:
        return names.get(code, code)

    def amount(ch: AmountChange, code: str, old: int, new: int) -> str:
        """One item's change: "1000.00 → 900.00 元", or each side on its own when one is pending."""
        if code not in ch.old_pending and code not in ch.new_pending:
            return f"{item(code)} {format_fen(old)} → {format_fen(new)} 元"
        return f"{item(code)} {_side(old, code in ch.old_pending)} → {_side(new, code in ch.new_pending)}"

    sign = "+" if changes.delta_fen >= 0 else ""
    lines = [f"与被替换的版本相比：新增 {len(changes.added)} 人，移除 {len(changes.removed)} 人，"
             f"金额变动 {len(changes.changed)} 人；合计 {format_fen(changes.old_total)} 元 → "
             f"{format_fen(changes.new_total)} 元（{sign}{format_fen(changes.delta_fen)} 元）；"
             f"信息变动 {len(changes.info_changed)} 人"]
    for word, group in (("新增", changes.added), ("移除", changes.removed)):
        for st in group[:limit]:
            waiting = f"，另有 {'、'.join(item(c) for c in sorted(st.pending))} 待补充" if st.pending else ""
            lines.append(f"  {word}：{st.name} {mask_id(st.id_number)}，{format_fen(st.total_fen)} 元{waiting}")
        if len(group) > limit:
            lines.append(f"  另有 {len(group) - limit} 人{word}")
    for ch in changes.changed[:limit]:
        parts = "，".join(amount(ch, code, old, new) for code, old, new in ch.items)
        lines.append(f"  变动：{ch.name} {mask_id(ch.id_number)}：{parts}")
    if len(changes.changed) > limit:
        lines.append(f"  另有 {len(changes.changed) - limit} 人金额变动")
    labels = dict(INFO_FIELDS)
    for ic in changes.info_changed[:limit]:
        parts = "，".join(f"{labels[key]} {_shown(key, old, item)} → {_shown(key, new, item)}"
                         for key, old, new in ic.fields)
        lines.append(f"  信息变动：{ic.name} {mask_id(ic.id_number)}：{parts}")
    if len(changes.info_changed) > limit:
        lines.append(f"  另有 {len(changes.info_changed) - limit} 人信息变动")
    return lines


def _side(fen: int, pending: bool) -> str:
    """One side of an item's change: "200.00 元", "待补充", or "1.00 元（另有待补充）" for an ID listed
    twice, one row granted and the other pending (the fen granted are not lost)."""
    if not pending:
        return f"{format_fen(fen)} 元"
    return f"{format_fen(fen)} 元（另有待补充）" if fen else "待补充"


def _shown(key: str, values: Sequence[str], item: Callable[[str], str]) -> str:
    """A field's values as the clerk reads them (items and findings by name, a category by its label)."""
    if key == "prior_grants":
        return "、".join("全部一次性项目" if v == EVERY_ONCE_ONLY else item(v) for v in values) or "无"
    if key == "findings":
        return "、".join(_finding(v) for v in values) or "无"
    if key == "category":
        values = [_CATEGORIES.get(v, v) for v in values]
    return "、".join(v or "（空）" for v in values) or "（空）"


def _finding(value: str) -> str:
    """"CODE state" as "title（未处理）" (the check catalogue loads only when a finding changed)."""
    from core.checks import RULES_BY_CODE, STATE_LABELS
    from core.consolidate.checks import CROSS_RULES_BY_CODE
    from core.feedback_findings import SPOT_TITLES
    code, _, state = value.partition(" ")
    rule = RULES_BY_CODE.get(code) or CROSS_RULES_BY_CODE.get(code)     # a receiver's finding (反馈包) too
    labels = {str(k): v for k, v in STATE_LABELS.items()}
    title = rule.title if rule else SPOT_TITLES[False] if code == "SPOTCHECK_NOT_TRUE" else code
    return f"{title}（{labels.get(state, state)}）"
