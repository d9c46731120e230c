"""Instant search shared by the list pages.

A query matches a row when it is a substring of the name, of the full ID
number (the list shows IDs masked, the search still sees all digits), or of
any pinyin-initials reading of the name ("zs" finds 张三, "z" and "c" both
find 曾…). Each row's lowercase haystack is built with the rows (off the GUI
thread); a query is answered by one pass over the haystacks (``q in h`` in a
comprehension: C speed, no Python call per row), and ``FilterProxy`` keeps the
list of matching source rows itself: Qt never calls back into Python per row.
"""
from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import compress
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from core.text import SEP, haystack, nfkc  # noqa: F401 - SEP, haystack re-exported (rows build them in db.views)
from gui.table_model import ITEM_FLAGS, RowTableModel

DEBOUNCE_MS = 150         # only for a list whose last filtering was slow (see ``FilterProxy``)
CHEAP_S = 0.1             # a filtering faster than this is applied at every keystroke
_ROOT = QModelIndex()
Index = QModelIndex | QPersistentModelIndex


def normalize_query(text: str) -> str:
    q = nfkc(text or "").strip().lower()
    return "".join(ch for ch in q if not ch.isspace() and ch not in (SEP, "|"))


def matching_positions(haystacks: Sequence[str], query: str) -> list[int] | None:
    """Positions of the haystacks that contain ``query``; None when the query is empty (all)."""
    q = normalize_query(query)
    if not q:
        return None
    return [i for i, hay in enumerate(haystacks) if q in hay]


class SearchIndex:
    """Row key -> haystack; ``matching(query)`` is the set of keys that match."""

    def __init__(self, entries: Iterable[tuple[Hashable, str]] = ()) -> None:
        self._keys: list[Hashable] = []
        self._hays: list[str] = []
        for key, hay in entries:
            self._keys.append(key)
            self._hays.append(hay)

    def __len__(self) -> int:
        return len(self._keys)

    def matching(self, query: str) -> set[Hashable] | None:
        """Keys whose haystack contains the query; None when the query is empty (all)."""
        found = matching_positions(self._hays, query)
        return None if found is None else {self._keys[i] for i in found}


class PositionFilter(Protocol):
    """A column filter that gives every position's verdict at once (0/1 per position of the
    source's columns: ``ColumnsModel``), computed column-wise instead of called per row."""

    def by_position(self, source: Any) -> bytes: ...


Predicate = Callable[[Any], bool] | PositionFilter


class FilterProxy(QAbstractProxyModel):
    """Filters only (sorting belongs to the source model: see ``RowTableModel.sort``).

    The accepted source rows are a list in source order (``None``: all), computed in one pass
    over the source's haystacks; the column filters (``set_predicate``) are evaluated once per
    row when they or the rows change, not at every keystroke (``_mask``). A filter change is
    one layout change that keeps the selection of rows still shown.
    A keystroke filters at once; only a list whose last filtering took longer than ``CHEAP_S``
    waits ``DEBOUNCE_MS`` for a pause in typing. The source model must be a ``RowTableModel``.
    """

    filterApplied = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._query = ""
        self._source: RowTableModel[Any] | None = None
        self._predicates: dict[str, Predicate] = {}
        self._map: list[int] | None = None       # proxy row -> source row (ascending); None: every row
        self._mask: bytearray | None = None      # the column filters' verdict per source row (made on use)
        self.last_cost = 0.0                     # seconds the last filtering took
        self._pending: list[tuple[Any, Hashable, int]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.apply_filter)

    # -- source wiring ----------------------------------------------------
    def setSourceModel(self, model) -> None:
        old = self._source
        if old is not None:
            for signal, slot in self._wiring(old):
                signal.disconnect(slot)
        self.beginResetModel()
        super().setSourceModel(model)
        self._source = model
        self._map = self._compute()
        self.endResetModel()
        for signal, slot in self._wiring(model):
            signal.connect(slot)

    def _wiring(self, model: RowTableModel[Any]) -> list[tuple[Any, Callable[..., None]]]:
        return [(model.modelAboutToBeReset, self.beginResetModel), (model.modelReset, self._source_reset),
                (model.layoutAboutToBeChanged, self._source_layout_about), (model.layoutChanged, self._source_layout),
                (model.dataChanged, self._source_data_changed)]

    def _source_reset(self) -> None:
        self._mask = None
        self._map = self._compute()
        self.endResetModel()
        self.filterApplied.emit()

    def _source_layout_about(self) -> None:
        self.layoutAboutToBeChanged.emit()
        self._pending = self._keep_persistent()

    def _source_layout(self) -> None:
        self._mask = None
        self._map = self._compute()
        self._restore_persistent(self._pending)
        self._pending = []
        self.layoutChanged.emit()

    def _source_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: Any = ()) -> None:
        first, last = self._proxy_row(top.row()), self._proxy_row(bottom.row())
        if first is not None and last is not None:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    # -- filter state -----------------------------------------------------
    @property
    def query(self) -> str:
        return self._query

    def set_search_text(self, text: str, immediate: bool = False) -> None:
        """Search as the clerk types: at once, or after a short pause on a slow list."""
        self._query = text
        if immediate or self.last_cost < CHEAP_S:
            self.apply_filter()
        else:
            self._timer.start()

    def set_predicate(self, name: str, predicate: Predicate | None, apply: bool = True) -> None:
        """A column filter over the source's ``filter_rows`` (row objects, or positions into a
        model's columns; a ``PositionFilter`` gives every position's verdict at once); None removes
        it (``apply=False``: taken into account at the next filtering, e.g. the rows' reset that follows)."""
        if predicate is None:
            self._predicates.pop(name, None)
        else:
            self._predicates[name] = predicate
        self._mask = None
        if apply:
            self.apply_filter()

    def _compute(self) -> list[int] | None:
        src = self._source
        if src is None:
            return []
        if self._predicates and self._mask is None:      # once per change of the filters or rows
            rows = src.filter_rows()
            each = [map(p.by_position(src).__getitem__, rows) if hasattr(p, "by_position")
                    else map(p, rows) for p in self._predicates.values()]
            verdicts = each[0] if len(each) == 1 else map(all, zip(*each, strict=True))
            self._mask = bytearray(map(bool, verdicts))
        start = time.perf_counter()                       # what a keystroke costs
        found = matching_positions(src.haystacks(), self._query)
        if self._predicates:
            mask = self._mask
            assert mask is not None
            found = list(compress(range(len(mask)), mask)) if found is None else [i for i in found if mask[i]]
        self.last_cost = time.perf_counter() - start
        return found

    def apply_filter(self) -> None:
        """Compute the accepted rows in one pass, then show them (one layout change)."""
        self._timer.stop()
        if self._source is None:
            return
        self.layoutAboutToBeChanged.emit()
        kept = self._keep_persistent()
        self._map = self._compute()
        self._restore_persistent(kept)
        self.layoutChanged.emit()
        self.filterApplied.emit()

    def accepted_rows(self) -> list[int] | None:
        """The source rows shown, in order (None: all of them)."""
        return self._map

    # -- persistent indexes (the selection) across a filter or sort ----------------
    def _keep_persistent(self) -> list[tuple[Any, Hashable, int]]:
        src = self._source
        if src is None:
            return []
        kept = []
        for ix in self.persistentIndexList():
            source_row = self._source_row(ix.row()) if ix.isValid() else None
            if source_row is not None and source_row < src.rowCount():
                kept.append((ix, src.row_key(source_row), ix.column()))
        return kept

    def _restore_persistent(self, kept: list[tuple[Any, Hashable, int]]) -> None:
        if not kept or self._source is None:
            return
        new = []
        for _ix, key, column in kept:
            pos = self._source.position(key)
            row = None if pos is None else self._proxy_row(pos)
            new.append(QModelIndex() if row is None else self.index(row, column))
        self.changePersistentIndexList([ix for ix, _k, _c in kept], new)

    # -- mapping ----------------------------------------------------------
    def _source_row(self, proxy_row: int) -> int | None:
        m = self._map
        if m is None:
            return proxy_row if 0 <= proxy_row < self._source_count() else None
        return m[proxy_row] if 0 <= proxy_row < len(m) else None

    def _proxy_row(self, source_row: int) -> int | None:
        m = self._map
        if m is None:
            return source_row if 0 <= source_row < self._source_count() else None
        i = bisect_left(m, source_row)
        return i if i < len(m) and m[i] == source_row else None

    def _source_count(self) -> int:
        return self._source.rowCount() if self._source is not None else 0

    def mapToSource(self, proxy_index: Index) -> QModelIndex:
        if not proxy_index.isValid() or self._source is None:
            return QModelIndex()
        row = self._source_row(proxy_index.row())
        return QModelIndex() if row is None else self._source.index(row, proxy_index.column())

    def mapFromSource(self, source_index: Index) -> QModelIndex:
        if not source_index.isValid():
            return QModelIndex()
        row = self._proxy_row(source_index.row())
        return QModelIndex() if row is None else self.index(row, source_index.column())

    # -- Qt model API (a flat table) -------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        if parent.isValid():
            return 0
        return self._source_count() if self._map is None else len(self._map)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() or self._source is None else self._source.columnCount()

    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        if parent.isValid() or not (0 <= row < self.rowCount() and 0 <= column < self.columnCount()):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, child: Any = None) -> Any:     # no index: QObject.parent()
        if child is None:
            return super().parent()
        return QModelIndex()

    def sibling(self, row: int, column: int, index: Index) -> QModelIndex:
        return self.index(row, column)

    def hasChildren(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and self.rowCount() > 0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        src = self._source
        if src is None or role not in src.ROLES or not index.isValid():     # most of a paint's asks: None
            return None
        row = self._source_row(index.row())
        return None if row is None else src.cell(row, index.column(), role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return section + 1 if role == Qt.ItemDataRole.DisplayRole else None
        return self._source.headerData(section, orientation, role) if self._source is not None else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        src = self._source
        if not index.isValid() or src is None:
            return Qt.ItemFlag.NoItemFlags
        if type(src).flags is RowTableModel.flags:    # every row's (asked per cell by a paint): not mapped
            return ITEM_FLAGS
        return src.flags(self.mapToSource(index))
