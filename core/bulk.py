"""Helpers for bulk passes over many rows (checks, computing, imports)."""
from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk pass builds many objects.

    Building 250,000 small objects triggers dozens of full collections that walk
    every live object again, which cost as much as the pass itself. Nothing a
    pass creates is cyclic garbage, and reference counting still frees memory.
    Re-entrant: only the outermost pause re-enables the collector. Usable as a
    decorator (``@gc_paused()``). The collector is process-wide: a pass in a worker
    thread pauses it for the GUI thread too, for the few seconds the pass lasts.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    with ThreadPoolExecutor(workers, thread_name_prefix="zizhu-parallel") as pool:
        yield from pool.map(fn, items)
