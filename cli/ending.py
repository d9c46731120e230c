"""The end of a process that ran one command (``main.py COMMAND``): what the command made is kept
until the process ends, and the process ends without freeing it.

Freeing what a command made costs time after its work is done and its output written: an import's
report (the rows parsed, the plan) takes 0.06 s to free at 50,000 students and 0.14 s at 200,000
roster rows (measured: ``del report``), and Python's finalization then clears every module. The
operating system takes a process's memory back at once. So a command keeps its big results
(``keep``), and ``end`` runs what a normal exit runs that matters (the exit handlers: the log's
flush and close, the private temporary folder's removal; then standard output and error flushed)
and ends the process with ``os._exit``, skipping the freeing of every object.

Only in a process ``arm``-ed for one command (``cli.commands.run`` from ``main.py``; never the GUI,
whose Qt objects save settings as they are destroyed, nor an in-process caller such as the tests),
and only when no other thread is left: a thread still running might be writing, and a normal exit
waits for it (non-daemon) or lets it run to the interpreter's end (daemon). Otherwise ``end`` is
``sys.exit``. Every file the program writes is written and closed (atomically) by the command
itself and the database is closed before this, so nothing unwritten is in a Python object here.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

EXIT_BROKEN_PIPE = 141      # the reader of our output went away (`| head`), as other tools
EXIT_FLUSH_FAILED = 120     # what Python itself returns when flushing standard output fails at exit

_armed = [False]
_kept: list[object] = []


def arm() -> None:
    """This process runs one command and then ends (``main.py``'s commands)."""
    _armed[0] = True


def keep(*objects: object) -> None:
    """Keep ``objects`` until the process ends, in an armed process (``end`` then never frees them);
    elsewhere nothing: they are freed when their last user drops them, as usual."""
    if _armed[0]:
        _kept.extend(objects)


def broken_pipe(stream: object) -> int:
    """Python docs, "Note on SIGPIPE": ``stream`` pointed at devnull so that no later flush fails
    again; the exit code of a reader gone away."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())       # type: ignore[attr-defined]
    except (OSError, ValueError, AttributeError):
        pass   # no real file (tests): nothing left to flush
    return EXIT_BROKEN_PIPE


def _flushed(code: int) -> int:
    """Standard output and error flushed; the exit code, or the code a failed flush makes."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:           # a Windows GUI executable has no console
            continue
        try:
            stream.flush()
        except BrokenPipeError:
            code = code or broken_pipe(stream)
        except (OSError, ValueError):    # a full disk under a redirection: never a silent success
            code = code or EXIT_FLUSH_FAILED
    return code


def end(code: int) -> NoReturn:
    """End the process with ``code``: quickly in an armed process with no other thread (see the
    module's docstring), by ``sys.exit`` otherwise."""
    if not _armed[0] or threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()          # logging.shutdown, the temporary folder's removal … (then cleared)
    os._exit(_flushed(code))
