"""The GUI on the benchmark data, instrumented: ``python -m benchmarks.gui_probe DATA WORK T0 [OPTION]``.

Starts the program's window the way ``main.py`` does (``gui.launch.before_qt``, ``setup_application``, ``open_for_gui``,
``DatabaseSwitcher.start``) on a copy of the county database, off screen, and drives it from
the event loop itself, printing one JSON line:

* ``start_rows_s``: from ``T0`` (the parent's clock just before it started this process, so the
  interpreter's start and every import count; the probe's own copy of the database is taken out)
  to the student list's rows shown: the end of the list view's first paint with rows in it (a
  filter on its viewport sees the paint event; a zero timer started there fires once that paint
  and its flush are done);
* ``rows_s``: to the student rows in the model (all of them: the list no longer loading);
* ``idle_s``: to the worker idle with the rows shown (the start backup, the start-up check and the
  roster's read ahead done: no target, the stalls meanwhile count in ``stall_ms["start"]``);
* ``pages``: each page, from being chosen to shown: a list page at the end of its table's first
  paint once its load is done (its rows and count right), another page when the background work
  it started is done and the event loop back; ``pages_idle_s``: the wait after that until the
  worker is idle (e.g. the roster's search index), before the next page is chosen (no target);
  ``pages_read_ahead``: a page shown from a load read ahead during the start (the roster:
  ``gui.roster_ahead``), that load's own wall and worker-thread CPU seconds and how often it gave way;
* ``search_ms``: per list page, a keystroke in its search box (a real key event) to the filtered
  view, and clearing it (the search box's clear), each to the filter applied and the loop back;
* ``stall_ms``: the longest lateness of a 5 ms heartbeat timer (an event loop that does not run
  for that long: a frozen window) during start, page changes, an import of the student list
  through the worker and the window's change flow, and an export of the draft package (the last
  two left out with ``--without-import-export``: see ``benchmarks.gui_results``);
* ``rss_mb``: resident memory with the database open and every page shown (``VmRSS``);
* ``stalls``: detail, every stall over ``STALL_DETAIL_MS`` as ``[phase, seconds since T0, ms, the window
  thread's CPU ms, the process's CPU ms]`` (the window's own work, or another thread holding the GIL,
  or, with little CPU in either, the process waiting for a core). With
  ``ZIZHU_PROBE_CCALLS=FILE`` in the environment, the worker threads' C calls over ``CCALL_MS`` of CPU
  (``benchmarks.ccalls``: what holds the GIL, i.e. which call stalled) and the window thread's C calls
  and event handlers over that are written to FILE, one JSON object a line, ``at_s`` in the same clock
  as the stalls (the profiling slows the Python code: figures of such a run are for finding the
  stalls only).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEARTBEAT_MS = 5
POLL_MS = 2
STALL_DETAIL_MS = 40
CCALL_MS = 15


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PaintWatch:
    """The end of a view's first paint showing rows: an event filter on its viewport sees the
    paint event (rows in the view at that moment), a zero timer started there fires right after
    the paint and the window's flush (the same pass of the event loop)."""

    def __init__(self, view: Any, on_painted: Callable[[float], None],
                 showing: Callable[[], bool] | None = None) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer

        def has_rows() -> bool:
            return bool(view.model().rowCount() > 0)
        ready: Callable[[], bool] = showing if showing is not None else has_rows

        class Filter(QObject):
            def eventFilter(inner, obj: Any, event: Any) -> bool:
                if event.type() == QEvent.Type.Paint and not self.seen and ready():
                    self.seen = True
                    QTimer.singleShot(0, lambda: on_painted(time.time()))
                return False
        self.seen = False
        self.filter = Filter()
        view.viewport().installEventFilter(self.filter)
        view.viewport().update()


class Probe:
    """A script of steps run from the event loop; each waits for its own completion."""

    def __init__(self, app: Any, switcher: Any, data: Path, work: Path, t0: float) -> None:
        from PySide6.QtCore import Qt, QTimer
        self.app, self.switcher, self.data, self.work, self.t0 = app, switcher, data, work, t0
        self.result: dict[str, Any] = {"pages": {}, "search_ms": {}, "stall_ms": {}, "stalls": []}
        self.phase = "launch"             # before the window exists (not a frozen window: none is shown)
        self._last = time.perf_counter()
        self._cpu = (time.thread_time(), time.process_time())
        self.heartbeat = QTimer()
        self.heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self._beat)
        self.heartbeat.start()
        self.steps: list[Callable[[], Callable[[], bool] | None]] = []
        self._waiting: Callable[[], bool] | None = None
        self._poll = QTimer()
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._advance)

    @property
    def window(self) -> Any:
        return self.switcher.window

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self._last = time.perf_counter()

    def _beat(self) -> None:
        now = time.perf_counter()
        late = (now - self._last) * 1000 - HEARTBEAT_MS
        stalls = self.result["stall_ms"]
        stalls[self.phase] = max(stalls.get(self.phase, 0.0), late)
        self._last = now
        cpu = (time.thread_time(), time.process_time())
        if late > STALL_DETAIL_MS:
            self.result["stalls"].append([self.phase, round(time.time() - self.t0, 3), round(late, 1),
                                          round((cpu[0] - self._cpu[0]) * 1000, 1),
                                          round((cpu[1] - self._cpu[1]) * 1000, 1)])
        self._cpu = cpu

    def run(self) -> None:
        self._poll.start()

    def _advance(self) -> None:
        if self._waiting is not None and not self._waiting():
            return
        self._waiting = None
        if not self.steps:
            self._poll.stop()
            self.heartbeat.stop()
            self.app.quit()
            return
        self._waiting = self.steps.pop(0)()

    # -- what "done" means ------------------------------------------------------------------
    @staticmethod
    def idle() -> bool:
        from gui import worker
        return not worker._active

    def page_ready(self, page: Any) -> bool:
        """Idle: visible, no background work in flight, a list page no longer loading."""
        return self.idle() and page.isVisible() and not getattr(page, "_loading", False)


def build_script(p: Probe, import_export: bool = True) -> None:
    from PySide6.QtCore import Qt

    from benchmarks.data import PASSPHRASE
    from gui import worker
    marks: dict[str, Any] = {}
    w: Any = None

    def window_shown() -> Callable[[], bool]:
        def shown() -> bool:
            nonlocal w
            w = p.window
            if w is None or not w.isVisible():
                return False
            p.result["window_s"] = time.time() - p.t0
            p.set_phase("start")
            marks["watch"] = PaintWatch(w.students.view, painted)
            w.show_page(1)           # the clerk goes to the student list at once
            return True
        return shown

    def painted(at: float) -> None:
        p.result["start_rows_s"] = at - p.t0

    def rows_shown() -> bool:
        if "rows_s" not in p.result and w.students.model.rowCount() > 0 and not w.students._loading:
            p.result["rows_s"] = time.time() - p.t0      # detail: every row in the model
        if "start_rows_s" in p.result and w.students.model.rowCount() > 0 and p.page_ready(w.students):
            p.result["idle_s"] = time.time() - p.t0      # detail: the backup, check, read ahead done
            return True
        return False

    p.steps.append(window_shown)
    p.steps.append(lambda: rows_shown)
    names = ("dashboard", "students", "roster", "findings", "letters", "export", "policy", "settings")
    for index, name in enumerate(names):
        def choose(index: int = index, name: str = name) -> Callable[[], bool]:
            p.set_phase("pages") if p.phase != "pages" else None
            page = w.stack.widget(index)
            view = getattr(page, "view", None)
            painted: dict[str, float] = {}
            start = time.perf_counter()
            if view is not None:
                # a list page is shown at the end of its table's first paint once its load is done
                # (rows and count right); work it queues after that (the roster's search index) is
                # waited for below, before the next page, and recorded apart (no target)
                def seen(at: float) -> None:
                    painted.setdefault("t", time.perf_counter())
                marks["page_watch"] = PaintWatch(
                    view, seen, lambda: page.isVisible() and not getattr(page, "_loading", False))
            w.show_page(index)

            def shown() -> bool:
                if view is not None:
                    if "t" not in painted or not page.isVisible() or getattr(page, "_loading", False):
                        return False
                    p.result["pages"][name] = painted["t"] - start
                    ahead: Any = getattr(page, "ahead", None)
                    if ahead is not None and ahead.used is not None:   # shown from a load read ahead:
                        p.result.setdefault("pages_read_ahead", {})[name] = [*ahead.used, ahead.tries]
                elif p.page_ready(page):
                    p.result["pages"][name] = time.perf_counter() - start
                else:
                    return False
                return True
            return shown
        p.steps.append(choose)

        def settled(name: str = name) -> Callable[[], bool]:
            start = time.perf_counter()

            def idle() -> bool:
                if p.idle():
                    p.result.setdefault("pages_idle_s", {})[name] = time.perf_counter() - start
                    return True
                return False
            return idle
        p.steps.append(settled)

    def memory() -> None:
        p.result["rss_mb"] = rss_mb()
    p.steps.append(lambda: memory())

    for page_name in ("students", "roster", "findings", "letters"):
        for what in ("type", "clear"):
            def search(page_name: str = page_name, what: str = what) -> Callable[[], bool]:
                from PySide6.QtTest import QTest
                page = getattr(w, page_name)
                p.set_phase("search") if p.phase != "search" else None
                w.show_page(w.stack.indexOf(page))
                done: dict[str, float] = {}
                proxy = page.proxy

                def applied() -> None:
                    done.setdefault("t", time.perf_counter())
                proxy.filterApplied.connect(applied)
                start = time.perf_counter()
                if what == "type":
                    QTest.keyClick(page.search, Qt.Key.Key_4)
                else:
                    page.search.clear()

                def filtered() -> bool:
                    if "t" not in done:
                        return False
                    proxy.filterApplied.disconnect(applied)
                    p.result["search_ms"].setdefault(page_name, {})[what] = (done["t"] - start) * 1000
                    return True
                return filtered
            p.steps.append(search)

    if not import_export:
        return

    def import_students() -> Callable[[], bool]:
        from db.workflows import run_import_shown
        p.set_phase("import")
        marks["import"] = time.perf_counter()
        worker.run_task(run_import_shown, w.db, "students", p.data / "students.xlsx", on_success=w._imported,
                        progress=worker.Progress("正在导入，请稍候…", "导入"), parent=w,
                        process=True)         # as the import wizard runs it
        return lambda: _done(p, "import_s", marks["import"])
    p.steps.append(import_students)

    def export() -> Callable[[], bool]:
        from db.exports import export_package
        p.set_phase("export")
        marks["export"] = time.perf_counter()
        w.show_page(5)
        worker.run_task(export_package, w.db, p.work / "gui.zip", PASSPHRASE, draft=True,
                        on_success=w._exported,
                        progress=worker.Progress("正在生成并签名上报包…", "导出上报"), parent=w,
                        process=True)         # as the 导出上报 page runs it
        return lambda: _done(p, "export_s", marks["export"])
    p.steps.append(export)


def _done(p: Probe, key: str, start: float) -> bool:
    if p.idle():
        p.result[key] = time.perf_counter() - start
        return True
    return False


def _profile_tasks(ccalls: Any) -> None:
    """The worker's tasks run profiled (a QThreadPool's thread: ``threading.setprofile`` misses it)."""
    from gui import worker
    real = worker._Task.run

    def run(task: worker._Task) -> None:
        sys.setprofile(ccalls.profile)
        try:
            real(task)
        finally:
            sys.setprofile(None)
    worker._Task.run = run          # type: ignore[method-assign,assignment]  # instrumentation of this process only


def main(argv: list[str]) -> int:
    data, work, t0 = Path(argv[0]), Path(argv[1]), float(argv[2])
    import_export = "--without-import-export" not in argv[3:]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["ZIZHU_HOME"] = str(work / "home")           # never the user's data folder
    db_path = work / "county.sqlite"
    copying = time.time()
    shutil.copyfile(data / "county.sqlite", db_path)
    t0 += time.time() - copying        # the probe's own copy of the data: not the program's start
    ccalls_file = os.environ.get("ZIZHU_PROBE_CCALLS")
    if ccalls_file:
        from benchmarks.ccalls import watch_new_threads
        ccalls = watch_new_threads(CCALL_MS / 1000)
    from gui.launch import before_qt
    before_qt(db_path)                                       # as ``gui.launch.start_gui`` starts
    if ccalls_file:
        _profile_tasks(ccalls)
    from gui.app import open_for_gui, setup_application
    from gui.databases import DatabaseSwitcher
    app = setup_application()
    db = open_for_gui(db_path)
    if db is None:
        raise SystemExit("the database could not be opened")
    app.setQuitOnLastWindowClosed(False)
    switcher = DatabaseSwitcher(quit_app=app.quit)
    probe = Probe(app, switcher, data, work, t0)
    switcher.start(db, False)
    build_script(probe, import_export)
    probe.run()
    if ccalls_file:                  # and the window's thread: its handlers and C calls
        ccalls.root = sys._getframe()
        sys.setprofile(ccalls.profile)
    app.exec()
    sys.setprofile(None)
    from gui import worker
    worker.wait_for_idle()
    worker.stop_child()
    switcher.close()
    if ccalls_file:
        with open(ccalls_file, "w", encoding="utf-8") as out:
            for c in ccalls.calls:
                out.write(json.dumps({"at_s": round(c.at - t0, 3), "cpu_ms": round(c.cpu_s * 1000, 1), "call": c.name,
                                      "size": c.size, "where": c.where, "thread": c.thread}) + "\n")
    print(json.dumps(probe.result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
