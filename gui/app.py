"""Start the GUI: application set-up (bundled CJK font, Chinese Qt texts), the
database, then gui.databases (first-start wizard or the demo database, the main window)."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QWidget

from core.resources import FONT_FILE, ICON_PNG
from db.session import DamagedDatabaseError, Database, EmptyDatabaseError, open_database
from db.workflows import fill_demo
from gui import worker
from gui.errors import show_exception

log = logging.getLogger(__name__)

FONT_PATH = FONT_FILE
DEMO_STUDENTS = 300
_translators: list[QTranslator] = []


def install_font(app: QApplication) -> str | None:
    """Register the bundled font and make it the application font (Chinese
    renders even where Windows/Linux has no CJK font). Returns its family."""
    font_id = QFontDatabase.addApplicationFont(str(FONT_PATH))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        log.warning("bundled font not loaded: %s", FONT_PATH)
        return None
    font = QFont(app.font())
    font.setFamilies([families[0], *font.families()])
    font.setFamily(families[0])
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    return families[0]


class MnemonicFallback(QTranslator):
    """Qt 6 gave some of its texts a keyboard mnemonic ("&Look in:", "Files of &type:")
    while the Chinese catalogue still holds the old text ("Look in:" → "查找范围："):
    look that up and add the mnemonic the Chinese way ("查找范围(&L)："). None (a null
    QString, unlike "") lets the next translator answer."""

    def __init__(self, base: QTranslator, parent: QApplication) -> None:
        super().__init__(parent)
        self.base = base

    def isEmpty(self) -> bool:
        return False

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        at = source.find("&")
        if at < 0 or at + 1 >= len(source) or source[at + 1] == "&":
            return None
        if self.base.translate(context, source, disambiguation, n):
            return None                                # the catalogue has this text: it answers
        text = self.base.translate(context, source[:at] + source[at + 1:], disambiguation, n)
        if not text:
            return None
        tail = text[-1] if text[-1] in "：:" else ""
        return f"{text[:len(text) - len(tail)]}(&{source[at + 1].upper()}){tail}"


def install_translations(app: QApplication) -> None:
    """Qt's own texts (file dialogs, message boxes, standard buttons) in Simplified Chinese,
    from the qtbase_zh_CN.qm that the PySide6-Essentials wheel ships (Qt's translations folder)."""
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    tr = QTranslator(app)
    if tr.load("qtbase_zh_CN", folder):
        app.installTranslator(tr)
        fallback = MnemonicFallback(tr, app)       # installed last: asked first
        app.installTranslator(fallback)
        _translators.extend((tr, fallback))
    else:
        log.warning("Qt's Chinese translations not found in %s", folder)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))


def translations_loaded() -> bool:
    """Whether Qt's Chinese texts were found and installed (the self-test asks)."""
    return bool(_translators)


def setup_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)   # a widgets program: never a bare QCoreApplication
    app.setApplicationName("资助助手")
    app.setOrganizationName("Zizhu")
    # The style and the light colours every screen was checked in (offscreen, Fusion): Windows 11's own
    # style follows the system's dark setting, which the pages' own light backgrounds and dark texts do
    # not (white text on a light note, grey hints on black), and its controls are larger.
    app.setStyle("Fusion")
    app.styleHints().setColorScheme(Qt.ColorScheme.Light)
    app.setWindowIcon(QIcon(str(ICON_PNG)))
    install_font(app)
    install_translations(app)
    worker.freeze_long_lived()       # the modules imported so far: never walked by the collector again
    return app


def fill_demo_with_progress(db: Database, parent: QWidget | None, then: Callable[[bool], None],
                            n_students: int = DEMO_STUDENTS) -> None:
    """Generate demo data in the worker behind a progress dialog; ``then(ok)`` afterwards
    (before the dialog goes away, so a window is always open)."""
    def failed(exc: BaseException) -> None:
        show_exception(parent, exc)
        then(False)

    worker.run_task(fill_demo, db, n_students=n_students, parent=parent,
                    progress=worker.Progress("正在生成演示数据…", application_modal=True),
                    on_success=lambda _c: then(True), on_failure=failed)


def ask_restore(message: str, parent: QWidget | None = None) -> bool:
    """Ask whether to restore the newest good backup of a damaged database (tests replace this)."""
    from PySide6.QtWidgets import QMessageBox
    box = QMessageBox(QMessageBox.Icon.Warning, "资助助手", message, QMessageBox.StandardButton.NoButton, parent)
    yes = box.addButton("恢复备份", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("退出" if parent is None else "取消", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is yes


def restore_question(exc: DamagedDatabaseError) -> str:
    """The offer of ``exc.backup`` (which must be set) for the refused file: what is wrong, the backup's
    date and students, what becomes of the file. Reads the backup (its integrity check): a worker's task
    once a window exists."""
    from db.backup import inspect_backup
    assert exc.backup is not None
    info = inspect_backup(exc.backup)
    kept = ("这个空文件会被备份替换（它不含任何数据）。" if isinstance(exc, EmptyDatabaseError) else
            f"损坏的文件会改名保留在原处（{Path(exc.path).name}.damaged-…），不会删除。")
    return (f"{exc.message}\n\n是否恢复最新的完好备份？\n备份时间：{info.taken:%Y-%m-%d %H:%M}，"
            f"学生 {info.students} 人。\n{kept}")


def restore_and_open(db_path: Path, backup: Path,
                     progress: Callable[[int, int], None] | None = None) -> Database:
    """Restore ``backup`` over the refused database under its single-instance lock (a damaged file is kept
    aside, ``db.backup.restore``), then open it (migrated when the backup is of an older schema)."""
    from db import lock
    from db.backup import restore
    step = progress or (lambda _done, _total: None)
    step(0, 2)
    lock.acquire(Path(db_path))
    try:
        restore(Path(db_path), backup)
    finally:
        lock.release(Path(db_path))
    step(1, 2)
    db = open_database(db_path)
    step(2, 2)
    return db


def _restore_damaged(db_path: Path, exc: DamagedDatabaseError) -> Database | None:
    """At start: offer the newest good backup; on yes, keep the damaged file aside, restore, reopen.
    (Opened from the running window, ``DatabaseSwitcher`` asks the same through the worker.)"""
    if exc.backup is None:
        show_exception(None, exc)
        return None
    if not ask_restore(restore_question(exc)):
        return None
    return restore_and_open(db_path, exc.backup)


def open_for_gui(db_path: Path) -> Database | None:
    """Open the database for the GUI (single-instance lock, migration); every refusal
    is shown to the clerk (who holds it, damaged → offer the newest good backup). None: quit.
    Start-up work before any window exists, so it runs here and not through the worker. The start
    backup is not taken here: ``DatabaseSwitcher.start`` queues it in the worker once the window's
    first reads are asked for, before any write (``MainWindow.start_up``)."""
    try:
        try:
            return open_database(db_path)
        except DamagedDatabaseError as exc:
            log.warning("damaged database at start: %s", exc.message)
            return _restore_damaged(db_path, exc)
    except Exception as exc:  # noqa: BLE001 - ZizhuError shown as is, anything else logged as internal
        from db.session import translate_error
        show_exception(None, translate_error(exc, db_path) or exc)
        return None


def run_gui(db_path: Path, demo: bool) -> int:
    """Open the GUI on ``db_path``; returns the exit code (2 when the database cannot be used,
    3 when start-up failed: shown in the one error dialog, the traceback in the log)."""
    from gui import crash
    try:
        app = setup_application()
        crash.install()                        # from here on, an unhandled error is shown once and logged
        db = open_for_gui(db_path)
        if db is None:
            return 2
        from core.recent import last_folder
        from gui.dialogs import set_last_folder
        set_last_folder(last_folder())         # file dialogs open where the clerk last chose a file

        from gui.databases import DatabaseSwitcher
        app.setQuitOnLastWindowClosed(False)   # wizard/progress dialogs close before the window shows
        switcher = DatabaseSwitcher(quit_app=app.quit)
        switcher.start(db, demo)               # the wizard (or demo data), then the main window
    except Exception as exc:  # noqa: BLE001 - before the window exists: the one dialog, then quit
        return crash.startup_failure(exc)
    code = 0 if switcher.gave_up else app.exec()
    worker.wait_for_idle()
    worker.stop_child()
    switcher.close()
    return code
