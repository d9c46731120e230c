"""The import's file read ahead: `import students|roster FILE` starts reading FILE on a helper thread
while the command imports SQLAlchemy and the models and opens the database.

``start`` begins ``core.importers.reader.read_table`` of the file at once: its checks of the file (it
exists, its type, its first bytes), the safety precheck that measures a spreadsheet before any parser
sees it (docs/SECURITY.md), then python-calamine's parse of the sheet, which releases the GIL (1-2 s at
county size) and so runs on the second core beside the command's start. ``start`` returns when that parse
begins: the precheck's scan holds the GIL, and imports run beside it would only slow it down (the read's
end would come no earlier); beside the parse they cost the read nothing. ``read_import_table`` (the
import's one way to read its file, ``db.workflows.parse_file``) hands that table over when the file is
as it was when the read started (its size and modification time), or raises the read's refusal
(``ZizhuError``: the same exception, message and hint as a read made there); otherwise, or without a
read started, it reads the file itself. Either way the file is read once and the import sees one table
of one version of the file. ``forget`` joins a read nothing took (the command stopped before it read).

Only the standard library, core.errors and db.integrity (the file state; standard library only) here:
importing this module must cost nothing (the reader is imported on the helper thread).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ZizhuError
from db.integrity import _key, file_state

if TYPE_CHECKING:
    from core.importers.reader import Table

KINDS = ("students", "roster")        # the imports whose file is a table read by read_table


def read_now(kind: str, path: str | Path, parsing: threading.Event | None = None) -> Table:
    """Read an import's file: the student list loads the search initials' tables on a helper thread
    while calamine parses the sheet (``read_table``'s warm-up, which starts with the parse: ``parsing``
    is set then)."""
    from core.importers.reader import read_table
    initials: Callable[[], object] | None = None
    if kind == "students":
        from core.pinyin import warm_initials
        initials = warm_initials

    def warm() -> None:
        if parsing is not None:
            parsing.set()
        if initials is not None:
            initials()
    return read_table(path, warm=warm if parsing is not None or initials is not None else None)


@dataclass
class _Read:
    kind: str
    path: Path
    state: tuple[tuple[int, int] | None, ...]     # the file's size and time when the read started (file_state)
    thread: threading.Thread | None = None
    result: list[Any] = field(default_factory=list)      # [table] or [exception], once it ended
    parsing: threading.Event = field(default_factory=threading.Event)    # calamine's parse began (or the read ended)

    def run(self) -> None:
        try:
            self.result.append(read_now(self.kind, self.path, self.parsing))
        except BaseException as exc:  # noqa: BLE001 - handed to the import, raised there
            self.result.append(exc)
        finally:
            self.parsing.set()


_started: _Read | None = None
_lock = threading.Lock()


def start(kind: str, path: str | Path) -> None:
    """Start reading the file of an import of ``kind`` (nothing for other kinds)."""
    global _started
    if kind not in KINDS:
        return
    p = _key(path)
    read = _Read(kind, p, file_state(p))
    read.thread = threading.Thread(target=read.run, name="zizhu-import-read", daemon=True)
    with _lock:
        previous, _started = _started, read
    _join(previous)
    read.thread.start()
    # The precheck's scan holds Python's lock; the command's imports would share it and slow the read's
    # first step down as much as they gain. Waiting for calamine's parse, which runs without the lock,
    # puts the imports beside the parse instead (the read's end comes earlier, the imports are done by then).
    read.parsing.wait()


def start_for(args: Any) -> None:
    """``start`` for a parsed command line that is an import (``_dispatch``'s hook)."""
    if getattr(args, "command", None) == "import":
        start(args.kind, args.file)


def _join(read: _Read | None) -> None:
    if read is not None and read.thread is not None:
        read.thread.join()


def forget(db_path: str | Path | None = None) -> None:
    """Join and drop a read that no import took (``db_path``: the signature of the other reads ahead)."""
    global _started
    with _lock:
        read, _started = _started, None
    _join(read)


def _take(kind: str, path: str | Path) -> _Read | None:
    global _started
    with _lock:
        read = _started
        if read is None or read.kind != kind or read.path != _key(path):
            return None
        _started = None
    _join(read)
    return read


def read_import_table(kind: str, path: str | Path) -> Table:
    """The table of an import's file: the one read ahead for it when the file did not change since the
    read started (or that read's refusal), else read now."""
    read = _take(kind, path)
    if read is not None and read.state[0] is not None and read.state == file_state(read.path):
        found = read.result[0]
        if isinstance(found, ZizhuError):
            raise found
        if not isinstance(found, BaseException):
            return found       # (anything else unexpected: read again here, where it is reported)
    return read_now(kind, path)
