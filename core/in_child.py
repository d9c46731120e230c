"""Work that holds Python's lock, computed in a child process: on the machine's second core.

A thread helps only where the work runs in C without the GIL (zlib, SHA-256 of big blocks,
SQLite). Hashing 50,000 short audit entries or examining packages is Python and C that hold
it, so beside a command's imports on the main thread a thread would only take turns with
them. ``in_child`` runs a module-level function in a process started with ``spawn`` (as
Windows starts every process; main.py calls ``multiprocessing.freeze_support`` so the frozen
bundle can do it too) and returns its result, pickled back through a pipe.

The function's module must be light to import (the child starts a new interpreter and imports
it: a third of a second of SQLAlchemy there would eat the gain). Any failure (the process
cannot start, the function raises, the pipe breaks) returns None: callers then do the work
themselves, as when nothing was started.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

_R = TypeVar("_R")

log = logging.getLogger(__name__)


def _run(send: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child's body: ``(True, fn(*args))`` or ``(False, None)`` through ``send``."""
    try:
        result: tuple[bool, Any] = (True, fn(*args))
    except Exception:  # noqa: BLE001 - the parent does the work itself
        result = (False, None)
    send.send(result)
    send.close()


def in_child(fn: Callable[..., _R], *args: Any, name: str = "zizhu-child") -> _R | None:
    """``fn(*args)`` computed in a spawned child process (blocks until it answers); None when
    it could not be (the caller computes it itself)."""
    import multiprocessing
    try:
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_run, args=(send, fn, args), name=name, daemon=True)
        proc.start()
    except Exception:
        log.warning("could not start the child process %s", name, exc_info=True)
        return None
    send.close()       # ours: the child holds its own copy; EOF when it ends without answering
    try:
        ok, value = receive.recv()
        return value if ok else None
    except (EOFError, OSError):
        return None
    except Exception:
        log.warning("the child process %s answered nothing usable", name, exc_info=True)
        return None
    finally:
        receive.close()
        proc.join()
