"""Read models of the 汇总 page (receiving mode): every package the receiver holds for its
school year (current and replaced) and every refused file, as plain frozen rows.

The per-school status (缺报, 迟报, 仅有草稿 against the campaign deadline) is
``db.receiving_status``'s; this module adds the rows that status only counts: each replaced
package and each refused file with its reason, so the clerk sees the whole history.

A refused file is one row however often it was offered (the incoming folder scanned again, the
same file added twice): the intake log has a line per offer, and the rows here are the distinct
files, by SHA-256 — the count ``consolidate status`` prints (``SchoolStatus.refused``) — each
with its latest offer's time and reason, and how many offers were refused.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select

from db import store
from db.receiving_models import (
    CURRENT,
    REFUSED,
    ExpectedSchool,
    IntakeLog,
    ReceivedPackageRow,
    TrustedSignerRow,
)
from db.session import Database


@dataclass(frozen=True)
class HeldPackage:
    id: int
    school_code: str
    school_name: str
    township: str
    current: bool               # False: replaced by a newer package of the school (kept in history)
    file_name: str
    received_at: datetime
    students: int
    total_fen: int
    via: str


@dataclass(frozen=True)
class RefusedFile:
    """A refused file: its latest offer (id, time, name, reason), and how many offers were refused."""

    id: int
    at: datetime
    file_name: str
    school_code: str
    reason: str
    draft: bool
    sha256: str = ""
    attempts: int = 1               # offers of this file refused (a folder scanned again: one more)
    first_at: datetime | None = None    # the first of them (None: this was the only one)
    accepted_later: bool = False    # the same file was accepted since (e.g. its signer was registered)


@dataclass(frozen=True)
class PackageHistory:
    school_year: int
    packages: tuple[HeldPackage, ...]       # current and replaced, of the receiver's school year
    refused: tuple[RefusedFile, ...]        # every refused file of that year (or of no readable year), once each


def package_history(db: Database) -> PackageHistory:
    with db.session() as s:
        year = store.get_school(s).school_year
        rows = s.scalars(select(ReceivedPackageRow).where(ReceivedPackageRow.school_year == year)
                         .order_by(ReceivedPackageRow.school_code, ReceivedPackageRow.received_at)).all()
        packages = tuple(HeldPackage(r.id, r.school_code, r.school_name, r.township, r.state == CURRENT,
                                     r.file_name, r.received_at, r.students, r.total_fen, r.via) for r in rows)
        log = s.scalars(select(IntakeLog).where(IntakeLog.result == REFUSED)
                        .where((IntakeLog.school_year == year) | IntakeLog.school_year.is_(None))
                        .order_by(IntakeLog.at, IntakeLog.id)).all()
        shas = {r.sha256 for r in log if r.sha256}
        accepted = set(s.scalars(select(ReceivedPackageRow.sha256).where(ReceivedPackageRow.sha256.in_(shas))))
        return PackageHistory(year, packages, refused_files(log, accepted))


def refused_files(log: Sequence[IntakeLog], accepted: set[str]) -> tuple[RefusedFile, ...]:
    """The distinct files of the refused log lines ``log`` (in time order), each once: grouped as
    ``db.receiving_status`` counts them (school code and SHA-256; a line without a SHA-256, alone),
    with the latest offer's line; ordered by that latest offer."""
    groups: dict[tuple[str, str], list[IntakeLog]] = {}
    for r in log:
        groups.setdefault((r.school_code, r.sha256 or f"#{r.id}"), []).append(r)
    files = []
    for lines in groups.values():
        last, first = lines[-1], lines[0]
        files.append(RefusedFile(last.id, last.at, last.file_name, last.school_code, last.reason, last.draft,
                                 last.sha256, len(lines), first.at if len(lines) > 1 else None,
                                 bool(last.sha256) and last.sha256 in accepted))
    return tuple(sorted(files, key=lambda f: (f.at, f.id)))


def receives(db: Database) -> bool:
    """Whether this database receives packages (shows the 汇总 page): it was offered packages or
    has expected schools, or it has registered signers and no students of its own. A school
    registers its station's (or the bureau's) key to import their 反馈包: that alone does not
    make it a receiver (a central school that also receives gets the page with its first intake,
    or through 开始接收汇总)."""
    from db.models import Student
    with db.session() as s:
        return bool(s.scalar(select(exists().where(IntakeLog.id.isnot(None))))
                    or s.scalar(select(exists().where(ExpectedSchool.id.isnot(None))))
                    or (s.scalar(select(exists().where(TrustedSignerRow.id.isnot(None))))
                        and not s.scalar(select(exists().where(Student.id.isnot(None))))))
