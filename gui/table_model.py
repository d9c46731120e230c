"""A table model over a Python list of frozen row objects.

Sorting is done here, on the list (one ``list.sort`` with precomputed keys),
never by QSortFilterProxyModel, which would call ``data()`` millions of times
on a large list. Rows are identified by a key (the database id) so filters and
selections survive sorting.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

R = TypeVar("R")


class Keyed(Protocol):
    """A row the model can find again: its database id."""

    @property
    def id(self) -> Hashable: ...


Row = TypeVar("Row", bound=Keyed)
Index = QModelIndex | QPersistentModelIndex

_ROOT = QModelIndex()
RowRole = Qt.ItemDataRole.UserRole + 1
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Column(Generic[R]):
    header: str
    text: Callable[[R], str]
    sort_key: Callable[[R], Any] | None = None   # default: the text
    numeric: bool = False
    tip: str = ""


class RowTableModel(QAbstractTableModel, Generic[Row]):
    """Subclasses set ``COLUMNS`` and may override ``foreground``."""

    COLUMNS: Sequence[Column[Any]] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._pos: dict[Hashable, int] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # -- row identity -----------------------------------------------------
    def key_of(self, row: Row) -> Hashable:
        return row.id

    def row_key(self, source_row: int) -> Hashable:
        return self._rows[source_row].id

    def rows(self) -> list[Row]:
        return self._rows

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def position(self, key: Hashable) -> int | None:
        return self._pos.get(key)

    def search_entries(self) -> list[tuple[Hashable, str]]:
        return []

    # -- Qt model API -----------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return ALIGN_RIGHT if col.numeric else ALIGN_LEFT
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, index.column())
        if role == RowRole:
            return row
        return None

    def foreground(self, row: Row, column: int) -> QColor | None:
        return None

    def tooltip(self, row: Row, column: int) -> str | None:
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            col = self.COLUMNS[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return col.header
            if role == Qt.ItemDataRole.ToolTipRole and col.tip:
                return col.tip
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return ALIGN_RIGHT if col.numeric else ALIGN_LEFT
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    # -- changing the rows --------------------------------------------------
    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        if self._sort is not None:
            self._sort_list(*self._sort)
        self._reindex()
        self.endResetModel()

    def replace_row(self, row: Row) -> bool:
        """Put a re-read row in place of the one with the same key (False: not shown)."""
        pos = self._pos.get(self.key_of(row))
        if pos is None:
            return False
        self._rows[pos] = row
        self.dataChanged.emit(self.index(pos, 0), self.index(pos, len(self.COLUMNS) - 1))
        return True

    def _reindex(self) -> None:
        self._pos = {self.key_of(r): i for i, r in enumerate(self._rows)}

    # -- sorting ----------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_keys = [(self.row_key(ix.row()), ix.column()) for ix in persistent]
        self._sort = (column, order)
        self._sort_list(column, order)
        self._reindex()
        new = [self.index(self._pos[k], c) for k, c in old_keys]
        self.changePersistentIndexList(persistent, new)
        self.layoutChanged.emit()

    def sort_state(self) -> tuple[int, Qt.SortOrder] | None:
        return self._sort

    def _sort_list(self, column: int, order: Qt.SortOrder) -> None:
        col = self.COLUMNS[column]
        key = col.sort_key or col.text
        self._rows.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
