"""Long C calls, by the calling thread's CPU time: what holds the GIL without a break.

A worker thread's single C call (a sort, a ``map`` into a list, a fetch of many rows) keeps the GIL
for its whole length, and the window's thread cannot run meanwhile, whatever the switch interval:
the GUI probe's stalls. ``sys.setprofile`` reports every call of a built-in made from Python
(``c_call`` … ``c_return``); the thread's CPU time between the two (``time.thread_time``: not
inflated when the machine is loaded and the process waits for a core) is that call's hold of the
GIL, unless the built-in calls back into Python (``map`` of a Python function, ``sorted`` with a
Python key), which lets the GIL go, or is SQLite's (``sqlite3`` lets the GIL go while SQLite runs).
For a bound built-in method (``list.sort``, ``list.extend``…) the size of its object is recorded
too. Not seen: a type's call (``list(map(…))``, ``dict(zip(…))``, ``array(…)``) and deallocations.

Used by the GUI probe (``ZIZHU_PROBE_CCALLS=FILE``: the worker threads' calls over a threshold, as
JSON lines, with the time since the probe's start) and by tests (``watch``: a function's calls).
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CCall:
    name: str
    cpu_s: float
    size: int | None
    where: str = ""            # the calling Python line
    thread: str = ""
    at: float = 0.0            # time.time() at its end


@dataclass
class CCalls:
    """The C calls longer than ``threshold_s`` of CPU (0: every one) of the threads profiled."""
    threshold_s: float = 0.0
    calls: list[CCall] = field(default_factory=list)
    root: Any = None           # a frame: the Python calls made from C below it are recorded too (``py:``)
    _local: threading.local = field(default_factory=threading.local)

    def profile(self, frame: Any, event: str, arg: Any) -> None:
        if self.root is not None and frame.f_back is self.root and event in ("call", "return"):
            self._handler(frame, event)
        elif event == "c_call":
            stack = getattr(self._local, "stack", None)
            if stack is None:
                stack = self._local.stack = []
            stack.append(time.thread_time())
        elif event in ("c_return", "c_exception"):
            stack = getattr(self._local, "stack", None)
            if not stack:
                return
            cpu = time.thread_time() - stack.pop()
            if cpu < self.threshold_s:
                return
            owner = getattr(arg, "__self__", None)
            try:
                size = len(owner) if owner is not None and not isinstance(owner, type) else None
            except TypeError:
                size = None
            self.calls.append(CCall(getattr(arg, "__qualname__", repr(arg)), cpu, size,
                                    f"{frame.f_code.co_filename}:{frame.f_lineno}",
                                    threading.current_thread().name, time.time()))

    def _handler(self, frame: Any, event: str) -> None:
        """An event handler the event loop called (on the window's thread), by its CPU time."""
        if event == "call":
            self._local.handler = time.thread_time()
            return
        cpu = time.thread_time() - getattr(self._local, "handler", time.thread_time())
        if cpu >= self.threshold_s:
            self.calls.append(CCall("py:" + frame.f_code.co_qualname, cpu, None,
                                    f"{frame.f_code.co_filename}:{frame.f_code.co_firstlineno}",
                                    threading.current_thread().name, time.time()))

    def longest(self) -> CCall:
        return max(self.calls, key=lambda c: c.cpu_s)

    def sizes(self, name: str) -> list[int]:
        """The object sizes of the calls of ``name`` (e.g. ``list.sort``: the lists sorted)."""
        return [c.size for c in self.calls if c.name == name and c.size is not None]


def watch(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, CCalls]:
    """``function(*args, **kwargs)`` and every C call it made from Python in this thread."""
    calls = CCalls()
    sys.setprofile(calls.profile)
    try:
        result = function(*args, **kwargs)
    finally:
        sys.setprofile(None)
    return result, calls


def watch_new_threads(threshold_s: float) -> CCalls:
    """Record the long C calls of every thread started from now on (the window's worker)."""
    calls = CCalls(threshold_s)
    threading.setprofile(calls.profile)
    return calls
