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

Heavy jobs whose C calls hold the GIL for seconds (the start-up check, imports, exports,
letters) run with ``process=True``: the worker thread hands them to one long-lived child
process (``multiprocessing``'s 'spawn' context, as on Windows and in the bundle; see
``gui.worker_child``) and waits for its answer, so the order of the database work stays that of
the one queue while the GUI process's interpreter stays free. Arguments go by pickle (a
``Database`` as its path: the child opens its own sessions); results, progress and domain errors
come back the same way and reach the same callbacks and the one ``show_exception``.

While the worker thread runs Python (the snapshot, a page's preparation), the window's thread needs
Python's lock for every call Qt makes into Python (a paint asks the model for each cell): it waits
for the worker to hand the lock over, at most the switch interval each time (5 ms by default), and
a paint of a screenful of cells made many such waits, a frozen window for 50–150 ms. The process's
switch interval is 1 ms once the worker exists (``pool``). And a load the window keeps (``keep``:
a list's new rows, followed by the reset and the repaint of the list shown) is the moment it matters
most: the worker waits until the window has taken the result and repainted before it starts its next
task (``_after_repaint``, at most ``SHOWN_WAIT_S``). ``repaint_wait`` asks for that wait alone (the start's
first task: the window's first paint before the start's reads); a task run in the child process
(``process``) never waits.

Tests set ``SYNCHRONOUS = True`` (or use ``synchronous()``): the function and
its callbacks then run immediately on the calling thread, like Picard's
FakeThreadPool (``process`` is ignored there).
"""
from __future__ import annotations

import logging
import pickle
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

from core.bulk import freeze_kept, gc_paused
from core.errors import ZizhuError

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


_steady: Any = None


def _steady_dialog() -> Any:
    """The progress dialog's class (made at first use: QtWidgets is imported then). Esc and the title
    bar's × do not close it: the work cannot be stopped halfway, and a dialog gone while the work goes
    on looked as if it had been cancelled. It closes when the task's answer came (``_with_dialog``)."""
    global _steady
    if _steady is None:
        from PySide6.QtWidgets import QProgressDialog

        class SteadyProgressDialog(QProgressDialog):
            finished_task = False

            def keyPressEvent(self, event: Any) -> None:
                if event.key() != Qt.Key.Key_Escape:
                    super().keyPressEvent(event)

            def reject(self) -> None:
                if self.finished_task:
                    super().reject()

            def closeEvent(self, event: Any) -> None:
                if self.finished_task:
                    super().closeEvent(event)
                else:
                    event.ignore()
        _steady = SteadyProgressDialog
    return _steady


def _progress_dialog(option: Progress, parent: QObject | None) -> Any:
    from PySide6.QtWidgets import QWidget
    dialog = _steady_dialog()(option.label, "", 0, 0, parent if isinstance(parent, QWidget) else None)
    dialog.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
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
        dialog.finished_task = True
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
_queued = 0                   # tasks asked for and not started yet (``others_waiting``)
_queued_lock = threading.Lock()


SWITCH_INTERVAL_S = 0.001
SHOWN_WAIT_S = 0.3        # the longest a task waits for the window to show its result (keep, repaint_wait)
SHOWN_PASSES = 2


class _Waker(QObject):
    """Lives on the GUI thread: sets a waiting load's event once the window has shown its result
    (see ``_after_repaint``)."""

    TYPE = QEvent.Type(QEvent.registerEventType())

    def __init__(self) -> None:
        super().__init__()
        self.waiting: deque[tuple[threading.Event, int]] = deque()

    def add(self, shown: threading.Event) -> None:
        self.waiting.append((shown, SHOWN_PASSES))
        self._post()

    def _post(self) -> None:
        QCoreApplication.postEvent(self, QEvent(self.TYPE), Qt.EventPriority.LowEventPriority.value)

    def event(self, event: QEvent) -> bool:
        if event.type() != self.TYPE:
            return super().event(event)
        shown, passes = self.waiting.popleft()
        if passes <= 1:
            shown.set()
        else:              # once more after the timers this pass started (a view's delayed layout)
            self.waiting.append((shown, passes - 1))
            QTimer.singleShot(0, self._post)     # a timer each: one event per entry waiting, always
        return True


_waker: _Waker | None = None


def _after_repaint(shown: threading.Event) -> None:
    """GUI thread, after a load's result was handed to its page: ``shown`` is set once the window has
    repainted (a repaint is a low-priority posted event; ours follows it with the same priority, then
    once more after the timers of that pass: a view's delayed layout, and the repaint it asks for).
    Until then the worker thread waits instead of starting its next task: while it runs Python, every
    call a repaint makes into Python (a model's data, cell by cell) waits for the lock's hand-over,
    and a screenful of the county's list took 2-3 times its own CPU time (the stall at an import's end)."""
    global _waker
    if _waker is None:
        _waker = _Waker()
    _waker.add(shown)


def pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)   # database work is serialised
        sys.setswitchinterval(SWITCH_INTERVAL_S)    # see the module's note on the lock's hand-over
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
        try:
            if self._on_success is not None:
                self._on_success(result)
        finally:
            if self._task.repaint_wait:
                _after_repaint(self._task.shown)

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


class _Child:
    """The worker's child process (started at its first task, or early with a first task already
    asked: ``gui.worker_child.start_early``; used from the worker thread only)."""

    def __init__(self) -> None:
        from gui.worker_child import spawn
        self.conn, self.process, self.asked = spawn()

    def call(self, fn: Callable[..., Any], args: tuple, kwargs: dict,
             progress: ProgressCallback | None) -> Any:
        task = (fn, tuple(_for_child(a) for a in args), {k: _for_child(v) for k, v in kwargs.items()})
        asked, self.asked = self.asked, None
        if asked is not None:
            if asked == task and progress is None:
                return self._answer(None)           # asked for when the child was started
            with suppress(Exception):               # another first task: that answer is not wanted
                self._answer(None)
        self.conn.send((*task, progress is not None))
        return self._answer(progress)

    def _answer(self, progress: ProgressCallback | None) -> Any:
        from gui.worker_child import unpack_exception
        while True:
            kind, payload = self.conn.recv()
            if kind == "progress":
                if progress is not None:
                    progress(*payload)
            elif kind == "ok":
                return payload
            else:
                raise unpack_exception(payload)

    def stop(self) -> None:
        from gui.worker_child import stop
        stop(self.conn, self.process)


_child: _Child | None = None


def _for_child(value: Any) -> Any:
    from db.session import Database
    if isinstance(value, Database):
        from gui.worker_child import DatabaseRef
        return DatabaseRef(value.path, value.timeout)
    return value


def _in_child(fn: Callable[..., Any], args: tuple, kwargs: dict, progress: ProgressCallback | None) -> Any:
    """Worker thread: run ``fn`` in the child process (started if none is running)."""
    global _child
    if _child is None or not _child.process.is_alive():
        _child = _Child()
    try:
        return _child.call(fn, args, kwargs, progress)
    except (EOFError, ConnectionError) as exc:
        log.error("the worker's child process ended: %s", exc)
        _child = None
        raise ZizhuError("后台进程意外退出，这次操作没有完成",
                         "请重试；若反复出现，请查看日志（帮助 → 打开日志文件夹）") from exc


def in_child(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """From a task running in the worker thread: ``fn(*args, **kwargs)`` in the worker's child
    process, i.e. on the machine's other core (inline when ``SYNCHRONOUS``, as ``process=True``)."""
    if SYNCHRONOUS:
        _crosses(fn, args, kwargs)
        return pickle.loads(pickle.dumps(fn(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL))
    return _in_child(fn, args, kwargs, None)


def _crosses(fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    """Tests (``SYNCHRONOUS``) run a child process's task inline; the arguments the real run would pickle
    to send it are pickled here too (and the result on its way back, by the caller), so a task that
    cannot cross the process boundary fails its test. (``fn`` itself is not: tests put spies there.)"""
    pickle.dumps((tuple(_for_child(a) for a in args), {k: _for_child(v) for k, v in kwargs.items()}),
                 protocol=pickle.HIGHEST_PROTOCOL)


def stop_child() -> None:
    """At exit (after ``wait_for_idle``): end the child process."""
    global _child
    from gui.worker_child import stop_early
    stop_early()                 # started early and never used (a database that could not be opened)
    if _child is not None:
        _child.stop()
        _child = None


class _Task(QRunnable):
    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, with_progress: bool,
                 keep: bool = False, process: bool = False, repaint_wait: bool = False) -> None:
        super().__init__()
        self.setAutoDelete(False)   # Python keeps it in _active until it reports back
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.with_progress = with_progress
        self.keep = keep
        self.repaint_wait = keep or repaint_wait     # the worker holds until the window has repainted
        self.process = process
        self.emitter = _Emitter()
        self.relay: QObject | None = None
        self.shown = threading.Event()      # repaint_wait: the window has taken the result and repainted
        # its relay was deleted with the widget that asked (a closed dialog): its answer is dropped and
        # ``busy`` no longer counts it. (It stays in ``_active``: the pool may still hold it.)
        self.orphaned = False

    def orphan(self) -> None:
        self.orphaned = True

    def run(self) -> None:  # background thread: never touch widgets here
        global _queued
        with _queued_lock:
            _queued -= 1
        kwargs = dict(self.kwargs)
        if self.process:
            try:
                result = _in_child(self.fn, self.args, kwargs,
                                   self.emitter.progressed.emit if self.with_progress else None)
            except BaseException as exc:  # noqa: BLE001 - every failure goes to the GUI thread
                self.emitter.failed.emit(exc)
            else:
                self.emitter.succeeded.emit(result)
            return
        if self.with_progress:
            kwargs["progress"] = self.emitter.progressed.emit
        try:
            with gc_paused():
                result = self.fn(*self.args, **kwargs)
                if self.keep:         # rows the window keeps: never walked by a collection
                    freeze_kept()
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the GUI thread
            self.emitter.failed.emit(exc)
        else:
            self.emitter.succeeded.emit(result)
            if self.repaint_wait:     # the window's reset and repaint, without this thread's Python beside them
                self.shown.wait(SHOWN_WAIT_S)


def _deliver_failure(exc: BaseException, on_failure: Callback | None, parent: Any) -> None:
    if on_failure is not None:
        on_failure(exc)
        return
    from gui.errors import show_exception
    show_exception(parent, exc)


def run_task(fn: Callable[..., Any], *args: Any, on_success: Callback | None = None,
             on_failure: Callback | None = None, progress: ProgressCallback | Progress | None = None,
             parent: QObject | None = None, keep: bool = False, process: bool = False,
             low_priority: bool = False, repaint_wait: bool = False, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` in the background.

    ``on_success(result)`` or ``on_failure(exception)`` runs on the GUI thread
    (no ``on_failure``: the error is shown with ``show_exception``). With
    ``progress``, ``fn`` receives a ``progress(done, total)`` keyword argument
    whose calls are forwarded to ``progress`` on the GUI thread; a ``Progress``
    option shows them in a progress dialog instead. ``keep``: a load whose result the window
    keeps (a list's rows): frozen in the worker as it ends (``freeze_long_lived``), so the first
    collection after the task does not walk the 200,000 rows it made; the worker then holds until
    the window has repainted (at most ``SHOWN_WAIT_S``). ``repaint_wait``: only that hold (nothing is
    frozen): the start's first task, so the window's first paint runs alone. ``process``: a heavy job
    run in the worker's child process (``fn`` a module-level function; arguments and result
    picklable, a ``Database`` passed as its path), still in the one queue's order.
    ``low_priority``: work nobody waits for (a read ahead): it starts only when no other task is
    queued, and a task asked for later starts before it (see ``others_waiting``).
    """
    if isinstance(progress, Progress):
        progress, on_success, on_failure = _with_dialog(progress, parent, on_success, on_failure)
    if SYNCHRONOUS:
        if process:
            _crosses(fn, args, kwargs)
        if progress is not None:
            kwargs["progress"] = progress
        try:
            result = fn(*args, **kwargs)
            if process:       # what the child process would send back: pickled, as a real run does
                result = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:  # noqa: BLE001
            _deliver_failure(exc, on_failure, parent)
            return
        if on_success is not None:
            on_success(result)
        return
    task = _Task(fn, args, kwargs, with_progress=progress is not None, keep=keep, process=process,
                 repaint_wait=repaint_wait)
    relay = _Relay(parent, task, on_success, on_failure, progress)
    task.relay = relay   # keeps the relay alive while the task runs (it may have no parent)
    relay.destroyed.connect(task.orphan)   # (its parent deleted first: the answer goes nowhere)
    task.emitter.succeeded.connect(relay.succeeded)
    task.emitter.failed.connect(relay.failed)
    task.emitter.progressed.connect(relay.progressed)
    global _queued
    _active.add(task)
    with _queued_lock:
        _queued += 1
    pool().start(task, -1 if low_priority else 0)


def others_waiting() -> bool:
    """From a task running in the worker thread: another task is queued behind it. A low-priority
    task checks this between its slices and stops (the clerk's task then starts at once)."""
    return _queued > 0 and not SYNCHRONOUS


def busy() -> bool:
    """GUI thread: a task was asked for and has not reported back yet (queued, running, or its
    answer not yet delivered): a change it makes may not have reached the pages yet."""
    return any(not task.orphaned for task in _active)


def freeze_long_lived() -> None:
    """GUI thread, after a page's data is in its model: what is alive now (modules, widgets, the
    rows shown) lives on, so the collector need not walk it again (``gc.freeze``; reference
    counting still frees these objects when a reload replaces them). The ends of the collector's
    pauses then leave the process's frozen objects as they are (``core.bulk.after_pauses``)."""
    freeze_kept()


def wait_for_idle(msecs: int = 30000) -> bool:
    """Block until the background thread is idle (used at shutdown)."""
    return pool().waitForDone(msecs)
