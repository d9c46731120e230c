"""Helpers for bulk passes over many rows (checks, computing, imports)."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
