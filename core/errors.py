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


# What the operating system said, in Chinese: ``strerror`` is English on every system this runs on.
_OS_REASONS = {
    "ENOENT": "找不到该文件或文件夹",
    "EACCES": "没有访问权限",
    "EPERM": "没有访问权限",
    "ENOSPC": "磁盘空间不足",
    "EDQUOT": "磁盘空间不足",
    "EISDIR": "这是一个文件夹，不是文件",
    "ENOTDIR": "路径中有一部分不是文件夹",
    "EROFS": "磁盘是只读的",
    "ENAMETOOLONG": "文件名或路径太长",
    "EEXIST": "文件已经存在",
    "EBUSY": "文件正被其他程序占用",
    "EIO": "读写磁盘出错",
    "EINVAL": "文件名不合法或操作无效",
}
# Windows' own codes (``winerror``) for what errno does not tell apart
_WIN_REASONS = {32: "文件正被其他程序占用", 33: "文件的一部分被其他程序锁定", 112: "磁盘空间不足",
                123: "文件名、文件夹名或卷标不合法", 1920: "文件无法访问"}


def os_reason(exc: BaseException) -> str:
    """Why an ``OSError`` happened, in Chinese (the system's words when no Chinese one is known)."""
    import errno
    win = getattr(exc, "winerror", None)
    if win in _WIN_REASONS:
        return _WIN_REASONS[win]
    code = getattr(exc, "errno", None)
    name = errno.errorcode.get(code, "") if isinstance(code, int) else ""
    if name in _OS_REASONS:
        return _OS_REASONS[name]
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
