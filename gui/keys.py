"""Keys the list pages share.

``on_enter``: Return and the keypad's Enter on a table do what a double-click on its current row
does (a clerk working by keyboard alone cannot double-click; many type on the numeric keypad).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)     # the main keyboard's and the keypad's


def on_enter(view: QAbstractItemView, handler: Callable[[QModelIndex], object]) -> None:
    """Return or Enter while ``view`` has the focus: ``handler`` (the one its ``doubleClicked``
    calls) with the current row's index; nothing without a current row."""
    def activated() -> None:
        index = view.currentIndex()
        if index.isValid():
            handler(index)

    for key in ENTER_KEYS:
        shortcut = QShortcut(QKeySequence(key), view)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(activated)
