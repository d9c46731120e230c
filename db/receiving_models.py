"""Tables of the receiving side (汇总): trusted signers, received packages, the intake log
and the list of expected schools.

Receiving only adds these tables; the school-side tables are never touched, so a
central school (中心校) keeps its own students in the same database. Money is integer fen.
The stored package bytes (``package_blob``) are the signed originals, content-addressed
by SHA-256: every figure can be traced back to the file it came from. A package's students
and grants are read from those bytes (its signed ``data.json``), the one copy of them: no
table repeats them row by row (migration 0010, docs/DECISIONS.md).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base

# received_package.state
CURRENT, REPLACED = "current", "replaced"
# intake_log.result
ACCEPTED, REFUSED, DUPLICATE, SUPERSEDED = "accepted", "refused", "duplicate", "superseded"   # (superseded:
# an older version a station forwarded, after the school sent this receiver a newer one: db.intake_reasons)


class TrustedSignerRow(Base):
    """签名人登记: a public key bound to one school code. Removal keeps the row (history)."""

    __tablename__ = "trusted_signer"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(100), index=True)
    public_key: Mapped[str] = mapped_column(Text)          # the key line as registered (signing.public_key_text)
    school_code: Mapped[str] = mapped_column(String(50), index=True)
    school_name: Mapped[str] = mapped_column(String(200), default="")
    township: Mapped[str] = mapped_column(String(100), default="")
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    registered_by: Mapped[str] = mapped_column(String(100), default="")
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PackageBlob(Base):
    """The bytes of an accepted package file, exactly as received."""

    __tablename__ = "package_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ReceivedPackageRow(Base):
    """One accepted package: the current one of its school and year, or a replaced one."""

    __tablename__ = "received_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("package_blob.sha256"), unique=True)
    file_name: Mapped[str] = mapped_column(String(300))
    school_code: Mapped[str] = mapped_column(String(50))
    school_name: Mapped[str] = mapped_column(String(200), default="")
    township: Mapped[str] = mapped_column(String(100), default="")
    school_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="school")
    generated_at: Mapped[str] = mapped_column(String(40), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime)
    received_by: Mapped[str] = mapped_column(String(100), default="")
    signer_fingerprint: Mapped[str] = mapped_column(String(100), default="")
    via: Mapped[str] = mapped_column(String(50), default="")       # forwarding station's code, "" direct
    state: Mapped[str] = mapped_column(String(10), default=CURRENT)
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("received_package.id"), nullable=True)
    students: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)


class IntakeLog(Base):
    """Every package offered to ``consolidate add``: accepted, refused (with the exact reason)
    or already received. A refused package leaves only this line."""

    __tablename__ = "intake_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100), default="")
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), default="")
    school_code: Mapped[str] = mapped_column(String(50), default="")   # as the manifest claims ("" unreadable)
    school_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    draft: Mapped[bool] = mapped_column(Boolean, default=False)        # a draft was offered (仅有草稿)
    result: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    package_id: Mapped[int | None] = mapped_column(ForeignKey("received_package.id"), nullable=True)


class ExpectedSchool(Base):
    """A school the receiver expects a package from (imported from a workbook)."""

    __tablename__ = "expected_school"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    township: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(40), default="")


Index("ix_received_package_school", ReceivedPackageRow.school_code, ReceivedPackageRow.school_year,
      ReceivedPackageRow.state)
Index("ix_intake_log_school", IntakeLog.school_code)
