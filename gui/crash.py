"""Unhandled errors anywhere in the GUI program: one Chinese dialog, the traceback in the log.

Three ways an error escapes the code that should have handled it:

* on the GUI thread (a slot, an event handler): ``sys.excepthook``;
* on another thread: ``threading.excepthook`` (tasks of ``gui.worker.run_task`` report their
  failures themselves; this catches any other thread). The dialog is relayed to the GUI
  thread: a widget is never touched from the thread that failed;
* at start-up, before any window exists (``startup_failure``, called by ``main.py``).

Every path ends in ``gui.errors.show_exception``: the traceback goes to the rotating log
(``core.logsetup``: personal numbers masked), the clerk sees what to do and where the log
is. While that dialog is open, further unhandled errors are only logged: one dialog, never a
cascade of them.
"""
from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

_showing = False


def report(exc: BaseException) -> None:
    """Show ``exc`` (GUI thread only) unless an error dialog is already open; log it in any case."""
    global _showing
    from gui.errors import show_exception
    if _showing:
        log.error("another unhandled error while the error dialog is open",
                  exc_info=(type(exc), exc, exc.__traceback__))
        return
    _showing = True
    try:
        show_exception(None, exc)
    except Exception:  # the error dialog itself failed: the log has both
        log.exception("could not show an error")
    finally:
        _showing = False


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` for the GUI: an exception escaping a slot is shown and logged, not printed."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    report(exc)


class _Relay(QObject):
    """Lives on the GUI thread: a signal emitted on any thread runs ``report`` there."""
    failed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.failed.connect(self.show)

    @Slot(object)
    def show(self, exc: BaseException) -> None:
        report(exc)


_relay: _Relay | None = None


def thread_excepthook(args: Any) -> None:
    """``threading.excepthook``: log the thread's error, then show it on the GUI thread."""
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    exc: BaseException = args.exc_value
    if exc.__traceback__ is None:
        exc = exc.with_traceback(args.exc_traceback)
    if _relay is None:        # no GUI (yet): the log is all there is
        log.error("unhandled error in thread %s", getattr(args.thread, "name", "?"),
                  exc_info=(type(exc), exc, exc.__traceback__))
        return
    _relay.failed.emit(exc)   # queued to the GUI thread, where show_exception logs the traceback


def install() -> None:
    """Install the hooks; call on the GUI thread once the QApplication exists."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


def tell(message: str) -> None:
    """One message in a dialog, without a window (a command given to the windowed program)."""
    from PySide6.QtWidgets import QMessageBox

    from gui.app import setup_application
    setup_application()
    QMessageBox.information(None, "资助助手", message)


def startup_failure(exc: BaseException) -> int:
    """An error that escaped start-up (no window yet): log it, show the one dialog, exit code 3.

    Logging is set up here if start-up failed before it was; without Qt (a broken bundle)
    the message goes to stderr."""
    from core.logsetup import current_log_file, setup_logging
    from core.paths import log_dir
    try:
        if current_log_file() is None:
            setup_logging(log_dir())
    except OSError:
        pass
    try:
        from gui.app import setup_application
        setup_application()
        report(exc)
    except Exception:  # no dialog possible: the log and stderr have it
        log.error("start-up failed", exc_info=(type(exc), exc, exc.__traceback__))
        if sys.stderr is not None:
            print(f"资助助手无法启动，详细信息已写入日志：{log_dir() / 'zizhu.log'}", file=sys.stderr)
    return 3
