"""Read models of the 汇总 page (receiving mode): every package the receiver holds for its
school year (current and replaced) and every refused file, as plain frozen rows.

The per-school status (缺报, 迟报, 仅有草稿 against the campaign deadline) is
``db.receiving_status``'s; this module adds the rows that status only counts: each replaced
package and each refused file with its reason, so the clerk sees the whole history.
"""
from __future__ import annotations

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
    id: int
    at: datetime
    file_name: str
    school_code: str
    reason: str
    draft: bool


@dataclass(frozen=True)
class PackageHistory:
    school_year: int
    packages: tuple[HeldPackage, ...]       # current and replaced, of the receiver's school year
    refused: tuple[RefusedFile, ...]        # every refused offer of that year (or of no readable year)


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
        refused = tuple(RefusedFile(r.id, r.at, r.file_name, r.school_code, r.reason, r.draft) for r in log)
        return PackageHistory(year, packages, refused)


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
