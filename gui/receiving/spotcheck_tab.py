"""汇总 › 专项核查: draw a reproducible sample (count or percent, the seed shown and editable,
暗访), the samples kept, the sampled students with their result per point, entering results,
and the documents: 打印核查单, 导出 / 导入结果登记表, 核查报告 PDF — all on ``db.spotcheck``.

Every read and write runs in the worker; errors reach the clerk through ``show_exception``;
writes report ``Changes.SPOTCHECK`` through ``changed`` (the main window routes it back)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.errors import ValidationError
from core.spotcheck import POINTS_BY_CODE, SEED_MAX, SchoolReport, StoredSample, new_seed, summarise
from db.session import Database
from db.spotcheck import ResultsEntry, ResultsImport, SampleRun, SampleSummary, SpotReport
from gui import worker
from gui.errors import show_exception
from gui.receiving.result_form import Entry, ResultForm
from gui.receiving.spotcheck_models import (
    ReportModel,
    SampleModel,
    SpotStudentModel,
    kind_label,
    report_rows,
    spot_rows,
)
from gui.receiving.summary_tab import table

BY_COUNT, BY_PERCENT = "count", "percent"
PDF = "PDF 文件 (*.pdf)"
SHEET_SAVED = "结果登记表已保存：{path}。每个核查项填“属实”或“不属实”，不属实的写明情况；填好后点“导入结果登记表…”。"


def busy(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` under the worker's progress dialog (a busy bar): it takes no ``progress`` itself."""
    def run(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)
    return run


_NO_SAMPLE = "还没有抽取核查样本"


@dataclass(frozen=True)
class SampleView:
    """A kept sample with its results, and the 核查报告's figures per school."""

    stored: StoredSample
    schools: list[SchoolReport]


def load_sample_view(db: Database, sample_id: int) -> SampleView:
    """Worker: the sample and its report figures (``db.spotcheck.spot_report`` without a PDF)."""
    from db.spotcheck import spot_report
    stored = spot_report(db, sample_id).stored
    return SampleView(stored, summarise(stored.checked()))


def report_line(view: SampleView) -> str:
    s = view.stored
    total = sum(sch.sampled for sch in view.schools)
    done = sum(sch.checked for sch in view.schools)
    false = sum(len(sch.false_notes) for sch in view.schools)
    return (f"抽查编号 {s.id}（{kind_label(s.sample.unannounced)}，随机种子 {s.sample.seed}）：抽查 {total} 名，"
            f"已完成核查 {done} 名，不属实 {false} 项。各核查项为“属实人数 / 不属实人数”。")


def false_notes_html(view: SampleView) -> str:
    from html import escape

    from core.idnumber import mask_id
    lines = [f"<li>第 {n.seq} 号 {escape(n.name)} {mask_id(n.id_number)}（{escape(sch.school_name)}）"
             f"<b>{escape(POINTS_BY_CODE[n.point].label)}</b>不属实：{escape(n.note)}</li>"
             for sch in view.schools for n in sch.false_notes]
    return ("<p><b>不属实的情况</b></p><ul>" + "".join(lines) + "</ul>") if lines else "<p>没有不属实的核查项。</p>"


class SpotCheckTab(QWidget):
    changed = Signal(object)            # Changes of the writes (the page passes them on)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("spotCheckTab")
        self.view_data: SampleView | None = None
        self._wanted: int | None = None         # the sample to select after the next reload
        self._restoring = False                 # a selection set by the tab itself: no question asked
        self._drawn_seed: int | None = None     # the seed of the last sample drawn here (the box shows it)

        # -- drawing a sample
        self.size_edit = QLineEdit("20", self)
        self.size_edit.setObjectName("sampleSize")
        self.size_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,6}(\.\d{0,2})?"), self))
        self.size_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 8 + 12)
        self.size_kind = QComboBox(self)
        self.size_kind.setObjectName("sampleSizeKind")
        self.size_kind.addItem("人", BY_COUNT)
        self.size_kind.addItem("%（比例）", BY_PERCENT)
        self.seed_edit = QLineEdit(str(new_seed()), self)
        self.seed_edit.setObjectName("sampleSeed")
        self.seed_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,12}"), self))
        self.seed_edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 13 + 12)
        self.seed_edit.setPlaceholderText("留空则自动生成")
        self.seed_edit.setToolTip("同样的数据和种子必定得到同样的样本（可以复核）；留空时自动生成一个")
        self.unannounced = QCheckBox("暗访", self)
        self.unannounced.setObjectName("unannounced")
        self.unannounced.setToolTip("暗访样本：不事先通知学校；核查完成前不会出现在发给学校的反馈包中")
        self.draw_button = QPushButton("抽取样本并打印核查单…", self)
        self.draw_button.setObjectName("drawSample")
        self.draw_button.clicked.connect(self.draw)
        draw_row = QHBoxLayout()
        draw_row.addWidget(QLabel("抽查", self))
        draw_row.addWidget(self.size_edit)
        draw_row.addWidget(self.size_kind)
        draw_row.addSpacing(8)
        draw_row.addWidget(QLabel("随机种子", self))
        draw_row.addWidget(self.seed_edit)
        draw_row.addWidget(self.unannounced)
        draw_row.addStretch(1)
        draw_row.addWidget(self.draw_button)

        # -- the samples kept and their documents
        self.samples = SampleModel(self)
        self.samples_view = table(self.samples, self, "samplesTable")
        self.samples_view.setSelectionMode(self.samples_view.SelectionMode.SingleSelection)
        self.samples_view.selectionModel().selectionChanged.connect(lambda *_a: self._sample_chosen())
        self.print_button = self._button("printChecklists", "打印核查单…",
                                         "重新生成所选样本的抽查名单和现场核查表（PDF）", self.print_checklists)
        self.sheet_button = self._button("exportSheet", "导出结果登记表…", "Excel 登记表：每个核查项填属实或不属实",
                                         self.export_sheet)
        self.import_button = self._button("importSheet", "导入结果登记表…",
                                          "导入填好的登记表：有任何问题则全部不导入，并列出问题所在的行和列",
                                          self.import_sheet)
        self.report_button = self._button("reportPdf", "核查报告 PDF…", "各校核查情况和不属实情况，带签字栏",
                                          self.report_pdf)
        actions = QHBoxLayout()
        for b in (self.print_button, self.sheet_button, self.import_button, self.report_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.status = QLabel(f"{_NO_SAMPLE}。", self)
        self.status.setObjectName("spotStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # -- the sampled students (results entered below) and the report's figures
        self.students = SpotStudentModel(self)
        self.students_view = table(self.students, self, "spotStudents")
        self.students_view.setSelectionMode(self.students_view.SelectionMode.SingleSelection)
        self.students_view.selectionModel().selectionChanged.connect(lambda *_a: self._student_chosen())
        self.form = ResultForm(self)
        self.form.save_requested.connect(self.save_results)
        students = QSplitter(Qt.Orientation.Vertical, self)
        students.setObjectName("spotStudentsSplitter")
        students.setChildrenCollapsible(False)
        students.addWidget(self.students_view)
        students.addWidget(self.form)
        students.setStretchFactor(0, 1)
        self.report = ReportModel(self)
        self.report_line = QLabel("", self)
        self.report_line.setObjectName("reportLine")
        self.report_line.setWordWrap(True)
        self.report_view = table(self.report, self, "spotReport")
        self.notes = QTextBrowser(self)
        self.notes.setObjectName("falseNotes")
        report = QWidget(self)
        column = QVBoxLayout(report)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.report_line)
        column.addWidget(self.report_view, 3)
        column.addWidget(self.notes, 2)
        self.inner = QTabWidget(self)
        self.inner.setObjectName("spotInnerTabs")
        self.inner.addTab(students, "抽查学生")
        self.inner.addTab(report, "核查报告")

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.samples_view, 1)
        top_layout.addLayout(actions)
        top_layout.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("spotSplitter")
        split.setChildrenCollapsible(False)
        split.addWidget(top)
        split.addWidget(self.inner)
        split.setStretchFactor(1, 3)
        split.setSizes([150, 450])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(draw_row)
        layout.addWidget(split, 1)
        self._enable()

    def _button(self, name: str, text: str, tip: str, slot) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _enable(self) -> None:
        chosen = self.selected_sample() is not None
        for b in (self.print_button, self.sheet_button, self.import_button, self.report_button):
            b.setEnabled(chosen)

    # -- asking and opening (tests replace these) -------------------------------
    def ask_save(self, title: str, name: str, filters: str) -> Path | None:
        from gui.dialogs import ask_save_path
        return ask_save_path(self, title, name, filters)

    def ask_open(self, title: str) -> Path | None:
        from gui.dialogs import ask_open_path
        return ask_open_path(self, title)

    def ask_same_seed(self, seed: int) -> bool | None:
        """The seed box still holds the last sample's seed: True draws with it again (复核), False with a
        new seed, None draws nothing."""
        from PySide6.QtWidgets import QMessageBox
        box = QMessageBox(QMessageBox.Icon.Question, "抽取样本",
                          f"随机种子 {seed} 是刚才那次抽样用的：数据不变时，同一个种子会抽到同样的学生。", parent=self)
        box.setInformativeText("要抽一个新的样本，请换一个新种子；要复核刚才的样本，才用同一个种子。")
        new = box.addButton("换新种子", QMessageBox.ButtonRole.AcceptRole)
        same = box.addButton("用同一个种子（复核）", QMessageBox.ButtonRole.YesRole)
        box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(new)
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        return True if clicked is same else False if clicked is new else None

    def open_file(self, path: Path) -> None:
        """Show a written PDF in the system's viewer (to read and print it)."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.status.setText(self.status.text() + f"\n无法自动打开，请在文件夹中打开：{path}")

    # -- loading --------------------------------------------------------------------
    def reload(self) -> None:
        from db.spotcheck import sample_list
        worker.run_task(sample_list, self.db, on_success=self.show_samples, parent=self)

    def selected_sample(self) -> SampleSummary | None:
        rows = self.samples_view.selectionModel().selectedRows()
        return self.samples.row_at(rows[0].row()) if rows else None

    def show_samples(self, samples: list[SampleSummary]) -> None:
        current = self.selected_sample()
        wanted = self._wanted or (current.id if current else None)
        self._wanted = None
        self.samples.set_rows(samples)
        if not samples:
            self.view_data = None
            self.status.setText(f"{_NO_SAMPLE}：填写抽查人数（或比例）和随机种子，点“抽取样本并打印核查单…”。")
            self._show_view(None)
            self._enable()
            return
        if self.status.text().startswith(_NO_SAMPLE):      # (it said so above a listed sample until a save)
            self.status.setText(f"已抽取 {len(samples)} 次核查样本：选中一次，查看抽查学生和登记核查结果。")
        pos = self.samples.position(wanted) if wanted is not None else None
        self.samples_view.selectRow(len(samples) - 1 if pos is None else pos)   # newest by default
        self.load_selected()

    def load_selected(self) -> None:
        self._enable()
        chosen = self.selected_sample()
        if chosen is None:
            self._show_view(None)
            return
        worker.run_task(load_sample_view, self.db, chosen.id, on_success=self._show_view, parent=self)

    def _show_view(self, view: SampleView | None) -> None:
        same = view is not None and self.view_data is not None and view.stored.id == self.view_data.stored.id
        self.view_data = view
        student = self.form.row.id if self.form.row and same else None
        typed = self.form.entries() if student is not None else []     # kept over a reload of the sample
        self._restoring = True
        try:
            self.students.set_rows(spot_rows(view.stored) if view else [])
            pos = self.students.position(student) if student is not None else None
            if pos is not None:
                self.students_view.selectRow(pos)
        finally:
            self._restoring = False
        self.report.set_rows(report_rows(view.schools) if view else [])
        self.report_line.setText(report_line(view) if view else "")
        self.notes.setHtml(false_notes_html(view) if view else "")
        self.inner.setTabText(0, f"抽查学生（{self.students.rowCount()}）" if view else "抽查学生")
        self.show_student()
        if typed and self.form.row is not None and self.form.row.id == student:
            self.form.keep_typed(typed)

    def show_student(self) -> None:
        rows = self.students_view.selectionModel().selectedRows()
        self.form.show_student(self.students.row_at(rows[0].row()) if rows else None)

    # -- results typed and not saved: asked before they would go ----------------------
    def may_leave(self) -> bool:
        """True when nothing typed in the result form would be lost, or the clerk drops it (the stored
        results are then shown again)."""
        if not self.form.has_unsaved():
            return True
        if not self.form.ask_discard():
            return False
        self.form.show_student(self.form.row)
        return True

    def _select(self, view: Any, pos: int | None) -> None:
        """Put a view's selection back (the clerk kept editing), asking nothing."""
        self._restoring = True
        try:
            if pos is None:
                view.clearSelection()
            else:
                view.selectRow(pos)
        finally:
            self._restoring = False

    def _sample_chosen(self) -> None:
        if self._restoring:
            return
        shown = self.view_data.stored.id if self.view_data else None
        chosen = self.selected_sample()
        if (chosen.id if chosen else None) != shown and not self.may_leave():
            self._select(self.samples_view, None if shown is None else self.samples.position(shown))
            return
        self.load_selected()

    def _student_chosen(self) -> None:
        if self._restoring:
            return
        shown = self.form.row
        rows = self.students_view.selectionModel().selectedRows()
        chosen = self.students.row_at(rows[0].row()) if rows else None
        if shown is not None and (chosen is None or chosen.id != shown.id) and not self.may_leave():
            self._select(self.students_view, self.students.position(shown.id))
            return
        self.show_student()

    # -- drawing --------------------------------------------------------------------
    def sample_request(self) -> dict:
        """The size and seed as typed, checked (ValidationError saying what to change)."""
        size, seed = self.size_edit.text().strip(), self.seed_edit.text().strip()
        if seed and int(seed) > SEED_MAX:
            raise ValidationError(f"随机种子 {seed} 太大", f"种子应为 0 到 {SEED_MAX} 之间的整数；留空则自动生成")
        request: dict = {"unannounced": self.unannounced.isChecked(), "seed": int(seed) if seed else None}
        if self.size_kind.currentData() == BY_PERCENT:
            try:
                percent = Decimal(size) if size else Decimal(0)
            except InvalidOperation:          # (the field's validator lets "." through while typing)
                percent = Decimal(0)
            if not 0 < percent <= 100:
                raise ValidationError(f"抽查比例“{size}”无效", "请填写大于 0、不超过 100 的比例，例如 5 表示抽查 5%")
            return request | {"percent": size}
        if not size.isdigit() or int(size) < 1:
            raise ValidationError(f"抽查人数“{size}”无效", "请填写正整数的人数，例如 20；按比例抽查时选择“%（比例）”")
        return request | {"count": int(size)}

    def draw(self) -> None:
        """Check the request, ask where the checklists go, then draw, keep and print in the worker (the
        new sample is shown: results typed and not saved are asked about first)."""
        if not self.may_leave():
            return
        try:
            request = self.sample_request()
        except ValidationError as exc:
            show_exception(self, exc)
            return
        if request["seed"] is not None and request["seed"] == self._drawn_seed:
            again = self.ask_same_seed(request["seed"])
            if again is None:
                return
            if not again:
                request["seed"] = new_seed()
                self.seed_edit.setText(str(request["seed"]))
        kind = "暗访" if request["unannounced"] else "专项核查"
        target = self.ask_save(f"保存{kind}抽查名单和现场核查表", f"{kind}-抽查名单和核查表-{date.today():%Y%m%d}.pdf",
                               PDF)
        if target is None:
            return
        from db.spotcheck import draw_and_store
        worker.run_task(busy(draw_and_store), self.db, target, **request, parent=self,
                        on_success=lambda run: self._drawn(run, target),
                        progress=worker.Progress("正在抽取样本并生成现场核查表…", "专项核查"))

    def _drawn(self, run: SampleRun, target: Path) -> None:
        s = run.stored.sample
        # the box keeps the seed this sample was drawn with, the one the status line asks to note down
        # (drawing again with it is asked about first: ``ask_same_seed``)
        self.seed_edit.setText(str(s.seed))
        self._drawn_seed = s.seed
        self._wanted = run.stored.id
        self.status.setText(
            f"已抽取{run.stored.kind_label}样本：抽查编号 {run.stored.id}，随机种子 {s.seed}（请记下，可用于复核），"
            f"从 {len(s.schools)} 所学校的 {s.population} 名受助学生中抽取 {len(s.students)} 名；"
            f"核查表：{target}" + ("。暗访：不要事先通知学校" if s.unannounced else "") + _warnings(run.warnings))
        self.changed.emit(run.changes)
        self.open_file(target)

    # -- the selected sample's documents and results ----------------------------------
    def _chosen_id(self) -> int | None:
        chosen = self.selected_sample()
        return chosen.id if chosen else None

    def _write(self, title: str, name: str, filters: str, fn: Callable[..., Any], busy_text: str,
               done: Callable[[Any, Path], str], show: bool = True) -> None:
        """Ask where, write ``fn(db, sample, path)`` in the worker, say ``done(result, path)``
        and (``show``) open what was written."""
        sid = self._chosen_id()
        target = None if sid is None else self.ask_save(title, name.format(sid=sid), filters)
        if sid is None or target is None:
            return

        def written(result: Any) -> None:
            self.status.setText(done(result, target))
            if show:
                self.open_file(target)
        worker.run_task(busy(fn), self.db, sid, target, on_success=written, parent=self,
                        progress=worker.Progress(busy_text, "专项核查"))

    def print_checklists(self) -> None:
        """打印核查单: the selected sample's checklists again (PDF), then opened."""
        from db.spotcheck import print_checklists
        self._write("保存抽查名单和现场核查表", "抽查编号{sid}-抽查名单和核查表.pdf", PDF, print_checklists,
                    "正在生成现场核查表…", lambda warnings, path: f"抽查名单和现场核查表：{path}" + _warnings(warnings))

    def export_sheet(self) -> None:
        """导出结果登记表: the Excel sheet the checkers fill in (results entered so far filled in)."""
        from db.spotcheck import write_results_sheet
        from gui.dialogs import EXCEL
        self._write("保存结果登记表", "抽查编号{sid}-结果登记表.xlsx", EXCEL, write_results_sheet,
                    "正在生成结果登记表…", lambda path, _target: SHEET_SAVED.format(path=path), show=False)

    def report_pdf(self) -> None:
        """核查报告 PDF: per school the students sampled and checked, 属实 / 不属实 per point, the notes."""
        from db.spotcheck import spot_report

        def done(report: SpotReport, path: Path) -> str:
            t = report.json["totals"]
            return (f"核查报告已保存：{path}（抽查 {t['sampled']} 名，已完成核查 {t['checked']} 名，"
                    f"不属实 {len(t['false_notes'])} 项）" + _warnings(report.warnings))
        self._write("保存核查报告", "抽查编号{sid}-核查报告.pdf", PDF, spot_report, "正在生成核查报告…", done)

    def import_sheet(self) -> None:
        """导入结果登记表: all or nothing (any problem is listed with its row and column)."""
        sid = self._chosen_id()
        path = None if sid is None else self.ask_open("选择填好的结果登记表")
        if sid is None or path is None:
            return
        from db.spotcheck import import_results

        def done(result: ResultsImport) -> None:
            self.status.setText(f"已导入结果登记表：读取 {result.rows} 名学生，新登记或改动 {result.changed} 项，"
                                f"没有变化 {result.unchanged} 项。")
            self.changed.emit(result.changes)
        worker.run_task(busy(import_results), self.db, sid, path, on_success=done, parent=self,
                        progress=worker.Progress("正在检查并导入结果登记表…", "专项核查"))

    def save_results(self, seq: int, entries: list[Entry]) -> None:
        """保存核查结果: the selected student's points in one transaction (nothing when one is invalid)."""
        sid = self._chosen_id()
        if sid is None:
            return
        if not entries:
            self.status.setText(f"第 {seq} 号：没有新的核查结果要保存（选择属实或不属实，或修改说明）。")
            return
        from db.spotcheck import enter_results

        def done(entry: ResultsEntry) -> None:
            checked = entry.stored.checked()
            self.status.setText(f"已登记第 {seq} 号的 {entry.changed} 个核查项；抽查编号 {sid}："
                                f"已完成核查 {sum(c.complete for c in checked)} / {len(checked)} 名。")
            self.changed.emit(entry.changes)
        worker.run_task(enter_results, self.db, sid, str(seq), entries, on_success=done, parent=self)


def _warnings(warnings: list[str]) -> str:
    return "".join(f"\n注意：{w}" for w in warnings)
