"""版本 (on the 政策 page): the saved versions of the policy, each one readable.

The list comes with the page's data (``db.policy_versions.list_versions``); choosing a
version reads its text in the worker (``version_text``) and shows its items and what
differs from the active version (``core.policy_edit.policy_diff_items``).
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.policy import Policy, load_policy
from core.policy_edit import policy_diff_items, source_notes
from db.policy_versions import VersionInfo, version_text
from db.session import Database
from gui import worker
from gui.policy_model import ItemsModel, item_rows, items_view, table_view
from gui.table_model import Column, RowTableModel


@dataclass(frozen=True)
class VersionRow:
    school_year: int
    number: int
    label: str
    saved_at: str
    saved_by: str
    origin: str
    note: str
    sha256: str
    active: bool

    @property
    def id(self) -> Hashable:
        return (self.school_year, self.number)


def version_row(v: VersionInfo) -> VersionRow:
    return VersionRow(v.school_year, v.number, v.label, v.created_at.strftime("%Y-%m-%d %H:%M"), v.created_by,
                      v.origin_label, v.note, v.sha256, v.active)


class VersionsModel(RowTableModel[VersionRow]):
    COLUMNS = (
        Column("版本", lambda r: r.label + ("（当前）" if r.active else ""), lambda r: (r.school_year, r.number)),
        Column("保存时间", lambda r: r.saved_at),
        Column("保存人", lambda r: r.saved_by),
        Column("来源", lambda r: r.origin),
        Column("说明", lambda r: r.note),
        Column("SHA-256", lambda r: r.sha256[:16] + "…", lambda r: r.sha256, tip="政策文件的哈希（前16位）"),
    )

    def tooltip(self, row: VersionRow, column: int) -> str | None:
        return row.sha256 if column == len(self.COLUMNS) - 1 else None


def read_versions(db: Database, key: tuple[int, int], before: tuple[int, int] | None
                  ) -> tuple[Policy, Policy | None]:
    """Worker: the version ``key`` (school year, number) and the one ``before`` it, loaded."""
    def read(k: tuple[int, int]) -> Policy:
        return load_policy(version_text(db, k[1], k[0]))
    return read(key), read(before) if before is not None else None


class VersionsPanel(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("policyVersions")
        self.current: Policy | None = None
        self.shown: Policy | None = None        # the version being read
        self.model = VersionsModel(self)
        self.view, self.proxy = table_view(self, self.model, "versionList")
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.show_selected())
        self.items_model = ItemsModel(self)
        self.items_view, _proxy = items_view(self, self.items_model, "versionItems")
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

    def show_versions(self, versions: list[VersionInfo], current: Policy) -> None:
        self.current = current
        selected = self.selected_number()
        self.model.set_rows([version_row(v) for v in versions])
        self.model.sort(0, Qt.SortOrder.DescendingOrder)           # the newest first
        self.view.resizeColumnsToContents()
        if not (selected is not None and self.select(selected)) and versions:
            self.view.selectRow(0)               # the newest, shown below

    def selected_number(self) -> tuple[int, int] | None:
        """(school year, number) of the selected version."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        row = self.model.row_at(self.proxy.mapToSource(rows[0]).row())
        return row.school_year, row.number

    def select(self, key: tuple[int, int]) -> bool:
        pos = self.model.position(key)
        if pos is None:
            return False
        self.view.selectRow(self.proxy.mapFromSource(self.model.index(pos, 0)).row())
        return True

    def show_selected(self) -> None:
        key = self.selected_number()
        if key is None:
            return
        rows = {(r.school_year, r.number): r for r in self.model.rows()}
        before = max((k for k in rows if k < key), default=None)
        label = rows[key].label
        previous = rows[before].label if before is not None else ""
        worker.run_task(read_versions, self.db, key, before,
                        on_success=lambda pair: self.show_version(label, pair[0], pair[1], previous), parent=self)

    def show_version(self, label: str, policy: Policy, before: Policy | None = None, previous: str = "") -> None:
        """Version ``label``'s items; its differences to the current version (the current one's
        to the version ``before`` it, named ``previous``)."""
        self.shown = policy
        self.items_model.set_rows(item_rows(policy, source_notes(policy)))
        if self.current is None or policy.sha256 == self.current.sha256:
            self.heading.setText(f"{label}：{policy.name}（当前使用的版本）")
            changes = policy_diff_items(before, policy).lines() if before is not None else []
            self.diff.setPlainText("这就是当前使用的版本。" + (
                f"\n与上一版（{previous}）相比：\n" + "\n".join(changes) if changes else ""))
            return
        lines = policy_diff_items(policy, self.current).lines()
        self.heading.setText(f"{label}：{policy.name}（与当前版本有 {len(lines)} 处不同）")
        self.diff.setPlainText("从这个版本到当前版本：\n" + "\n".join(lines) if lines else "与当前版本相同。")
