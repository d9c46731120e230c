"""Checks that a shown window fits: every button's, check box's and label's text fits its
width (font metrics against the style's contents rectangle), and no widget sticks out of
its parent or the window (children of a scroll area's viewport may, they scroll)."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QCheckBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QToolButton,
    QWidget,
)

SLACK = 1   # pixels of rounding


def _plain(label: QLabel) -> str:
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText or (
            label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)):
        doc = QTextDocument()
        doc.setHtml(text)
        return doc.toPlainText()
    return text


def _button_text(button: QAbstractButton) -> str:
    return button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")


def _scrolls(widget: QWidget) -> bool:
    """Inside a scroll area's viewport (it may be larger than what shows)."""
    w = widget.parentWidget()
    while w is not None:
        parent = w.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and parent.viewport() is w:
            return True
        w = parent
    return False


def _label_problem(label: QLabel) -> str:
    text = _plain(label)
    if not text.strip() or not label.pixmap().isNull():
        return ""
    rect = label.contentsRect()
    margin = label.margin() * 2 + max(label.indent(), 0)
    width = rect.width() - margin
    fm = label.fontMetrics()
    if label.wordWrap():
        need = label.heightForWidth(label.width())
        if need > label.height() + SLACK:
            return f"换行后需要高 {need}，实际 {label.height()}"
        # one unbreakable run (e.g. a long path) wider than the label
        return ""
    widest = max(fm.horizontalAdvance(line) for line in text.split("\n"))
    if widest > width + SLACK:
        return f"文字宽 {widest}，可用 {width}"
    return ""


def _button_problem(button: QAbstractButton) -> str:
    text = _button_text(button)
    if not text.strip():
        return ""
    opt = QStyleOptionButton()
    button.initStyleOption(opt)  # type: ignore[attr-defined]  # QPushButton and QCheckBox have it, QAbstractButton does not
    element = QStyle.SubElement.SE_PushButtonContents
    for cls, el in ((QCheckBox, QStyle.SubElement.SE_CheckBoxContents),
                    (QRadioButton, QStyle.SubElement.SE_RadioButtonContents)):
        if isinstance(button, cls):
            element = el
    rect = button.style().subElementRect(element, opt, button)
    need = button.fontMetrics().horizontalAdvance(text)
    if isinstance(button, QPushButton) and not button.icon().isNull():
        need += button.iconSize().width() + 4
    if isinstance(button, (QCheckBox, QRadioButton)):
        need += 2
    if need > rect.width() + SLACK:
        return f"文字宽 {need}，可用 {rect.width()}"
    return ""


def fit_problems(window: QWidget) -> list[str]:
    """What does not fit in the shown ``window`` (an empty list when everything does)."""
    problems: list[str] = []
    win_rect = window.rect()
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.isWindow() or w.window() is not window:
            continue
        name = f"{type(w).__name__} {w.objectName() or ''}「{getattr(w, 'text', lambda: '')()}」"
        if not _scrolls(w):
            parent = w.parentWidget()
            if parent is not None and not parent.rect().contains(w.geometry()) and w.width() > 0:
                problems.append(f"{name}: 超出上级控件 {w.geometry()} ⊄ {parent.rect()}")
                continue
            top_left = w.mapTo(window, QPoint(0, 0))
            if not win_rect.contains(QRect(top_left, w.size())):
                problems.append(f"{name}: 超出窗口")
                continue
        if isinstance(w, QLabel):
            why = _label_problem(w)
        elif isinstance(w, QAbstractButton) and not isinstance(w, QToolButton):
            why = _button_problem(w)
        else:
            why = ""
        if why:
            problems.append(f"{name}: {why}")
    return problems
