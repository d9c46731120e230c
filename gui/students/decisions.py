"""The subsidies of one student, item by item, with the reasons (below the form)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.engine import STATUS_LABELS, ItemDecision, Status, StudentResult
from core.money import format_fen

STATUS_COLORS = {Status.GRANTED: QColor(0, 110, 40), Status.PENDING: QColor(180, 90, 0),
                 Status.NOT_ELIGIBLE: QColor(110, 110, 110)}
HEADERS = ("资助项目", "结果", "金额（元）", "说明")


class DecisionsPanel(QWidget):
    """A small fixed table (one row per policy item) and the total."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setObjectName("decisionsSummary")
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("decisionsTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setTabKeyNavigation(False)     # Tab goes on to the buttons
        self.table.setWordWrap(True)
        head = self.table.horizontalHeader()
        for col in range(3):
            head.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        head.sectionResized.connect(lambda *_a: self.table.resizeRowsToContents())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.decisions: list[ItemDecision] = []

    def show_result(self, result: StudentResult) -> None:
        self.decisions = list(result.decisions)
        self.table.setRowCount(len(self.decisions))
        for row, d in enumerate(self.decisions):
            cells = (d.name, STATUS_LABELS[d.status],
                     format_fen(d.amount_fen) if d.status is Status.GRANTED else "", d.reason_text)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setForeground(STATUS_COLORS[d.status])
                if col == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        pending = len(result.pending)
        text = f"按当前填写的信息计算（未保存）：资助合计 {format_fen(result.total_fen)} 元"
        if pending:
            text += f"，另有 {pending} 项待补充信息"
        self.summary.setText(text)

    def status_of(self, code: str) -> Status | None:
        for d in self.decisions:
            if d.code == code:
                return d.status
        return None
