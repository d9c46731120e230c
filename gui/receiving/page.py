"""汇总 (receiving mode): take in packages (dropped files or folders, or 添加提交包…), the
package list with each school's state, the summaries with charts and the cross-school findings.

Everything the page shows is read in the worker (``load_receiving``); intake runs there too,
with a progress dialog, and reports ``Changes.RECEIVING`` through ``changed`` (the main
window's one ``apply_changes`` path routes it back to ``on_changes``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from core.consolidate import CrossFinding
from core.consolidate.summary import Summary
from db.changes import Changes
from db.receiving import IntakeReport
from db.receiving_status import IntakeStatus
from db.receiving_views import PackageHistory
from db.session import Database
from gui import worker
from gui.list_page import ListPage
from gui.receiving.models import (
    REFUSED,
    REPLACED,
    STATES,
    FindingModel,
    PackageModel,
    PackageRow,
    finding_rows,
)
from gui.receiving.summary_tab import SummaryTab
from gui.search import FilterProxy

DROP_HINT = "把上报包（.zip）或 U 盘上的文件夹拖到这里，或点“添加提交包…”"


@dataclass(frozen=True)
class ReceivingData:
    receives: bool
    packages: tuple[PackageRow, ...] = ()
    summary: Summary | None = None
    findings: tuple[CrossFinding, ...] = ()
    expected: int = 0
    school_year: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def package_rows(status: IntakeStatus, history: PackageHistory) -> list[PackageRow]:
    """The list: each school's state as ``db.receiving_status`` decides it (已接收, 迟报, 缺报,
    仅有草稿; schools not on the expected list too), then each replaced package (已替换) and each
    refused file (拒收 and why) from the history."""
    rows: list[PackageRow] = []
    names = {p.school_code: (p.school_name, p.township) for p in history.packages}
    vias = {p.school_code: p.via for p in history.packages if p.current and p.via}
    for st in (*status.schools, *status.unlisted):
        known_name, known_town = names.get(st.code, ("", ""))
        name, town = names[st.code] = (st.name or known_name, st.township or known_town)
        held = st.file_name != ""
        via = vias.get(st.code, "") if held else ""
        note = "；".join(x for x in ("" if st.listed else "不在应报学校名单中", f"经 {via} 转报" if via else "") if x)
        rows.append(PackageRow(f"s{st.code}", st.code, name, town, st.state, note,
                               st.students if held else None, st.total_fen if held else None,
                               f"{st.received_at:%Y-%m-%d %H:%M}" if st.received_at else "", st.file_name, via))
    for p in history.packages:
        if not p.current:
            rows.append(PackageRow(f"p{p.id}", p.school_code, p.school_name, p.township, REPLACED,
                                   "已被较新的提交包替换（保留在历史中）", p.students, p.total_fen,
                                   f"{p.received_at:%Y-%m-%d %H:%M}", p.file_name, p.via))
    for r in history.refused:
        name, town = names.get(r.school_code, ("", ""))
        rows.append(PackageRow(f"r{r.id}", r.school_code, name, town, REFUSED, r.reason,
                               received_at=f"{r.at:%Y-%m-%d %H:%M}", file_name=r.file_name))
    return rows


def load_receiving(db: Database) -> ReceivingData:
    """Worker: everything the 汇总 page shows (nothing but ``receives`` when it receives nothing)."""
    from db.receiving_status import intake_status
    from db.receiving_views import package_history, receives
    if not receives(db):
        return ReceivingData(False)
    history = package_history(db)
    status = intake_status(db)
    summary: Summary | None = None
    findings: tuple[CrossFinding, ...] = ()
    if any(p.current for p in history.packages):
        from db.consolidation import consolidation
        done = consolidation(db)
        summary, findings = done.summary, tuple(done.findings)
    return ReceivingData(True, tuple(package_rows(status, history)), summary, findings, len(status.schools),
                         history.school_year)


class PackagesProxy(FilterProxy):
    def set_state(self, value: str) -> None:
        self.set_predicate("state", (lambda r: r.state == value) if value else None)


class PackagesTab(ListPage[PackagesProxy]):
    """提交包: one row per package, refused file or missing school."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(PackageModel(), PackagesProxy(), "搜索学校代码、学校、乡镇或文件名", parent)
        self.setObjectName("packagesTab")
        self.state_filter = self.add_filter("stateFilter", "全部状态", [(s, s) for s in STATES],
                                            self.proxy.set_state)
        self.set_column_widths({0: 6, 1: 8, 2: 4, 3: 4, 4: 3, 5: 5, 6: 9, 7: 9})

    def reload(self) -> None:       # the page loads everything at once
        return

    def apply_data(self, data: tuple[PackageRow, ...]) -> None:
        self.model.set_rows(list(data))

    def update_count(self) -> None:
        got = Counter(r.state for r in self.model.rows())
        parts = [f"{s} {got[s]}" for s in STATES if got[s]]
        self.count_label.setText("正在读取…" if self._loading else ("，".join(parts) or "还没有提交包"))


class FindingsTab(ListPage[FilterProxy]):
    """交叉核查: the findings only a receiver can make (IDs masked)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(FindingModel(), FilterProxy(), "搜索姓名、身份证号、学校或问题", parent)
        self.setObjectName("crossFindingsTab")
        self.set_column_widths({0: 3, 1: 12, 2: 10, 3: 4, 4: 10})

    def reload(self) -> None:
        return

    def apply_data(self, data: tuple[CrossFinding, ...]) -> None:
        self.model.set_rows(finding_rows(data))

    def update_count(self) -> None:
        got = Counter(r.severity for r in self.model.rows())
        self.count_label.setText(f"错误 {got['error']}，警告 {got['warning']}；显示 {self.proxy.rowCount()} 条")


class ReceivingPage(QWidget):
    changed = Signal(object)            # Changes of this page's writes (the main window routes them)
    receives_changed = Signal(bool)     # whether the database receives (the navigation shows 汇总)
    loaded = Signal()
    DEPENDS_ON = Changes.RECEIVING | Changes.SCHOOL      # the school year decides what is current

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
        self.add_button = QPushButton("添加提交包…", self)
        self.add_button.setObjectName("addPackages")
        self.add_button.clicked.connect(self.add_packages)
        self.folder_button = QPushButton("添加文件夹…", self)
        self.folder_button.setObjectName("addFolder")
        self.folder_button.setToolTip("接收文件夹（例如 U 盘）及其子文件夹中的全部上报包")
        self.folder_button.clicked.connect(self.add_folder)
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.folder_button)

        self.packages = PackagesTab(self)
        self.summary = SummaryTab(self)
        self.findings = FindingsTab(self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("receivingTabs")
        self.tabs.addTab(self.packages, "提交包")
        self.tabs.addTab(self.summary, "汇总")
        self.tabs.addTab(self.findings, "交叉核查")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    # -- loading ----------------------------------------------------------
    def on_changes(self, changes: Changes) -> None:
        if changes & self.DEPENDS_ON:
            self.reload()

    def _route_own(self, changes: Changes) -> None:
        if self.standalone:
            self.on_changes(changes)

    def reload(self) -> None:
        worker.run_task(load_receiving, self.db, on_success=self.show_data, parent=self)

    def show_data(self, data: ReceivingData) -> None:
        self.data = data
        self.receives_changed.emit(data.receives)
        self.packages._loaded(data.packages)
        self.summary.show_summary(data.summary)
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
        worker.run_task(intake, self.db, paths, on_success=self._taken_in, parent=self,
                        progress=worker.Progress("正在逐个核验并接收上报包…"))

    def show_intake_result(self, report: IntakeReport) -> None:
        """The result dialog (tests replace this)."""
        from gui.receiving.intake_dialog import IntakeResultDialog
        dialog = IntakeResultDialog(report, self)
        dialog.exec()
        dialog.deleteLater()

    def _taken_in(self, report: IntakeReport) -> None:
        if not report.outcomes:
            from core.errors import ValidationError
            from gui.errors import show_exception
            show_exception(self, ValidationError("没有找到上报包（.zip 文件）。",
                                                 "请拖入上报包文件，或包含上报包的文件夹。"))
            return
        self.show_intake_result(report)
        self.changed.emit(report.changes)
