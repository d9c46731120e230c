"""The change marker (db/check_state.py): a counter the schema's triggers bump when a table the
checks read changes, and the marks of the last stored check."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base


class ChangeCounter(Base):
    """One row (id 1). ``value`` grows by one when a watched table changes after a stored check
    (``dirty`` false); the triggers then set ``dirty``, so a bulk import pays one UPDATE, not one
    per row. Only a stored check clears ``dirty``."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    dirty: Mapped[bool] = mapped_column(Boolean, default=True)


class CheckState(Base):
    """One row (id 1): what the stored findings were checked with. They are current while the
    counter, the policy, today's date, the schema and the program all still match."""

    __tablename__ = "check_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    counter: Mapped[int] = mapped_column(Integer)
    day: Mapped[str] = mapped_column(String(10))              # ISO date the checks ran as of
    policy_sha256: Mapped[str] = mapped_column(String(64))    # of the active policy's text
    schema_version: Mapped[int] = mapped_column(Integer)      # PRAGMA schema_version (any DDL moves it)
    program: Mapped[str] = mapped_column(String(100))         # program version and the rules' codes' hash
    checked_at: Mapped[datetime] = mapped_column(DateTime)
    # The audit chain as the check left it, when intact (db.audit.ChainStatus): a later reader
    # verifies only the entries after ``chain_last_id``, linked to ``chain_head``.
    chain_entries: Mapped[int | None] = mapped_column(Integer, nullable=True)
    chain_head: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chain_last_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
