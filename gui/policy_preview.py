"""变更预览: what a new policy version would change, before it takes effect.

Shown by the 政策 page after ``db.policy_versions.preview_change`` ran in the worker:
the students whose subsidies change (IDs masked), old → new per item, the totals per
item and per funding source before and after, and how many verified students would go
back to 待核准. 确认保存 returns the note for the new version; 取消 changes nothing.
An imported file's preview (``FilePreview``) says first where the file comes from: who
signed it, for which school year, which version — or that it is not signed.
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, fields

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.money import format_fen
from db.policy_versions import ChangePreview
from gui.dialogs import ok_cancel
from gui.policy_model import table_view
from gui.screen import fit_to_screen
from gui.search import SEP
from gui.table_model import Column, RowTableModel

UNVERIFY_COLOR = QColor(176, 0, 32)


@dataclass(frozen=True)
class FilePreview(ChangePreview):
    """The 变更预览 of an imported policy file: the change, and where the file comes from."""
    source: str = ""        # core.policy_file.PolicyFile.source_text
    signed: bool = True


def file_preview(preview: ChangePreview, source: str, signed: bool) -> FilePreview:
    """``preview`` with the imported file's source line (shown at the top of the dialog)."""
    return FilePreview(**{f.name: getattr(preview, f.name) for f in fields(ChangePreview)},
                       source=source, signed=signed)


def source_line(preview: ChangePreview) -> str:
    """“文件来源：签名有效的政策文件，由…签发，2023–2024学年 第4版（…）”; "" for a change made on the page."""
    if not isinstance(preview, FilePreview) or not preview.source:
        return ""
    return "文件来源：" + preview.source.replace("：", "，", 1)


def signed_yuan(fen: int) -> str:
    """+300.00 / -1200.00 / 0.00: a change of an amount."""
    return ("+" if fen > 0 else "") + format_fen(fen) if fen >= 0 else "-" + format_fen(-fen)


@dataclass(frozen=True)
class StudentChangeRow:
    key: int
    name: str
    id_masked: str
    changes: str            # 免学费：1200.00 元 → 1400.00 元；…
    old_total: int
    new_total: int
    unverified: bool        # verified now, back to 待核准 when saved

    @property
    def id(self) -> Hashable:
        return self.key


@dataclass(frozen=True)
class TotalRow:
    key: str
    name: str
    old: int
    new: int

    @property
    def id(self) -> Hashable:
        return self.key


class StudentChangesModel(RowTableModel[StudentChangeRow]):
    COLUMNS = (
        Column("姓名", lambda r: r.name),
        Column("身份证号", lambda r: r.id_masked, tip="只显示前6位和后4位"),
        Column("原合计（元）", lambda r: format_fen(r.old_total), lambda r: r.old_total, numeric=True),
        Column("新合计（元）", lambda r: format_fen(r.new_total), lambda r: r.new_total, numeric=True),
        Column("变化（元）", lambda r: signed_yuan(r.new_total - r.old_total), lambda r: r.new_total - r.old_total,
               numeric=True),
        Column("核准", lambda r: "将改回待核准" if r.unverified else "", lambda r: not r.unverified),
        Column("各项目的变化", lambda r: r.changes),
    )

    def search_entries(self) -> list[tuple[Hashable, str]]:
        return [(r.key, SEP.join((r.name, r.changes))) for r in self._rows]

    def foreground(self, row: StudentChangeRow, column: int) -> QColor | None:
        return UNVERIFY_COLOR if row.unverified and column == 5 else None

    def tooltip(self, row: StudentChangeRow, column: int) -> str | None:
        return row.changes.replace("；", "\n") if column == 6 else None


def _total_columns(first: str) -> tuple[Column[TotalRow], ...]:
    return (
        Column(first, lambda r: r.name),
        Column("现在（元）", lambda r: format_fen(r.old), lambda r: r.old, numeric=True),
        Column("保存后（元）", lambda r: format_fen(r.new), lambda r: r.new, numeric=True),
        Column("变化（元）", lambda r: signed_yuan(r.new - r.old), lambda r: r.new - r.old, numeric=True),
    )


class ItemTotalsModel(RowTableModel[TotalRow]):
    COLUMNS = _total_columns("资助项目")


class SourceTotalsModel(RowTableModel[TotalRow]):
    COLUMNS = _total_columns("资金来源")


def preview_rows(preview: ChangePreview) -> tuple[list[StudentChangeRow], list[TotalRow], list[TotalRow]]:
    """The preview's students, item totals and funding-source totals as table rows."""
    unverified = {d.key for d in preview.unverify}
    students = [StudentChangeRow(d.key or 0, d.name, d.id_masked, "；".join(i.text() for i in d.items),
                                 d.old_total, d.new_total, d.key in unverified) for d in preview.students]
    items = [TotalRow(code, name, old, new) for code, name, old, new in preview.item_totals()]
    sources = [TotalRow(name, name, old, new) for name, old, new in preview.source_totals()]
    return students, items, sources


def summary_text(preview: ChangePreview) -> str:
    removed = (f"另有 {len(preview.unverify_removed)} 名已移出名单的已核准学生资助结果改变，将改回“待核准”。"
               if preview.unverify_removed else "")
    if not preview.students:
        return "这次改动不会改变名单中任何学生的资助结果。" + removed
    old, new = preview.before.total, preview.after.total
    text = (f"保存后 {len(preview.students)} 名学生的资助结果会改变，资助总额 {format_fen(old)} 元 → "
            f"{format_fen(new)} 元（{signed_yuan(new - old)} 元）。")
    if preview.unverify:
        text += f"其中 {len(preview.unverify)} 名已核准的学生将改回“待核准”，需要重新核对后核准。"
    return text + removed


def changes_text(preview: ChangePreview) -> str:
    if preview.diff is None:
        return "原政策文件无法读取，全部学生按新政策计算。"
    return "\n".join(preview.diff.lines()) or "只有注释或格式不同。"


class PreviewDialog(QDialog):
    def __init__(self, preview: ChangePreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("policyPreview")
        self.setWindowTitle("变更预览（导入政策文件）" if isinstance(preview, FilePreview) else "变更预览")
        students, items, sources = preview_rows(preview)
        self.source = QLabel(source_line(preview), self)
        self.source.setObjectName("previewSource")
        self.source.setWordWrap(True)
        self.source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.source.font()
        font.setBold(True)
        self.source.setFont(font)
        if isinstance(preview, FilePreview) and not preview.signed:
            self.source.setStyleSheet(f"color: {UNVERIFY_COLOR.name()};")
        self.source.setVisible(bool(self.source.text()))
        self.summary = QLabel(summary_text(preview), self)
        self.summary.setObjectName("previewSummary")
        self.summary.setWordWrap(True)
        self.students = StudentChangesModel(self)
        self.students.set_rows(students)
        self.items = ItemTotalsModel(self)
        self.items.set_rows(items)
        self.sources = SourceTotalsModel(self)
        self.sources.set_rows(sources)
        self.student_view, _proxy = table_view(self, self.students, "previewStudents")
        em = self.fontMetrics().horizontalAdvance("中")
        for column, chars in enumerate((4, 10, 6, 6, 6, 6)):
            self.student_view.setColumnWidth(column, em * chars + 12)
        tabs = self.tabs = QTabWidget(self)
        tabs.addTab(self.student_view, f"资助结果改变的学生（{len(students)}）")
        totals = QWidget(self)
        totals_layout = QVBoxLayout(totals)
        totals_layout.addWidget(QLabel("按资助项目合计：", totals))
        totals_layout.addWidget(table_view(totals, self.items, "previewItemTotals")[0], 2)
        totals_layout.addWidget(QLabel("按资金来源合计：", totals))
        totals_layout.addWidget(table_view(totals, self.sources, "previewSourceTotals")[0], 1)
        tabs.addTab(totals, "合计（按项目、按资金来源）")
        self.changes = QPlainTextEdit(changes_text(preview), self)
        self.changes.setObjectName("previewPolicyChanges")
        self.changes.setReadOnly(True)
        tabs.addTab(self.changes, "政策的变化")
        for view in totals.findChildren(QTableView):
            view.setColumnWidth(0, em * 14)
        self.note_edit = QLineEdit(self)
        self.note_edit.setObjectName("versionNote")
        self.note_edit.setPlaceholderText("例如：按2023年县文件调整学前教育资助标准（可不填）")
        form = QFormLayout()
        form.addRow("版本说明", self.note_edit)
        buttons, self.ok_button = ok_cancel(self, "确认保存为新版本")
        self.ok_button.setObjectName("confirmPolicy")
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addWidget(self.summary)
        layout.addWidget(tabs, 1)
        layout.addLayout(form)
        layout.addWidget(buttons)
        fit_to_screen(self, 960, 640)

    def note(self) -> str:
        return self.note_edit.text().strip()
