"""A small horizontal bar chart painted with QPainter (QtCharts is not in PySide6-Essentials)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

Bar = tuple[str, int, int, QColor]   # label, value, maximum, colour


def out_of(value: int, maximum: int) -> str:
    return f"{value} / {maximum}"


class BarChart(QWidget):
    """One labelled bar per row: value out of maximum, with ``text(value, maximum)`` written
    beside it ("value / maximum" unless told otherwise, e.g. an amount in yuan)."""

    def __init__(self, parent: QWidget | None = None, text: Callable[[int, int], str] = out_of) -> None:
        super().__init__(parent)
        self.setObjectName("progressChart")
        self.bars: list[Bar] = []
        self.value_text = text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bars(self, bars: list[Bar]) -> None:
        self.bars = bars
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def row_height(self) -> int:
        return self.fontMetrics().height() + 12

    def sizeHint(self) -> QSize:
        return QSize(420, max(1, len(self.bars)) * self.row_height() + 8)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        label_w = max([fm.horizontalAdvance(b[0]) for b in self.bars] + [0]) + 12
        value_w = max([fm.horizontalAdvance(self.value_text(b[1], b[2])) for b in self.bars] + [0]) + 12
        bar_w = max(40, self.width() - label_w - value_w - 8)
        for i, (label, value, maximum, colour) in enumerate(self.bars):
            top = 4 + i * self.row_height()
            h = self.row_height() - 8
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(0, top, label_w, h), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       label)
            track = QRectF(label_w, top, bar_w, h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(225, 228, 232))
            p.drawRoundedRect(track, 3, 3)
            if maximum > 0 and value > 0:
                p.setBrush(colour)
                p.drawRoundedRect(QRectF(label_w, top, bar_w * min(1.0, value / maximum), h), 3, 3)
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(label_w + bar_w + 8, top, value_w, h),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.value_text(value, maximum))
        p.end()
