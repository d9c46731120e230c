"""Helpers for bulk passes over many rows (checks, computing, imports)."""
from __future__ import annotations

import gc
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


_pause_lock = threading.Lock()
_pauses = [0, False]      # the pauses under way in the process, and whether the first found the collector on


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk pass builds many objects.

    Building 250,000 small objects triggers dozens of full collections that walk
    every live object again, which cost as much as the pass itself. Nothing a
    pass creates is cyclic garbage, and reference counting still frees memory.
    Re-entrant, and counted across threads: the collector is on again when the
    last pause under way in the process ends (when the first found it on), not
    when one thread's pause ends while another's goes on (the CLI's read ahead
    ends its read in the middle of the import's pause). Usable as a decorator
    (``@gc_paused()``). The collector is process-wide: a pass in a worker thread
    pauses it for the GUI thread too, for the few seconds the pass lasts.
    """
    with _pause_lock:
        if not _pauses[0]:
            _pauses[1] = gc.isenabled()
        _pauses[0] += 1
        gc.disable()
    try:
        yield
    finally:
        with _pause_lock:
            _pauses[0] -= 1
            if not _pauses[0] and _pauses[1]:
                _promoted()
                gc.enable()


# What the end of the process's pauses does with the objects a pass left alive (``after_pauses``).
PROMOTE, FREEZE, LEAVE = "promote", "freeze", "leave"
_after = [PROMOTE]


def after_pauses(mode: str) -> None:
    """What the end of the process's pauses does with what a pass left alive (an import's rows and
    report, a check's findings), which the young generations' collections that follow a pause would
    otherwise walk at once (0.15 + 0.2 s after a 200,000-person roster's import):

    * ``PROMOTE`` (the default): moved to the collector's oldest generation, unscanned (``gc.freeze``
      then ``gc.unfreeze``); only the next full collection walks them, when one comes, and collects
      any cyclic garbage among them as before.
    * ``FREEZE``: frozen, never walked again: a process that runs one command and ends (``main.py``'s
      commands, which freeze what their imports made).
    * ``LEAVE``: nothing: a process that freezes objects of its own (the GUI's start and the rows its
      pages keep, ``gui.launch`` and ``gui.worker``), which ``unfreeze`` would hand back to the
      collector. (Asking the collector instead, ``gc.get_freeze_count``, walks every frozen object.)
    """
    if mode not in (PROMOTE, FREEZE, LEAVE):
        raise ValueError(mode)
    _after[0] = mode


def freeze_kept() -> None:
    """Freeze what is alive now, in a process that keeps frozen objects of its own (the GUI's): the
    ends of the collector's pauses then leave them frozen (``LEAVE``)."""
    after_pauses(LEAVE)
    gc.freeze()


def _promoted() -> None:
    """The end of the process's pauses: see ``after_pauses``."""
    if _after[0] == PROMOTE:
        gc.freeze()
        gc.unfreeze()
    elif _after[0] == FREEZE:
        gc.freeze()


def in_parallel(fn: Callable[[_T], _R], items: Iterable[_T], workers: int = 2) -> Iterator[_R]:
    """``fn`` of each item, in the items' order, computed by up to ``workers`` threads (one
    per core). For independent work whose heavy part runs in C without the GIL (zlib, hashlib,
    file reads): one item's checksums overlap another's Python. ``fn`` must not touch a
    database session or a widget. An exception of ``fn`` is raised here, at its item."""
    items = list(items)
    workers = min(workers, os.cpu_count() or 1, len(items))
    if workers <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(workers, thread_name_prefix="zizhu-parallel")
    try:
        yield from pool.map(fn, items)
    finally:        # the caller stopped early (or failed): the items not started are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def prefetched(items: Iterator[_T], depth: int = 2) -> Iterator[_T]:
    """``items``, produced on a helper thread up to ``depth`` ahead of the consumer.

    For a producer whose work mostly releases the GIL (zlib's inflate, file reads): it then runs
    on the machine's second core while the consumer works on the previous item. An exception
    raised by the producer is raised again, as itself, in the consumer at the point it occurred.
    When the consumer stops early (an exception, ``close()``), the producer is told to stop,
    ``items`` is closed on its thread and the thread is joined before this generator returns.
    """
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((False, item)):
                    return
            put((True, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((True, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            done, value = slots.get()
            if done:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        worker.join()


@contextmanager
def warmed_alongside(warm: Callable[[], object] | None) -> Iterator[None]:
    """Run ``warm`` on a helper thread while the body runs (joined at its end).

    For loading what a later step will need (a library's import, its tables) while the body
    waits in code that releases the GIL (calamine parsing a sheet). Only a warm-up: an error in
    ``warm`` is dropped here, and the later step that needs the same thing meets it again on its
    own thread, where it is reported as if nothing had been warmed.
    """
    if warm is None:
        yield
        return

    def run() -> None:
        with suppress(Exception):
            warm()

    helper = threading.Thread(target=run, name="warm-up", daemon=True)
    helper.start()
    try:
        yield
    finally:
        helper.join()
