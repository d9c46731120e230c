"""The offered packages examined ahead, in a child process, while `consolidate add` imports its modules.

Examining a package (``core.intake.examine_files``: every member inflated and hashed, the Ed25519
signature, ``data.json`` decoded and checked) needs only the files, the keys the database trusts and the
school year it consolidates. ``start`` reads those two read-only with sqlite3 (``db.readonly``) and
examines the files in a spawned child process (``core.in_child``): on a two-core PC on the second core,
while the main one imports SQLAlchemy and the models and opens the database. ``take`` hands the
examination over only when the database file is as it was when it started (``db.integrity.ReadAhead``'s
guard), and ``intake`` uses it only when it was made of the same inputs it reads itself in its session
(the files, the trusted keys, the year, ``--history``, the kinds): examining is a function of those and
of the bytes read, and the bytes examined are the bytes stored. Otherwise, or when the child could not
answer, ``intake`` examines the files itself, as every caller that started nothing does.

Only light modules here (no SQLAlchemy): the child imports this one.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import ZizhuError
from core.intake import INTAKE_KINDS, Examined, examine_files, package_files
from core.trust import TrustedSigner
from db.integrity import ReadAhead
from db.readonly import query_read_only, read_own_signer, read_trusted_signers


@dataclass(frozen=True)
class Examination:
    """The offered files examined, and the inputs they were examined with."""

    files: tuple[Path, ...]
    trusted: tuple[TrustedSigner, ...]
    year: int
    history: bool
    kinds: tuple[str, ...]
    results: tuple[Examined | str, ...]      # per file, in order: examined, or why it could not be read

    def answers(self, files: Sequence[Path], trusted: Sequence[TrustedSigner], year: int, history: bool,
                kinds: tuple[str, ...]) -> bool:
        """Whether this examination is what ``examine_files`` of these inputs gives."""
        return (self.files, self.trusted, self.year, self.history, self.kinds) == \
            (tuple(files), tuple(trusted), year, history, kinds)


def examine_ahead(db_path: Path, paths: Sequence[Path], history: bool) -> Examination | None:
    """The offered files examined against what the database file at ``db_path`` trusts, read
    read-only (None when it cannot be read: ``intake`` then examines them itself)."""
    try:
        school = query_read_only(db_path, "SELECT school_year FROM school ORDER BY id LIMIT 1")
        own = read_own_signer(db_path)
        trusted = (*read_trusted_signers(db_path), *([own] if own is not None else []))
    except (ZizhuError, sqlite3.Error, OSError):
        return None
    if not school:
        return None
    files = tuple(package_files(paths))
    year = int(school[0][0])
    return Examination(files, trusted, year, history, INTAKE_KINDS,
                       tuple(examine_files(files, trusted, year, history, INTAKE_KINDS)))


_ahead: ReadAhead[Examination] = ReadAhead("zizhu-intake-read", examine_ahead, in_child=True)
start = _ahead.start      # start examining (db_path, the offered paths, history) in a child process
forget = _ahead.forget    # an examination that no intake took
take = _ahead.take        # the examination, for a database file unchanged since it started, else None
