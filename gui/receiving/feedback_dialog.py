"""生成反馈包…'s first question: for every school with findings, or for the schools the clerk
ticks (one or several; a school without findings too: its empty feedback tells it the
receiver's newer look found nothing, which closes its earlier open findings)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from db.feedback_send import FeedbackSchool
from gui.screen import fit_to_screen


@dataclass(frozen=True)
class FeedbackChoice:
    """``codes`` empty: every school with findings, or whose sent ones are gone (``--all``); else these
    schools (``--school``)."""
    codes: tuple[str, ...] = ()


def school_line(school: FeedbackSchool) -> str:
    """"4228220101 第一中学：问题 2 个（错误 2，警告 0，提示 0）"."""
    c = school.counts
    found = (f"问题 {school.findings} 个（错误 {c['error']}，警告 {c['warning']}，提示 {c['info']}）"
             if school.findings else
             f"问题已消除（上次反馈的 {school.closes} 个问题，待发反馈包告知学校）" if school.closes else
             "没有问题（反馈包告诉学校此前的问题已消除）")
    return f"{school.code} {school.name or '（名称未知）'}：{found}"


class FeedbackSchoolsDialog(QDialog):
    def __init__(self, schools: Sequence[FeedbackSchool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feedbackSchools")
        self.setWindowTitle("生成反馈包")
        with_findings = sum(1 for s in schools if s.due)      # (and those whose sent findings are gone)
        intro = QLabel("反馈包把汇总核查的问题和已完成核查的不属实项签名发回学校，每所学校一个，"
                       "只含涉及这所学校的问题。", self)
        intro.setWordWrap(True)
        closing = sum(1 for s in schools if s.closes and not s.findings)
        self.all_button = QRadioButton(f"所有有问题的学校（{with_findings - closing} 所）"
                                       + (f"，及问题已消除待告知的学校（{closing} 所）" if closing else ""), self)
        self.all_button.setObjectName("feedbackAll")
        self.chosen_button = QRadioButton("选定的学校（可选一所或几所）：", self)
        self.chosen_button.setObjectName("feedbackChosen")
        self.list = QListWidget(self)
        self.list.setObjectName("feedbackSchoolList")
        for school in schools:
            item = QListWidgetItem(school_line(school), self.list)
            item.setData(Qt.ItemDataRole.UserRole, school.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("下一步…")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.all_button)
        layout.addWidget(self.chosen_button)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        self.all_button.toggled.connect(lambda _on: self._update())
        self.list.itemChanged.connect(lambda _item: self._chose())
        (self.all_button if with_findings else self.chosen_button).setChecked(True)
        self.all_button.setEnabled(bool(with_findings))
        self._update()
        fit_to_screen(self, 640, 440)

    def check(self, code: str, on: bool = True) -> None:
        """Tick (or untick) a school in the list."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == code:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def checked(self) -> tuple[str, ...]:
        return tuple(self.list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.list.count())
                     if self.list.item(r).checkState() == Qt.CheckState.Checked)

    def choice(self) -> FeedbackChoice:
        return FeedbackChoice() if self.all_button.isChecked() else FeedbackChoice(self.checked())

    def _chose(self) -> None:
        if self.checked():                 # ticking a school means 选定的学校
            self.chosen_button.setChecked(True)
        self._update()

    def _update(self) -> None:
        ok = self.all_button.isChecked() or bool(self.checked())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
