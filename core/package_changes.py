"""What changed between two packages of one school and year (a newer one replaces the older):
students added, removed, and whose amounts changed, item by item, to the fen."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from core.idnumber import mask_id
from core.money import format_fen
from core.package_data import PackageData, PackageStudent


@dataclass(frozen=True)
class StudentAmounts:
    """A student as the change shows it: the grants per item (fen), summed over the
    package's rows with this ID number (a package may list one ID twice)."""

    id_number: str
    name: str
    items: Mapping[str, int]

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


@dataclass(frozen=True)
class PackageChanges:
    added: tuple[StudentAmounts, ...]
    removed: tuple[StudentAmounts, ...]
    changed: tuple[AmountChange, ...]
    old_total: int
    new_total: int

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

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


def package_changes(old: PackageData, new: PackageData) -> PackageChanges:
    """Students (by ID number) only in ``new`` (added), only in ``old`` (removed), and in
    both with a different amount for some item (changed); ordered by ID number."""
    return changes_between(amounts_by_id(amount_rows(old.students)), amounts_by_id(amount_rows(new.students)))


def changes_between(before: Mapping[str, StudentAmounts], after: Mapping[str, StudentAmounts]) -> PackageChanges:
    """``package_changes`` on amounts already gathered per ID number (``amounts_by_id``)."""
    added = tuple(after[k] for k in sorted(after.keys() - before.keys()))
    removed = tuple(before[k] for k in sorted(before.keys() - after.keys()))
    changed = []
    for k in sorted(before.keys() & after.keys()):
        a, b = before[k].items, after[k].items
        diff = tuple((code, a.get(code, 0), b.get(code, 0)) for code in sorted(a.keys() | b.keys())
                     if a.get(code, 0) != b.get(code, 0))
        if diff:
            changed.append(AmountChange(k, after[k].name, diff, before[k].total_fen, after[k].total_fen))
    return PackageChanges(added, removed, tuple(changed), sum(s.total_fen for s in before.values()),
                          sum(s.total_fen for s in after.values()))


def change_lines(changes: PackageChanges, items: Mapping[str, str] | None = None, limit: int = 50) -> list[str]:
    """The change in Chinese lines for the clerk (ID numbers masked, amounts in yuan to the fen):
    a summary line, then each added, removed and changed student (the first ``limit`` of each)."""
    names = items or {}

    def item(code: str) -> str:
        return names.get(code, code)

    sign = "+" if changes.delta_fen >= 0 else ""
    lines = [f"与被替换的版本相比：新增 {len(changes.added)} 人，移除 {len(changes.removed)} 人，"
             f"金额变动 {len(changes.changed)} 人；合计 {format_fen(changes.old_total)} 元 → "
             f"{format_fen(changes.new_total)} 元（{sign}{format_fen(changes.delta_fen)} 元）"]
    for word, group in (("新增", changes.added), ("移除", changes.removed)):
        for st in group[:limit]:
            lines.append(f"  {word}：{st.name} {mask_id(st.id_number)}，{format_fen(st.total_fen)} 元")
        if len(group) > limit:
            lines.append(f"  另有 {len(group) - limit} 人{word}")
    for ch in changes.changed[:limit]:
        parts = "，".join(f"{item(code)} {format_fen(old)} → {format_fen(new)} 元" for code, old, new in ch.items)
        lines.append(f"  变动：{ch.name} {mask_id(ch.id_number)}：{parts}")
    if len(changes.changed) > limit:
        lines.append(f"  另有 {len(changes.changed) - limit} 人金额变动")
    return lines
