"""The main window: navigation on the left, pages on the right, status bar below."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core.domain import school_year_label
from db.changes import CHECK_INPUTS, SNAPSHOT_INPUTS, Changes, changes_of
from db.session import Database
from db.settings import SettingsData, load_settings
from gui import worker
from gui.actions import PAGE_ACTIONS, PAGE_TITLES, ActionCollection
from gui.dashboard import DashboardPage
from gui.export_view import ExportPage
from gui.feed import SnapshotFeed
from gui.findings_view import FindingsPage
from gui.help import open_log_folder, show_about
from gui.letters_view import LettersPage
from gui.manual import open_manual
from gui.roster_view import RosterPage
from gui.screen import fit_to_screen, within_screen
from gui.settings_view import SettingsPage
from gui.students.view import StudentsPage
from gui.templates import download_template

if TYPE_CHECKING:
    from gui.first_rows import FirstRows
    from gui.import_wizard import ImportWizard  # imported when first opened (openpyxl, calamine)
    from gui.list_page import ListPage
    from gui.policy_view import PolicyPage  # made when first needed (its widgets: 0.03-0.05 s at start)
    from gui.receiving.page import ReceivingPage  # created when first shown (openpyxl, reportlab)

PAGES = PAGE_TITLES
DASHBOARD, STUDENTS, ROSTER, FINDINGS, LETTERS, EXPORT, POLICY, SETTINGS = range(8)
_ICONS = (QStyle.StandardPixmap.SP_ComputerIcon, QStyle.StandardPixmap.SP_FileDialogListView,
          QStyle.StandardPixmap.SP_DirIcon, QStyle.StandardPixmap.SP_MessageBoxWarning,
          QStyle.StandardPixmap.SP_FileIcon, QStyle.StandardPixmap.SP_DialogSaveButton,
          QStyle.StandardPixmap.SP_FileDialogContentsView, QStyle.StandardPixmap.SP_FileDialogDetailedView)
DEFAULT_SIZE = QSize(1280, 720)
MINIMUM_SIZE = QSize(900, 560)


class MainWindow(QMainWindow):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("mainWindow")
        self.setWindowTitle("资助助手 — 教育资助核准")
        self.undo_stack = QUndoStack(self)
        self.action_collection = ActionCollection(self)
        self.import_wizard: ImportWizard | None = None

        self.feed = SnapshotFeed(db, self)     # one computed snapshot per change, for three pages
        self.dashboard = DashboardPage(db, self, feed=self.feed)
        self.students = StudentsPage(db, self.undo_stack, self, feed=self.feed)
        self.roster = RosterPage(db, self)
        self.findings = FindingsPage(db, self, feed=self.feed)
        self.letters = LettersPage(db, self, feed=self.feed)
        self.list_pages = (self.students, self.roster, self.findings, self.letters)
        self.export = ExportPage(db, self)
        self.settings = SettingsPage(db, self)
        self._policy: PolicyPage | None = None       # 政策: made when first needed (``policy``), in its
        self._policy_place = QWidget(self)           # place in the stack, there from the start
        self._policy_layout = QVBoxLayout(self._policy_place)
        self._policy_layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self)
        for page in (self.dashboard, self.students, self.roster, self.findings, self.letters, self.export,
                     self._policy_place, self.settings):
            self.stack.addWidget(page)

        self.nav = QListWidget(self)
        self.nav.setObjectName("navigation")
        for text, icon in zip(PAGES, _ICONS, strict=True):
            item = QListWidgetItem(self.style().standardIcon(icon), text)
            item.setSizeHint(QSize(0, self.fontMetrics().height() + 18))
            self.nav.addItem(item)
        self._receiving: ReceivingPage | None = None   # 汇总: last, shown only when the database receives;
        self.stack.addWidget(QWidget(self))            # made when first needed (``receiving``)
        self.receiving_item = QListWidgetItem(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "汇总")
        self.receiving_item.setSizeHint(QSize(0, self.fontMetrics().height() + 18))
        self.nav.addItem(self.receiving_item)
        self.receiving_item.setHidden(True)
        self.nav.setFixedWidth(self.fontMetrics().horizontalAdvance("建档立卡名单") + 64)
        self.nav.currentRowChanged.connect(self.show_page)

        central = QWidget(self)
        body = QHBoxLayout(central)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.action_collection.build_menus(self.menuBar())
        toolbar = QToolBar("工具栏", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(18, 18))
        self.action_collection.build_toolbar(toolbar)
        self.addToolBar(toolbar)

        self.db_label = QLabel(f"数据库：{db.path.name}", self)
        self.db_label.setToolTip(str(db.path))
        self.school_label = QLabel("学校：—", self)
        self.year_label = QLabel("", self)
        for label in (self.db_label, self.school_label, self.year_label):
            self.statusBar().addPermanentWidget(label)

        self._connect()
        self.nav.setCurrentRow(DASHBOARD)
        self.setMinimumSize(within_screen(self, MINIMUM_SIZE))
        fit_to_screen(self, DEFAULT_SIZE.width(), DEFAULT_SIZE.height())

    # -- wiring -----------------------------------------------------------
    def _connect(self) -> None:
        a = self.action_collection
        a.import_students.triggered.connect(lambda: self.open_import("students"))
        a.import_roster.triggered.connect(lambda: self.open_import("roster"))
        a.download_template.triggered.connect(
            lambda: download_template(self, self.db, done=self.show_message))
        a.undo.triggered.connect(lambda: self._step_undo(self.undo_stack.undoText(), self.undo_stack.undo, "已撤销"))
        a.redo.triggered.connect(lambda: self._step_undo(self.undo_stack.redoText(), self.undo_stack.redo, "已重做"))
        a.undo.setEnabled(False)
        a.redo.setEnabled(False)
        self.undo_stack.canUndoChanged.connect(a.undo.setEnabled)
        self.undo_stack.canRedoChanged.connect(a.redo.setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda t: a.undo.setStatusTip(f"撤销：{t}" if t else "撤销上一次修改"))
        self.undo_stack.redoTextChanged.connect(
            lambda t: a.redo.setStatusTip(f"重做：{t}" if t else "重做刚撤销的修改"))
        a.refresh.triggered.connect(self.reload_all)
        a.find.triggered.connect(self.find_in_list)
        a.quit.triggered.connect(self.close)
        a.run_check.triggered.connect(self.run_check)
        a.import_payments.triggered.connect(self.import_payments)
        a.import_feedback.triggered.connect(self.import_feedback)
        a.export.triggered.connect(lambda: self.show_page(EXPORT))
        a.about.triggered.connect(lambda: show_about(self))
        a.open_logs.triggered.connect(open_log_folder)
        a.manual.triggered.connect(lambda: open_manual(self))
        for index, name in enumerate(PAGE_ACTIONS):
            a[name].triggered.connect(lambda _c=False, i=index: self.show_page(i))
        self.findings.open_student.connect(self.open_student_field)
        self.findings.open_setting.connect(self.open_setting)
        self.dashboard.step_clicked.connect(self.do_step)
        for page in self.list_pages:           # every page's writes come back through one slot
            page.standalone = False
            page.changed.connect(self.apply_changes)
        self.export.exported.connect(self._exported)
        self.settings.changed.connect(self.apply_changes)
        # a restore replaced every row: an undo would write the values before it over the restored ones
        self.settings.backup_box.restored.connect(lambda _changes: self.undo_stack.clear())
        a.receiving.triggered.connect(self.show_receiving)
        self.settings.open_policy.connect(lambda: self.show_page(POLICY))

    @property
    def receiving(self) -> ReceivingPage:
        """The 汇总 page, made (and loaded) the first time it is needed: its modules (the
        consolidated package's workbook and PDFs, the intake) stay out of the start."""
        if self._receiving is None:
            from gui.receiving.page import ReceivingPage
            page = ReceivingPage(self.db, self)
            page.standalone = False
            page.changed.connect(self.apply_changes)
            page.receives_changed.connect(self._receives)
            index = len(PAGES)
            placeholder = self.stack.widget(index)
            self.stack.insertWidget(index, page)
            if placeholder is not None:
                self.stack.removeWidget(placeholder)
                placeholder.deleteLater()
            self._receiving = page
            page.reload()
        return self._receiving

    @property
    def policy(self) -> PolicyPage:
        """The 政策 page, made the first time it is needed (shown, a parameter's key opened; whether
        it may be left with unsaved changes is asked only once it exists): its widgets stay out of
        the start (its modules are imported before: ``gui.launch.POLICY_PAGE``). It goes into its
        place in the stack (``stack.widget(POLICY)``, there from the start) and reads what is stored
        then: it missed no change; later ones are routed to it (``_route``)."""
        if self._policy is None:
            from gui.policy_view import PolicyPage
            page = PolicyPage(self.db, self._policy_place)
            page.standalone = False
            page.changed.connect(self.apply_changes)
            self._policy_layout.addWidget(page)
            self._policy = page
            page.reload()
        return self._policy

    def show_page(self, index: int) -> None:
        if index != POLICY and self.stack.currentIndex() == POLICY and self._policy is not None \
                and not self._policy.may_leave(lambda: self.show_page(index)):
            self.nav.blockSignals(True)        # unsaved policy changes: stay (保存 goes on once saved)
            self.nav.setCurrentRow(POLICY)
            self.nav.blockSignals(False)
            return
        if index != SETTINGS and self.stack.currentIndex() == SETTINGS and not self.settings.may_leave():
            self.nav.blockSignals(True)        # unsaved settings the clerk keeps: stay
            self.nav.setCurrentRow(SETTINGS)
            self.nav.blockSignals(False)
            return
        if index == len(PAGES):
            self.receiving                     # noqa: B018 - made before it is shown
        elif index == POLICY:
            self.policy                        # noqa: B018 - made before it is shown
        if 0 <= index < self.stack.count():
            self.stack.setCurrentIndex(index)
            if index == EXPORT:
                self.export.reload()
            if self.nav.currentRow() != index:
                self.nav.setCurrentRow(index)

    def _receives(self, receives: bool) -> None:
        if receives:                    # never hidden again in this session (开始接收汇总 stays on)
            self.receiving_item.setHidden(False)

    def show_receiving(self) -> None:
        """开始接收汇总 (or go there): the 汇总 page appears in the navigation for this session;
        it stays once the database receives (a key registered, a package offered)."""
        self.receiving_item.setHidden(False)
        self.show_page(self.stack.indexOf(self.receiving))

    def current_page(self) -> int:
        return self.stack.currentIndex()

    # -- data -------------------------------------------------------------
    def reload_all(self) -> None:
        """Check again and read everything again (刷新)."""
        self.apply_changes(Changes.ALL & ~Changes.FINDINGS)

    def start_up(self, backup: bool = False, first: FirstRows | None = None) -> None:
        """Program start: show what is stored at once (the findings of the last check), then
        check again in the worker's child process; the pages refresh only when that check changed
        a finding. ``first``: the student list's first screenful, asked for before the window was
        built, shown until the whole list comes. ``backup``: the start backup (when due) runs after
        the reads are queued and before the check: the one queue runs no write before it."""
        from db.usecases import startup_check
        # The window's first paint (its widgets, the first rows) before the start's reads: a task
        # holds the worker until the window has repainted (``worker._after_repaint``, at most
        # ``SHOWN_WAIT_S``), so the snapshot's Python does not run beside that paint (the start's stall)
        worker.run_task(_nothing, repaint_wait=True, parent=self)
        self._route(Changes.ALL)
        if first is not None:
            first.show_in(self.students)
        if backup:
            from db.backup import backup_if_due
            worker.run_task(backup_if_due, self.db, parent=self)
        worker.run_task(startup_check, self.db, on_success=self._route, on_failure=lambda exc: self._route(
            Changes.NONE, exc), parent=self, process=True)

    def apply_changes(self, changes: Changes) -> None:
        """The one slot every write reports to. The findings derive from the data the checks
        read: when that changed (and no check ran yet), the checks run first, then the pages
        refresh once."""
        changes = changes_of(changes)
        if changes & CHECK_INPUTS and not changes & Changes.FINDINGS:
            from db.usecases import recheck
            worker.run_task(recheck, self.db, on_success=lambda more: self._route(changes | more),
                            on_failure=lambda exc: self._route(changes, exc), parent=self, process=True)
            return
        self._route(changes)

    def _route(self, changes: Changes, error: BaseException | None = None) -> None:
        if error is not None:
            from gui.errors import show_exception
            show_exception(self, error)
        if not changes:
            return
        if changes & (Changes.SCHOOL | Changes.SETTINGS):
            worker.run_task(load_settings, self.db, on_success=self._settings_loaded, parent=self)
        if changes & Changes.POLICY:
            self.settings.backup_box.reload()      # the backup taken before the policy change
        if changes & SNAPSHOT_INPUTS:
            self.feed.refresh()               # 工作台, 学生名册 and 告知书 from one computation
        for page in self.list_pages:
            page.on_changes(changes)
        if self._policy is not None:
            self._policy.on_changes(changes)
        if self._receiving is not None:
            self._receiving.on_changes(changes)
        elif changes & (Changes.RECEIVING | Changes.SCHOOL):     # only whether 汇总 shows, until it is made
            from db.receiving_views import receives
            worker.run_task(receives, self.db, on_success=self._receives, parent=self)
        if changes & Changes.RECEIVING:
            self.settings.trust_box.reload()
        if self.current_page() == EXPORT:
            self.export.reload()

    def _settings_loaded(self, data: SettingsData) -> None:
        self.settings.show_settings(data)
        if data.school:
            self.school_label.setText(f"学校：{data.school.name or '—'}")
            self.year_label.setText(school_year_label(data.school.school_year))

    def _exported(self, result: Any) -> None:
        self.show_message(f"已导出：{result.path}")
        self.apply_changes(result.changes)

    def _imported(self, report: Any) -> None:
        if report.changes & Changes.STUDENTS:
            self.undo_stack.clear()   # old edits may have been overwritten by the import
        self.show_message("导入完成，名单已更新")
        self.apply_changes(report.changes)

    # -- actions ----------------------------------------------------------
    def open_import(self, kind: str, modal: bool = True) -> ImportWizard:
        from gui.import_wizard import ImportWizard
        wizard = ImportWizard(self.db, kind, self)
        wizard.imported.connect(self._imported)
        self.import_wizard = wizard
        if modal:
            wizard.exec()
            wizard.deleteLater()
            self.import_wizard = None
        else:
            wizard.show()
        return wizard

    def import_payments(self, path: Any = None) -> None:
        """导入发放记录, then run the checks so the payment findings show."""
        from db.workflows import import_payments
        from gui.dialogs import ask_open_path
        path = path or ask_open_path(self, "选择发放记录文件")
        if path is None:
            return

        def done(result: Any) -> None:
            text = f"已导入发放记录 {len(result.payments)} 条（替换之前的 {result.replaced} 条）"
            if result.problems:
                text += f"；{len(result.problems)} 行未导入：" + "；".join(m for _l, m in result.problems[:3])
            self.show_message(text)
            self.show_page(FINDINGS)          # the payment findings (the checks re-run on the change)
            self.apply_changes(result.changes)
        # a file without a usable row changes nothing: the error is shown (show_exception)
        worker.run_task(import_payments, self.db, path, on_success=done, parent=self)

    def import_feedback(self) -> None:
        """导入反馈包 on the 核查问题 page, where its findings show."""
        self.show_page(FINDINGS)
        self.findings.import_feedback()

    def run_check(self) -> None:
        """运行核查: show the findings page and run every check in the worker."""
        self.show_page(FINDINGS)
        self.findings.run()

    def open_student_field(self, student_id: int, field: str, modal: bool = True) -> None:
        """Open a student's form with the offending field highlighted."""
        self.students.open_student(student_id, modal=modal, highlight=field)

    def open_setting(self, key: str) -> None:
        """设置, with the cursor in the field of setting ``key`` (the error path's 去设置); a policy
        parameter's key (``tuition_standard.普通高中``) opens 政策 › 政策参数 at it. A 设置 key is
        shown at once; which keys are the policy's parameters is known once the 政策 page's first
        read is back (the page is made when first needed): until then 政策 is shown and the cursor
        goes to the parameter when the read is back (the one queue answers after it)."""
        if self.settings.has_setting(key):
            self._open_setting(key)
        elif self.policy.data is None:
            self.show_page(POLICY)
            worker.run_task(_nothing, on_success=lambda _none: self._open_setting(key, later=True), parent=self)
        else:
            self._open_setting(key)

    def _open_setting(self, key: str, later: bool = False) -> None:
        if key in self.policy.parameters.edits:
            if later and self.stack.currentIndex() != POLICY:
                return                         # the clerk went elsewhere meanwhile: not pulled back
            self.show_page(POLICY)
            self.policy.focus_parameter(key)
            return
        self.show_page(SETTINGS)
        self.settings.focus_setting(key)

    def do_step(self, key: str) -> None:
        """One click from 工作台's checklist to a step of the campaign (its page, dialog or action)."""
        a = self.action_collection
        if key == "policy":
            step = next((st for st in self.dashboard.checklist.steps if st.key == key), None)
            self.show_page(POLICY)
            if step and step.target:
                self.open_setting(step.target)
            return
        actions = {"students": a.import_students, "roster": a.import_roster, "check": a.run_check,
                   "export": a.export}
        pages = {"findings": FINDINGS, "verify": STUDENTS, "letters": LETTERS}
        if key in actions:
            actions[key].trigger()
        elif key in pages:
            self.show_page(pages[key])

    def find_in_list(self) -> None:
        """Ctrl+F: the search box of the list shown (学生名册 from a page without one)."""
        lists: dict[int, ListPage[Any]] = {STUDENTS: self.students, ROSTER: self.roster, FINDINGS: self.findings,
                                           LETTERS: self.letters}
        if self.current_page() not in lists:
            self.show_page(STUDENTS)
        lists[self.current_page()].focus_search()

    def _step_undo(self, text: str, step: Callable[[], None], done: str) -> None:
        """撤销 / 重做, said in the status bar (a save's "已保存" stood there after it was undone)."""
        step()
        if text:
            self.show_message(f"{done}：{text}")

    def show_message(self, text: str, msec: int = 8000) -> None:
        """The one path of a line in the status bar (pages call it through ListPage.show_message)."""
        self.statusBar().showMessage(text, msec)

    def may_leave(self, then: Callable[[], object]) -> bool:
        """Before the window closes or the database is switched: unsaved policy changes are
        saved, dropped or kept (取消) as the clerk says, ``then`` running again once saved; unsaved
        settings and spot-check results are dropped or kept."""
        return ((self._policy is None or self._policy.may_leave(then)) and self.settings.may_leave()
                and (self._receiving is None or self._receiving.may_leave()))

    # The database switcher closes the old window waiting for its tasks in place (their answers still
    # reach it); a clerk's close (×, 退出) waits without blocking the window (``closeEvent``).
    wait_in_place = False
    _tasks_done = False
    _close_asked: float | None = None     # (monotonic) when the clerk's close began to wait
    GIVE_UP_S = 30.0                      # a close asked again after this long stops waiting

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.may_leave(self.close):
            event.ignore()
            return
        self.roster.ahead.drop()              # nobody will use it: it stops at its next step
        waited = time.monotonic() - self._close_asked if self._close_asked is not None else 0.0
        if worker.busy() and not (self.wait_in_place or self._tasks_done) and waited < self.GIVE_UP_S:
            # (an export may take a while: the window says why it waits, keeps painting, takes no
            # more clicks, and closes when the tasks are done — the database's lock is released then,
            # not while a task still writes; a task that never answers: a close asked again after
            # GIVE_UP_S waits at most as long as before, then goes)
            event.ignore()
            if self._close_asked is None:
                self._close_asked = time.monotonic()
                self.statusBar().showMessage("正在等待后台任务完成，完成后程序会自动关闭…")
                self.setEnabled(False)
                self.setCursor(Qt.CursorShape.WaitCursor)
                self._wait_for_tasks()
            return
        worker.wait_for_idle()
        super().closeEvent(event)

    def _wait_for_tasks(self) -> None:
        worker.run_task(_nothing, on_success=lambda _none: self._close_when_idle(),
                        on_failure=lambda _exc: self._close_when_idle(), parent=self)

    def _close_when_idle(self) -> None:
        """Close once no task is left, nor a box a task's answer opened (its question or error must
        be read: the close would end it as if answered)."""
        from PySide6.QtWidgets import QApplication
        if worker.busy():                      # one an answer asked for (a re-check, the preview's pages)
            self._wait_for_tasks()
            return
        if QApplication.activeModalWidget() not in (None, self):
            QTimer.singleShot(250, self._close_when_idle)
            return
        self._tasks_done = True
        self.close()


def _nothing() -> None:
    """A task that does nothing: its answer comes once every task asked for before it is done."""
