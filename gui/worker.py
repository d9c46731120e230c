"""Run a function off the GUI thread; callbacks arrive on the GUI thread.

Every database and file operation of the GUI goes through ``run_task``. The
work runs on one background thread (a QThreadPool of one thread), so database
work is serialised and results arrive in the order it was asked for. The
callbacks are delivered through a relay QObject living on the GUI thread; when
the ``parent`` widget is destroyed the relay goes with it and late results are
dropped instead of touching a deleted widget.

The cyclic garbage collector is paused while a task runs (``core.bulk.gc_paused``): a full
collection walks every live object while holding the GIL, so one started by a task's
allocations froze the window for up to a second at county size. After a page's rows are
in its model, ``freeze_long_lived`` moves what is alive into the permanent generation:
later collections walk only what was made since.

Tests set ``SYNCHRONOUS = True`` (or use ``synchronous()``): the function and
its callbacks then run immediately on the calling thread, like Picard's
FakeThreadPool.
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from core.bulk import gc_paused

log = logging.getLogger(__name__)

SYNCHRONOUS = False

Callback = Callable[[Any], None]
ProgressCallback = Callable[[int, int], None]



@dataclass(frozen=True)
class Progress:
    """``run_task(progress=Progress("正在导入，请稍候…"))``: a progress dialog over ``parent``
    (no cancel button) follows the task's ``progress(done, total)`` calls and closes after
    the success or failure callback. The one progress dialog of the GUI."""
    label: str
    title: str = "资助助手"
    application_modal: bool = False    # while no main window exists yet (first start)


def _progress_dialog(option: Progress, parent: QObject | None) -> Any:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressDialog, QWidget
    dialog = QProgressDialog(option.label, "", 0, 0, parent if isinstance(parent, QWidget) else None)
    dialog.setObjectName("progressDialog")
    dialog.setWindowTitle(option.title)
    dialog.setCancelButton(None)   # the work cannot be stopped halfway
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal if option.application_modal
                             else Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0 if option.application_modal else 300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)     # a full bar stays full until the dialog closes
    dialog.setValue(0)
    if option.application_modal:
        dialog.show()
    return dialog


def _with_dialog(option: Progress, parent: QObject | None, on_success: Callback | None,
                 on_failure: Callback | None) -> tuple[ProgressCallback, Callback, Callback]:
    dialog = _progress_dialog(option, parent)

    def step(done: int, total: int) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, max(total, 1)))

    def close() -> None:
        dialog.close()
        dialog.deleteLater()

    def succeeded(result: Any) -> None:
        try:
            if on_success is not None:
                on_success(result)     # e.g. the main window shows before the dialog goes
        finally:
            close()

    def failed(exc: Any) -> None:
        try:
            _deliver_failure(exc, on_failure, parent)
        finally:
            close()
    return step, succeeded, failed


_pool: QThreadPool | None = None
_active: set[_Task] = set()


def pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)   # database work is serialised
    return _pool


@contextmanager
def synchronous() -> Iterator[None]:
    """Run every task inline while the block is active (tests)."""
    global SYNCHRONOUS
    old, SYNCHRONOUS = SYNCHRONOUS, True
    try:
        yield
    finally:
        SYNCHRONOUS = old


class _Emitter(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int)


class _Relay(QObject):
    """Lives on the GUI thread; turns the emitter's signals into callbacks."""

    def __init__(self, parent: QObject | None, task: _Task, on_success: Callback | None,
                 on_failure: Callback | None, on_progress: ProgressCallback | None) -> None:
        super().__init__(parent)
        self._task = task
        self._on_success = on_success
        self._on_failure = on_failure
        self._on_progress = on_progress

    @Slot(object)
    def succeeded(self, result: Any) -> None:
        self._finish()
        if self._on_success is not None:
            self._on_success(result)

    @Slot(object)
    def failed(self, exc: Any) -> None:
        self._finish()
        _deliver_failure(exc, self._on_failure, self.parent())

    @Slot(int, int)
    def progressed(self, done: int, total: int) -> None:
        if self._on_progress is not None:
            self._on_progress(done, total)

    def _finish(self) -> None:
        _active.discard(self._task)
        self.deleteLater()


class _Task(QRunnable):
    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, with_progress: bool,
                 keep: bool = False) -> None:
        super().__init__()
        self.setAutoDelete(False)   # Python keeps it in _active until it reports back
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.with_progress = with_progress
        self.keep = keep
        self.emitter = _Emitter()
        self.relay: QObject | None = None

    def run(self) -> None:  # background thread: never touch widgets here
        kwargs = dict(self.kwargs)
        if self.with_progress:
            kwargs["progress"] = self.emitter.progressed.emit
        try:
            with gc_paused():
                result = self.fn(*self.args, **kwargs)
                if self.keep:         # rows the window keeps: never walked by a collection
                    gc.freeze()
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the GUI thread
            self.emitter.failed.emit(exc)
        else:
            self.emitter.succeeded.emit(result)


def _deliver_failure(exc: BaseException, on_failure: Callback | None, parent: Any) -> None:
    if on_failure is not None:
        on_failure(exc)
        return
    from gui.errors import show_exception
    show_exception(parent, exc)


def run_task(fn: Callable[..., Any], *args: Any, on_success: Callback | None = None,
             on_failure: Callback | None = None, progress: ProgressCallback | Progress | None = None,
             parent: QObject | None = None, keep: bool = False, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` in the background.

    ``on_success(result)`` or ``on_failure(exception)`` runs on the GUI thread
    (no ``on_failure``: the error is shown with ``show_exception``). With
    ``progress``, ``fn`` receives a ``progress(done, total)`` keyword argument
    whose calls are forwarded to ``progress`` on the GUI thread; a ``Progress``
    option shows them in a progress dialog instead. ``keep``: a load whose result the window
    keeps (a list's rows): frozen in the worker as it ends (``freeze_long_lived``), so the first
    collection after the task does not walk the 200,000 rows it made.
    """
    if isinstance(progress, Progress):
        progress, on_success, on_failure = _with_dialog(progress, parent, on_success, on_failure)
    if SYNCHRONOUS:
        if progress is not None:
            kwargs["progress"] = progress
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            _deliver_failure(exc, on_failure, parent)
            return
        if on_success is not None:
            on_success(result)
        return
    task = _Task(fn, args, kwargs, with_progress=progress is not None, keep=keep)
    relay = _Relay(parent, task, on_success, on_failure, progress)
    task.relay = relay   # keeps the relay alive while the task runs (it may have no parent)
    task.emitter.succeeded.connect(relay.succeeded)
    task.emitter.failed.connect(relay.failed)
    task.emitter.progressed.connect(relay.progressed)
    _active.add(task)
    pool().start(task)


def freeze_long_lived() -> None:
    """GUI thread, after a page's data is in its model: what is alive now (modules, widgets, the
    rows shown) lives on, so the collector need not walk it again (``gc.freeze``; reference
    counting still frees these objects when a reload replaces them)."""
    gc.freeze()


def wait_for_idle(msecs: int = 30000) -> bool:
    """Block until the background thread is idle (used at shutdown)."""
    return pool().waitForDone(msecs)
