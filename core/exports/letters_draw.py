"""The letters drawn straight on the canvas: a letter's part (the body, the receipt) is one
``Stack`` flowable of items laid out here, not a story of platypus paragraphs and tables.

* ``Text``: a paragraph of plain text in a paragraph style, broken into lines by
  ``cjkwrap.split_text`` (the same lines a platypus Paragraph of that style makes) and
  drawn where the Paragraph draws them;
* ``Fixed``: flowables every letter of a document has alike (the title, the closing words,
  the seal and signature lines): drawn once into a PDF form and placed on each page;
* ``Flow``: any other flowable, drawn by its own ``drawOn`` (the items table, a
  ``pdf_canvas.RuledTable``; a paragraph with markup);
* ``Space``: vertical space.

A stack writes its text in reading order, consecutive lines in one PDF text object, so a page
costs little more than drawing its strings. A stack is a platypus ``Flowable``, so the letter's
frames and ``KeepInFrame(mode="shrink")`` place and, for an overlong letter, shrink it as
they did the paragraphs.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepInFrame
from reportlab.rl_config import _FUZZ

from core.exports.cjkwrap import split_text
from core.exports.pdf_canvas import Align, TextRun, draw_lines

_BIG = 0xFFFFFFF


Runs = dict[tuple[str, float], TextRun]         # a document's text runs, by font and size


class Pen:
    """Consecutive lines of text of one font and size as one PDF text object (``pdf_canvas.TextRun``),
    finished before anything else is drawn."""

    def __init__(self, canvas: Canvas, runs: Runs) -> None:
        self.canvas, self.runs = canvas, runs
        self._run: TextRun | None = None
        self._key: tuple[str, float] | None = None

    def run(self, font: str, size: float) -> TextRun:
        """The text object for ``font`` at ``size`` (a new one when the last was another)."""
        if self._run is not None and self._key != (font, size):
            self.flush()
        if self._run is None:
            run = self.runs.get((font, size))
            if run is None:
                run = self.runs[(font, size)] = TextRun(font, size, remember=False)
            run.start(self.canvas)
            self._run, self._key = run, (font, size)
        return self._run

    def flush(self) -> None:
        if self._run is not None:
            self._run.finish(self.canvas)
            self._run = None


class Item:
    """A part of a stack: its height at a width, and what it draws (``y``: its bottom)."""

    def height(self, canvas: Canvas, width: float) -> float:
        raise NotImplementedError

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        """Draw: text through ``pen``; anything else after ``pen.flush()``."""


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


_ALIGN: dict[int, Align] = {TA_LEFT: "left", TA_CENTER: "center", TA_RIGHT: "right"}


def _write_lines(pen: Pen, lines: list[tuple[float, str]], style: ParagraphStyle, x: float, top: float,
                 width: float) -> None:
    """``lines`` where a Paragraph of ``style`` whose box starts at ``x`` and ends at ``top`` draws them."""
    if not lines:
        return
    size, leading, align = style.fontSize, style.leading, _ALIGN[style.alignment]
    run = pen.run(style.fontName, size)
    x += style.leftIndent
    inner = width - style.leftIndent - style.rightIndent
    indent = style.firstLineIndent
    if indent:                                   # the first line starts further in (and is shorter)
        draw_lines(run, x + indent, top, inner - indent, lines[:1], align, size, leading)
        lines, top = lines[1:], top - leading
    draw_lines(run, x, top, inner, lines, align, size, leading)


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
        h: float = len(self.lines(width)) * self.style.leading
        return h

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        _write_lines(pen, self.lines(width), self.style, x, y + self.height(pen.canvas, width), width)


@dataclass
class Flow(Item):
    """A platypus flowable drawn by platypus (a paragraph with markup)."""

    flowable: Flowable

    def height(self, canvas: Canvas, width: float) -> float:
        h: float = self.flowable.wrapOn(canvas, width, _BIG)[1]
        return h

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        pen.flush()
        w, _h = self.flowable.wrapOn(pen.canvas, width, _BIG)
        self.flowable.drawOn(pen.canvas, x, y, _sW=width - w)


def _stacked(canvas: Canvas, flowables: Sequence[Flowable], width: float) -> float:
    h: float = sum(f.wrapOn(canvas, width, _BIG)[1] for f in flowables)
    return h


def _draw_stacked(canvas: Canvas, flowables: Sequence[Flowable], width: float, x: float, top: float) -> None:
    y = top
    for f in flowables:
        w, h = f.wrapOn(canvas, width, _BIG)
        y -= h
        f.drawOn(canvas, x, y, _sW=width - w)


class Fixed(Item):
    """Flowables every letter of a document has alike, drawn once into a PDF form at the width the
    letters are drawn at (``width``) and placed on each page; at another width (a letter shrunk
    to fit its frame is laid out wider) they are drawn as they are."""

    def __init__(self, name: str, flowables: Sequence[Flowable], width: float) -> None:
        self.name, self.width = name, width
        self.flowables = list(flowables)
        self._heights: dict[float, float] = {}
        self._made = False

    def height(self, canvas: Canvas, width: float) -> float:
        found = self._heights.get(width)
        if found is None:
            found = self._heights[width] = _stacked(canvas, self.flowables, width)
        return found

    def write(self, pen: Pen, x: float, y: float, width: float) -> None:
        pen.flush()
        c = pen.canvas
        h = self.height(c, width)
        if width != self.width:
            _draw_stacked(c, self.flowables, width, x, y + h)
            return
        if not self._made:
            c.beginForm(self.name, lowerx=-10, lowery=-10, upperx=width + 10, uppery=h + 10)
            _draw_stacked(c, self.flowables, width, 0, h)
            c.endForm()
            self._made = True
        c.saveState()
        c.translate(x, y)
        c.doForm(self.name)
        c.restoreState()


class Stack(Flowable):  # type: ignore[misc]  # reportlab has no type information: Flowable is Any
    """Items one below the other, as one flowable."""

    def __init__(self, items: Sequence[Item], runs: Runs) -> None:
        super().__init__()
        self.items = list(items)
        self.runs = runs
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
        pen = Pen(c, self.runs)
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
