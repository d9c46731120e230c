"""The warnings of a finished action (a name the bundled font cannot print, a student left out) shown
so the clerk can read them all: a few in the page's result text, every one in a box that stays until
closed (a line in the status bar is replaced by the next before it is read)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

INLINE = 5           # warnings in a page's result text
IN_BOX = 8           # warnings in the box's text; every one in its details
ALL_BUTTON = "全部注意事项…"


def inline(warnings: Sequence[str]) -> str:
    """The result text's lines (each “注意：…”), at most INLINE, then how many more and where they are."""
    text = "".join(f"\n注意：{w}" for w in warnings[:INLINE])
    if len(warnings) > INLINE:
        text += f"\n另有 {len(warnings) - INLINE} 条注意事项，点“{ALL_BUTTON.rstrip('…')}”查看全部"
    return text


def warnings_box(parent: QWidget | None, title: str, warnings: Sequence[str]) -> QMessageBox:
    """The box of ``show_all``: the first IN_BOX warnings in its text, all of them behind 显示详情."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, "\n".join(warnings[:IN_BOX]),
                      QMessageBox.StandardButton.Ok, parent)
    if len(warnings) > IN_BOX:
        box.setInformativeText(f"另有 {len(warnings) - IN_BOX} 条，点“显示详情”查看全部")
        box.setDetailedText("\n".join(warnings))
    return box


def _exec_box(box: QMessageBox) -> None:
    """Show ``box`` until it is closed (tests replace this: see conftest's ``shown``)."""
    box.exec()


def show_all(parent: QWidget, title: str, warnings: Sequence[str]) -> None:
    """Every warning in one box that stays until the clerk closes it."""
    if not warnings:
        return
    box = warnings_box(parent, title, warnings)
    _exec_box(box)
    box.deleteLater()
