"""汇总 › 汇总: the 报送情况 (应报, 已报, 缺报, 迟报: what the 汇总包 will state), then the claimed
figures per township, per school and per item (the budget table, 项目 × 资金来源), with a bar
chart of the amounts per township and per item.

The 报送情况 is core.consolidate.reporting's ``Reporting``, made by db.consolidation from the status
the page reads in the worker (``load_receiving``) — the one computation the export writes into
report.pdf, summary.xlsx and data.json."""
from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.consolidate.reporting import Reporting, SchoolRef
from core.consolidate.summary import Summary
from core.money import format_fen
from gui.progress_chart import Bar, BarChart
from gui.receiving.models import BudgetModel, FigureModel, budget_lines, school_rows, township_rows
from gui.screen import WrappingLabel
from gui.table_model import RowTableModel

BAR = QColor(52, 120, 200)
NAMED = 3           # schools named in the 报送情况 line (its tooltip lists up to TIP_NAMED of each)
TIP_NAMED = 30
NO_LIST = ("报送情况：还没有应报学校名单，看不出哪些学校缺报、迟报。"
           "点上方“导入应报学校名单…”导入后，这里显示应报、已报、缺报、迟报。")
NO_LIST_TIP = "应报学校名单：学校代码、学校名称、乡镇、学段（Excel 表格）。导出的汇总包也只在有名单时写明报送情况。"
INCOMPLETE_STYLE = "color: rgb(176, 0, 32);"       # the package list's 缺报 colour


def yuan_text(value: int, _maximum: int) -> str:
    return f"{format_fen(value)} 元"


def summary_line(summary: Summary) -> str:
    """合计 in one sentence: schools, students, the claimed total and its funding sources."""
    t = summary.totals
    sources = "，".join(f"{label} {format_fen(t.by_source.get(s, 0))} 元" for s, label in summary.sources.items())
    text = (f"已接收 {t.schools} 所学校的上报包：学生 {t.students} 人，享受资助 {t.students_granted} 人，"
            f"资助合计 {format_fen(t.total)} 元" + (f"（{sources}）" if sources else "") + "。")
    d = summary.duplicates
    if d.ids:
        text += (f"\n其中 {d.ids} 人在多所学校享受资助（{d.entries} 条，{format_fen(d.amount_fen)} 元），"
                 "已计入合计，见“交叉核查”。")
    return text


def reporting_text(r: Reporting | None) -> tuple[str, str]:
    """The 报送情况 line and its tooltip: the counts with the first few 缺报 and 迟报 schools named
    (``Reporting.line``, the report's wording) and what the 缺报 mean for the totals; the tooltip
    names each school (up to ``TIP_NAMED`` of each kind) with its code, township and note."""
    if r is None:
        return NO_LIST, NO_LIST_TIP
    text = f"报送情况：{r.line(NAMED)}"
    if r.missing:
        text += r.consequence()
    tip = [f"报送截止：{r.deadline}" if r.deadline else "政策中没有“核准信息数据”阶段，不判断迟报"]
    for what, rows in (("缺报（未计入合计）", r.missing), ("迟报（已计入合计）", r.late),
                       ("名单外（已计入合计）", r.unlisted)):
        if rows:
            tip.append(f"{what} {len(rows)} 所：")
            tip += [f"  {_school(x)}" for x in rows[:TIP_NAMED]]
            if len(rows) > TIP_NAMED:
                tip.append(f"  ……另有 {len(rows) - TIP_NAMED} 所")
    tip.append("各校情况见“上报包”（按状态筛选）；导出的汇总包的报告和汇总表列出全部学校。")
    return text, "\n".join(tip)


def _school(x: SchoolRef) -> str:
    where = "，".join(v for v in (x.code, x.township) if v)
    return f"{x.name or x.code}（{where}）" + (f"：{x.note}" if x.note else "")


def table(model: RowTableModel, parent: QWidget, name: str) -> QTableView:
    """A read-only table of ``model``; header clicks sort the model's list."""
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    header.setSectionsClickable(True)
    header.setSortIndicatorShown(True)
    header.sortIndicatorChanged.connect(model.sort)
    return view


def bars(rows: list[tuple[str, int]]) -> list[Bar]:
    top = max([v for _l, v in rows] + [0])
    return [(label, value, top, BAR) for label, value in rows]


class ChartTable(QWidget):
    """A table above its bar chart (in a scroll area: a county has many townships)."""

    def __init__(self, model: RowTableModel, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = table(model, self, name)
        self.chart = BarChart(self, text=yuan_text)
        self.chart.setObjectName(name + "Chart")
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.chart)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 3)
        layout.addWidget(scroll, 2)


class SummaryTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryTab")
        self.reporting = WrappingLabel(self)       # 报送情况 (wraps at 150 % scaling, or with names)
        self.reporting.setObjectName("reportingLine")
        self.show_reporting(None)
        self.line = QLabel("还没有接收任何上报包。", self)
        self.line.setObjectName("summaryLine")
        self.line.setWordWrap(True)
        self.townships = ChartTable(FigureModel("乡镇"), "townshipTable", self)
        self.items = ChartTable(BudgetModel(), "budgetTable", self)
        self.schools_model = FigureModel("学校")
        self.schools = table(self.schools_model, self, "schoolTable")
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("summaryTabs")
        self.tabs.addTab(self.townships, "按乡镇")
        self.tabs.addTab(self.items, "按项目（预算表）")
        self.tabs.addTab(self.schools, "按学校")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.reporting)
        layout.addWidget(self.line)
        layout.addWidget(self.tabs, 1)

    def show_summary(self, summary: Summary | None) -> None:
        townships, budget, schools = self.townships.model, self.items.model, self.schools_model
        assert isinstance(townships, FigureModel) and isinstance(budget, BudgetModel)
        sources = dict(summary.sources) if summary else {}
        for model in (townships, budget, schools):
            model.set_sources(sources)
        if summary is None or not summary.by_school:
            self.line.setText("还没有接收任何上报包。")
            for model in (townships, budget, schools):
                model.set_rows([])
            self.townships.chart.set_bars([])
            self.items.chart.set_bars([])
            return
        self.line.setText(summary_line(summary))
        town_rows = township_rows(summary)
        townships.set_rows(town_rows)
        lines = budget_lines(summary)
        budget.set_rows(lines)
        schools.set_rows(school_rows(summary))
        self.townships.chart.set_bars(bars([(r.label, r.total_fen) for r in town_rows if not r.total_row]))
        granted = [(r.name, r.amount_fen) for r in lines if not r.total_row and r.amount_fen]
        self.items.chart.set_bars(bars(granted))       # the table lists every item, the chart those granted

    def show_reporting(self, reporting: Reporting | None) -> None:
        """The 报送情况 line (None: no list of expected schools), red while schools are missing."""
        text, tip = reporting_text(reporting)
        self.reporting.setText(text)
        self.reporting.setToolTip(tip)
        self.reporting.setStyleSheet(INCOMPLETE_STYLE if reporting is not None and reporting.missing else "")
