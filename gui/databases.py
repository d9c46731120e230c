"""Which database the main window works on: the first start (the clerk's school, or the
separate demo database), and switching (文件 → 打开数据库… / 新建数据库… / 最近打开 /
打开演示数据库 / 返回正式数据库).

Switching opens the other database first (in the worker: a refusal, e.g. another copy
holds it, leaves the clerk where they were), then shows a new main window on it, closes
the old window and closes the old database, which releases its single-instance lock.
A damaged (or emptied) database is offered its newest good backup, as at the program's
start (``gui.app.restore_question``, ``restore_and_open``): the clerk of Zizhu.exe has no
command line to run ``restore --latest`` from.
Demo data never goes into the clerk's database: choosing it at the first start opens
the demo database instead, so the first-start wizard comes back on the real one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QSizePolicy, QToolBar

from core.bulk import gc_paused
from core.paths import default_db_path, demo_db_path
from core.recent import recent_databases, remember_database
from db.session import DamagedDatabaseError, Database, open_database
from db.workflows import (
    DatabaseInfo,
    create_database,
    database_info,
    open_existing_database,
)
from gui import dialogs, worker
from gui.errors import show_exception

if TYPE_CHECKING:
    from core.policy import Parameter
    from gui.first_rows import FirstRows
    from gui.main_window import MainWindow

log = logging.getLogger(__name__)

DATABASES = "资助助手数据库 (*.sqlite *.db);;所有文件 (*)"
DEMO_BANNER = ("演示数据：这是单独的演示数据库，学校和学生都是虚构的，只用来熟悉软件；"
               "在这里做的任何操作都不影响正式数据库。")


def window_title(info: DatabaseInfo) -> str:
    school = info.school or "尚未设置学校"
    if info.demo:
        return f"资助助手 — 【演示数据】{school}（虚构，不得上报）"
    return f"资助助手 — {school} — 教育资助核准"


def _same(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


class DatabaseSwitcher(QObject):
    """Owns the current database and its main window. ``ask_*`` methods are the questions
    (tests replace them); ``gave_up`` is set when the first start was cancelled."""

    def __init__(self, quit_app: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.window: MainWindow | None = None
        self.db: Database | None = None
        self.info: DatabaseInfo | None = None
        self.recent: list[Path] = []
        self.gave_up = False
        self._quit_app = quit_app
        self._start_backup = False    # the program start's backup is still to be queued
        self._first: FirstRows | None = None
        self._unset: tuple[Parameter, ...] = ()     # what the first-start wizard asks (database_info)

    # -- questions (tests replace these) ---------------------------------------
    def ask_first_start(self, db: Database) -> str | None:
        """The first-start wizard: "school" (entered), "demo", or None (cancelled)."""
        from gui.first_start import FirstStartWizard
        wizard = FirstStartWizard(db, list(self._unset), self.window)
        if wizard.exec() != QDialog.DialogCode.Accepted:
            return None
        return "demo" if wizard.use_demo else "school"

    def ask_restore(self, question: str) -> bool:
        """Restore the newest good backup of a damaged database? (the start's question, gui.app)"""
        from gui.app import ask_restore
        return ask_restore(question, self.window)

    def ask_open_path(self) -> Path | None:
        return dialogs.ask_open_path(self.window, "打开数据库", DATABASES)

    def ask_new_path(self) -> Path | None:
        path = dialogs.ask_save_path(self.window, "新建数据库", "资助助手.sqlite", DATABASES)
        if path is not None and path.suffix.lower() not in (".sqlite", ".db"):
            path = path.with_suffix(".sqlite")
        return path

    # -- start and switch --------------------------------------------------------
    def start(self, db: Database, demo: bool = False) -> None:
        """Program start on an opened database: the first-start wizard when it has no
        school yet (or the demo data when ``demo``), then the main window. The start backup (when
        due) is queued in the worker before the first write: after the window's first reads, or
        before the first-start wizard's or the demo data's writes."""
        from gui.first_rows import FirstRows
        self._start_backup = True
        self._prepare(db, demo, self._give_up)
        if self.window is None:        # built once database_info is back (already, with a synchronous worker)
            self._first = FirstRows(db)      # the student list's first rows, read while the window is built

    def open_path(self, path: Path, demo: bool = False, create: bool = False,
                  on_give_up: Callable[[], None] | None = None) -> None:
        """Switch to the database at ``path`` (the demo one is created and filled when
        ``demo``); nothing changes when it cannot be opened or its first start is cancelled."""
        if not create and self.db is not None and _same(self.db.path, path):
            if self.window is not None:
                self.window.show_message(f"已经打开的就是这个数据库：{path}")
            return
        if self.window is not None and not self.window.may_leave(
                lambda: self.open_path(path, demo, create, on_give_up)):
            return                             # unsaved policy changes kept (or being saved first)
        give_up = on_give_up or (lambda: None)
        def open_demo(p: Path) -> Database:
            return open_database(p, backup_on_start=True)
        opener: Callable[..., Database] = open_demo if demo else create_database if create else open_existing_database

        def failed(exc: BaseException) -> None:
            if isinstance(exc, DamagedDatabaseError) and exc.backup is not None:
                self._offer_restore(path, exc, lambda db: self._prepare(db, demo, give_up), give_up)
                return
            show_exception(self.window, exc)
            give_up()
        worker.run_task(opener, path, on_success=lambda db: self._prepare(db, demo, give_up),
                        on_failure=failed)

    def _offer_restore(self, path: Path, exc: DamagedDatabaseError, opened: Callable[[Database], None],
                       give_up: Callable[[], None]) -> None:
        """A damaged (or emptied) database chosen from the window: the start's offer of its newest good
        backup (``gui.app``), asked here; on yes restored and opened in the worker, then ``opened``."""
        from gui.app import restore_and_open, restore_question

        def failed(error: BaseException) -> None:
            show_exception(self.window, error)
            give_up()

        def asked(question: str) -> None:
            if not self.ask_restore(question):
                give_up()                   # the clerk stays where they were; the file is untouched
                return
            worker.run_task(restore_and_open, path, exc.backup, parent=self.window,
                            progress=worker.Progress("正在恢复备份…"), on_success=opened, on_failure=failed)
        worker.run_task(restore_question, exc, on_success=asked, on_failure=failed)

    def open_database(self) -> None:
        path = self.ask_open_path()
        if path is not None:
            self.open_path(path)

    def new_database(self) -> None:
        path = self.ask_new_path()
        if path is not None:
            self.open_path(path, create=True)

    def open_demo(self) -> None:
        self.open_path(demo_db_path(), demo=True)

    def real_database(self) -> Path:
        """Where 返回正式数据库 goes: the last real database opened, else the default one."""
        demo = demo_db_path()
        for path in self.recent:
            if not _same(path, demo):
                return path
        return default_db_path()

    def back_to_real(self) -> None:
        path = self.real_database()
        self.open_path(path, create=not path.exists())

    def close(self) -> None:
        """At exit: close the current database (its lock goes with it)."""
        if self.db is not None:
            self.db.close()
            self.db = None

    # -- internals ---------------------------------------------------------------
    def _give_up(self) -> None:
        self.gave_up = True
        if self._quit_app is not None:
            self._quit_app()

    def _prepare(self, db: Database, demo: bool, give_up: Callable[[], None]) -> None:
        def described(info: DatabaseInfo) -> None:
            if info.has_school:
                self._show(db, info)
                return
            if self._start_backup:
                from db.backup import backup_if_due
                self._start_backup = False
                worker.run_task(backup_if_due, db)
            if demo:
                self._fill_demo(db, give_up)
            else:
                self._unset = info.unset
                self._first_start(db, give_up)

        def failed(exc: BaseException) -> None:
            self._close_quietly(db)
            show_exception(self.window, exc)
            give_up()
        worker.run_task(database_info, db, on_success=described, on_failure=failed)

    def _first_start(self, db: Database, give_up: Callable[[], None]) -> None:
        choice = self.ask_first_start(db)
        if choice == "school":
            self._prepare(db, False, give_up)
            return
        self._close_quietly(db)          # the clerk's database stays empty: the wizard comes back
        if choice == "demo":
            self.open_path(demo_db_path(), demo=True, on_give_up=give_up)
        else:
            give_up()

    def _fill_demo(self, db: Database, give_up: Callable[[], None]) -> None:
        from gui.app import fill_demo_with_progress

        def then(ok: bool) -> None:
            if ok:
                self._prepare(db, False, give_up)
            else:
                self._close_quietly(db)
                give_up()
        fill_demo_with_progress(db, self.window, then)

    def _show(self, db: Database, info: DatabaseInfo) -> None:
        from gui.main_window import MainWindow
        old_window, old_db = self.window, self.db
        if old_window is not None and not old_window.may_leave(lambda: self.open_path(db.path, info.demo)):
            # Changes made in the old window while the other database opened (seconds), kept by the
            # clerk (取消) or being saved first: the switch is dropped, the other database closed (保存
            # opens it again once saved, as open_path's own question does). Closing the old window
            # asked again would otherwise delete it with its changes whatever the answer.
            self._close_quietly(db)
            old_window.show_message("尚未切换数据库：当前窗口有未保存的改动")
            return
        with gc_paused():                 # thousands of widgets and wrappers: no collection halfway
            window = MainWindow(db)
        worker.freeze_long_lived()
        self._attach(window, info)
        if old_window is not None:
            window.setGeometry(old_window.geometry())
        self.window, self.db, self.info = window, db, info
        window.show()
        if self._quit_app is not None:
            QApplication.setQuitOnLastWindowClosed(True)
        if old_window is not None:
            # before the new window's start is queued: its close waits for an idle worker, i.e. for
            # the old window's tasks only, not for the new start's reads, backup and check
            old_window.roster.ahead.drop()
            old_window.wait_in_place = True
            old_window.close()
            old_window.deleteLater()
        first = self._first if self._first is not None and self._first.db is db else None
        window.start_up(backup=self._start_backup, first=first)
        self._start_backup, self._first = False, None
        window.show_message(f"已打开{'演示' if info.demo else ''}数据库：{db.path}")
        if old_db is not None:
            worker.run_task(old_db.close)          # releases its single-instance lock
        if info.demo:
            worker.run_task(recent_databases, on_success=self._set_recent)
        else:
            worker.run_task(remember_database, db.path, on_success=self._set_recent)
        # last: behind the start's work and the tasks above (it would give way to them at once)
        window.roster.read_ahead()

    def _attach(self, window: MainWindow, info: DatabaseInfo) -> None:
        a = window.action_collection
        window.setWindowTitle(window_title(info))
        a.open_database.triggered.connect(self.open_database)
        a.new_database.triggered.connect(self.new_database)
        a.open_demo.triggered.connect(self.open_demo)
        a.back_to_real.triggered.connect(self.back_to_real)
        a.back_to_real.setEnabled(info.demo)
        a.open_demo.setEnabled(not info.demo)
        recent = a.submenus["@recent"]
        recent.aboutToShow.connect(lambda: self._fill_recent(window))
        self._fill_recent(window)
        if info.demo:
            _demo_banner(window)

    def _set_recent(self, paths: list[Path]) -> None:
        self.recent = list(paths)
        if self.window is not None:
            self._fill_recent(self.window)

    def _fill_recent(self, window: MainWindow) -> None:
        menu = window.action_collection.submenus["@recent"]
        menu.clear()
        current = self.db.path if self.db is not None else None
        for n, path in enumerate(self.recent, start=1):
            act = menu.addAction(f"&{n} {path.name}　{path.parent}")
            act.setToolTip(str(path))
            act.setData(str(path))
            if current is not None and _same(path, current):
                act.setCheckable(True)
                act.setChecked(True)
            act.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        if not self.recent:
            menu.addAction("（还没有打开过其他数据库）").setEnabled(False)

    def _close_quietly(self, db: Database) -> None:
        worker.run_task(db.close, on_failure=lambda exc: log.warning("closing %s failed: %s", db.path, exc))


def _demo_banner(window: MainWindow) -> QToolBar:
    """A red bar under the toolbar saying 演示数据, with 返回正式数据库 one click away."""
    bar = QToolBar("演示数据", window)
    bar.setObjectName("demoBanner")
    bar.setMovable(False)
    bar.setFloatable(False)
    bar.toggleViewAction().setVisible(False)       # cannot be hidden from the context menu
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    bar.setStyleSheet("QToolBar#demoBanner { background: #fde8e8; border-bottom: 1px solid #e0a0a0; }"
                      "QLabel { color: #a00000; font-weight: bold; padding: 0 8px; }")
    label = QLabel(DEMO_BANNER, bar)
    label.setObjectName("demoBannerText")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    bar.addWidget(label)
    bar.addAction(window.action_collection.back_to_real)
    window.addToolBarBreak()
    window.addToolBar(bar)
    return bar

