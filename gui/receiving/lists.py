"""The 汇总 page's two lists: 提交包 (every package, refused file and missing school) and
交叉核查 (the findings only a receiver can make), each with the selected row in full in a
pane under the table (the 说明 and 问题 texts are long)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from core.consolidate import CrossFinding
from gui.list_page import ListPage
from gui.receiving.detail import DetailPane, finding_html, package_html
from gui.receiving.models import STATES, FindingModel, PackageModel, PackageRow, finding_rows
from gui.search import FilterProxy
from gui.table_model import RowTableModel


class DetailListTab(ListPage[FilterProxy]):
    """A list the page fills (``apply_data``) with the selected row in full underneath."""

    def __init__(self, model: RowTableModel[Any], proxy: FilterProxy, placeholder: str, detail_name: str,
                 detail_text: str, render: Callable[[Any], str], parent: QWidget | None = None) -> None:
        super().__init__(model, proxy, placeholder, parent)
        self.detail = DetailPane(detail_name, detail_text, render, self)
        self.splitter = self.add_detail_pane(self.detail, detail_name + "Splitter")
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self.show_selected())
        self.loaded.connect(self.show_selected)         # a reset emits no selectionChanged

    def reload(self) -> None:       # the page loads everything at once
        return

    def show_selected(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        self.detail.show_row(self.source_row(rows[0]) if rows else None)


class PackagesProxy(FilterProxy):
    def set_state(self, value: str) -> None:
        self.set_predicate("state", (lambda r: r.state == value) if value else None)


class PackagesTab(DetailListTab):
    """提交包: one row per package, refused file or missing school."""

    proxy: PackagesProxy
    EMPTY_TEXT = ("还没有上报包：把上报包拖到这里，或点“添加上报包…”“添加文件夹…”。"
                  "点“导入应报学校名单…”后，这里按名单列出各校，没有上报的学校显示为缺报，截止后才上报的显示为迟报")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(PackageModel(), PackagesProxy(), "搜索学校代码、学校、乡镇或文件名", "packageDetail",
                         "选中一行，这里显示它的完整说明：拒收原因、迟报或缺报、文件和转报单位。", package_html, parent)
        self.setObjectName("packagesTab")
        self.state_filter = self.add_filter("stateFilter", "全部状态", [(s, s) for s in STATES],
                                            self.proxy.set_state)
        self.set_column_widths({0: 6, 1: 8, 2: 4, 3: 4, 4: 3, 5: 5, 6: 9, 7: 9})

    def apply_data(self, data: tuple[PackageRow, ...]) -> None:
        self.model.set_rows(list(data))

    def update_count(self) -> None:
        got = Counter(r.state for r in self.model.rows())
        parts = [f"{s} {got[s]}" for s in STATES if got[s]]
        self.count_label.setText("正在读取…" if self._loading else ("，".join(parts) or "还没有上报包"))


class FindingsTab(DetailListTab):
    """交叉核查: the findings only a receiver can make (IDs masked)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(FindingModel(), FilterProxy(), "搜索姓名、身份证号、学校或问题", "crossFindingDetail",
                         "选中一个问题，这里显示它的完整说明、涉及的学校和金额，以及处理建议。", finding_html, parent)
        self.setObjectName("crossFindingsTab")
        self.set_column_widths({0: 3, 1: 12, 2: 10, 3: 4, 4: 10})

    def apply_data(self, data: tuple[CrossFinding, ...]) -> None:
        self.model.set_rows(finding_rows(data))

    def update_count(self) -> None:
        got = Counter(r.severity for r in self.model.rows())
        self.count_label.setText(f"错误 {got['error']}，警告 {got['warning']}；显示 {self.proxy.rowCount()} 条")
