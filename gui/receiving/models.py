"""The 汇总 page's table models: plain frozen rows, one ``RowTableModel`` each.

Amounts are integer fen in the rows and yuan text (``format_fen``, exact) on screen; ID
numbers are masked in every list (the search still sees the full number).
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from core.checks import SEVERITY_LABELS
from core.consolidate import CrossFinding
from core.consolidate.summary import BudgetRow, Figures, Summary
from core.idnumber import mask_id
from core.money import format_fen
from core.text import SEP, nfkc
from db.receiving_status import DRAFT_ONLY, LATE, MISSING
from db.receiving_status import RECEIVED as ACCEPTED
from db.views import SEVERITY_RANK
from gui.severity import SEVERITY_COLORS
from gui.table_model import Column, Row, RowTableModel

# The states of the package list (提交包): a school's (db.receiving_status), then the history's.
REPLACED = "已替换"
REFUSED = "拒收"
STATES = (ACCEPTED, LATE, DRAFT_ONLY, MISSING, REPLACED, REFUSED)
STATE_COLORS = {REFUSED: QColor(176, 0, 32), MISSING: QColor(176, 0, 32), LATE: QColor(160, 100, 0),
                 DRAFT_ONLY: QColor(160, 100, 0), REPLACED: QColor(128, 128, 128)}


def _hay(*parts: str) -> str:
    """A row's search text: every part, normalised and lower case."""
    return SEP.join(nfkc(p or "").lower() for p in parts)


def yuan(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen)


def _fen_key(fen: int | None) -> int:
    return -1 if fen is None else fen


# -- 提交包 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackageRow:
    """One line of the package list: an expected school without a package, or a package
    (accepted, replaced or refused) with its school."""

    id: str
    school_code: str
    school_name: str
    township: str
    state: str                      # one of STATES
    reason: str = ""                # why refused / late / draft only
    students: int | None = None
    total_fen: int | None = None
    received_at: str = ""           # "YYYY-MM-DD HH:MM"
    file_name: str = ""
    via: str = ""                   # the station that forwarded it


class PackageModel(RowTableModel[PackageRow]):
    COLUMNS = (
        Column("学校代码", lambda r: r.school_code),
        Column("学校", lambda r: r.school_name),
        Column("乡镇", lambda r: r.township),
        Column("状态", lambda r: r.state, lambda r: (STATES.index(r.state) if r.state in STATES else 99,
                                                      r.school_code)),
        Column("学生数", lambda r: "" if r.students is None else str(r.students),
               lambda r: -1 if r.students is None else r.students, numeric=True),
        Column("金额（元）", lambda r: yuan(r.total_fen), lambda r: _fen_key(r.total_fen), numeric=True,
               tip="上报包中学生明细的资助金额相加，精确到分（上报包自报的合计见“汇总”）"),
        Column("接收时间", lambda r: r.received_at),
        Column("文件", lambda r: r.file_name),
        Column("说明", lambda r: r.reason),
    )

    def search_entries(self) -> list[tuple[Hashable, str]]:
        return [(r.id, _hay(r.school_code, r.school_name, r.township, r.file_name)) for r in self._rows]

    def foreground(self, row: PackageRow, column: int) -> QColor | None:
        return STATE_COLORS.get(row.state) if column == 3 else None

    def tooltip(self, row: PackageRow, column: int) -> str | None:
        return row.reason or None


# -- 汇总: per township / school / stage, per item (budget) ---------------------------------
@dataclass(frozen=True)
class FigureRow:
    """Claimed figures of a township or a school (or the 合计 line)."""

    id: str
    label: str
    schools: int
    students: int
    granted: int
    total_fen: int
    by_source: tuple[int, ...]      # in the order of the model's sources
    total_row: bool = False


def _figure_row(key: str, label: str, f: Figures, sources: Sequence[str], total: bool = False) -> FigureRow:
    return FigureRow(key, label, f.schools, f.students, f.students_granted, f.total,
                     tuple(f.by_source.get(s, 0) for s in sources), total)


def township_rows(summary: Summary) -> list[FigureRow]:
    sources = list(summary.sources)
    rows = [_figure_row(t.township, t.township, t.figures, sources) for t in summary.by_township]
    return [*rows, _figure_row("", "合计", summary.totals, sources, total=True)]


def school_rows(summary: Summary) -> list[FigureRow]:
    sources = list(summary.sources)
    return [_figure_row(s.school_code, f"{s.school_name}（{s.school_code}）", s.figures, sources)
            for s in summary.by_school]


class TotalLastModel(RowTableModel[Row]):
    """A table whose 合计 line (``total_row``) stays at the bottom whatever the sort."""

    def _sort_list(self, column: int, order: Qt.SortOrder) -> None:
        super()._sort_list(column, order)
        self._rows.sort(key=lambda r: bool(getattr(r, "total_row", False)))   # stable: moves the totals last


def _source_amount(header: str, i: int) -> Column[FigureRow]:
    return Column(header, lambda r: yuan(r.by_source[i]), lambda r: r.by_source[i], numeric=True)


class FigureModel(TotalLastModel[FigureRow]):
    """按乡镇 / 按学校: 学校数, 学生数, 享受资助人数, 金额, then one amount per funding source."""

    def __init__(self, first: str, parent=None) -> None:
        super().__init__(parent)
        self.first = first
        self.set_sources({})

    def set_sources(self, sources: dict[str, str]) -> None:
        self.beginResetModel()
        columns: list[Column[FigureRow]] = [
            Column(self.first, lambda r: r.label, lambda r: r.label),
            Column("学校数", lambda r: str(r.schools), lambda r: r.schools, numeric=True),
            Column("学生数", lambda r: str(r.students), lambda r: r.students, numeric=True),
            Column("享受资助", lambda r: str(r.granted), lambda r: r.granted, numeric=True,
                   tip="提交包声明的享受资助人数"),
            Column("金额（元）", lambda r: yuan(r.total_fen), lambda r: r.total_fen, numeric=True,
                   tip="提交包声明的合计（含重复享受的，另在交叉核查中列出）"),
        ]
        columns += [_source_amount(f"{label}（元）", i) for i, label in enumerate(sources.values())]
        self.COLUMNS = tuple(columns)
        self.endResetModel()

@dataclass(frozen=True)
class BudgetLine:
    """预算表: one item (or 合计): students and amount in all and per funding source."""

    id: str
    name: str
    students: int
    amount_fen: int
    by_source: tuple[tuple[int, int], ...]     # (students, fen) per source, in the model's order
    total_row: bool = False


def budget_lines(summary: Summary) -> list[BudgetLine]:
    sources = list(summary.sources)

    def line(r: BudgetRow) -> BudgetLine:
        cells = tuple((r.by_source[s].students, r.by_source[s].amount_fen) if s in r.by_source else (0, 0)
                      for s in sources)
        return BudgetLine(r.code or "合计", r.name, r.total.students, r.total.amount_fen, cells, not r.code)
    return [line(r) for r in summary.budget]


def _source_cells(label: str, i: int) -> list[Column[BudgetLine]]:
    return [Column(f"{label}人数", lambda r: str(r.by_source[i][0]), lambda r: r.by_source[i][0],
                   numeric=True),
            Column(f"{label}金额（元）", lambda r: yuan(r.by_source[i][1]), lambda r: r.by_source[i][1],
                   numeric=True)]


class BudgetModel(TotalLastModel[BudgetLine]):
    """项目 × 资金来源: 人数, 金额 — the county budget table finance needs."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.set_sources({})

    def set_sources(self, sources: dict[str, str]) -> None:
        self.beginResetModel()
        columns: list[Column[BudgetLine]] = [
            Column("资助项目", lambda r: r.name, lambda r: r.id),
            Column("人数", lambda r: str(r.students), lambda r: r.students, numeric=True),
            Column("金额（元）", lambda r: yuan(r.amount_fen), lambda r: r.amount_fen, numeric=True),
        ]
        for i, label in enumerate(sources.values()):
            columns += _source_cells(label, i)
        self.COLUMNS = tuple(columns)
        self.endResetModel()


# -- 交叉核查 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FindingRow:
    id: int
    code: str
    severity: str
    title: str
    school: str
    name: str
    id_number: str                  # full, for the search only
    message: str                    # masked by the checks
    hint: str
    others: str                     # the other schools named (a duplicate's other side)


def finding_rows(findings: Sequence[CrossFinding]) -> list[FindingRow]:
    return [FindingRow(i, f.code, f.severity, f.title,
                       f"{f.school_name}（{f.school_code}）" if f.school_code else "",
                       f.name, f.id_number, f.message, f.hint,
                       "、".join(f"{o.school_name}（{yuan(o.amount_fen)} 元）" for o in f.others))
            for i, f in enumerate(findings)]


class FindingModel(RowTableModel[FindingRow]):
    COLUMNS = (
        Column("级别", lambda r: SEVERITY_LABELS.get(r.severity, r.severity),
               lambda r: (SEVERITY_RANK.get(r.severity, 9), r.id)),
        Column("问题", lambda r: r.title),
        Column("学校", lambda r: r.school),
        Column("姓名", lambda r: r.name),
        Column("身份证号", lambda r: mask_id(r.id_number) if r.id_number else "", lambda r: r.id_number,
               tip="只显示前6位和后4位；搜索时可输入完整号码"),
        Column("说明", lambda r: r.message),
    )

    def search_entries(self) -> list[tuple[Hashable, str]]:
        return [(r.id, _hay(r.name, r.id_number, r.school, r.title)) for r in self._rows]

    def foreground(self, row: FindingRow, column: int) -> QColor | None:
        return SEVERITY_COLORS.get(row.severity) if column == 0 else None

    def tooltip(self, row: FindingRow, column: int) -> str | None:
        return f"{row.message}\n处理：{row.hint}"
