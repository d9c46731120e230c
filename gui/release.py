"""What a reload replaces, let go in the worker a slice at a time.

A reload's previous columns (a county's 50,000 students: their names, ID numbers, search texts…,
about a million references) were freed on the GUI thread when the models took the new snapshot:
15–17 ms of the window's CPU in the reload after an import or an export, in the same pass of the
event loop as the new rows' reset and the repaint (the probe's longest stalls there). Dropped in the
worker in one go, the deallocation would hold the GIL just as long (one C call). So a model hands
what it replaces to ``let_go``; at the next pass of the event loop (every page has taken the new
snapshot by then) the worker empties the big lists a slice at a time (``take_apart``), each slice a
short C call, and what is left is freed in a moment.

Only what nothing else refers to is taken apart: its reference count says whether anything but the
structure being taken apart holds it (``_alone``, calibrated on this interpreter at import), and an
object someone watches by a weak reference is left whole. Anything else is simply dropped, and is
freed wherever its last holder lets it go, as before.
"""
from __future__ import annotations

import dataclasses
import sys
import weakref
from typing import Any

from gui import worker

SLICE = 2_000                 # items freed a C call (~0.1–0.3 ms): the window's thread gets the lock between
_pending: list[Any] = []


def _alone(obj: object, held: int) -> bool:
    """Whether ``obj``, ``_take_apart``'s argument, has no holder but the ``held`` references from
    the structure being taken apart (and no weak reference)."""
    return sys.getrefcount(obj) - held == _SOLE and not weakref.getweakrefcount(obj)


def _references(obj: object) -> int:         # called as ``_alone`` is
    return sys.getrefcount(obj)


def _calibrate(obj: object) -> int:          # called as ``_take_apart`` is, its argument held by nothing else
    return _references(obj)


_SOLE = _calibrate([])        # what "no other holder" reads as on this interpreter


def _take_apart(obj: Any, held: int) -> None:
    """Empty the lists of ``obj`` that only it holds, a slice at a time (``held``: the references to
    ``obj`` from its parent, itself held by nothing else)."""
    if not _alone(obj, held):
        return
    if isinstance(obj, list):
        while obj:
            del obj[-SLICE:]
    elif isinstance(obj, dict):
        for key in list(obj):
            _take_apart(obj[key], 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _take_apart(getattr(obj, f.name), 1)


def take_apart(box: list[Any]) -> None:
    """Worker: take apart and drop every object of ``box`` (emptied)."""
    while box:
        _take_apart(box.pop(), 0)


def let_go(*objects: Any) -> None:
    """GUI thread: ``objects`` are no longer shown (a model's previous columns and search texts);
    dropped in the worker after this pass of the event loop (see the module's note). With a
    synchronous worker (tests) they are simply dropped here, as before."""
    if worker.SYNCHRONOUS:
        return
    first = not _pending
    _pending.extend(objects)
    if first:
        from PySide6.QtCore import QTimer
        QTimer.singleShot(0, _hand_over)


def _hand_over() -> None:
    box = list(_pending)
    _pending.clear()
    worker.run_task(take_apart, box)
