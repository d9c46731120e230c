"""A load the window keeps (``keep=True``) is shown before the worker starts its next task
(``gui.worker._after_repaint``): the window's repaint of the new rows never waits for the lock while
the worker runs Python beside it (the stall at an import's end, docs/BENCHMARKS.md)."""
import threading

from PySide6.QtWidgets import QWidget

from core import bulk
from gui import worker


class Painted(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def paintEvent(self, event) -> None:
        self.paints += 1
        super().paintEvent(event)


def test_the_next_task_starts_once_the_window_has_repainted_a_kept_load(qtbot, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "SHOWN_WAIT_S", 30)
    widget = Painted()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.paints > 0)
    taken: list[str] = []
    seen_by_next: list[tuple[list[str], int]] = []
    started = threading.Event()

    def take(rows: str) -> None:
        taken.append(rows)
        widget.update()                   # the new rows ask for a repaint, as a model's reset does
    painted_before = widget.paints

    def after() -> None:
        seen_by_next.append((list(taken), widget.paints))
        started.set()
    worker.run_task(lambda: "rows", on_success=take, keep=True)
    worker.run_task(after)
    assert not started.wait(0.5)          # the window (blocked here) has not taken the rows yet
    qtbot.waitUntil(started.is_set, timeout=10000)
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    assert seen_by_next[0][0] == ["rows"] and seen_by_next[0][1] > painted_before


def test_a_task_whose_result_is_not_kept_does_not_wait_for_the_window(qtbot, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "SHOWN_WAIT_S", 30)
    started = threading.Event()
    worker.run_task(lambda: "done", on_success=lambda _r: None)
    worker.run_task(started.set)
    assert started.wait(10)
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)


def test_a_kept_load_whose_page_is_gone_lets_the_worker_go_on(qtbot, monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "SHOWN_WAIT_S", 0.05)
    monkeypatch.setattr(worker, "_active", set())          # the gone page's task is never reported back
    page = QWidget()
    started = threading.Event()
    gate = threading.Event()
    worker.run_task(gate.wait, 10, on_success=lambda _r: None, parent=page, keep=True)
    page.deleteLater()                     # the page closes while its load runs: no one shows the result
    qtbot.wait(50)
    gate.set()
    worker.run_task(started.set)
    assert started.wait(10)
    worker.wait_for_idle()


def test_two_kept_loads_shown_in_one_pass_leave_no_one_waiting(qtbot, monkeypatch):
    """Two kept loads whose second passes start in the same pass of the event loop (the window was busy
    past the wait meanwhile) each get their own event: none is left waiting, so later kept loads do not
    sit out the whole wait (one timer for all merged them: review of session 11)."""
    import time
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "SHOWN_WAIT_S", 0.2)
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()

    def spin(done, seconds: float) -> None:        # the program's loop: each pass handles what is posted
        end = time.monotonic() + seconds
        while not done() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)
    gate: list[int] = []
    worker.run_task(lambda: "a", on_success=lambda _r: time.sleep(0.3), keep=True)
    worker.run_task(lambda: "b", on_success=lambda _r: gate.append(1), keep=True)
    spin(lambda: bool(gate), 10)
    spin(lambda: not worker.busy(), 10)
    spin(lambda: worker._waker is not None and not worker._waker.waiting, 2)
    assert worker._waker is not None and not worker._waker.waiting


def test_the_start_s_reads_wait_for_the_window_s_first_paint(qtbot, demo_db, monkeypatch):
    """``MainWindow.start_up``: the snapshot's Python (the whole list, ~1 s at county size) starts only
    once the window has painted (its first rows), not beside that paint (the start's longest stall)."""
    import time

    from PySide6.QtCore import QEvent, QObject

    import gui.feed as feed
    from gui.main_window import MainWindow
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "SHOWN_WAIT_S", 30)
    paints: list[int] = []
    at_compute: list[int] = []

    class Count(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                paints.append(1)
            return False
    real = feed.compute_prepared

    def compute(*args):
        at_compute.append(len(paints))
        return real(*args)
    monkeypatch.setattr(feed, "compute_prepared", compute)
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    counter = Count()
    w.installEventFilter(counter)            # the window's own paint (its pages' widgets paint inside it)
    w.show()
    w.start_up()
    time.sleep(0.5)                      # no events processed: the window cannot paint meanwhile
    qtbot.waitUntil(lambda: bool(at_compute) and not worker.busy(), timeout=30000)
    assert at_compute[0] > 0, "the snapshot started before the window's first paint"


def test_a_repaint_wait_holds_the_next_task_and_freezes_nothing(qtbot, monkeypatch):
    """The start's first task (``repaint_wait``: the window's first paint runs alone) holds the worker
    as a kept load does, but moves no object to the collector's permanent generation (``keep`` does:
    a load's rows); the wait had borrowed ``keep`` until session 13."""
    import gc
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "SHOWN_WAIT_S", 30)
    freezes: list[int] = []         # (the freeze count itself also falls when a frozen object is freed)
    real_freeze = gc.freeze
    monkeypatch.setattr(bulk, "_after", [bulk.LEAVE])   # as in the GUI's process (gui.launch): the end
    #                                                       of a task's collector pause freezes nothing
    monkeypatch.setattr(gc, "freeze", lambda: (freezes.append(1), real_freeze())[1])
    widget = Painted()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.paints > 0)
    started = threading.Event()
    frozen: list[int] = []
    painted_before = widget.paints
    seen: list[int] = []

    def after() -> None:
        seen.append(widget.paints)
        frozen.append(len(freezes))
        started.set()
    before = len(freezes)
    worker.run_task(lambda: None, on_success=lambda _r: widget.update(), repaint_wait=True)
    worker.run_task(after)
    assert not started.wait(0.5)          # held: the window (blocked here) has not repainted yet
    qtbot.waitUntil(started.is_set, timeout=10000)
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    assert seen[0] > painted_before and frozen == [before]


def test_a_task_whose_asker_is_gone_no_longer_counts_as_busy(qtbot, monkeypatch):
    """A dialog closed (deleted) while its task ran took the task's relay with it: the answer went nowhere
    and ``busy()`` stayed True for good, so the roster page never used its read ahead again (found by
    review, session 15)."""
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)
    monkeypatch.setattr(worker, "_active", set())        # (the orphaned task stays there: the pool may hold it)
    asker = QWidget()
    hold = threading.Event()
    answers: list[str] = []
    worker.run_task(lambda: hold.wait(10) and "late", on_success=answers.append, parent=asker)
    assert worker.busy()
    asker.deleteLater()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=5000)     # the asker is gone: nobody waits
    hold.set()
    done = threading.Event()
    worker.run_task(done.set)
    qtbot.waitUntil(done.is_set, timeout=10000)
    qtbot.waitUntil(lambda: not worker.busy(), timeout=10000)
    assert answers == []
