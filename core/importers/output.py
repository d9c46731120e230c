"""Saving the import side's workbooks (problem rows, templates): through core.paths.write_atomic,
which owns the atomic writing; and column widths that fit Chinese text."""
from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

from core.paths import write_atomic


def save_atomic(workbook: Any, path: str | os.PathLike[str]) -> Path:
    """Save an openpyxl workbook to ``path`` atomically (OutputFileError in Chinese on failure);
    a failed save leaves no file open (``save_into``)."""
    from core.exports.xlsx_common import save_into  # (openpyxl's writer: loaded when a file is saved)
    return write_atomic(path, lambda tmp: save_into(workbook, tmp))


def display_width(text: str) -> int:
    """Width in Excel column units: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
