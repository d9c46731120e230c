"""The result of an intake: each offered file — 已接收 / 已替换 (with what changed) / 拒收 (why) /
已接收过 — in one dialog the clerk reads before closing."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from core.money import format_fen
from core.package_changes import change_lines
from db.receiving import IntakeOutcome, IntakeReport
from gui.screen import fit_to_screen


def outcome_word(o: IntakeOutcome) -> str:
    if o.accepted:
        return "已替换" if o.replaced_file else "已接收"
    return "已接收过" if o.result == "duplicate" else "拒收"


def outcome_lines(o: IntakeOutcome, via: str = "") -> list[str]:
    """One file's result in Chinese lines (ID numbers masked by change_lines); ``via``: "，经…转报"
    for a school package from a station's 汇总包 (IntakeReport.via_text)."""
    school = f"{o.school_name}（学校代码 {o.school_code}）" if o.school_code else ""
    word = outcome_word(o)
    if o.accepted:
        kind = "，往年提交包：只用于核对一次性项目" if o.history else ""
        lines = [f"{word}：{o.file_name} — {school}，学生 {o.students} 人，"
                 f"合计 {format_fen(o.total_fen)} 元{kind}{via}"]
        if o.replaced_file:
            lines.append(f"  替换了此前接收的 {o.replaced_file}（保留在历史中）")
            if o.changes is not None:
                lines += ["  " + line for line in change_lines(o.changes, o.items)]
        return lines
    if o.result == "duplicate":
        return [f"{word}：{o.file_name} — {o.reason}，未重复接收"]
    return [f"{word}：{o.file_name}" + (f" — {school}" if school else ""), f"  原因：{o.reason}"]


def report_headline(report: IntakeReport) -> str:
    refused = report.count("refused")
    replaced = sum(o.accepted and bool(o.replaced_file) for o in report.outcomes)
    text = (f"共 {len(report.outcomes)} 个文件：接收 {report.count('accepted')} 个（其中替换 {replaced} 个），"
            f"已接收过 {report.count('duplicate')} 个，拒收 {refused} 个。")
    return text + ("拒收的提交包没有导入任何数据。" if refused else "")


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
        lines = [p.headline() for p in report.stations]
        lines += [line for o in report.outcomes for line in outcome_lines(o, report.via_text(o))]
        self.text.setPlainText("\n".join(lines))
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(self)
        buttons.addButton("关闭", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        fit_to_screen(self, 760, 480)
