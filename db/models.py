"""SQLAlchemy 2 typed models. Money columns are integer fen.

Enumerated values (stage, category, location, ownership) are stored as text:
the canonical label when recognised, otherwise the text as the clerk gave it,
so nothing entered is lost and the checks can point at it.
"""
from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.finding_state import FindingState


class Base(DeclarativeBase):
    # Every mapping here is a plain Table (SQLAlchemy types __table__ as any FromClause).
    __table__: ClassVar[Table]


class _FindingStateText(TypeDecorator[FindingState]):
    """A finding's state stored as its text value ("open", ...), read back as ``FindingState``."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: FindingState | str | None, dialect: Dialect) -> str | None:
        return None if value is None else FindingState(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> FindingState | None:
        return None if value is None else FindingState(value)


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50))
    school_year: Mapped[int] = mapped_column(Integer)
    township: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    supervision_phone: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(200), default="")


class Setting(Base):
    """Key/value settings: the active policy document, remembered import mappings."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Student(Base):
    __tablename__ = "student"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    id_number: Mapped[str] = mapped_column(String(40), default="", index=True)
    id_raw: Mapped[str] = mapped_column(String(60), default="")
    id_numeric_cell: Mapped[bool] = mapped_column(Boolean, default=False)
    gender: Mapped[str] = mapped_column(String(10), default="")
    birth_date: Mapped[str] = mapped_column(String(30), default="")
    student_no: Mapped[str] = mapped_column(String(40), default="")
    stage: Mapped[str] = mapped_column(String(40), default="")
    grade: Mapped[str] = mapped_column(String(40), default="")
    class_name: Mapped[str] = mapped_column(String(40), default="")
    location: Mapped[str] = mapped_column(String(20), default="本地")
    ownership: Mapped[str] = mapped_column(String(20), default="公办")
    full_time: Mapped[bool] = mapped_column(Boolean, default=True)
    # The 全日制正式学籍 cell as the file had it when the import could not read it ("待定"): ``full_time``
    # then holds the guess 是 and the checks ask for the answer (VALUE_UNREADABLE, an error); "" when read
    # or blank, and cleared when the clerk chooses 是 or 否 on the form (migration 0013). Not exported nor
    # sealed: a note on how the value was read, not the value.
    full_time_text: Mapped[str] = mapped_column(String(100), default="", server_default="")
    category: Mapped[str] = mapped_column(String(40), default="NONE")
    household_no: Mapped[str] = mapped_column(String(60), default="")
    head_name: Mapped[str] = mapped_column(String(100), default="")
    relation: Mapped[str] = mapped_column(String(40), default="")
    township: Mapped[str] = mapped_column(String(100), default="")
    village: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    tuition_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    textbook_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lodging_fen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_loan: Mapped[bool] = mapped_column(Boolean, default=False)
    loan_contract_no: Mapped[str] = mapped_column(String(60), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_card: Mapped[str] = mapped_column(String(40), default="")
    # Item codes granted in earlier school years (for once-only items), comma separated.
    prior_grants: Mapped[str] = mapped_column(String(200), default="")
    # Pinyin initials of the name, every reading: "zs|cs".
    name_initials: Mapped[str] = mapped_column(String(200), default="")
    # Problems found when importing, "；"-separated (the checks issue refines them).
    import_problems: Mapped[str] = mapped_column(Text, default="")
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The seal of the data and amounts when verified (core.seal: version 1, 64 hex digits of a SHA-256;
    # version 2, "2:" and 62 hex digits); None when not verified.
    seal: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When the family's notification letter was printed / its receipt came back (告知书, 回执).
    notified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # What the printed letter told (core.told.told_key); None when printed by a version before 0011,
    # which did not record it (such a letter is not compared: NOTIFIED_CHANGED).
    notified_told: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # 移出名单: when and why the student was taken off the list (kept, restorable; see ON_LIST).
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    removed_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class RosterPerson(Base):
    """One person of the poverty office's roster (建档立卡名单)."""

    __tablename__ = "roster_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    county: Mapped[str] = mapped_column(String(100), default="")
    township: Mapped[str] = mapped_column(String(100), default="")
    village: Mapped[str] = mapped_column(String(100), default="")
    household_no: Mapped[str] = mapped_column(String(60), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    id_number: Mapped[str] = mapped_column(String(40), default="", index=True)
    id_raw: Mapped[str] = mapped_column(String(60), default="")
    id_numeric_cell: Mapped[bool] = mapped_column(Boolean, default=False)
    relation: Mapped[str] = mapped_column(String(40), default="")
    schooling_status: Mapped[str] = mapped_column(String(60), default="")
    school_name: Mapped[str] = mapped_column(String(200), default="")
    import_problems: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """Append-only log of every change to a student (and other clerk actions)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    field: Mapped[str] = mapped_column(String(60))
    old: Mapped[str | None] = mapped_column(Text, nullable=True)
    new: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Hash chain (db.audit): each entry hashes the previous entry's hash with its own fields.
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class FindingRow(Base):
    """A check's result kept across runs (核查问题): open, fixed or accepted."""

    __tablename__ = "finding"
    __table_args__ = (UniqueConstraint("code", "subject", "part", name="uq_finding_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(40))   # "s<student id>", "r<roster id>" or "-"
    part: Mapped[str] = mapped_column(String(100), default="")
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), nullable=True, index=True)
    roster_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_person.id", ondelete="CASCADE"), nullable=True)
    id_number: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(40), default="")
    fingerprint: Mapped[str] = mapped_column(String(40))
    state: Mapped[FindingState] = mapped_column(_FindingStateText(), default=FindingState.OPEN)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # A finding a receiver sent back (反馈包, db/feedback.py): its package, its origin
    # (汇总核查 / 专项核查 / 暗访), the receiver's title and details (JSON [[label, value]]).
    # The school's own checks never reconcile these rows.
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_package.id"), nullable=True, index=True)
    origin: Mapped[str] = mapped_column(String(20), default="", server_default="")
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    details: Mapped[str] = mapped_column(Text, default="", server_default="")


class FeedbackPackage(Base):
    """A feedback package (反馈包) imported from a receiver; its findings are FindingRows."""

    __tablename__ = "feedback_package"
    __table_args__ = (UniqueConstraint("sha256", name="uq_feedback_package_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))       # of the whole file: imported once
    receiver_code: Mapped[str] = mapped_column(String(50), index=True)
    receiver_name: Mapped[str] = mapped_column(String(200))
    school_year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(30))                # as the package says (ISO)
    package_sha256: Mapped[str] = mapped_column(String(64), default="")  # the school package it refers to
    signer_fingerprint: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(260), default="")
    findings: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    imported_by: Mapped[str] = mapped_column(String(100))


class PaymentRecord(Base):
    """One line of the imported disbursement record (发放记录)."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    line: Mapped[int] = mapped_column(Integer)
    id_number: Mapped[str] = mapped_column(String(40), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    amount_fen: Mapped[int] = mapped_column(Integer)


class PolicyVersion(Base):
    """One saved version of the policy document (政策版本): numbered 1, 2, … per school year.
    The active policy is the newest version of the school's year (db.policy_versions)."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("school_year", "number", name="uq_policy_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year: Mapped[int] = mapped_column(Integer)      # 0: saved before the school existed
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(20))        # default | edited | imported
    # An imported signed policy file: the signer's key fingerprint and "code name" of its school.
    signer_fingerprint: Mapped[str] = mapped_column(String(100), default="")
    signer_school: Mapped[str] = mapped_column(String(300), default="")
    # That file's own version as its signer numbered it (school year, number; migration 0012): an older
    # one of the same signer is refused. None: not a signed file, or imported before 0012.
    issued_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_number: Mapped[int | None] = mapped_column(Integer, nullable=True)


Index("ix_audit_entity", AuditEntry.entity, AuditEntry.entity_id)

# Students on the list (not removed): the checks, counts, exports and letters read only these.
ON_LIST = Student.removed_at.is_(None)

# Columns an import or a form may write (everything but bookkeeping).
STUDENT_DATA_FIELDS: tuple[str, ...] = tuple(
    c.key for c in Student.__table__.columns
    if c.key not in ("id", "created_at", "updated_at", "verified", "seal", "name_initials", "import_problems",
                     "notified_at", "notified_told", "receipt_at", "removed_at", "removed_reason")
)
ROSTER_DATA_FIELDS: tuple[str, ...] = tuple(
    c.key for c in RosterPerson.__table__.columns if c.key not in ("id", "import_problems")
)

# The receiving side's tables (汇总, 专项核查) and the check's marks share this metadata, declared in their
# own modules, which those who use them import: a command declares only the models it needs (a declaration
# costs about 3.5 ms; `check` needs none of those ten). ``full_metadata`` has every table.
MODEL_MODULES = ("db.check_state_models", "db.receiving_models", "db.spotcheck_models")
if TYPE_CHECKING:   # never run; PyInstaller's scan reads these names, so the bundle holds MODEL_MODULES
    import db.check_state_models
    import db.receiving_models
    import db.spotcheck_models  # noqa: F401


def full_metadata() -> MetaData:
    """``Base.metadata`` with every table of the schema declared (the migrations, the drift test)."""
    for name in MODEL_MODULES:
        import_module(name)
    return Base.metadata
