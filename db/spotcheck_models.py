"""The tables of 专项核查 (spot check, receiving side; db/spotcheck.py): samples, the students
as sampled, and the results entered back. They never touch the school-side tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base


class SpotSample(Base):
    """A drawn spot-check sample (core.spotcheck): reproducible from its seed."""

    __tablename__ = "spot_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    seed: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    requested: Mapped[str] = mapped_column(String(40))      # "50 人" / "5%"
    population: Mapped[int] = mapped_column(Integer)
    school_year: Mapped[int] = mapped_column(Integer)
    unannounced: Mapped[bool] = mapped_column(Boolean, default=False)   # 暗访: never sent to a school before
    schools: Mapped[str] = mapped_column(Text, default="[]")             # JSON: how each school was drawn
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class SpotStudent(Base):
    """One sampled student as the accepted package said when sampled."""

    __tablename__ = "spot_student"
    __table_args__ = (UniqueConstraint("sample_id", "seq", name="uq_spot_student_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("spot_sample.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    school_code: Mapped[str] = mapped_column(String(50), index=True)
    school_name: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    stratum: Mapped[str] = mapped_column(String(10))
    details: Mapped[str] = mapped_column(Text)      # JSON: grade, village, category, grants in fen, package hash


class SpotResult(Base):
    """A checked point of one sampled student: 属实 / 不属实 with a note."""

    __tablename__ = "spot_result"
    __table_args__ = (UniqueConstraint("student_id", "point", name="uq_spot_result_point"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("spot_student.id", ondelete="CASCADE"))
    point: Mapped[str] = mapped_column(String(20))
    truthful: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    entered_by: Mapped[str] = mapped_column(String(100))
