"""Windows and dialogs fit the screen (many school PCs have 1024×768): one helper sizes
and places every top-level window inside the screen's available geometry. And what stays
readable on those screens: the one colour of secondary text (hints, captions, notes), and a label
that wraps only when it must."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QWidget

# Secondary text (hints, captions, a step not due yet): a dark grey that stays readable on the
# window's grey on old, dim screens (#595959 on #efefef: 6.1:1; the palette's "dark" grey gave 2.3:1).
HINT_COLOR = "#595959"
HINT_STYLE = f"color: {HINT_COLOR};"

# What the window manager adds around a window: borders and the title bar.
FRAME = QSize(16, 40)


def screen_geometry(widget: QWidget | None = None) -> QRect:
    """The available geometry (without task bars) of the screen ``widget`` is on, else of
    the primary screen (tests replace this to pretend a 1024×768 screen)."""
    screen = widget.screen() if widget is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 768)


def within_screen(widget: QWidget, size: QSize) -> QSize:
    """``size`` (a window's minimum) or less where the screen's available area, frame taken off,
    is smaller: 1366×768 at 125 % display scaling leaves 1093×574 (150 %: 911×472)."""
    area = screen_geometry(widget)
    return size.boundedTo(QSize(area.width() - FRAME.width(), area.height() - FRAME.height()))


def fit_to_screen(widget: QWidget, width: int, height: int) -> QSize:
    """Resize the top-level ``widget`` to ``width``×``height``, or less where the screen is
    smaller, and move it inside the screen (centred on its parent, or on the screen)."""
    area = screen_geometry(widget.parentWidget() or widget)
    size = QSize(min(width, area.width() - FRAME.width()), min(height, area.height() - FRAME.height()))
    size = size.expandedTo(widget.minimumSize()).boundedTo(widget.maximumSize())
    widget.resize(size)
    parent = widget.parentWidget()
    centre = parent.window().geometry().center() if parent is not None else area.center()
    widget.move(clamped_position(QPoint(centre.x() - size.width() // 2, centre.y() - size.height() // 2),
                                 size, area))
    return size


def clamped_position(top_left: QPoint, size: QSize, area: QRect) -> QPoint:
    """``top_left`` moved so that a window of ``size`` (plus its frame) lies inside ``area``."""
    x = min(top_left.x(), area.right() + 1 - size.width() - FRAME.width())      # move() places the frame
    y = min(top_left.y(), area.bottom() + 1 - size.height() - FRAME.height())
    return QPoint(max(x, area.left()), max(y, area.top()))


class WrappingLabel(QLabel):
    """A label that keeps one line while the row has room for it and wraps when it has not (a row of
    buttons at 150 % display scaling): a word-wrapped QLabel alone asks for a narrower width than its
    line, and wraps where the row had room."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        m = self.contentsMargins()
        line = self.fontMetrics().horizontalAdvance(self.text()) + m.left() + m.right() + 2 * self.margin() + 2
        return QSize(max(hint.width(), line), hint.height())
