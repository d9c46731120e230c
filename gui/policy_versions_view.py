"""版本 (on the 政策 page): the saved versions of the policy, each one readable.

The list comes with the page's data (``db.policy_versions.list_versions``); choosing a
version reads its text in the worker (``version_text``) and shows its items and what
differs from the active version (``core.policy_edit.policy_diff_items``).
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.domain import school_year_label
from core.policy import Policy, load_policy
from core.policy_edit import policy_diff_items, source_notes
from db.session import Database
from gui import worker
from gui.policy_model import ItemsModel, item_rows
from gui.search import FilterProxy
from gui.table_model import Column, RowTableModel

ORIGIN_LABELS = {"default": "程序自带", "edited": "本机修改", "imported": "导入文件"}


@dataclass(frozen=True)
class VersionRow:
    number: int
    school_year: str
    saved_at: str
    saved_by: str
    origin: str
    note: str
    sha256: str
    current: bool

    @property
    def id(self) -> Hashable:
        return self.number


def version_row(v: Any, current_sha: str) -> VersionRow:
    created = getattr(v, "created_at", None)
    origin = str(getattr(v, "origin", "") or "")
    signer = getattr(v, "signer", "") or ""
    return VersionRow(
        number=v.number, school_year=school_year_label(v.school_year) if v.school_year else "",
        saved_at=created.strftime("%Y-%m-%d %H:%M") if created else "",
        saved_by=str(getattr(v, "created_by", "") or ""),
        origin=ORIGIN_LABELS.get(origin, origin) + (f"（{signer}）" if signer else ""),
        note=str(getattr(v, "note", "") or ""), sha256=v.sha256, current=v.sha256 == current_sha)


class VersionsModel(RowTableModel[VersionRow]):
    COLUMNS = (
        Column("版本", lambda r: f"第 {r.number} 版" + ("（当前）" if r.current else ""), lambda r: r.number),
        Column("学年", lambda r: r.school_year),
        Column("保存时间", lambda r: r.saved_at),
        Column("保存人", lambda r: r.saved_by),
        Column("来源", lambda r: r.origin),
        Column("说明", lambda r: r.note),
        Column("SHA-256", lambda r: r.sha256[:16] + "…", lambda r: r.sha256, tip="政策文件的哈希（前16位）"),
    )

    def tooltip(self, row: VersionRow, column: int) -> str | None:
        return row.sha256 if column == len(self.COLUMNS) - 1 else None


def read_version(db: Database, number: int) -> Policy:
    """Worker: one saved version, loaded."""
    from db.policy_versions import version_text
    return load_policy(version_text(db, number))


def _table(parent: QWidget, model: Any) -> tuple[QTableView, FilterProxy]:
    proxy = FilterProxy(parent)
    proxy.setSourceModel(model)
    view = QTableView(parent)
    view.setModel(proxy)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view, proxy


class VersionsPanel(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("policyVersions")
        self.current: Policy | None = None
        self.shown: Policy | None = None        # the version being read
        self.model = VersionsModel(self)
        self.view, self.proxy = _table(self, self.model)
        self.view.setObjectName("versionList")
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.show_selected())
        self.items_model = ItemsModel(self)
        self.items_view, _items_proxy = _table(self, self.items_model)
        self.items_view.setObjectName("versionItems")
        self.diff = QPlainTextEdit(self)
        self.diff.setObjectName("versionDiff")
        self.diff.setReadOnly(True)
        self.heading = QLabel("选择一个版本，查看它的资助项目和与当前版本的差异。", self)
        self.heading.setObjectName("versionHeading")
        self.heading.setWordWrap(True)
        self.details = QTabWidget(self)
        self.details.addTab(self.items_view, "该版本的资助项目")
        self.details.addTab(self.diff, "与当前版本的差异")
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.heading)
        lower_layout.addWidget(self.details, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.view)
        splitter.addWidget(lower)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def show_versions(self, versions: list[Any], current: Policy) -> None:
        self.current = current
        selected = self.selected_number()
        self.model.set_rows([version_row(v, current.sha256) for v in versions])
        self.model.sort(0, Qt.SortOrder.DescendingOrder)           # the newest first
        self.view.resizeColumnsToContents()
        if selected is not None:
            self.select(selected)

    def selected_number(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row()).number

    def select(self, number: int) -> bool:
        pos = self.model.position(number)
        if pos is None:
            return False
        self.view.selectRow(self.proxy.mapFromSource(self.model.index(pos, 0)).row())
        return True

    def show_selected(self) -> None:
        number = self.selected_number()
        if number is None:
            return
        worker.run_task(read_version, self.db, number, on_success=lambda p: self.show_version(number, p),
                        parent=self)

    def show_version(self, number: int, policy: Policy) -> None:
        self.shown = policy
        self.items_model.set_rows(item_rows(policy, source_notes(policy)))
        self.items_view.resizeColumnsToContents()
        if self.current is None or policy.sha256 == self.current.sha256:
            self.heading.setText(f"第 {number} 版：{policy.name}（当前使用的版本）")
            self.diff.setPlainText("这就是当前使用的版本。")
            return
        lines = policy_diff_items(policy, self.current).lines()
        self.heading.setText(f"第 {number} 版：{policy.name}（与当前版本有 {len(lines)} 处不同）")
        self.diff.setPlainText("从这个版本到当前版本：\n" + "\n".join(lines) if lines else "与当前版本相同。")
