"""The letters drawn straight on the canvas: a letter's part (the body, the receipt) is one
``Stack`` flowable of items laid out here, not a story of platypus paragraphs and tables.

* ``Text``: a paragraph of plain text in a paragraph style, broken into lines by
  ``cjkwrap.split_text`` (the same lines a platypus Paragraph of that style makes) and
  drawn where the Paragraph draws them;
* ``Grid``: a ruled table of such texts (fixed column widths, a shaded header and total
  row, cells vertically centred with the platypus Table's paddings);
* ``Fixed``: flowables every letter of a document has alike (the title, the closing words,
  the seal and signature lines): drawn once into a PDF form and placed on each page;
* ``Flow``: any other flowable (a paragraph with markup), drawn by platypus;
* ``Space``: vertical space.

The text of a stack is written in one PDF text object, in reading order, so a page costs
little more than drawing its strings. A stack is a platypus ``Flowable``, so the letter's
frames and ``KeepInFrame(mode="shrink")`` place and, for an overlong letter, shrink it as
they did the paragraphs.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepInFrame
from reportlab.rl_config import _FUZZ

from core.exports.cjkwrap import split_text
from core.exports.pdf_common import GRID, HEADER_BG, TOTAL_BG

_BIG = 0xFFFFFFF
_PAD_X, _PAD_Y = 6, 3                 # the platypus Table's default left/right and the tables' top/bottom padding


class Pen:
    """One PDF text object for consecutive lines of text (flushed before anything else is drawn)."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self._tx: Any = None
        self._font: tuple[str, float] | None = None

    def line(self, x: float, y: float, text: str, font: str, size: float) -> None:
        if self._tx is None:
            self._tx = self.canvas.beginText()
            self._font = None
        if self._font != (font, size):
            self._tx.setFont(font, size)
            self._font = (font, size)
        self._tx.setTextOrigin(x, y)
        self._tx._textOut(text)

    def flush(self) -> None:
        if self._tx is not None:
            self.canvas.drawText(self._tx)
            self._tx = None


class Item:
    """A part of a stack: its height at a width, its graphics (drawn first) and its text."""

    def height(self, canvas: Canvas, width: float) -> float:
        raise NotImplementedError

    def paint(self, canvas: Canvas, x: float, y: float, width: float) -> None:
        """Rules and shading, under the text (``y``: the item's bottom)."""

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        """The text, or anything drawn in order with it."""


@dataclass
class Space(Item):
    size: float

    def height(self, canvas: Canvas, width: float) -> float:
        return self.size


def _lines(text: str, style: ParagraphStyle, width: float) -> list[tuple[float, str]]:
    if not text:
        return []
    inner = width - style.leftIndent - style.rightIndent
    return split_text(text, [inner - style.firstLineIndent, inner], style.fontName, style.fontSize)


def _write_lines(pen: Pen, lines: list[tuple[float, str]], style: ParagraphStyle, x: float, top: float) -> None:
    """``lines`` where a Paragraph of ``style`` whose box starts at ``x`` and ends at ``top`` draws them."""
    size, leading, align = style.fontSize, style.leading, style.alignment
    y = top - size
    x += style.leftIndent
    for i, (extra, text) in enumerate(lines):
        dx = style.firstLineIndent if i == 0 else 0
        if align == TA_RIGHT:
            dx += extra
        elif align == TA_CENTER:
            dx += 0.5 * extra
        pen.line(x + dx, y, text, style.fontName, size)
        y -= leading


@dataclass
class Text(Item):
    """Plain text (cleaned, unescaped) in a paragraph style."""

    text: str
    style: ParagraphStyle
    _at: dict[float, list[tuple[float, str]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.text = " ".join(self.text.split())          # as the paragraph parser collapses white space

    def lines(self, width: float) -> list[tuple[float, str]]:
        found = self._at.get(width)
        if found is None:
            found = self._at[width] = _lines(self.text, self.style, width)
        return found

    def height(self, canvas: Canvas, width: float) -> float:
        return float(len(self.lines(width)) * self.style.leading)

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        _write_lines(pen, self.lines(width), self.style, x, y + self.height(pen.canvas, width))


@dataclass
class Flow(Item):
    """A platypus flowable drawn by platypus (a paragraph with markup)."""

    flowable: Flowable

    def height(self, canvas: Canvas, width: float) -> float:
        return float(self.flowable.wrapOn(canvas, width, _BIG)[1])

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        pen.flush()
        w, _h = self.flowable.wrapOn(pen.canvas, width, _BIG)
        self.flowable.drawOn(pen.canvas, x, y, _sW=width - w)


def _stacked(canvas: Canvas, flowables: Sequence[Flowable], width: float) -> tuple[list[float], float]:
    heights = [float(f.wrapOn(canvas, width, _BIG)[1]) for f in flowables]
    return heights, sum(heights)


def _draw_stacked(canvas: Canvas, flowables: Sequence[Flowable], width: float, x: float, top: float) -> None:
    y = top
    for f in flowables:
        w, h = f.wrapOn(canvas, width, _BIG)
        y -= h
        f.drawOn(canvas, x, y, _sW=width - w)


class Fixed(Item):
    """Flowables every letter of a document has alike, drawn once into a PDF form (at the width
    the letters are drawn at) and placed on each page; at another width (a letter shrunk to fit
    its frame) they are drawn as they are."""

    def __init__(self, name: str, flowables: Sequence[Flowable]) -> None:
        self.name = name
        self.flowables = list(flowables)
        self._heights: dict[float, float] = {}
        self._form_width: float | None = None

    def height(self, canvas: Canvas, width: float) -> float:
        found = self._heights.get(width)
        if found is None:
            found = self._heights[width] = _stacked(canvas, self.flowables, width)[1]
        return found

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        pen.flush()
        c = pen.canvas
        h = self.height(c, width)
        if self._form_width is None:
            self._form_width = width
            c.beginForm(self.name, lowerx=-10, lowery=-10, upperx=width + 10, uppery=h + 10)
            _draw_stacked(c, self.flowables, width, 0, h)
            c.endForm()
        if width != self._form_width:
            _draw_stacked(c, self.flowables, width, x, y + h)
            return
        c.saveState()
        c.translate(x, y)
        c.doForm(self.name)
        c.restoreState()


class Grid(Item):
    """A ruled table of plain texts: ``rows[0]`` the header (shaded, ``head`` style), the last row
    shaded when ``total``; column ``right`` in the right-aligned style. Fixed column widths."""

    def __init__(self, rows: list[list[str]], widths: Sequence[float], styles: dict[str, ParagraphStyle],
                 right: int, total: bool) -> None:
        self.widths = list(widths)
        self.total = total
        self.cells: list[list[tuple[list[tuple[float, str]], ParagraphStyle]]] = []
        for r, row in enumerate(rows):
            cells = []
            for c, text in enumerate(row):
                style = styles["head"] if r == 0 else styles["cell_r"] if c == right else styles["cell"]
                cells.append((_lines(" ".join(text.split()), style, self.widths[c] - 2 * _PAD_X), style))
            self.cells.append(cells)
        self.row_heights: list[float] = [max(len(lines) * style.leading for lines, style in row) + 2 * _PAD_Y
                                         for row in self.cells]
        self._height = float(sum(self.row_heights))

    def height(self, canvas: Canvas, width: float) -> float:
        return self._height

    def _rows(self, y: float) -> list[float]:
        """Each row's bottom, from the top row down."""
        out, top = [], y + self._height
        for h in self.row_heights:
            top -= h
            out.append(top)
        return out

    def paint(self, canvas: Canvas, x: float, y: float, width: float) -> None:
        x += 0.5 * (width - sum(self.widths))               # centred in the frame, as platypus does
        width = sum(self.widths)
        bottoms = self._rows(y)
        canvas.saveState()
        canvas.setFillColor(HEADER_BG)
        canvas.rect(x, bottoms[0], width, self.row_heights[0], stroke=0, fill=1)
        if self.total:
            canvas.setFillColor(TOTAL_BG)
            canvas.rect(x, bottoms[-1], width, self.row_heights[-1], stroke=0, fill=1)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.5)
        top = y + self._height
        xs = [x]
        for w in self.widths:
            xs.append(xs[-1] + w)
        canvas.lines([(x, t, xs[-1], t) for t in [top, *bottoms]]
                     + [(c, y, c, top) for c in xs])
        canvas.restoreState()
        canvas.setFillColor(colors.black)

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        x += 0.5 * (width - sum(self.widths))
        for row, bottom, rh in zip(self.cells, self._rows(y), self.row_heights, strict=True):
            cx = x
            for (lines, style), w in zip(row, self.widths, strict=True):
                h = len(lines) * style.leading
                para = bottom + (rh + _PAD_Y - _PAD_Y + h) / 2.0 - h         # vertically centred
                _write_lines(pen, lines, style, cx + _PAD_X, para + h)
                cx += w


class Stack(Flowable):  # type: ignore[misc]  # reportlab has no type information: Flowable is Any
    """Items one below the other, as one flowable."""

    def __init__(self, items: Sequence[Item]) -> None:
        super().__init__()
        self.items = list(items)
        self._heights: list[float] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._heights = [item.height(self.canv, availWidth) for item in self.items]
        self.width, self.height = availWidth, sum(self._heights)
        return self.width, self.height

    def draw(self) -> None:
        c, width = self.canv, self.width
        bottoms, y = [], self.height
        for h in self._heights:
            y -= h
            bottoms.append(y)
        for item, y in zip(self.items, bottoms, strict=True):
            item.paint(c, 0, y, width)
        pen = Pen(c)
        for item, y in zip(self.items, bottoms, strict=True):
            item.write(pen, 0, y, width)
        pen.flush()


class Kept(Flowable):  # type: ignore[misc]  # reportlab has no type information: Flowable is Any
    """A stack in a frame of ``max_width`` × ``max_height``: drawn as it is when it fits (laid out
    once), else shrunk to fit by ``KeepInFrame(mode="shrink")`` as the letters always were."""

    def __init__(self, stack: Stack, max_width: float, max_height: float) -> None:
        super().__init__()
        self.stack, self.max_width, self.max_height = stack, max_width, max_height
        self._shown: Flowable = stack

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        width = min(self.max_width, availWidth)
        w, h = self.stack.wrapOn(self.canv, width, _BIG)
        if h <= min(self.max_height, availHeight) + _FUZZ:
            self._shown = self.stack
        else:
            self._shown = KeepInFrame(self.max_width, self.max_height, [self.stack], mode="shrink")
            w, h = self._shown.wrapOn(self.canv, availWidth, availHeight)
        self.width, self.height = w, h
        return w, h

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        self._shown.drawOn(canvas, x, y, _sW=_sW)
