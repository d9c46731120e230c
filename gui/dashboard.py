"""工作台: the campaign at a glance: the next step (a checklist), counts, totals by funding source, phases."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.campaign import STEP_DONE, STEP_NEXT, STEP_TODO, Step
from core.money import format_fen
from core.policy import SOURCE_LABELS
from db.session import Database
from db.views import Summary
from gui.feed import SnapshotFeed
from gui.progress_chart import BarChart
from gui.screen import HINT_COLOR, HINT_STYLE

CARD_STYLE = ("QFrame#card { background: palette(base); border: 1px solid palette(mid);"
              " border-radius: 6px; }")


CARDS = (
    ("students", "学生", "人"), ("registered", "建档立卡学生", "人"),
    ("granted_students", "享受资助人数", "人"), ("total", "资助总额", "元"),
    ("pending", "待补充项目数", "项"), ("roster", "建档立卡名单人数", "人"),
)



def items_text(by_item: list[tuple[str, int]]) -> str:
    """The amounts by item, the items of no amount here in one closing line (a high school's card
    listed every 学前 and 本科 item at 0.00)."""
    shown = [f"{name}：{format_fen(fen)} 元" for name, fen in by_item if fen]
    rest = sum(1 for _name, fen in by_item if not fen)
    return "\n".join([*shown, *([f"（其余 {rest} 个项目本校金额为 0）"] if rest else [])]) or "（还没有资助金额）"

class _Card(QFrame):
    def __init__(self, title: str, unit: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.unit = unit
        layout = QVBoxLayout(self)
        caption = QLabel(title, self)
        caption.setStyleSheet(HINT_STYLE)
        self.value = QLabel("—", self)
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value.setFont(font)
        layout.addWidget(caption)
        layout.addWidget(self.value)

    def set_value(self, text: str) -> None:
        self.value.setText(f"{text} {self.unit}")


STEP_TIPS = {"policy": "打开“政策”页，填写政策参数", "students": "导入学生名单（Excel/CSV）",
             "roster": "导入扶贫部门提供的建档立卡名单", "check": "比对学生名单、建档立卡名单和资助政策",
             "findings": "打开“核查问题”页，改正或接受问题", "verify": "打开“学生名册”，核对后标记已核准",
             "letters": "打开“告知书”页，预览并打印告知书", "export": "导出签名的上报包"}
STEP_COLORS = {STEP_DONE: "#2e7d32", STEP_NEXT: "#b00020", STEP_TODO: HINT_COLOR}


def open_counts_text(open_by_severity: dict[str, int]) -> str:
    """The open findings as counts ("未处理的问题：错误 3 个，警告 5 个，提示 2 个")."""
    parts = [f"{label} {open_by_severity.get(key, 0)} 个" for key, label in
             (("error", "错误"), ("warning", "警告"), ("info", "提示"))]
    return "未处理的问题：" + "，".join(parts)


class Checklist(QGroupBox):
    """The campaign's steps in order, each with its state and one click to do it (``clicked``)."""

    clicked = Signal(str)     # the step's key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("工作步骤", parent)
        self.setObjectName("checklist")
        self.grid = QGridLayout(self)
        self.grid.setColumnStretch(3, 1)
        self.grid.setVerticalSpacing(4)
        self.buttons: dict[str, QPushButton] = {}
        self.states: dict[str, QLabel] = {}
        self.details: dict[str, QLabel] = {}
        self.steps: list[Step] = []

    def set_steps(self, steps: list[Step]) -> None:
        self.steps = steps
        for row, step in enumerate(steps):
            if step.key not in self.buttons:
                number = QLabel(f"{row + 1}", self)
                button = QPushButton(step.title, self)
                button.setObjectName("step_" + step.key)
                button.setToolTip(STEP_TIPS.get(step.key, ""))
                button.clicked.connect(lambda _=False, k=step.key: self.clicked.emit(k))
                state, detail = QLabel(self), QLabel(self)
                detail.setWordWrap(True)
                self.buttons[step.key], self.states[step.key], self.details[step.key] = button, state, detail
                for col, widget in enumerate((number, state, button, detail)):
                    self.grid.addWidget(widget, row, col)
                    widget.show()     # added after the page was shown
            self.states[step.key].setText(("✓ " if step.done else "→ " if step.state == STEP_NEXT else "")
                                          + step.state_label)
            self.states[step.key].setStyleSheet(f"color: {STEP_COLORS[step.state]};"
                                                + (" font-weight: bold;" if step.state == STEP_NEXT else ""))
            self.details[step.key].setText(step.detail)
            font = self.buttons[step.key].font()
            font.setBold(step.state == STEP_NEXT)
            self.buttons[step.key].setFont(font)
            self.buttons[step.key].setDefault(step.state == STEP_NEXT)

    def next_step(self) -> Step | None:
        return next((s for s in self.steps if s.state == STEP_NEXT), None)


class DashboardPage(QWidget):
    """Shows the summary of the shared snapshot (``feed``; a feed of its own without one):
    the campaign's steps first (``step_clicked`` with a step's key), then the figures."""

    step_clicked = Signal(str)

    def __init__(self, db: Database, parent: QWidget | None = None, feed: SnapshotFeed | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.feed = feed or SnapshotFeed(db, self)
        self.summary: Summary | None = None
        self.setObjectName("dashboardPage")
        self.setStyleSheet(CARD_STYLE)
        self.title = QLabel("工作台", self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.refresh_button = QPushButton("刷新", self)
        self.refresh_button.clicked.connect(self.reload)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.refresh_button)

        self.checklist = Checklist(self)
        self.checklist.clicked.connect(self.step_clicked)
        grid = QGridLayout()
        self.cards: dict[str, _Card] = {}
        for i, (key, title, unit) in enumerate(CARDS):
            card = _Card(title, unit, self)
            self.cards[key] = card
            grid.addWidget(card, i // 3, i % 3)

        self.sources_box = QGroupBox("按资金来源", self)
        self.sources = QLabel("—", self.sources_box)
        self.sources.setObjectName("sourcesLabel")
        QVBoxLayout(self.sources_box).addWidget(self.sources)
        self.items_box = QGroupBox("按资助项目", self)
        self.items = QLabel("—", self.items_box)
        self.items.setObjectName("itemsLabel")
        self.items.setWordWrap(True)
        QVBoxLayout(self.items_box).addWidget(self.items)
        self.progress_box = QGroupBox("核准进度", self)
        self.chart = BarChart(self.progress_box)
        self.open_counts = QLabel(self.progress_box)
        self.open_counts.setObjectName("openCounts")
        self.open_counts.setWordWrap(True)
        progress = QVBoxLayout(self.progress_box)
        progress.addWidget(self.chart)
        progress.addWidget(self.open_counts)
        self.phases_box = QGroupBox("百日攻坚工作安排", self)
        self.phases = QLabel("—", self.phases_box)
        self.phases.setWordWrap(True)
        QVBoxLayout(self.phases_box).addWidget(self.phases)
        lower = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.progress_box)
        left.addWidget(self.sources_box)
        left.addWidget(self.phases_box)
        left.addStretch(1)
        lower.addLayout(left, 1)
        lower.addWidget(self.items_box, 1, Qt.AlignmentFlag.AlignTop)

        # scrolls rather than squeezing the chart and the phases on a small (or scaled) screen
        content = QWidget(self)
        content.setObjectName("dashboardContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(head)
        layout.addWidget(self.checklist)
        layout.addLayout(grid)
        layout.addLayout(lower, 1)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # no Tab stop that shows nothing (as 设置's)
        self.scroll_area.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)
        self.feed.started.connect(lambda: self.refresh_button.setEnabled(False))
        self.feed.ready.connect(lambda snap: self.show_summary(snap.summary))
        self.feed.failed.connect(lambda _exc: self.refresh_button.setEnabled(True))
        if self.feed.current is not None:
            self.show_summary(self.feed.current.summary)

    def reload(self) -> None:
        self.feed.refresh()

    def show_summary(self, summary: Summary) -> None:
        self.refresh_button.setEnabled(True)
        self.summary = summary
        if summary.school:
            self.title.setText(f"工作台 — {summary.school}")
        values = {"students": summary.students, "registered": summary.registered,
                  "granted_students": summary.granted_students, "total": format_fen(summary.total_fen),
                  "pending": summary.pending, "roster": summary.roster}
        for key, card in self.cards.items():
            card.set_value(str(values[key]))
        self.sources.setText("\n".join(f"{SOURCE_LABELS[src]}承担：{format_fen(fen)} 元"
                                       for src, fen in summary.by_source.items()))
        self.items.setText(items_text(summary.by_item))
        self.phases.setText("\n".join(summary.phases) or "（政策文件中没有工作安排）")
        self.checklist.set_steps(summary.steps)
        # progress only once there is something to measure (no "0 / 0" on an empty database):
        # both bars count students; open findings are counted, not measured against a total
        # that includes fixed ones
        n = summary.students
        bars = [("已核准学生", summary.verified, n, QColor(46, 125, 50)),
                ("无未处理错误的学生", n - summary.students_with_errors, n, QColor(21, 101, 192))] if n else []
        self.chart.set_bars(bars)
        self.open_counts.setText(open_counts_text(summary.open_by_severity))
        self.open_counts.setVisible(bool(bars))
        self.progress_box.setVisible(bool(bars))

    def card_text(self, key: str) -> str:
        return self.cards[key].value.text()
