"""A table model over a columns object (``db.student_columns``): rows are positions, not objects.

The model's rows are an ``array`` of positions into the columns, in display order; a row object
is made only for a row on screen (``row_at``, the last one cached: Qt asks cell by cell). Sorting
orders the positions by one sequence of keys per column (``sort_keys``: the columns' own values,
never a row object per student); the filters' predicates receive positions (``filter_rows``).
Replacing the data frees a few big objects, not one per row.

The columns object must give ``len()``, ``row(i)``, ``ids`` (ascending) and ``haystacks``.
"""
from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import Qt

from core.slicesort import sorted_positions
from db.student_columns import RowsByIndex
from gui.release import let_go
from gui.table_model import RowTableModel, SortState, TableData


def sort_positions(positions: Sequence[int], keys: Sequence[Any], reverse: bool) -> array:
    """``positions`` sorted by ``keys[position]`` (stable), as machine integers. In a worker a slice at a
    time (``core.slicesort``: one sort of a county's rows held the GIL, the window frozen, 50–300 ms);
    on the GUI thread (a header click) in one call, the fastest: the window waits for it either way."""
    if threading.current_thread() is threading.main_thread():
        return array("l", sorted(positions, key=keys.__getitem__, reverse=reverse))
    return array("l", sorted_positions(positions, keys, reverse))


def display_row(ids: Sequence[int], rows: Sequence[int], inverse: array | None,
                key: Hashable) -> tuple[int | None, array | None]:
    """The display row of the id ``key`` among ``rows`` (positions into the ascending ``ids``), with the
    position → display row table, made on first use and kept by the caller until the rows change."""
    if not isinstance(key, int):
        return None, inverse
    pos = bisect_left(ids, key)
    if pos >= len(ids) or ids[pos] != key:
        return None, inverse
    if inverse is None:
        inverse = array("l", bytes(len(rows) * array("l").itemsize))
        for display, p in enumerate(rows):
            inverse[p] = display
    return inverse[pos], inverse


@dataclass(frozen=True)
class ColumnsTable(TableData[int]):
    """Prepared rows: positions into ``columns`` in display order, their search texts."""
    columns: Any


_NOT = bytes.maketrans(b"\0\1", b"\1\0")


def negated(flags: bytes) -> bytes:
    """0/1 flags inverted (in C)."""
    return flags.translate(_NOT)


class ColumnTest:
    """A filter over a ``ColumnsModel``'s columns (``gui.search.PositionFilter``): ``verdicts(columns)``
    is 0/1 per position, computed column-wise (no Python call and no row object per row)."""

    def __init__(self, verdicts: Callable[[Any], bytes]) -> None:
        self.verdicts = verdicts

    def by_position(self, source: ColumnsModel) -> bytes:
        return self.verdicts(source.columns)


class RowsView(RowsByIndex[Any]):
    """A model's rows as row objects, made when asked for (tests, small uses)."""

    def __init__(self, model: ColumnsModel) -> None:
        self._model = model

    def __len__(self) -> int:
        return self._model.rowCount()

    def row(self, i: int) -> Any:
        return self._model.row_at(i)


def _positions(values: Sequence[int]) -> list[Any]:
    """An array of positions stands where ``RowTableModel`` types a list (it is only indexed,
    measured and iterated there)."""
    return cast(list[Any], values)


class ColumnsModel(RowTableModel[Any]):
    """Subclasses set ``COLUMNS`` and may give ``sort_keys`` per column (see the module's note)."""

    EMPTY: Any = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.columns: Any = self.EMPTY
        self._inverse: array | None = None        # position -> display row (made on use)
        self._last: tuple[int, Any] = (-1, None)

    # -- preparing (pure: may run in a worker) ---------------------------------------
    @classmethod
    def sort_keys(cls, columns: Any, column: int) -> Sequence[Any]:
        """The sort key of every row (by position) for ``column``; by default through row objects
        (a subclass gives the big columns' keys from the columns themselves)."""
        key = cls.COLUMNS[column].sort_key or cls.COLUMNS[column].text
        return [key(columns.row(i)) for i in range(len(columns))]

    @classmethod
    def ordered(cls, columns: Any, positions: Sequence[int], sort: SortState) -> array:
        """``positions`` in the order ``sort`` says (stable), as machine integers."""
        if sort is None or not 0 <= sort[0] < len(cls.COLUMNS):
            return array("l", positions)
        keys = cls.sort_keys(columns, sort[0])
        return sort_positions(positions, keys, sort[1] == Qt.SortOrder.DescendingOrder)

    @classmethod
    def prepare(cls, rows: Any, sort: SortState = None) -> ColumnsTable:
        """Worker: the positions sorted as the table is, with their search texts."""
        order = cls.ordered(rows, range(len(rows)), sort)
        hays = rows.haystacks
        return ColumnsTable(_positions(order), [hays[p] for p in order], sort, rows)

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Show a columns object (an empty sequence: no rows)."""
        self.set_data(self.prepare(rows if len(rows) else self.EMPTY))

    def _take(self, data: TableData[Any]) -> None:
        assert isinstance(data, ColumnsTable)
        let_go(self.columns, self._hays)      # freed in the worker, a slice at a time (gui.release)
        self.columns, self._inverse, self._last = data.columns, None, (-1, None)
        super()._take(data)

    # -- rows: positions into the columns ---------------------------------------------
    def rows(self) -> Sequence[Any]:        # type: ignore[override]
        return RowsView(self)

    def filter_rows(self) -> Sequence[Any]:
        return self._rows

    def key_of(self, row: Any) -> Hashable:
        return self.columns.ids[row]

    def row_key(self, source_row: int) -> Hashable:
        return self.columns.ids[self._rows[source_row]]

    def row_at(self, row: int) -> Any:
        pos = self._rows[row]
        last_pos, last = self._last
        if pos != last_pos or last is None:
            last = self.columns.row(pos)
            self._last = (pos, last)
        return last

    def position(self, key: Hashable) -> int | None:
        found, self._inverse = display_row(self.columns.ids if len(self.columns) else (), self._rows,
                                           self._inverse, key)
        return found

    def replace_row(self, row: Any) -> bool:
        raise NotImplementedError("a columns model is reloaded, not patched row by row")

    def _sort_list(self, column: int, order: Qt.SortOrder) -> None:
        perm = self.ordered(self.columns, self._rows, (column, order))
        hays = self.columns.haystacks
        self._rows, self._hays, self._pos, self._inverse = _positions(perm), [hays[p] for p in perm], None, None
        self._last = (-1, None)
