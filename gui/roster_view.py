"""建档立卡名单: the poverty roster, searchable like the student list, IDs masked.

200,000 people at county size: the model holds the roster as columns (``db.roster_columns``)
and its rows are positions into them, in display order; a row object is made only for a row
on screen (``row_at``). Sorting orders the positions by a column's values (the name column by
each distinct name's pinyin rank, computed in the worker with the load).
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from db.changes import Changes
from db.roster_columns import EMPTY, RosterColumns, read_roster_columns
from db.session import Database
from db.views import IN_LIST, NOT_IN_LIST, RosterRow, roster_row
from gui.list_page import ListPage
from gui.search import FilterProxy
from gui.table_model import Column, RowTableModel, SortState, TableData

COLUMNS: tuple[Column, ...] = (
    Column("姓名", lambda r: r.name),
    Column("证件号码", lambda r: r.id_masked, tip="只显示前6位和后4位；搜索时可输入完整号码或其中一段"),
    Column("与户主关系", lambda r: r.relation),
    Column("户编号", lambda r: r.household_no),
    Column("县(市、区)", lambda r: r.county),
    Column("乡(镇)", lambda r: r.township),
    Column("行政村", lambda r: r.village),
    Column("在校生状况", lambda r: r.schooling_status),
    Column("就读学校", lambda r: r.school_name),
    Column("学生名册", lambda r: r.enrolled_text, tip="证件号码是否出现在本校学生名册中"),
    Column("问题", lambda r: "有" if r.problems else ""),
)
_PROBLEM_COL = len(COLUMNS) - 1
_NO_PROBLEM = "\U0010ffff"      # sorts after every text: the people with problems first


@dataclass(frozen=True)
class RosterData:
    """What the worker reads: the columns and each person's pinyin rank of name."""
    columns: RosterColumns
    name_ranks: Sequence[int]


@dataclass(frozen=True)
class RosterTable(TableData[int]):
    """Prepared rows (positions into ``data.columns``, in display order) and what they index."""
    data: RosterData


def sort_keys(data: RosterData, column: int) -> Sequence[Any]:
    """The sort key of every person (by position) for ``column``: a column's own values."""
    cols = data.columns
    if column == 0:
        return data.name_ranks
    if column == 1:
        return cols.id_numbers
    if column == 9:
        return [IN_LIST if e else NOT_IN_LIST for e in cols.enrolled]
    if column == _PROBLEM_COL:
        return [p or _NO_PROBLEM for p in cols.problems]
    field = ("relation", "household_no", "county", "township", "village", "schooling_status", "school_name")
    return getattr(cols, field[column - 2])


def ordered(data: RosterData, positions: Sequence[int], sort: SortState) -> array:
    """``positions`` in the order ``sort`` says (stable: equal keys keep their order), as machine
    integers (a list would hold an int object per person)."""
    if sort is None or not 0 <= sort[0] < len(COLUMNS):
        return array("l", positions)
    keys = sort_keys(data, sort[0])
    return array("l", sorted(positions, key=keys.__getitem__, reverse=sort[1] == Qt.SortOrder.DescendingOrder))


def _as_rows(positions: array) -> list[Any]:
    """The model's rows: an array of positions stands where ``RowTableModel`` types a list (it is
    only indexed, measured and iterated here)."""
    return cast(list[Any], positions)


class RosterTableModel(RowTableModel[Any]):
    """Rows are positions into the roster's columns (see the module's note)."""
    COLUMNS = COLUMNS

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.data_ = RosterData(EMPTY, ())
        self._inverse: array | None = None           # position -> display row (made on use)
        self._last: tuple[int, RosterRow | None] = (-1, None)

    @property
    def columns(self) -> RosterColumns:
        return self.data_.columns

    @classmethod
    def prepare(cls, rows: Any, sort: SortState = None) -> RosterTable:
        """Worker: the positions sorted as the table is, with their search texts."""
        data: RosterData = rows
        order = ordered(data, range(len(data.columns)), sort)
        hays = data.columns.haystacks
        return RosterTable(_as_rows(order), [hays[p] for p in order], sort, data)

    def _take(self, data: TableData[Any]) -> None:
        assert isinstance(data, RosterTable)
        self.data_, self._inverse, self._last = data.data, None, (-1, None)
        super()._take(data)

    # -- rows: positions into the columns ------------------------------------------
    def key_of(self, row: Any) -> Hashable:
        return self.columns.ids[row]

    def row_key(self, source_row: int) -> Hashable:
        return self.columns.ids[self._rows[source_row]]

    def row_at(self, row: int) -> RosterRow:
        """The person on display row ``row`` as a row object (made for the rows on screen)."""
        pos = self._rows[row]
        last_pos, last = self._last
        if pos != last_pos or last is None:
            last = roster_row(self.columns, pos)
            self._last = (pos, last)
        return last

    def position(self, key: Hashable) -> int | None:
        ids = self.columns.ids                      # ascending: the columns are read by id
        if not isinstance(key, int):
            return None
        pos = bisect_left(ids, key)
        if pos >= len(ids) or ids[pos] != key:
            return None
        if self._inverse is None:
            inverse = array("l", bytes(len(self._rows) * array("l").itemsize))
            for display, p in enumerate(self._rows):
                inverse[p] = display
            self._inverse = inverse
        return self._inverse[pos]

    def _sort_list(self, column: int, order: Qt.SortOrder) -> None:
        perm = ordered(self.data_, self._rows, (column, order))
        hays = self.columns.haystacks
        self._rows, self._hays, self._pos, self._inverse = _as_rows(perm), [hays[p] for p in perm], None, None

    def foreground(self, row: RosterRow, column: int) -> QColor | None:
        if column == _PROBLEM_COL and row.problems:
            return QColor(176, 0, 32)
        return None

    def tooltip(self, row: RosterRow, column: int) -> str | None:
        if column == _PROBLEM_COL and row.problems:
            return row.problems.replace("；", "\n")
        return None


class RosterFilterProxy(FilterProxy):
    """Column filters over the model's rows (positions): the verdict reads the column."""

    def _column_test(self, field: str, wanted: Any) -> Callable[[int], bool]:
        model = self.sourceModel()
        assert isinstance(model, RosterTableModel)

        def test(pos: int) -> bool:
            return getattr(model.columns, field)[pos] == wanted
        return test

    def set_enrolled(self, value: str) -> None:
        self.set_predicate("enrolled", self._column_test("enrolled", int(value == IN_LIST)) if value else None)

    def set_township(self, value: str, apply: bool = True) -> None:
        self.set_predicate("township", self._column_test("township", value) if value else None, apply)


def load_roster(db: Database) -> RosterData:
    """Worker function: the roster's columns, with the names' pinyin ranks (a collator per thread)."""
    from gui.collation import name_ranks
    cols = read_roster_columns(db)
    return RosterData(cols, name_ranks(cols.names))


class RosterPage(ListPage[RosterFilterProxy]):
    DEPENDS_ON = Changes.ROSTER | Changes.STUDENTS   # the 学生名册 column
    LAZY = True                       # 200,000 people: read when the page is first shown
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        self.db = db
        super().__init__(RosterTableModel(), RosterFilterProxy(),
                         "搜索姓名、证件号码或拼音首字母（如 zs）", parent)
        self.setObjectName("rosterPage")
        proxy = self.proxy
        self.township_filter = self.add_filter("townshipFilter", "全部乡镇", [], proxy.set_township)
        self.enrolled_filter = self.add_filter("enrolledFilter", "全部人员",
                                               [(IN_LIST, IN_LIST), (NOT_IN_LIST, NOT_IN_LIST)],
                                               proxy.set_enrolled)
        self.set_column_widths({0: 5, 1: 10, 2: 5, 3: 11, 4: 5, 5: 5, 6: 5, 7: 7, 8: 9, 9: 6})

    def load_function(self):
        return load_roster, (self.db,)

    @classmethod
    def prepare(cls, data: RosterData, sort: SortState) -> tuple[list[str], RosterTable]:
        """Worker: the townships to filter by, the rows sorted and indexed."""
        return sorted(set(data.columns.township) - {""}), RosterTableModel.prepare(data, sort)

    def apply_data(self, data: tuple[list[str], RosterTable]) -> None:
        townships, table = data
        self.set_choices(self.township_filter, "全部乡镇", [(t, t) for t in townships])
        self.proxy.set_township(self.township_filter.currentData() or "", apply=False)
        self.model.set_data(table)
