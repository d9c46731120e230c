"""A table model over a Python list of frozen row objects, made for big lists.

What costs per row is done once, off the GUI thread when the rows come from a worker:
``prepare`` (a classmethod, pure) sorts the rows with the column's precomputed key and
builds their search texts; ``set_data`` on the GUI thread only swaps the lists in one
reset. Sorting is done here, on the list (one ``sort`` over precomputed keys), never by a
sorting proxy, which would call ``data()`` millions of times on a large list. Rows are
identified by a key (the database id) so filters and selections survive sorting.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from core.slicesort import sorted_in_slices

R = TypeVar("R")


class Keyed(Protocol):
    """A row the model can find again: its database id."""

    @property
    def id(self) -> Hashable: ...


Row = TypeVar("Row", bound=Keyed)
Index = QModelIndex | QPersistentModelIndex
SortState = tuple[int, Qt.SortOrder] | None

_ROOT = QModelIndex()
RowRole = Qt.ItemDataRole.UserRole + 1
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_DISPLAY, _ALIGN = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND, _TOOLTIP = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole
ITEM_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


@dataclass(frozen=True)
class Column(Generic[R]):
    header: str
    text: Callable[[R], str]
    sort_key: Callable[[R], Any] | None = None   # default: the text
    numeric: bool = False
    tip: str = ""


@dataclass(frozen=True)
class TableData(Generic[R]):
    """Rows ready to show: in display order, with their search texts (same order)."""
    rows: list[R]
    haystacks: list[str]
    sort: SortState


class RowTableModel(QAbstractTableModel, Generic[Row]):
    """Subclasses set ``COLUMNS`` and may override ``search_text``, ``foreground``, ``tooltip``."""

    COLUMNS: Sequence[Column[Any]] = ()
    # The roles ``cell`` answers (a subclass answering more adds them): a view's paint asks every cell for
    # about seven roles, and the others are answered None at once, without a row made or looked up.
    ROLES: frozenset[int] = frozenset(map(int, (_DISPLAY, _ALIGN, _FOREGROUND, _TOOLTIP, RowRole)))

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._hays: list[str] = []
        self._pos: dict[Hashable, int] | None = {}
        self._sort: SortState = None

    # -- preparing rows (pure: may run in a worker) ----------------------------------
    @classmethod
    def search_text(cls, row: Row) -> str:
        """A row's search text (lower case; ``core.text.haystack``); "" when not searchable."""
        return ""

    @classmethod
    def prepare(cls, rows: Sequence[Row], sort: SortState = None) -> TableData[Row]:
        """The rows sorted as ``sort`` says, with their search texts: the per-row work of a load."""
        ordered = list(rows)
        if sort is not None and 0 <= sort[0] < len(cls.COLUMNS):      # in a worker: never a long hold of the GIL
            ordered = sorted_in_slices(ordered, _sort_key(cls.COLUMNS[sort[0]]),
                                       reverse=sort[1] == Qt.SortOrder.DescendingOrder)
        text = cls.search_text
        return TableData(ordered, [text(r) for r in ordered], sort)

    # -- row identity -----------------------------------------------------
    def key_of(self, row: Row) -> Hashable:
        return row.id

    def row_key(self, source_row: int) -> Hashable:
        return self._rows[source_row].id

    def rows(self) -> list[Row]:
        return self._rows

    def filter_rows(self) -> Sequence[Any]:
        """What the filters' predicates receive, one per row (``FilterProxy.set_predicate``): the
        rows (a model over columns: positions into them)."""
        return self._rows

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def haystacks(self) -> list[str]:
        """The rows' search texts, in the rows' order (a model that overrides ``search_entries``
        gives them that way: small lists)."""
        if type(self).search_entries is not RowTableModel.search_entries:
            return [h for _k, h in self.search_entries()]
        return self._hays

    def position(self, key: Hashable) -> int | None:
        if self._pos is None:              # made on first use after a load or a sort
            key_of = self.key_of
            self._pos = {key_of(r): i for i, r in enumerate(self._rows)}
        return self._pos.get(key)

    def search_entries(self) -> list[tuple[Hashable, str]]:
        """(key, search text) per row (small models may override this instead of ``search_text``)."""
        return [(self.key_of(r), h) for r, h in zip(self._rows, self._hays, strict=True)]

    # -- Qt model API -----------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if role not in self.ROLES or not index.isValid():
            return None
        return self.cell(index.row(), index.column(), role)

    def cell(self, row_no: int, column: int, role: int) -> Any:
        """``data`` of one cell by position (the filtering proxy calls this directly)."""
        row = self.row_at(row_no)
        if role == _DISPLAY:
            return self.COLUMNS[column].text(row)
        if role == _ALIGN:
            return ALIGN_RIGHT if self.COLUMNS[column].numeric else ALIGN_LEFT
        if role == _FOREGROUND:
            return self.foreground(row, column)
        if role == _TOOLTIP:
            return self.tooltip(row, column)
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
        return ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    # -- changing the rows --------------------------------------------------
    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows`` (small lists; a big one comes prepared through ``set_data``)."""
        text, ordered = self.search_text, list(rows)
        self.set_data(TableData(ordered, [text(r) for r in ordered], None))

    def set_data(self, data: TableData[Row]) -> None:
        """Show prepared rows (one reset; sorted again here only if the sort changed meanwhile)."""
        self.beginResetModel()
        self._take(data)
        if data.sort != self._sort and self._sort is not None:
            self._sort_list(*self._sort)
        self.endResetModel()

    def _take(self, data: TableData[Row]) -> None:
        """Hold ``data`` (inside the reset: a model over more than the rows takes the rest too)."""
        self._rows, self._hays, self._pos = data.rows, data.haystacks, None

    def replace_row(self, row: Row) -> bool:
        """Put a re-read row in place of the one with the same key (False: not shown)."""
        pos = self.position(self.key_of(row))
        if pos is None:
            return False
        self._rows[pos] = row
        self._hays[pos] = self.search_text(row) or self._hays[pos]
        self.dataChanged.emit(self.index(pos, 0), self.index(pos, len(self.COLUMNS) - 1))
        return True

    # -- sorting ----------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_keys = [(self.row_key(ix.row()), ix.column()) for ix in persistent]
        self._sort = (column, order)
        self._sort_list(column, order)
        new = [self.index(self.position(k) or 0, c) for k, c in old_keys]
        self.changePersistentIndexList(persistent, new)
        self.layoutChanged.emit()

    def sort_state(self) -> SortState:
        return self._sort

    def _sort_list(self, column: int, order: Qt.SortOrder) -> None:
        key, rows = _sort_key(self.COLUMNS[column]), self._rows
        keys = [key(r) for r in rows]
        perm = sorted(range(len(rows)), key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)
        hays = self._hays
        self._rows = [rows[i] for i in perm]
        self._hays = [hays[i] for i in perm] if len(hays) == len(rows) else [self.search_text(r) for r in self._rows]
        self._pos = None


def _sort_key(column: Column[Any]) -> Callable[[Any], Any]:
    return column.sort_key or column.text
