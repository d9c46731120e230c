"""The child process behind ``gui.worker.run_task(..., process=True)``. No Qt here.

The GUI's worker thread sends one task at a time through a pipe: a module-level function, its
arguments (a ``Database`` travels as a ``DatabaseRef``, its path: the child opens its own engine
and sessions and closes them after the task; it takes no instance lock, which belongs to the
program, i.e. the GUI process) and whether it reports progress. The child answers with
``("progress", (done, total))`` messages (at most one per ``PROGRESS_INTERVAL_S``, and the last),
then ``("ok", result)`` or ``("error", packed exception)``. The work runs here with the collector
paused and the garbage is collected after the answer, so neither holds the GUI process's GIL.
"""
from __future__ import annotations

import gc
import pickle
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

PROGRESS_INTERVAL_S = 0.05


@dataclass(frozen=True)
class DatabaseRef:
    """A ``db.session.Database`` as the child receives it: where it is, and its busy timeout."""
    path: Path
    timeout: float


def _opened(value: Any, opened: list[Any]) -> Any:
    if isinstance(value, DatabaseRef):
        from db.session import Database
        db = Database(value.path, timeout=value.timeout)
        opened.append(db)
        return db
    return value


def pack_exception(exc: BaseException) -> tuple[type[BaseException], tuple[Any, ...], dict[str, Any], str]:
    """An exception as plain parts: class, args, attributes, the child's traceback. Rebuilt without
    calling the class's ``__init__`` (a domain error's signature may differ from its args)."""
    text = "".join(traceback.format_exception(exc))
    state = dict(vars(exc))
    try:
        pickle.dumps((type(exc), exc.args, state))
    except Exception:  # noqa: BLE001 - keep what surely travels: the class, the message and hint
        state = {k: v for k, v in state.items() if k in ("message", "hint") and isinstance(v, str)}
        try:
            pickle.dumps((type(exc), exc.args))
            return type(exc), exc.args, state, text
        except Exception:  # noqa: BLE001
            return RuntimeError, (f"{type(exc).__name__}: {exc}",), {}, text
    return type(exc), exc.args, state, text


def unpack_exception(parts: tuple[type[BaseException], tuple[Any, ...], dict[str, Any], str]) -> BaseException:
    cls, args, state, text = parts
    exc = cls.__new__(cls)
    BaseException.__init__(exc, *args)
    exc.__dict__.update(state)
    exc.add_note("在后台进程中：\n" + text)
    return exc


class _Progress:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self.last >= PROGRESS_INTERVAL_S:
            self.last = now
            self.conn.send(("progress", (done, total)))


def run_one(conn: Connection, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], with_progress: bool) -> None:
    """Run one task and send its answer."""
    from core.bulk import gc_paused
    opened: list[Any] = []
    try:
        args = tuple(_opened(a, opened) for a in args)
        kwargs = {k: _opened(v, opened) for k, v in kwargs.items()}
        if with_progress:
            kwargs["progress"] = _Progress(conn)
        with gc_paused():
            result = fn(*args, **kwargs)
        answer: tuple[str, Any] = ("ok", result)
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result is the caller's bug: reported
            payload = pickle.dumps(("error", pack_exception(exc)), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI
        payload = pickle.dumps(("error", pack_exception(exc)), protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        for db in opened:
            db.close()
    conn.send_bytes(payload)


def serve(conn: Connection, preload: tuple[str, ...] = ()) -> None:
    """The child's loop: one task at a time until the pipe closes or ``None`` arrives. ``preload``:
    modules imported before the first task (the GUI's start: while the window's own load). Its log
    (ID numbers masked as in the window's) is zizhu-worker.log beside the window's zizhu.log; its
    temporary files go to a private folder of its own (``core.paths.use_private_tempdir``)."""
    import importlib
    try:
        from core.logsetup import setup_logging
        from core.paths import log_dir
        setup_logging(log_dir(), name=WORKER_LOG)
    except OSError:
        pass                  # no log folder: the tasks still run (the window's log says why)
    try:
        from core.paths import use_private_tempdir
        use_private_tempdir()  # what libraries write aside (openpyxl's sheets while saving a package:
                               # every student's ID) goes to a folder swept after a kill, not %TEMP%
    except OSError:
        pass                  # the system's temporary folder, as the window's would be
    for name in preload:
        importlib.import_module(name)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        run_one(conn, *message)
        gc.collect()          # the task's garbage, collected here: the GUI process never waits for it


WORKER_LOG = "zizhu-worker.log"

# The modules the start's first task needs (``gui.first_rows.first_ids``): imported by a child started
# early while the GUI process imports its own.
START_PRELOAD = ("gui.first_rows", "gui.collation", "db.readonly")

Task = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
_early: tuple[Connection, Any, Task | None] | None = None


def spawn(preload: tuple[str, ...] = ()) -> tuple[Connection, Any, Task | None]:
    """A new child process serving tasks ('spawn' context, as on Windows and in the bundle): the
    GUI side's end of the pipe, the process, and the task already sent to it (its answer not read
    yet). The child started by ``start_early`` if any."""
    global _early
    if _early is not None:
        early, _early = _early, None
        if early[1].is_alive():
            return early
        early[0].close()
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    conn, theirs = context.Pipe()
    process = context.Process(target=serve, args=(theirs, preload), name="zizhu-worker", daemon=True)
    process.start()
    theirs.close()
    return conn, process, None


def start_early(first: Task | None = None) -> None:
    """The GUI's start, before Qt and the window's modules are imported: start the worker's child
    now, so its interpreter and imports run on the other core meanwhile, and send it ``first`` (a
    read-only task: ``gui.first_rows.first_task``, the student list's first screenful) at once.
    ``gui.worker`` takes the child for its first ``process=True`` task, and that task's answer when
    it asks for the same."""
    global _early
    if _early is None:
        conn, process, _none = spawn(START_PRELOAD)
        if first is not None:
            conn.send((*first, False))
        _early = (conn, process, first)


def stop(conn: Connection, process: Any) -> None:
    """End a child: asked to stop, killed if it does not within 5 s."""
    with suppress(OSError):
        conn.send(None)
    process.join(5)
    if process.is_alive():
        process.kill()
    conn.close()


def stop_early() -> None:
    """End the child ``start_early`` started if nothing took it."""
    global _early
    if _early is not None:
        early, _early = _early, None
        stop(early[0], early[1])
