"""Typed domain errors. Every error carries a Chinese message for the clerk.

The GUI shows them through one path (gui/errors.py); the CLI prints
``message`` (and ``hint``) and exits with ``exit_code``.
"""
from __future__ import annotations

from typing import Any


class ZizhuError(Exception):
    """Base of every error a clerk may see. ``message`` says what is wrong and
    where; ``hint`` says what to do."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:  # pragma: no cover - trivial
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class InputFileError(ZizhuError):
    """A file cannot be read or lacks required columns."""


class MissingColumnsError(InputFileError):
    """The header row was found but lacks required columns. Carries what was found,
    so the import wizard can let the clerk say which column is which."""

    def __init__(self, message: str, hint: str, mapping: Any, missing: list[str]) -> None:
        super().__init__(message, hint)
        self.mapping = mapping      # core.importers.header.Mapping: what was detected
        self.missing = missing      # the required fields not found


class PolicyError(ZizhuError):
    """The policy file is invalid, or a policy edit is not allowed."""


class ValidationError(ZizhuError):
    """A value entered by the clerk is invalid."""


class DatabaseError(ZizhuError):
    """The database cannot be opened, migrated or written."""


class NotInitialisedError(ZizhuError):
    """The database has no school yet."""


class OutputFileError(ZizhuError):
    """A file cannot be written (folder missing, file open in Excel, disk full)."""


class MissingSettingError(ValidationError):
    """A stored setting the action needs is unset. ``setting`` names it (a key of
    ``db.store.OFFICIAL_FIELDS``), so the GUI can open 设置 at that field."""

    def __init__(self, message: str, hint: str, setting: str) -> None:
        super().__init__(message, hint)
        self.setting = setting
