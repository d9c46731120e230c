"""汇总 (receiving mode): take in packages (dropped files or folders, or 添加上报包…), the list of
expected schools (导入应报学校名单…), the package list with each school's state, the summaries with
charts and the cross-school findings.

Everything the page shows is read in the worker (``load_receiving``); intake runs there too,
with a progress dialog, and reports ``Changes.RECEIVING`` through ``changed`` (the main
window's one ``apply_changes`` path routes it back to ``on_changes``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from core.consolidate import CrossFinding
from core.consolidate.reporting import Reporting
from core.consolidate.summary import Summary
from core.money import format_fen
from db.changes import Changes
from db.consolidation import ConsolidatedExportResult
from db.exports import ExportState
from db.feedback_send import FeedbackSchool, FeedbackWritten
from db.receiving import IntakeReport
from db.receiving_status import IntakeStatus, SchoolsImported
from db.receiving_views import PackageHistory, RefusedFile
from db.session import Database
from gui import worker
from gui.errors import show_exception
from gui.receiving.feedback_dialog import FeedbackChoice
from gui.receiving.lists import FindingsTab, PackagesTab
from gui.receiving.models import REFUSED, REPLACED, PackageRow
from gui.receiving.spotcheck_tab import SpotCheckTab, busy
from gui.receiving.summary_tab import SummaryTab

DROP_HINT = "把上报包或 U 盘上的文件夹拖到这里"
DROP_TIP = "把上报包（.zip）或 U 盘上的文件夹拖到这里，或点“添加上报包…”“添加文件夹…”"
SCHOOLS_TIP = ("导入本乡镇（本县）应上报的学校名单（学校代码、学校名称、乡镇、学段），"
               "未上报的学校显示为缺报，报送截止后才上报的显示为迟报")


@dataclass(frozen=True)
class ReceivingData:
    receives: bool
    packages: tuple[PackageRow, ...] = ()
    summary: Summary | None = None
    findings: tuple[CrossFinding, ...] = ()
    expected: int = 0
    school_year: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    reporting: Reporting | None = None      # 报送情况 as the 汇总包 would state it (None: no list of expected schools)


def package_rows(status: IntakeStatus, history: PackageHistory) -> list[PackageRow]:
    """The list: each school's state as ``db.receiving_status`` decides it (已接收, 迟报, 缺报,
    仅有草稿; schools not on the expected list too), then each replaced package (已替换) and each
    refused file (拒收 and why) from the history: one row per distinct file, however often it was
    offered (the count ``consolidate status`` prints)."""
    rows: list[PackageRow] = []
    names = {p.school_code: (p.school_name, p.township) for p in history.packages}
    vias = {p.school_code: p.via for p in history.packages if p.current and p.via}
    for st in (*status.schools, *status.unlisted):
        known_name, known_town = names.get(st.code, ("", ""))
        name, town = names[st.code] = (st.name or known_name, st.township or known_town)
        held = st.file_name != ""
        via = vias.get(st.code, "") if held else ""
        note = "；".join(x for x in (st.note, "" if st.listed else "不在应报学校名单中",
                                      f"经 {via} 转报" if via else "") if x)
        rows.append(PackageRow(f"s{st.code}", st.code, name, town, st.state, note,
                               st.students if held else None, st.total_fen if held else None,
                               f"{st.received_at:%Y-%m-%d %H:%M}" if st.received_at else "", st.file_name, via))
    for p in history.packages:
        if not p.current:
            rows.append(PackageRow(f"p{p.id}", p.school_code, p.school_name, p.township, REPLACED,
                                   "已被较新的上报包替换（保留在历史中）", p.students, p.total_fen,
                                   f"{p.received_at:%Y-%m-%d %H:%M}", p.file_name, p.via))
    for r in history.refused:
        name, town = names.get(r.school_code, ("", ""))
        rows.append(PackageRow(f"r{r.id}", r.school_code, name, town, REFUSED, refused_reason(r),
                               received_at=f"{r.at:%Y-%m-%d %H:%M}", file_name=r.file_name))
    return rows


def refused_reason(r: RefusedFile) -> str:
    """A refused file's 说明: why (its latest offer's reason), led by how often the same file was
    refused when more than once (a folder scanned again: sending it again will not help, the school
    must send a corrected package), and whether the file was accepted since."""
    text = r.reason
    if r.attempts > 1 and r.first_at is not None:
        text = f"同一文件已拒收 {r.attempts} 次（首次 {r.first_at:%Y-%m-%d %H:%M}）：{text}"
    if r.accepted_later:
        text += "（此文件现已接收）"
    return text


def load_receiving(db: Database) -> ReceivingData:
    """Worker: everything the 汇总 page shows (nothing but ``receives`` when it receives nothing)."""
    from db.consolidation import reporting_of_status
    from db.receiving_status import intake_status
    from db.receiving_views import package_history, receives
    if not receives(db):
        return ReceivingData(False)
    history = package_history(db)
    status = intake_status(db)
    reporting = reporting_of_status(status)
    summary: Summary | None = None
    findings: tuple[CrossFinding, ...] = ()
    if any(p.current for p in history.packages):
        from db.consolidation import consolidation
        done = consolidation(db)
        summary, findings = done.summary, tuple(done.findings)
    return ReceivingData(True, tuple(package_rows(status, history)), summary, findings, len(status.schools),
                         history.school_year, reporting=reporting)


class ReceivingPage(QWidget):
    changed = Signal(object)            # Changes of this page's writes (the main window routes them)
    receives_changed = Signal(bool)     # whether the database receives (the navigation shows 汇总)
    loaded = Signal()
    DEPENDS_ON = Changes.RECEIVING | Changes.SCHOOL      # the school year decides what is current
    # (Changes.SPOTCHECK reloads the 专项核查 tab alone)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("receivingPage")
        self.setAcceptDrops(True)
        self.standalone = True
        self.data: ReceivingData | None = None
        self.changed.connect(self._route_own)

        self.hint = QLabel(DROP_HINT, self)
        self.hint.setObjectName("dropHint")
        self.hint.setStyleSheet("color: #345; border: 1px dashed #89a; padding: 6px;")
        self.hint.setToolTip(DROP_TIP)
        self.hint.setWordWrap(True)         # two lines where the button row leaves it little room (150 % scaling)
        self.add_button = QPushButton("添加上报包…", self)
        self.add_button.setObjectName("addPackages")
        self.add_button.clicked.connect(self.add_packages)
        self.folder_button = QPushButton("添加文件夹…", self)
        self.folder_button.setObjectName("addFolder")
        self.folder_button.setToolTip("接收文件夹（例如 U 盘）及其子文件夹中的全部上报包")
        self.folder_button.clicked.connect(self.add_folder)
        self.schools_button = QPushButton("导入应报学校名单…", self)
        self.schools_button.setObjectName("importExpectedSchools")
        self.schools_button.setToolTip(SCHOOLS_TIP)
        self.schools_button.clicked.connect(self.import_schools)
        self.export_button = QPushButton("导出汇总包…", self)
        self.export_button.setObjectName("exportConsolidated")
        self.export_button.setToolTip("签名的汇总包：汇总表、报告和各校上报包原件，报送上级（乡镇报县，县报市）")
        self.export_button.clicked.connect(self.export_consolidated)
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.folder_button)
        top.addWidget(self.schools_button)
        self.feedback_button = QPushButton("生成反馈包…", self)
        self.feedback_button.setObjectName("writeFeedback")
        self.feedback_button.setToolTip("为所有有问题的学校或选定的学校各生成一个签名的反馈包：交叉核查的问题和"
                                        "已完成核查的不属实项（暗访样本核查完成前不会发出）")
        self.feedback_button.clicked.connect(self.write_feedback)
        top.addSpacing(12)
        top.addWidget(self.export_button)
        top.addWidget(self.feedback_button)

        self.packages = PackagesTab(self)
        self.summary = SummaryTab(self)
        self.findings = FindingsTab(self)
        self.spotcheck = SpotCheckTab(db, self)
        self.spotcheck.changed.connect(self.changed)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("receivingTabs")
        self.tabs.addTab(self.packages, "上报包")
        self.tabs.addTab(self.summary, "汇总")
        self.tabs.addTab(self.findings, "交叉核查")
        self.tabs.addTab(self.spotcheck, "专项核查")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    # -- loading ----------------------------------------------------------
    def on_changes(self, changes: Changes) -> None:
        if changes & self.DEPENDS_ON:
            self.reload()
        elif changes & Changes.SPOTCHECK:       # a sample or a result: only the 专项核查 tab shows them
            self.spotcheck.reload()

    def _route_own(self, changes: Changes) -> None:
        if self.standalone:
            self.on_changes(changes)

    def reload(self) -> None:
        worker.run_task(load_receiving, self.db, on_success=self.show_data, parent=self)
        self.spotcheck.reload()

    def may_leave(self) -> bool:
        """Before the window closes or the database is switched: results typed on 专项核查 and not
        saved are dropped or kept as the clerk says."""
        return self.spotcheck.may_leave()

    def show_data(self, data: ReceivingData) -> None:
        self.data = data
        self.receives_changed.emit(data.receives)
        self.packages._loaded(data.packages)
        self.summary.show_summary(data.summary)
        self.summary.show_reporting(data.reporting)
        self.findings._loaded(data.findings)
        errors = sum(f.severity == "error" for f in data.findings)
        self.tabs.setTabText(2, f"交叉核查（{errors}）" if errors else "交叉核查")
        self.loaded.emit()

    # -- intake -----------------------------------------------------------
    def ask_package_files(self) -> list[Path]:
        """Which package files (tests replace this)."""
        from PySide6.QtWidgets import QFileDialog

        from gui.dialogs import start_folder
        names, _ = QFileDialog.getOpenFileNames(self, "选择上报包", str(start_folder()), "上报包 (*.zip)")
        return [Path(n) for n in names]

    def ask_folder(self) -> Path | None:
        """Which folder (tests replace this)."""
        from PySide6.QtWidgets import QFileDialog

        from gui.dialogs import start_folder
        name = QFileDialog.getExistingDirectory(self, "选择包含上报包的文件夹", str(start_folder()))
        return Path(name) if name else None

    def add_packages(self) -> None:
        self.take_in(self.ask_package_files())

    def add_folder(self) -> None:
        folder = self.ask_folder()
        if folder is not None:
            self.take_in([folder])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.take_in(paths)

    def take_in(self, paths: list[Path]) -> None:
        """Verify and store the packages (files or folders) in the worker, then show the result."""
        if not paths:
            return
        from db.receiving import intake
        worker.run_task(intake, self.db, paths, on_success=self._taken_in, on_failure=self._not_all_taken_in,
                        parent=self, progress=worker.Progress("正在逐个核验并接收上报包…"))

    def _not_all_taken_in(self, exc: BaseException) -> None:
        """An intake that failed midway may have stored packages before (each is its own transaction)
        and logged the refused files: the pages show what is stored, then the error says what was not."""
        from gui.errors import show_exception
        self.changed.emit(Changes.RECEIVING)
        show_exception(self, exc)

    def show_intake_result(self, report: IntakeReport) -> None:
        """The result dialog (tests replace this)."""
        from gui.receiving.intake_dialog import IntakeResultDialog
        dialog = IntakeResultDialog(report, self)
        dialog.exec()
        dialog.deleteLater()

    def _taken_in(self, report: IntakeReport) -> None:
        if not report.outcomes:
            from core.errors import ValidationError
            show_exception(self, ValidationError("没有找到上报包（.zip 文件）。",
                                                 "请拖入上报包文件，或包含上报包的文件夹。"))
            return
        self.show_intake_result(report)
        self.changed.emit(report.changes)

    # -- the list of expected schools ----------------------------------------
    def ask_schools_file(self) -> Path | None:
        """Which list of expected schools (tests replace this)."""
        from gui.dialogs import ask_open_path
        return ask_open_path(self, "选择应报学校名单")

    def import_schools(self) -> None:
        """导入应报学校名单…: the list replaces the last one whole (a bad file changes nothing and its
        error names every bad line); then the package list shows each expected school's state."""
        path = self.ask_schools_file()
        if path is None:
            return
        from db.receiving_status import import_expected_schools
        worker.run_task(busy(import_expected_schools), self.db, path, on_success=self._schools_imported,
                        parent=self, progress=worker.Progress("正在检查并导入应报学校名单…", "导入应报学校名单"))

    def _schools_imported(self, done: SchoolsImported) -> None:
        self.changed.emit(done.changes)
        self.show_done("导入应报学校名单", "\n".join(done.lines())
                       + "\n“上报包”列表按名单列出各校的报送情况：没有上报的学校显示为缺报，"
                       "报送截止后仍没有上报的注明“逾期未报”；截止后才第一次上报的显示为迟报。")

    # -- passing it on ------------------------------------------------------
    def ask_save(self, title: str, name: str, filters: str) -> Path | None:
        """Where to save (tests replace this)."""
        from gui.dialogs import ask_save_path
        return ask_save_path(self, title, name, filters)

    def ask_passphrase(self, first: bool) -> str | None:
        """The signing passphrase through 导出上报's one dialog (tests replace this)."""
        from gui.export_view import ask_signing_passphrase
        return ask_signing_passphrase(self, first)

    def ask_feedback_folder(self) -> Path | None:
        """Where the feedback packages go (tests replace this)."""
        from PySide6.QtWidgets import QFileDialog

        from gui.dialogs import start_folder
        name = QFileDialog.getExistingDirectory(self, "选择保存反馈包的文件夹", str(start_folder()))
        return Path(name) if name else None

    def _signing(self, what: str, then: Callable[[ExportState], None]) -> None:
        """Before a signed export: refused at once when nothing was received, else the receiver
        and its key are read (``then`` asks where, and the passphrase, once or twice)."""
        if self.data is None or self.data.summary is None:
            from core.errors import ValidationError
            from db.consolidation import NOTHING_HINT
            show_exception(self, ValidationError(f"还没有接收任何上报包，无法{what}。", NOTHING_HINT))
            return
        from db.exports import export_state
        worker.run_task(export_state, self.db, on_success=then, parent=self)

    def export_consolidated(self) -> None:
        """导出汇总包…: the signed consolidated package, written in the worker."""
        self._signing("导出汇总包", self._export_asked)

    def _export_asked(self, state: ExportState) -> None:
        target = self.ask_save("保存汇总包", state.package_name(False, date.today(), "汇总包"), "汇总包 (*.zip)")
        passphrase = None if target is None else self.ask_passphrase(first=not state.fingerprint)
        if target is None or passphrase is None:
            return
        from db.consolidation import export_consolidated
        worker.run_task(export_consolidated, self.db, target, passphrase, on_success=self._exported, parent=self,
                        progress=worker.Progress("正在生成并签名汇总包…", "导出汇总包"))

    def write_feedback(self) -> None:
        """生成反馈包…: for every school with findings or the schools the clerk chooses, one
        signed feedback package each (that school's findings only), into a folder."""
        self._signing("生成反馈包", self._feedback_state)

    def _feedback_state(self, state: ExportState) -> None:
        from db.feedback_send import feedback_schools
        worker.run_task(busy(feedback_schools), self.db,
                        on_success=lambda schools: self._feedback_asked(state, schools), parent=self,
                        progress=worker.Progress("正在汇总各校的问题…", "生成反馈包"))

    def ask_feedback_schools(self, schools: list[FeedbackSchool]) -> FeedbackChoice | None:
        """Which schools get a feedback package; None for 取消 (tests replace this)."""
        from PySide6.QtWidgets import QDialog

        from gui.receiving.feedback_dialog import FeedbackSchoolsDialog
        dialog = FeedbackSchoolsDialog(schools, self)
        ok = dialog.exec() == QDialog.DialogCode.Accepted
        choice = dialog.choice()
        dialog.deleteLater()
        return choice if ok else None

    def _feedback_asked(self, state: ExportState, schools: list[FeedbackSchool]) -> None:
        choice = self.ask_feedback_schools(schools)
        folder = None if choice is None else self.ask_feedback_folder()
        passphrase = None if folder is None else self.ask_passphrase(first=not state.fingerprint)
        if choice is None or folder is None or passphrase is None:
            return
        from db.feedback_send import write_all_feedback
        worker.run_task(busy(write_all_feedback), self.db, folder, passphrase, school_codes=choice.codes or None,
                        on_success=self._feedback_written, parent=self,
                        progress=worker.Progress("正在生成并签名反馈包…", "生成反馈包"))

    def _feedback_written(self, written: list[FeedbackWritten]) -> None:
        for w in written[:1]:                # (each carries the same: the key made by the first)
            self.changed.emit(w.changes)
        self.show_done("生成反馈包", f"已生成 {len(written)} 个反馈包：\n" + "\n".join(w.line() for w in written)
                       + "\n请把反馈包交给各校（U 盘或邮件）。学校导入前须在“设置 › 签名人登记”中登记本单位的公钥"
                         "（本单位在“设置”中导出公钥）。")

    def show_done(self, title: str, text: str) -> None:
        """What an export wrote or an import took in (tests replace this)."""
        from PySide6.QtWidgets import QMessageBox
        QMessageBox.information(self, title, text)

    def _exported(self, result: ConsolidatedExportResult) -> None:
        self.changed.emit(result.changes)
        errors = sum(f.severity == "error" for f in result.findings)
        t = result.summary.totals
        text = (f"已导出汇总包：{result.path}\n{result.packages} 所学校，学生 {t.students} 人，"
                f"资助合计 {format_fen(t.total)} 元。\n签名公钥指纹：{result.fingerprint}")
        missing = result.incomplete        # 注意：应报 N 所，缺报 K 所（…），汇总数据不完整
        if missing:
            text += f"\n{missing}（汇总包的报告和汇总表中已列出缺报学校）。"
        if errors:
            text += f"\n交叉核查有 {errors} 个错误，已列在汇总包中（上级会看到）。"
        text += "".join(f"\n注意：{w}" for w in result.warnings if w != missing)
        self.show_done("导出汇总包", text)
