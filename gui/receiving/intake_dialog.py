"""The result of an intake: each offered file — 已接收 / 已替换 (with what changed) / 拒收 (why) /
已接收过 — in one dialog the clerk reads before closing (the wording is ``db.receiving_text``'s,
the same as ``consolidate add`` prints)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from db.receiving import IntakeReport
from db.receiving_text import report_headline, report_lines
from gui.screen import fit_to_screen


class IntakeResultDialog(QDialog):
    def __init__(self, report: IntakeReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("接收结果")
        self.setObjectName("intakeResult")
        layout = QVBoxLayout(self)
        self.headline = QLabel(report_headline(report), self)
        self.headline.setObjectName("intakeHeadline")
        self.headline.setWordWrap(True)
        layout.addWidget(self.headline)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("intakeLines")
        self.text.setReadOnly(True)
        self.text.setPlainText("\n".join(report_lines(report)))
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(self)
        buttons.addButton("关闭", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        fit_to_screen(self, 760, 480)
