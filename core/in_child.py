"""Work that holds Python's lock, computed in a child process: on the machine's second core.

A thread helps only where the work runs in C without the GIL (zlib, SHA-256 of big blocks,
SQLite). Hashing 50,000 short audit entries or examining packages is Python and C that hold
it, so beside a command's imports on the main thread a thread would only take turns with
them. ``start_child`` starts a process that runs a module-level function and returns a
``wait`` that gives its result, pickled back through a pipe.

The process is forked where the platform can (POSIX) and this process has no other thread yet
(a fork copies the memory as it is: nothing to import again, a few milliseconds; forking beside
running threads could copy a lock one of them holds). Elsewhere (Windows, the frozen bundle on
Windows: main.py calls ``multiprocessing.freeze_support``) it is spawned: a new interpreter that
imports the function's module, so that module must be light (a third of a second of SQLAlchemy
there would eat the gain). Any failure (the process cannot start, the function raises, the pipe
breaks) gives None: callers then do the work themselves, as when nothing was started.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

_R = TypeVar("_R")

log = logging.getLogger(__name__)


def _run(send: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child's body: ``(True, fn(*args))`` or ``(False, None)`` through ``send``. Ctrl+C is the
    parent's to answer (已取消): the child ignores it, rather than print a traceback beside that message,
    and ends with the parent (a daemon)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result: tuple[bool, Any] = (True, fn(*args))
    except Exception:  # noqa: BLE001 - the parent does the work itself
        result = (False, None)
    send.send(result)
    send.close()


class CpuSample(NamedTuple):
    """What the cores and this process had done at one moment (``cpu_sample``)."""

    at: float          # time.monotonic()
    busy: float        # CPU seconds all cores spent not idle since boot (/proc/stat)
    ours: float        # this process's CPU seconds (time.process_time)


def cpu_sample() -> CpuSample | None:
    """Where the kernel tells it (Linux: /proc/stat), else None."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
        if fields[0] != b"cpu":
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return CpuSample(time.monotonic(), busy, time.process_time())


_started: CpuSample | None = None     # the cores as this process started (remember_start)
START_WINDOW = 10.0                  # seconds after it during which a decision looks behind from it


def remember_start() -> None:
    """Sample the cores as a command's process starts (main.py, before its imports). A decision taken
    in its first seconds without a ``since`` of its own (the reads ahead of `check` and `consolidate
    add`) then looks behind a high load from there: run right after another command, the 1-minute
    figure still counts that command for a minute while the second core is idle."""
    global _started
    _started = cpu_sample()


def spare_core(since: CpuSample | None = None) -> bool:
    """Whether another core is free for a child: two cores or more and, where the platform tells
    (``os.getloadavg``: POSIX), a 1-minute load below the cores less one half. A child on a busy
    machine only adds its own start to the work; without a load figure (Windows) a clerk's PC is
    taken as idle.

    The 1-minute load lags: it still counts work that ended seconds ago, this program's own
    included (the previous import; a benchmark's data build). Given ``since`` (a ``cpu_sample``
    taken at least 0.1 s before), a high load is looked behind: the cores' use since then, less
    this process's own, is what other programs take now; a core is free when they take less than
    the cores less one and a half. Without ``since``, the process's start (``remember_start``) is
    looked behind from, within its first ``START_WINDOW`` seconds and after 0.05 s at least."""
    cores = os.cpu_count() or 1
    if cores < 2:
        return False
    try:
        if os.getloadavg()[0] < cores - 0.5:
            return True
    except (AttributeError, OSError):
        return True
    now = cpu_sample() if since is not None or _started is not None else None
    shortest = 0.1
    if since is None and now is not None and _started is not None and now.at - _started.at <= START_WINDOW:
        since, shortest = _started, 0.05    # (a command decides about a tenth of a second after it starts)
    if since is None or now is None or now.at - since.at < shortest:
        return False
    others = ((now.busy - since.busy) - (now.ours - since.ours)) / (now.at - since.at)
    return others < cores - 1.5


def start_method() -> str:
    """``fork`` on POSIX while this process has one thread, else ``spawn`` (as Windows always)."""
    import multiprocessing
    forkable = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "win32"
    return "fork" if forkable and threading.active_count() == 1 else "spawn"


def start_child(fn: Callable[..., _R], *args: Any, name: str = "zizhu-child",
                method: str | None = None) -> Callable[[], _R | None] | None:
    """Start computing ``fn(*args)`` in a child process (``method``: the start method, by default
    ``start_method()``); returns the call that waits for its result (None when the child failed),
    or None when no process could be started (the caller computes it itself)."""
    import multiprocessing
    try:
        sys.stdout.flush()      # a forked child must not write out a copy of what is buffered here
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass                    # no console (a Windows GUI executable): nothing buffered
    try:
        ctx: Any = multiprocessing.get_context(method or start_method())   # fork or spawn: both have Process
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_run, args=(send, fn, args), name=name, daemon=True)
        proc.start()
    except Exception:  # no process (a restricted machine): the caller works alone
        log.warning("could not start the child process %s", name, exc_info=True)
        return None
    send.close()       # ours: the child holds its own copy; EOF when it ends without answering

    def wait() -> _R | None:
        try:
            ok, value = receive.recv()
            return value if ok else None
        except (EOFError, OSError):
            return None
        except Exception:  # an answer that cannot be unpickled here
            log.warning("the child process %s answered nothing usable", name, exc_info=True)
            return None
        finally:
            receive.close()
            proc.join()
    return wait


def in_child(fn: Callable[..., _R], *args: Any, method: str | None = None) -> _R | None:
    """``fn(*args)`` computed in a child process (blocks until it answers); None when it could not be."""
    wait = start_child(fn, *args, method=method)
    return wait() if wait is not None else None
