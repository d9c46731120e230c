"""Chinese (pinyin) ordering of names for sorting, computed off the GUI thread."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCollator, QLocale


def name_key_function() -> Callable[[str], Any]:
    """A function name -> sort key ordering by pinyin (张三 after 李四).

    Create one per thread: QCollator is reentrant, not thread-safe.
    """
    collator = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    collator.setNumericMode(True)
    return collator.sortKey
