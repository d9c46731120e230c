"""建档立卡名单: the poverty roster, searchable like the student list, IDs masked.

200,000 people at county size, so the model is windowed. Its rows are positions into the
roster in id order, in display order. What the page reads, all in the worker:

1. at first show (the load): every person's id and name, the names' pinyin ranks, the display order, and the
   first screen of rows in full (``FIRST_ROWS``): the page is shown, with its count, once these are in;
2. right after (``RosterIndex``): the search texts, townships and 在册 flags, what the search and
   the filters need. A search or filter chosen before they are in waits for them (the count
   line says so) and is then applied: never a wrong answer;
3. the other columns a block of rows at a time as they come on screen (``BLOCK``; a row not read yet shows its
   name, its other cells blank for the moment), and a column the clerk sorts by on its own when first needed.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from core.slicesort import check_stop, gathered_copies
from db.changes import Changes
from db.roster_columns import RosterIndex, read_names, read_roster_column, read_roster_index, read_roster_rows
from db.session import Database
from db.views import IN_LIST, NOT_IN_LIST, RosterRow, roster_row
from gui import worker
from gui.columns_model import display_row, sort_positions
from gui.list_page import ListPage
from gui.search import FilterProxy, normalize_query
from gui.table_model import ALIGN_LEFT, Column, RowTableModel, SortState, TableData

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
_WIDTHS = {0: "欧阳小明", 1: "422822********207X", 3: "4228221092030001", 5: "红岩寺镇", 7: "普通高中二年级",
           8: None, 9: NOT_IN_LIST}   # 1024×768 unscrolled: the others as wide as their headers, 就读学校 the rest
_MAY_CUT = (6, 7, 8)            # a long village or school name: cut in the middle, whole in the tooltip
_NO_PROBLEM = "\U0010ffff"      # sorts after every text: the people with problems first
# The column a sort by column ``i`` reads on its own (None: from the names or the index).
_SORT_FIELD = (None, None, "relation", "household_no", "county", None, "village", "schooling_status",
               "school_name", None, "problems")
INDEX = "index"                 # what a sort by ID number, township or 在册 waits for

FIRST_ROWS = 200                # rows read in full with the load: the first screen, and then some
BLOCK = 200                     # rows read at a time as they come on screen
CACHE_ROWS = 20_000             # rows kept read; beyond it the cache starts again
_DISPLAY, _ALIGN = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole


@dataclass
class RosterData:
    """The roster as the page holds it, in id order: what the load reads, and what comes after
    (the index, the columns sorted by) on the GUI thread."""
    ids: Sequence[int]
    names: Sequence[str]
    name_ranks: Sequence[int]
    index: RosterIndex | None = None
    columns: dict[str, Sequence[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class RosterTable(TableData[int]):
    """Prepared rows (positions into ``data``, in display order) and the first rows read in full."""
    data: RosterData
    first_rows: dict[int, RosterRow]


def sort_keys(data: RosterData, column: int) -> Sequence[Any] | None:
    """The sort key of every person (by position) for ``column``; None while it is not read."""
    if column == 0:
        return data.name_ranks
    name = _SORT_FIELD[column]
    if name is not None:
        values = data.columns.get(name)
        if values is None or column != _PROBLEM_COL:
            return values
        return [p or _NO_PROBLEM for p in values]
    index = data.index
    if index is None:
        return None
    if column == 1:
        return index.id_numbers
    if column == 9:
        return [IN_LIST if e else NOT_IN_LIST for e in index.enrolled]
    return index.township


def sort_needs(data: RosterData, sort: SortState) -> str | None:
    """What a sort waits for: a column's name, ``INDEX``, or None (it can sort now)."""
    if sort is None or not 0 <= sort[0] < len(COLUMNS) or sort_keys(data, sort[0]) is not None:
        return None
    return _SORT_FIELD[sort[0]] or INDEX


def ordered(data: RosterData, positions: Sequence[int], sort: SortState) -> array | None:
    """``positions`` in the order ``sort`` says (stable: equal keys keep their order), as machine
    integers (a list would hold an int object per person); None while its column is not read."""
    if sort is None or not 0 <= sort[0] < len(COLUMNS):
        return array("l", positions)
    keys = sort_keys(data, sort[0])
    if keys is None:
        return None
    return sort_positions(positions, keys, sort[1] == Qt.SortOrder.DescendingOrder)


def _as_rows(positions: array) -> list[Any]:
    """The model's rows: an array of positions stands where ``RowTableModel`` types a list (it is
    only indexed, measured and iterated here)."""
    return cast(list[Any], positions)


def read_rows(db: Database, ids: Sequence[int]) -> dict[int, RosterRow]:
    """Worker: the people of ``ids`` as rows (those still stored)."""
    cols = read_roster_rows(db, ids)
    return {cols.ids[i]: roster_row(cols, i) for i in range(len(cols))}


def load_roster(db: Database, sort: SortState, stop: Callable[[], bool] | None = None) -> RosterTable:
    """Worker: the load — ids, names and their pinyin ranks, the rows in ``sort``'s order (what
    that needs read too) and the first rows in full. ``stop`` (a load read ahead,
    ``gui.roster_ahead``) is asked between the steps: true, the load ends there (``Stopped``)."""
    from gui.collation import name_ranks

    ids, names, distinct = read_names(db, stop)
    check_stop(stop)
    data = RosterData(ids, names, name_ranks(names, distinct, stop))
    check_stop(stop)
    need = sort_needs(data, sort)
    if need == INDEX:
        data.index = read_roster_index(db, ids, names)
    elif need is not None and (values := _read_column(db, need, ids)) is not None:
        data.columns[need] = values
    order = ordered(data, range(len(ids)), sort)
    if order is None:                           # changed between the reads: in id order for now
        order = array("l", range(len(ids)))
    check_stop(stop)
    first = read_rows(db, [ids[p] for p in order[:FIRST_ROWS]])
    return RosterTable(_as_rows(order), _display_hays(data, order), sort, data, first)


def _display_hays(data: RosterData, order: Sequence[int]) -> list[str]:
    if data.index is None:
        return []
    hays = data.index.haystacks
    return [hays[p] for p in order]


class RosterTableModel(RowTableModel[Any]):
    """Rows are positions into the roster (see the module's note)."""
    COLUMNS = COLUMNS
    rowsWanted = Signal(object)         # ids of rows to read (the page reads them in the worker)
    indexReady = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.data_ = RosterData((), (), ())
        self._inverse: array | None = None           # position -> display row (made on use)
        self._cache: dict[int, RosterRow] = {}       # id -> row read in full
        self._asked: set[int] = set()                # blocks of display rows asked for
        self._wanted: list[int] = []
        self.generation = 0                          # counts the loads: late answers are dropped
        self._ask_timer = QTimer(self)
        self._ask_timer.setSingleShot(True)
        self._ask_timer.setInterval(0)
        self._ask_timer.timeout.connect(self._ask)

    @property
    def index_ready(self) -> bool:
        return self.data_.index is not None

    def _take(self, data: TableData[Any]) -> None:
        assert isinstance(data, RosterTable)
        self.data_, self._inverse = data.data, None
        self._cache, self._asked, self._wanted = dict(data.first_rows), set(), []
        self.generation += 1
        super()._take(data)

    # -- what arrives after the load ---------------------------------------------------
    def take_index(self, index: RosterIndex, shown: IndexShown | None = None) -> None:
        """The search texts, townships and 在册 flags (a sort waiting for them is done now);
        ``shown``: the search texts in display order, made in the worker for the rows as they were
        (used if they still are: 200,000 lookups here would hold the GUI thread)."""
        self.data_.index = index
        self._hays = shown.haystacks if shown is not None and shown.rows is self._rows else \
            _display_hays(self.data_, self._rows)
        self._sort_if_waiting()
        self.indexReady.emit()

    def take_column(self, name: str, values: Sequence[str]) -> None:
        self.data_.columns[name] = values
        self._sort_if_waiting()

    def sort_needs(self) -> str | None:
        """What the table's sort waits for (None: nothing)."""
        return sort_needs(self.data_, self._sort)

    def _sort_if_waiting(self) -> None:
        if self._sort is not None and self._sort_pending:
            self.sort(*self._sort)

    def take_rows(self, rows: dict[int, RosterRow]) -> None:
        """Rows read in full: their cells are repainted."""
        if len(self._cache) + len(rows) > CACHE_ROWS:
            self._cache, self._asked = {}, set()
        self._cache.update(rows)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    def _want(self, display_row: int) -> None:
        block = display_row // BLOCK
        if block not in self._asked:
            self._asked.add(block)
            self._wanted.append(block)
            self._ask_timer.start()

    def _ask(self) -> None:
        """The blocks of rows painted but not read (asked once per paint, all at once)."""
        ids, cache, order = self.data_.ids, self._cache, self._rows
        wanted = [ids[p] for b in self._wanted for p in order[b * BLOCK:(b + 1) * BLOCK] if ids[p] not in cache]
        self._wanted = []
        if wanted:
            self.rowsWanted.emit(wanted)

    # -- rows: positions into the roster ------------------------------------------
    def key_of(self, row: Any) -> Hashable:
        return self.data_.ids[row]

    def row_key(self, source_row: int) -> Hashable:
        return self.data_.ids[self._rows[source_row]]

    def row_at(self, row: int) -> RosterRow:
        """The person on display row ``row``; a row not read yet holds only id and name (and is
        asked for)."""
        pos = self._rows[row]
        key = self.data_.ids[pos]
        got = self._cache.get(key)
        if got is None:
            self._want(row)
            return RosterRow(key, self.data_.names[pos], "", "", "", "", "", "", "", "", "", False, "", "")
        return got

    def is_read(self, row: int) -> bool:
        return self.data_.ids[self._rows[row]] in self._cache

    def cell(self, row_no: int, column: int, role: int) -> Any:
        if not self.is_read(row_no):                  # the name now, the rest when read
            if column > 0:
                self._want(row_no)
            if role == _DISPLAY:
                return self.data_.names[self._rows[row_no]] if column == 0 else ""
            return ALIGN_LEFT if role == _ALIGN else None
        return super().cell(row_no, column, role)

    def position(self, key: Hashable) -> int | None:
        # ascending ids: the roster is read by id
        found, self._inverse = display_row(self.data_.ids, self._rows, self._inverse, key)
        return found

    _sort_pending = False

    def _sort_list(self, column: int, order: Qt.SortOrder) -> None:
        perm = ordered(self.data_, self._rows, (column, order))
        self._sort_pending = perm is None           # sorted when its column arrives
        if perm is None:
            return
        self._rows, self._hays, self._pos, self._inverse = _as_rows(perm), _display_hays(self.data_, perm), None, None
        self._asked = set()

    def foreground(self, row: RosterRow, column: int) -> QColor | None:
        if column == _PROBLEM_COL and row.problems:
            return QColor(176, 0, 32)
        return None

    def tooltip(self, row: RosterRow, column: int) -> str | None:
        if column == _PROBLEM_COL and row.problems:
            return row.problems.replace("；", "\n")
        return (COLUMNS[column].text(row) or None) if column in _MAY_CUT else None


class RosterFilterProxy(FilterProxy):
    """Column filters over the model's rows (positions): the verdict reads the index. A search or
    filter asked for before the index is read waits for it (``waiting``)."""
    waitingChanged = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.waiting = False

    def setSourceModel(self, model) -> None:
        super().setSourceModel(model)
        model.indexReady.connect(self._index_ready)

    def _roster(self) -> RosterTableModel:
        model = self.sourceModel()
        assert isinstance(model, RosterTableModel)
        return model

    def _must_wait(self) -> bool:
        model = self._source
        return (isinstance(model, RosterTableModel) and not model.index_ready
                and bool(normalize_query(self.query) or self._predicates))

    def _compute(self) -> list[int] | None:
        if self._must_wait():                        # every row for now, the filter once ready
            self._set_waiting(True)
            return None
        self._set_waiting(False)
        return super()._compute()

    def apply_filter(self) -> None:
        if self._must_wait():                        # keep the rows shown; filtered once ready
            self._timer.stop()
            self._set_waiting(True)
            return
        super().apply_filter()

    def _set_waiting(self, waiting: bool) -> None:
        if waiting != self.waiting:
            self.waiting = waiting
            self.waitingChanged.emit()

    def _index_ready(self) -> None:
        if self.waiting:
            self.apply_filter()

    def _source_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: Any = ()) -> None:
        """Rows read in full: repaint the shown rows between ``top`` and ``bottom``."""
        m = self._map
        first, last = (top.row(), bottom.row()) if m is None else \
            (bisect_left(m, top.row()), bisect_right(m, bottom.row()) - 1)
        if 0 <= first <= last:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def _column_test(self, name: str, wanted: Any) -> Callable[[int], bool]:
        model = self._roster()

        def test(pos: int) -> bool:
            index = model.data_.index
            return index is not None and getattr(index, name)[pos] == wanted
        return test

    def set_enrolled(self, value: str) -> None:
        self.set_predicate("enrolled", self._column_test("enrolled", int(value == IN_LIST)) if value else None)

    def set_township(self, value: str, apply: bool = True) -> None:
        self.set_predicate("township", self._column_test("township", value) if value else None, apply)


class RosterPage(ListPage[RosterFilterProxy]):
    DEPENDS_ON = Changes.ROSTER | Changes.STUDENTS   # the 学生名册 column
    EMPTY_TEXT = "还没有建档立卡名单：点工具栏的“导入建档立卡名单”"
    LAZY = True                       # 200,000 people: read when the page is first shown
    model: RosterTableModel

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
        self.set_column_widths({i: _WIDTHS.get(i, c.header) for i, c in enumerate(COLUMNS)})
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._reading: set[str] = set()             # columns being read for a sort
        self.model.rowsWanted.connect(self._read_rows)
        proxy.waitingChanged.connect(self.update_count)
        from gui.roster_ahead import RosterAhead
        self.ahead = RosterAhead(self)

    def load_function(self):
        return load_roster, (self.db, self.model.sort_state())

    def read_ahead(self) -> None:
        """Once the program's start is idle: the first show's load, read ahead (``gui.roster_ahead``)."""
        if self._stale and not self.isVisible():
            self.ahead.start()

    def reload(self) -> None:
        table = self.ahead.take(self.model.sort_state())
        if table is None:
            super().reload()
            return
        self._stale = False
        self._loaded(table)                          # read ahead: shown from memory

    def on_changes(self, changes: Changes) -> None:
        if changes & self.DEPENDS_ON:
            self.ahead.drop()
        super().on_changes(changes)

    def apply_data(self, data: RosterTable) -> None:
        self._reading = set()
        self.model.set_data(data)
        if self.model.index_ready:
            self._index_arrived(data.data, data.data.index)
        else:
            worker.run_task(read_index_shown, self.db, data.data.ids, data.data.names, self.model.rows(),
                            on_success=lambda got: self._index_arrived(data.data, *got),
                            on_failure=self._load_failed, parent=self, keep=True)
        self._read_for_sort()

    def _index_arrived(self, data: RosterData, index: RosterIndex | None, shown: IndexShown | None = None) -> None:
        if data is not self.model.data_:            # an older load's
            return
        if index is None:                            # the roster changed meanwhile: read it again
            self.reload()
            return
        townships = shown.townships if shown is not None else sorted(set(index.township) - {""})
        self.set_choices(self.township_filter, "全部乡镇", [(t, t) for t in townships])
        self.proxy.set_township(self.township_filter.currentData() or "", apply=False)
        self.model.take_index(index, shown)
        self.update_count()
        worker.freeze_long_lived()

    def sort_by(self, column: int, order: Qt.SortOrder) -> None:
        """Header click: the model sorts (at once, or once the column it needs is read)."""
        self.model.sort(column, order)
        self._read_for_sort()

    def _read_for_sort(self) -> None:
        need = self.model.sort_needs()
        if need is None or need == INDEX or need in self._reading or self._loading:
            return                                   # the index follows every load
        self._reading.add(need)
        data = self.model.data_
        worker.run_task(_read_column, self.db, need, data.ids,
                        on_success=lambda values: self._column_arrived(data, need, values),
                        on_failure=self._load_failed, parent=self)

    def _column_arrived(self, data: RosterData, name: str, values: Sequence[str] | None) -> None:
        self._reading.discard(name)
        if data is not self.model.data_:
            return
        if values is None:
            self.reload()
            return
        self.model.take_column(name, values)

    def _read_rows(self, ids: list[int]) -> None:
        generation = self.model.generation
        worker.run_task(read_rows, self.db, ids, parent=self,
                        on_success=lambda rows: self._rows_arrived(generation, rows),
                        on_failure=self._load_failed)

    def _rows_arrived(self, generation: int, rows: dict[int, RosterRow]) -> None:
        if generation == self.model.generation:
            self.model.take_rows(rows)

    def update_count(self) -> None:
        super().update_count()
        if self.proxy.waiting and not self._loading:
            self.count_label.setText(f"共 {self.model.rowCount()} 人，正在准备搜索…")


@dataclass(frozen=True)
class IndexShown:
    """What the page needs of a new index in the shown order, made in the worker: the search texts
    of ``rows`` (the model's rows when the read was queued) and the townships to filter by."""
    rows: Sequence[int]
    haystacks: list[str]
    townships: list[str]


def read_index_shown(db: Database, ids: Sequence[int], names: Sequence[str],
                     rows: Sequence[int]) -> tuple[RosterIndex | None, IndexShown | None]:
    """Worker: ``read_roster_index`` and, from it, what the page shows (``IndexShown``)."""
    index = read_roster_index(db, ids, names)
    if index is None:
        return None, None
    # laid out in display order: a keystroke's pass over them reads memory in order (gathered_copies)
    return index, IndexShown(rows, gathered_copies(index.haystacks, rows), sorted(set(index.township) - {""}))


def _read_column(db: Database, name: str, ids: Sequence[int]) -> Sequence[str] | None:
    """Worker: a column to sort by, for the people of ``ids`` (None: the roster changed)."""
    got_ids, values = read_roster_column(db, name)
    return values if got_ids == array("q", ids) else None
