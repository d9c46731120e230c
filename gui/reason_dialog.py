"""A dialog that asks for a written reason (接受核查问题, 移出名单).

It names what the reason is for, shows an example, and an empty reason keeps
it open with a red line saying what to write (it never closes on an empty one).
It is as wide as its lines need (within ``WIDTH``, inside the screen), and the
lines it names wrap, each shown whole up to ``ITEM_LINES`` lines (then it scrolls).
"""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from gui.dialogs import ok_cancel
from gui.screen import fit_to_screen

WIDTH = (560, 780)          # the dialog's width: at least, at most (a 1024×768 screen holds it)
ITEM_LINES = 10             # the named lines shown without scrolling


class ReasonDialog(QDialog):
    def __init__(self, title: str, intro: str, items: list[str], example: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("reasonDialog")
        self.example = example
        layout = QVBoxLayout(self)
        head = QLabel(intro, self)
        head.setObjectName("reasonIntro")
        head.setWordWrap(True)
        layout.addWidget(head)
        shown = items[:8] + ([f"……另有 {len(items) - 8} 项"] if len(items) > 8 else [])
        self.items = QPlainTextEdit("\n".join(shown), self)
        self.items.setObjectName("reasonItems")
        self.items.setReadOnly(True)
        self.items.setFocusPolicy(Qt.FocusPolicy.NoFocus)      # the reason field takes the typing (and the focus)
        self.items.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        fm = self.fontMetrics()
        widest = max((fm.horizontalAdvance(t) for t in (*shown, example, intro)), default=0)
        width = max(WIDTH[0], min(WIDTH[1], widest + 64))
        inner = width - 2 * 11 - 2 * 4 - 8          # the layout's margins, the frame and document margins
        wrapped = sum(fm.boundingRect(QRect(0, 0, inner, 100000), Qt.TextFlag.TextWordWrap, t).height()
                      for t in shown)
        self.items.setFixedHeight(min(wrapped, fm.lineSpacing() * ITEM_LINES) + fm.lineSpacing() // 2 + 12)
        layout.addWidget(self.items)
        layout.addWidget(QLabel("原因（必填）：", self))
        self.edit = QLineEdit(self)
        self.edit.setObjectName("reasonEdit")
        self.edit.setPlaceholderText(example)
        layout.addWidget(self.edit)
        self.error = QLabel(f"请写明原因，{example}", self)
        self.edit.textChanged.connect(lambda _t: self.error.hide())
        self.error.setObjectName("reasonError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons, self.ok_button = ok_cancel(self)
        self.ok_button.setObjectName("reasonOk")
        layout.addWidget(buttons)
        self.setMinimumWidth(min(width, WIDTH[0]))
        height = max(self.sizeHint().height(), self.heightForWidth(width))
        fit_to_screen(self, width, height)
        self.edit.setFocus()

    def reason(self) -> str:
        return self.edit.text().strip()

    def accept(self) -> None:
        """An empty reason keeps the dialog open, saying what to write."""
        if not self.reason():
            self.error.show()
            self.edit.setFocus()
            return
        super().accept()


# A reason written whose write has not succeeded (yet), by the dialog's title and what it named (the
# selection's lines: another selection, or another school's database, is not offered it): a write that
# fails (the database held by another program, a full disk) would otherwise lose what the clerk wrote.
# The next dialog of that title for the same lines opens with it; the caller forgets it once its write is
# done (``reason_written``).
_UNWRITTEN: dict[str, tuple[tuple[str, ...], str]] = {}


def ask_reason(parent: QWidget | None, title: str, intro: str, items: list[str], example: str) -> str | None:
    """The reason written, or None when cancelled (callers wrap this in a method tests replace)."""
    dialog = ReasonDialog(title, intro, items, example, parent)
    named, kept = tuple(items), _UNWRITTEN.get(title)
    dialog.edit.setText(kept[1] if kept is not None and kept[0] == named else "")
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            _UNWRITTEN.pop(title, None)
            return None
        reason = dialog.reason()
        _UNWRITTEN[title] = (named, reason)
        return reason
    finally:
        dialog.deleteLater()


def reason_written(title: str) -> None:
    """The reason asked under ``title`` is stored: the next dialog opens empty."""
    _UNWRITTEN.pop(title, None)
