"""The offered packages examined ahead, in a child process, while `consolidate add` imports its modules.

Examining a package (``core.intake.examine_files``: every member inflated and hashed, the Ed25519
signature, ``data.json`` decoded and checked) needs only the files, the keys the database trusts and the
school year it consolidates. ``start`` reads the offered files (their bytes, read once: what is examined
is what is stored) and starts a child process (``core.in_child``) that reads the keys and the year
read-only with sqlite3 (``db.readonly``) and examines the bytes: on a two-core PC on the second core, while
the main one imports SQLAlchemy and the models and opens the database. The child answers without the
bytes (a fork shares them; ``take`` puts this process's copy back). ``take`` hands the examination over
only when the database file is as it was when it started (``db.integrity.ReadAhead``'s guard), and
``intake`` uses it only when it was made of the same inputs it reads itself in its session (the files,
the trusted keys, the year, ``--history``, the kinds): examining is a function of those and of the bytes.
Otherwise, or when the child could not answer, ``intake`` examines the files itself, as every caller that
started nothing does.

Only light modules here (no SQLAlchemy): a spawned child imports this one.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import ZizhuError
from core.in_child import spare_core
from core.intake import INTAKE_KINDS, Examined, examine_files, package_files, read_offered
from core.trust import TrustedSigner
from db.integrity import ReadAhead, _key
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


def examine_ahead(db_path: Path, files: tuple[Path, ...], contents: tuple[bytes | str, ...],
                  history: bool) -> Examination | None:
    """The files (``contents``: their bytes as read, or why not) examined against what the database
    file at ``db_path`` trusts, read read-only; the examined packages without their bytes, which the
    caller has (None when the database cannot be read: ``intake`` then examines them itself)."""
    try:
        school = query_read_only(db_path, "SELECT school_year FROM school ORDER BY id LIMIT 1")
        own = read_own_signer(db_path)
        trusted = (*read_trusted_signers(db_path), *([own] if own is not None else []))
    except (ZizhuError, sqlite3.Error, OSError):
        return None
    if not school:
        return None
    year = int(school[0][0])
    found = examine_files(files, trusted, year, history, INTAKE_KINDS, contents)
    return Examination(files, trusted, year, history, INTAKE_KINDS,
                       tuple(r if isinstance(r, str) else replace(r, content=b"") for r in found))


_ahead: ReadAhead[Examination] = ReadAhead("zizhu-intake-read", examine_ahead, in_child=True)
_contents: dict[Path, tuple[bytes | str, ...]] = {}     # the bytes read at start, by database path


def start(db_path: Path, paths: Sequence[Path], history: bool) -> None:
    """Read the offered files and start examining them in a child process (when a core is free)."""
    if not spare_core():
        return
    files = tuple(package_files(paths))
    contents = tuple(read_offered(f) for f in files)
    _contents[_key(db_path)] = contents
    _ahead.start(db_path, files, contents, history)


def forget(db_path: Path) -> None:
    """An examination that no intake took."""
    _ahead.forget(db_path)
    _contents.pop(_key(db_path), None)


def take(db_path: Path) -> Examination | None:
    """The examination, with the bytes read at start, for a database file unchanged since it started."""
    found = _ahead.take(db_path)
    contents = _contents.pop(_key(db_path), None)
    if found is None or contents is None:
        return None
    # an accepted package keeps its bytes (``examine_package`` keeps them only then)
    return replace(found, results=tuple(
        replace(r, content=c) if isinstance(r, Examined) and r.ok and isinstance(c, bytes) else r
        for r, c in zip(found.results, contents, strict=True)))
