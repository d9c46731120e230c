"""The 政策 page's tables: the items of a policy (current, draft or an old version) and the versions.

Rows are plain frozen dataclasses built from a ``core.policy.Policy`` on the GUI thread (a
policy has a dozen items); the models are ``RowTableModel``s behind a ``FilterProxy`` like
every list of the program.
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from core.policy import Item, Policy
from core.policy_edit import locations_text, rule_text
from core.policy_words import percent_text
from gui.search import SEP, FilterProxy
from gui.table_model import Column, RowTableModel

IN_USE, RETIRED = "在用", "已停用"
NOTE_MARK = "※"      # an amount the source text gives as it is (source_notes)


def share_percent(item: Item, source: str) -> str:
    """``50%`` for the item's share of ``source`` (city, county); "" when it pays none."""
    pct = sum((p for s, p in item.shares if s == source), Decimal(0))
    return f"{percent_text(pct)}%" if pct else ""


@dataclass(frozen=True)
class ItemRow:
    code: str
    name: str
    stages: str
    categories: str
    locations: str
    rule: str
    city: str
    county: str
    once: bool
    needs_application: bool
    retired: bool
    note: str = ""          # the source's own amount, to be checked (source_notes)
    changed: bool = False   # differs from the saved version (a draft)

    @property
    def id(self) -> Hashable:
        return self.code

    @property
    def status(self) -> str:
        return RETIRED if self.retired else IN_USE


def item_rows(policy: Policy, notes: dict[str, str] | None = None,
              changed: frozenset[str] = frozenset()) -> list[ItemRow]:
    notes = notes or {}
    return [ItemRow(
        code=it.code, name=it.name, stages=it.stages_text, categories=it.categories_text,
        locations=locations_text(it), rule=rule_text(it),
        city=share_percent(it, "city"), county=share_percent(it, "county"), once=it.once,
        needs_application=it.needs_application, retired=it.retired,
        note=notes.get(it.code, ""), changed=it.code in changed) for it in policy.all_items]


def _yes(value: bool) -> str:
    return "是" if value else ""


ITEM_COLUMNS: tuple[Column[ItemRow], ...] = (
    Column("代码", lambda r: r.code.replace("_", "_\u200b"), lambda r: r.code),   # may wrap after "_"
    Column("名称", lambda r: r.name + ("（未保存）" if r.changed else "")),
    Column("学段", lambda r: r.stages),
    Column("家庭类别", lambda r: r.categories),
    Column("就读地", lambda r: r.locations),
    Column("金额规则", lambda r: r.rule + (f" {NOTE_MARK}" if r.note else ""),
           tip=f"标有 {NOTE_MARK} 的金额照抄政策原文，请核对后再第一次导出"),
    Column("市级", lambda r: r.city, numeric=True, tip="市级财政承担的比例"),
    Column("县级", lambda r: r.county, numeric=True, tip="县级财政承担的比例"),
    Column("仅一次", lambda r: _yes(r.once), tip="每人仅享受一次"),
    Column("需申请", lambda r: _yes(r.needs_application), tip="学生（家长）须提出申请"),
    Column("状态", lambda r: r.status, lambda r: (r.retired, r.code)),
)
RULE_COLUMN = 5
STATUS_COLUMN = len(ITEM_COLUMNS) - 1
GREY, NOTE_COLOR, CHANGED_COLOR = QColor(120, 120, 120), QColor(180, 90, 0), QColor(0, 80, 160)


class ItemsModel(RowTableModel[ItemRow]):
    COLUMNS = ITEM_COLUMNS

    def search_entries(self) -> list[tuple[Hashable, str]]:
        return [(r.code, SEP.join((r.code.lower(), r.name, r.stages, r.categories))) for r in self._rows]

    def foreground(self, row: ItemRow, column: int) -> QColor | None:
        if row.retired:
            return GREY
        if column == RULE_COLUMN and row.note:
            return NOTE_COLOR
        if row.changed:
            return CHANGED_COLOR
        return None

    def tooltip(self, row: ItemRow, column: int) -> str | None:
        if column == RULE_COLUMN and row.note:
            return row.note
        if row.retired:
            return "已停用：不再计算，保留在政策文件中，可以恢复"
        return None


def table_view(parent: QWidget, model: RowTableModel[Any], name: str) -> tuple[QTableView, FilterProxy]:
    """A read-only table of ``model`` behind a filtering proxy, rows selected whole, Tab leaving it."""
    proxy = FilterProxy(parent)
    proxy.setSourceModel(model)
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(proxy)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view, proxy


# Column widths in characters (代码 … 需申请; 状态 takes the rest): fits 1024×768 with wrapping.
ITEM_COLUMN_CHARS = {0: 6, 1: 7, 2: 6, 3: 6, 4: 3, 5: 8, 6: 2.5, 7: 2.5, 8: 3, 9: 3}


def items_view(parent: QWidget, model: ItemsModel, name: str) -> tuple[QTableView, FilterProxy]:
    """The table of a policy's items: a dozen rows whose long stage and rule texts wrap."""
    view, proxy = table_view(parent, model, name)
    view.setWordWrap(True)
    em = view.fontMetrics().horizontalAdvance("中")
    for column, chars in ITEM_COLUMN_CHARS.items():
        view.setColumnWidth(column, int(em * chars) + 12)
    view.horizontalHeader().sectionResized.connect(lambda *_a: view.resizeRowsToContents())
    model.modelReset.connect(view.resizeRowsToContents)
    return view, proxy
