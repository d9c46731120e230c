"""建档立卡名单: the poverty roster, searchable like the student list, IDs masked."""
from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from db.changes import Changes
from db.session import Database
from db.views import IN_LIST, NOT_IN_LIST, RosterRow, roster_rows
from gui.list_page import ListPage
from gui.search import FilterProxy, haystack
from gui.table_model import Column, RowTableModel, SortState, TableData

COLUMNS: tuple[Column, ...] = (
    Column("姓名", lambda r: r.name, lambda r: r.name_key if r.name_key is not None else r.name),
    Column("证件号码", lambda r: r.id_masked, lambda r: r.id_number,
           tip="只显示前6位和后4位；搜索时可输入完整号码或其中一段"),
    Column("与户主关系", lambda r: r.relation),
    Column("户编号", lambda r: r.household_no),
    Column("县(市、区)", lambda r: r.county),
    Column("乡(镇)", lambda r: r.township),
    Column("行政村", lambda r: r.village),
    Column("在校生状况", lambda r: r.schooling_status),
    Column("就读学校", lambda r: r.school_name),
    Column("学生名册", lambda r: r.enrolled_text, tip="证件号码是否出现在本校学生名册中"),
    Column("问题", lambda r: "有" if r.problems else "", lambda r: (not r.problems, r.problems)),
)
_PROBLEM_COL = len(COLUMNS) - 1


class RosterTableModel(RowTableModel[RosterRow]):
    COLUMNS = COLUMNS

    @classmethod
    def search_text(cls, row: RosterRow) -> str:
        return row.haystack or haystack(row.name, row.id_number, row.initials)

    def foreground(self, row: RosterRow, column: int) -> QColor | None:
        if column == _PROBLEM_COL and row.problems:
            return QColor(176, 0, 32)
        return None

    def tooltip(self, row: RosterRow, column: int) -> str | None:
        if column == _PROBLEM_COL and row.problems:
            return row.problems.replace("；", "\n")
        return None


class RosterFilterProxy(FilterProxy):
    def set_enrolled(self, value: str) -> None:
        self.set_predicate("enrolled", (lambda r: r.enrolled_text == value) if value else None)

    def set_township(self, value: str, apply: bool = True) -> None:
        self.set_predicate("township", (lambda r: r.township == value) if value else None, apply)


def load_roster(db: Database) -> list[RosterRow]:
    """Worker function: the roster's rows, with pinyin sort keys (a collator per thread)."""
    from gui.collation import name_key_function
    return roster_rows(db, name_key=name_key_function())


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
    def prepare(cls, data: list[RosterRow], sort: SortState) -> tuple[list[str], TableData[RosterRow]]:
        """Worker: the townships to filter by, the rows sorted and indexed."""
        return sorted({r.township for r in data if r.township}), RosterTableModel.prepare(data, sort)

    def apply_data(self, data: tuple[list[str], TableData[RosterRow]]) -> None:
        townships, table = data
        self.set_choices(self.township_filter, "全部乡镇", [(t, t) for t in townships])
        self.proxy.set_township(self.township_filter.currentData() or "", apply=False)
        self.model.set_data(table)
