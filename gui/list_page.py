"""A searchable list page: search box, filter combos, table, count line.

Shared by 学生名册 and 建档立卡名单. Header clicks sort the source model (the
proxy only filters); rows are loaded by a worker function and handed to the
model on the GUI thread.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui import worker
from gui.search import FilterProxy
from gui.table_model import RowTableModel


class ListPage(QWidget):
    loaded = Signal()

    def __init__(self, model: RowTableModel, proxy: FilterProxy, placeholder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.proxy = model, proxy
        self.proxy.setSourceModel(model)
        self._loading = False

        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.search.textChanged.connect(self.proxy.set_search_text)

        self.filters = QHBoxLayout()
        self.filters.setContentsMargins(0, 0, 0, 0)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("countLabel")

        top = self.top_row = QHBoxLayout()
        top.addWidget(self.search, 2)
        top.addLayout(self.filters)
        top.addStretch(1)
        top.addWidget(self.count_label)

        self.view = QTableView(self)
        self.view.setObjectName("table")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(False)   # the proxy must never sort
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.sortIndicatorChanged.connect(self.sort_by)
        self.model.sort(0, Qt.SortOrder.AscendingOrder)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

        self.proxy.filterApplied.connect(self.update_count)
        self.proxy.modelReset.connect(self.update_count)
        self.proxy.layoutChanged.connect(self.update_count)
        self.update_count()

    # -- filters ----------------------------------------------------------
    def add_filter(self, name: str, all_text: str, choices: list[tuple[str, str]],
                   setter: Callable[[str], None]) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.set_choices(combo, all_text, choices)
        combo.currentIndexChanged.connect(lambda _i: setter(combo.currentData() or ""))
        self.filters.addWidget(combo)
        return combo

    @staticmethod
    def set_choices(combo: QComboBox, all_text: str, choices: list[tuple[str, str]]) -> None:
        """Replace the choices, keeping the current one when it still exists."""
        current = combo.currentData() or ""
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(all_text, "")
        for text, value in choices:
            combo.addItem(text, value)
        idx = combo.findData(current)
        combo.setCurrentIndex(max(idx, 0))
        combo.blockSignals(False)

    # -- sorting ----------------------------------------------------------
    def sort_by(self, column: int, order: Qt.SortOrder) -> None:
        """Header click: the source model sorts its list."""
        self.model.sort(column, order)

    # -- loading ----------------------------------------------------------
    def load_function(self) -> tuple[Callable[..., Any], tuple]:
        raise NotImplementedError

    def reload(self) -> None:
        fn, args = self.load_function()
        self._loading = True
        self.update_count()
        worker.run_task(fn, *args, on_success=self._loaded, on_failure=self._load_failed, parent=self)

    def _loaded(self, data: Any) -> None:
        self._loading = False
        selected = self.selected_key()
        self.apply_data(data)
        if selected is not None:
            self.select_key(selected)
        self.update_count()
        self.loaded.emit()

    def _load_failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self._loading = False
        self.update_count()
        show_exception(self, exc)

    def apply_data(self, data: Any) -> None:
        raise NotImplementedError

    def update_count(self) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        text = f"共 {total} 人" if shown == total else f"共 {total} 人，筛选出 {shown} 人"
        self.count_label.setText("正在读取…" if self._loading else text)

    # -- selection --------------------------------------------------------
    def selected_key(self) -> Any:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_key(self.proxy.mapToSource(rows[0]).row())

    def select_key(self, key: Any) -> bool:
        pos = self.model.position(key)
        if pos is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(pos, 0))
        if not index.isValid():
            return False
        self.view.selectRow(index.row())
        self.view.scrollTo(index)
        return True

    def source_row(self, proxy_index: QModelIndex) -> Any:
        return self.model.row_at(self.proxy.mapToSource(proxy_index).row())

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def set_column_widths(self, widths: dict[int, int]) -> None:
        for col, chars in widths.items():
            self.view.setColumnWidth(col, self.fontMetrics().horizontalAdvance("中") * chars + 16)
