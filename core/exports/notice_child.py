"""The notice's workbook written by a child process while this one draws its PDF (`notice OUT.pdf OUT.xlsx`).

The two writers are independent and each single-threaded: on a two-core PC the workbook (openpyxl, 0.8 s
at county size) runs in a child beside the PDF (reportlab, 0.6 s). The child is started ('spawn', as on
Windows and in the bundle) before the gather, so its interpreter and openpyxl load meanwhile; it then gets
the gathered data by pickle and writes the file with the one writer (``write_notice_xlsx``, atomically).
The child only ever writes that file. Anything that goes wrong there (it could not start, it died, it
failed) makes ``finish`` answer False: the caller then writes the workbook itself, so a domain error (a
folder that does not exist, a file held open by Excel) is raised here, with its message, as it would be
without the child. No Qt and no database here.
"""
from __future__ import annotations

import logging
import tempfile
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 5.0


def _serve(conn: Connection, tempdir: str | None) -> None:
    """The child: load the writer, wait for (path, data), write, answer "ok"."""
    try:
        from core.exports.notice_xlsx import write_notice_xlsx  # openpyxl loads while the parent gathers

        tempfile.tempdir = tempdir       # the program's private temporary folder (swept after a kill)
        job = conn.recv()
        if job is None:
            return
        path, data = job
        write_notice_xlsx(path, data)
        answer = "ok"
    except (EOFError, KeyboardInterrupt):     # the parent went away, or Ctrl+C reached the whole console
        return
    except Exception:  # noqa: BLE001 - the parent writes the file itself and reports what goes wrong
        answer = "failed"
    with suppress(OSError):
        conn.send(answer)


class WorkbookChild:
    """A child process that writes one notice workbook (``start``, ``send``, ``finish``)."""

    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._process: Any = None

    def start(self) -> None:
        import multiprocessing
        try:
            context = multiprocessing.get_context("spawn")
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, tempfile.gettempdir()),
                                      name="zizhu-notice-xlsx", daemon=True)
            process.start()
            theirs.close()
        except (OSError, RuntimeError, ValueError):
            log.warning("could not start the notice's workbook child", exc_info=True)
            return
        self._conn, self._process = ours, process

    def send(self, path: Path, data: Any) -> bool:
        """Hand the workbook's job over; False when there is no child to take it."""
        if self._conn is None:
            return False
        try:
            self._conn.send((path, data))
            return True
        except (OSError, ValueError):
            log.warning("could not hand the notice's workbook to its child", exc_info=True)
            self.stop()
            return False

    def finish(self) -> bool:
        """Wait for the child's workbook: True when it was written."""
        if self._conn is None:
            return False
        try:
            done = bool(self._conn.recv() == "ok")
        except (EOFError, OSError):
            done = False
        self.stop()
        if not done:
            log.warning("the notice's workbook child did not write it: written here instead")
        return done

    def stop(self) -> None:
        """End the child (told to stop, killed if it does not) and close the pipe."""
        if self._conn is None:
            return
        conn, process, self._conn, self._process = self._conn, self._process, None, None
        with suppress(OSError, ValueError):
            conn.send(None)
        process.join(JOIN_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
