"""工作台: the campaign at a glance (counts, totals by funding source, phases)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import Qt
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
from sqlalchemy import func, select

from core.domain import Category
from core.engine import compute_all
from core.money import format_fen
from core.policy import SOURCE_LABELS
from core.campaign import phase_statuses
from db.findings import open_counts
from db.models import ON_LIST, FindingRow, RosterPerson, Student
from gui.progress_chart import BarChart
from db.session import Database
from db.store import find_school, get_policy
from db.students import iter_records
from gui import worker

CARD_STYLE = ("QFrame#card { background: palette(base); border: 1px solid palette(mid);"
              " border-radius: 6px; }")


@dataclass
class Summary:
    school: str = ""
    school_year: int | None = None
    students: int = 0
    registered: int = 0
    granted_students: int = 0
    total_fen: int = 0
    pending: int = 0
    roster: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_item: list[tuple[str, int]] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    verified: int = 0
    open_by_severity: dict[str, int] = field(default_factory=dict)
    findings_total: int = 0


def load_summary(db: Database, today: date | None = None) -> Summary:
    """Worker function: counts, verification progress and the totals of a full computation."""
    with db.session() as s:
        verified = s.scalar(select(func.count()).select_from(Student).where(Student.verified.is_(True), ON_LIST)) or 0
        open_by_severity = open_counts(s)
        findings_total = s.scalar(select(func.count()).select_from(FindingRow)
                                  .where(FindingRow.state != "fixed")) or 0
        school = find_school(s)
        policy = get_policy(s)
        results, totals = compute_all(iter_records(s), policy)
        roster = s.scalar(select(func.count()).select_from(RosterPerson)) or 0
        registered = s.scalar(select(func.count()).select_from(Student)
                              .where(Student.category == Category.REGISTERED.value, ON_LIST)) or 0
    names = {i.code: i.name for i in policy.items}
    return Summary(
        school=school.name if school else "", school_year=school.school_year if school else None,
        students=len(results), registered=registered, granted_students=totals.students_granted,
        total_fen=totals.total, pending=totals.pending, roster=roster,
        by_source={src: totals.by_source.get(src, 0) for src in SOURCE_LABELS},
        by_item=[(names[c], fen) for c, fen in totals.by_item.items()],
        phases=[f"{p.name}：{p.start:%m月%d日}至{p.end:%m月%d日}，{p.label}"
                for p in phase_statuses(policy, school.school_year, today or date.today())] if school else [],
        verified=verified, open_by_severity=open_by_severity, findings_total=findings_total,
    )


CARDS = (
    ("students", "学生", "人"), ("registered", "建档立卡学生", "人"),
    ("granted_students", "享受资助人数", "人"), ("total", "资助总额", "元"),
    ("pending", "待补充项目数", "项"), ("roster", "建档立卡名单人数", "人"),
)


class _Card(QFrame):
    def __init__(self, title: str, unit: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.unit = unit
        layout = QVBoxLayout(self)
        caption = QLabel(title, self)
        caption.setStyleSheet("color: palette(dark);")
        self.value = QLabel("—", self)
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.value.setFont(font)
        layout.addWidget(caption)
        layout.addWidget(self.value)

    def set_value(self, text: str) -> None:
        self.value.setText(f"{text} {self.unit}")


class DashboardPage(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
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
        QVBoxLayout(self.progress_box).addWidget(self.chart)
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
        layout.addLayout(grid)
        layout.addLayout(lower, 1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)

    def reload(self) -> None:
        self.refresh_button.setEnabled(False)
        worker.run_task(load_summary, self.db, on_success=self.show_summary,
                        on_failure=self._failed, parent=self)

    def _failed(self, exc: BaseException) -> None:
        from gui.errors import show_exception
        self.refresh_button.setEnabled(True)
        show_exception(self, exc)

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
        self.items.setText("\n".join(f"{name}：{format_fen(fen)} 元" for name, fen in summary.by_item))
        self.phases.setText("\n".join(summary.phases) or "（政策文件中没有工作安排）")
        sev = summary.open_by_severity
        total = max(summary.findings_total, 1)
        self.chart.set_bars([
            ("已核准学生", summary.verified, summary.students, QColor(46, 125, 50)),
            ("未处理错误", sev.get("error", 0), total, QColor(176, 0, 32)),
            ("未处理警告", sev.get("warning", 0), total, QColor(200, 130, 0)),
            ("未处理提示", sev.get("info", 0), total, QColor(60, 90, 140)),
        ])

    def card_text(self, key: str) -> str:
        return self.cards[key].value.text()
