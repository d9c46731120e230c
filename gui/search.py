"""Instant search shared by the student list and the roster.

A query matches a row when it is a substring of the name, of the full ID
number (the list shows IDs masked, the search still sees all digits), or of
any pinyin-initials reading of the name ("zs" finds 张三, "z" and "c" both
find 曾…). Each row's lowercase haystack is built once; a query is answered
by one pass over the haystacks, and the proxy's ``filterAcceptsRow`` is a
constant-time look-up in the resulting set of row keys.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    QTimer,
    Signal,
)

from core.text import SEP, haystack, nfkc  # noqa: F401 - SEP, haystack re-exported (rows build them in db.views)
from gui.table_model import RowTableModel

DEBOUNCE_MS = 150


def normalize_query(text: str) -> str:
    q = nfkc(text or "").strip().lower()
    return "".join(ch for ch in q if not ch.isspace() and ch not in (SEP, "|"))


class SearchIndex:
    """Row key -> haystack; ``matching(query)`` is the set of keys that match."""

    def __init__(self, entries: Iterable[tuple[Hashable, str]] = ()) -> None:
        self._entries: list[tuple[Hashable, str]] = list(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def matching(self, query: str) -> set[Hashable] | None:
        """Keys whose haystack contains the query; None when the query is empty (all)."""
        q = normalize_query(query)
        if not q:
            return None
        return {key for key, hay in self._entries if q in hay}


class FilterProxy(QSortFilterProxyModel):
    """Filters only (sorting belongs to the source model: see ``RowTableModel.sort``).

    Subclasses add column filters through ``set_predicate``. The source model
    must offer ``row_key(row)`` and ``search_entries()``.
    """

    filterApplied = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(False)
        self._index = SearchIndex()
        self._query = ""
        self._source: RowTableModel[Any] | None = None
        self._predicates: dict[str, Callable[[Any], bool]] = {}
        self._accepted: set[Hashable] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.apply_filter)

    # -- source wiring ----------------------------------------------------
    def setSourceModel(self, model) -> None:
        old = self.sourceModel()
        if old is not None:
            old.modelReset.disconnect(self._rebuild)
        super().setSourceModel(model)
        self._source = model
        model.modelReset.connect(self._rebuild)
        self._rebuild()

    def _rebuild(self) -> None:
        self._index = SearchIndex(self._source.search_entries() if self._source is not None else ())
        self.apply_filter()

    # -- filter state -----------------------------------------------------
    @property
    def query(self) -> str:
        return self._query

    def set_search_text(self, text: str, immediate: bool = False) -> None:
        """Search as the clerk types: applied after a short pause (or at once)."""
        self._query = text
        if immediate:
            self._timer.stop()
            self.apply_filter()
        else:
            self._timer.start()

    def set_predicate(self, name: str, predicate: Callable[[Any], bool] | None) -> None:
        """A column filter over the source row objects; None removes it."""
        if predicate is None:
            self._predicates.pop(name, None)
        else:
            self._predicates[name] = predicate
        self.apply_filter()

    def apply_filter(self) -> None:
        """Compute the accepted keys in one pass, then let Qt re-filter."""
        self._timer.stop()
        src = self._source
        if src is None:
            return
        keys = self._index.matching(self._query)
        preds = list(self._predicates.values())
        if preds:
            rows = src.rows() if keys is None else [r for r in src.rows() if src.key_of(r) in keys]
            keys = {src.key_of(r) for r in rows if all(p(r) for p in preds)}
        if hasattr(self, "beginFilterChange"):          # Qt >= 6.9
            self.beginFilterChange()
            self._accepted = keys
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._accepted = keys
            self.invalidateRowsFilter()
        self.filterApplied.emit()

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        accepted = self._accepted
        if accepted is None:
            return True
        return self._source is not None and self._source.row_key(source_row) in accepted
