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

The read is one of ``db.integrity.ReadAhead``'s, the one way a command reads ahead (its refusals handed
over, its start waiting for the parse). Only the standard library, core.errors and db.integrity here:
importing this module must cost nothing (the reader is imported on the helper thread).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ZizhuError
from db.integrity import ReadAhead

if TYPE_CHECKING:
    from core.importers.reader import Table

KINDS = ("students", "roster")        # the imports whose file is a table read by read_table


def read_now(kind: str, path: str | Path, parsing: threading.Event | None = None) -> Table:
    """Read an import's file: the student list loads the search initials' table (not pypinyin) on a helper thread
    while calamine parses the sheet (``read_table``'s warm-up, which starts with the parse: ``parsing``
    is set then)."""
    from core.importers.reader import read_table
    initials: Callable[[], object] | None = None
    if kind == "students":
        from core.pinyin import warm_name_initials
        initials = warm_name_initials

    def warm() -> None:
        if parsing is not None:
            parsing.set()
        if initials is not None:
            initials()
    return read_table(path, warm=warm if parsing is not None or initials is not None else None)


def _read(path: Path, kind: str, ready: threading.Event) -> Table:
    return read_now(kind, path, ready)


# The table does not depend on the import's kind (only the warm-up does): a read is taken by the import
# of its file whatever its kind.
_ahead: ReadAhead[Table] = ReadAhead("zizhu-import-read", _read, raises=(ZizhuError,), waits=True,
                                       joins=True)


def start(kind: str, path: str | Path) -> None:
    """Start reading the file of an import of ``kind`` (nothing for other kinds). Returns once the
    precheck is done and calamine's parse began: the precheck's scan holds Python's lock, so the
    command's imports would share it and slow the read's first step down as much as they gain; beside
    the parse, which runs without the lock, they cost the read nothing."""
    if kind in KINDS:
        _ahead.start(path, kind)


def start_for(args: Any) -> None:
    """``start`` for a parsed command line that is an import (``_dispatch``'s hook)."""
    if getattr(args, "command", None) == "import":
        start(args.kind, args.file)


def forget(db_path: str | Path | None = None) -> None:
    """Join and drop a read that no import took (``db_path``: the signature of the other reads ahead)."""
    _ahead.forget()


def read_import_table(kind: str, path: str | Path) -> Table:
    """The table of an import's file: the one read ahead for it when the file did not change since the
    read started (or that read's refusal, raised), else read now."""
    found = _ahead.take(path)
    return found if found is not None else read_now(kind, path)
