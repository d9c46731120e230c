"""Fast PDF drawing primitives: text drawn straight on the canvas, no Paragraph per cell.

A platypus ``Table`` of Paragraphs parses, measures and lays out every cell as a
paragraph and copies its rows at every page break; a list of thousands of rows
spends most of its time there. ``RuledTable`` is a flowable (it goes in a platypus
story, or is drawn on a bare canvas with ``wrapOn``/``drawOn``) that measures each
distinct text once, breaks a cell into lines only when it does not fit on one line
(``cjkwrap``'s rules), splits at page breaks without copying rows (a part is a range
of the same rows) and draws each page's cells in one text object. It draws what
``pdf_common.table`` draws for cells of plain text — the same fonts, paddings,
middle alignment, grid, shaded header (repeated on every page) and total row — and
puts every character where that table put it.

Small API, meant for every writer that draws text on a canvas:

* ``TextWidths(font, size)`` — ``stringWidth`` remembered per text;
* ``wrap_text(text, width, widths)`` — the lines of a text within ``width``:
  ``[(room left on the line, line text)]``, one line when it fits;
* ``draw_lines(tx, x, top, width, lines, align, size, leading)`` — those lines into
  a reportlab text object, as a Paragraph of that style would place them;
* ``Column(width, align, label)`` and ``RuledTable(rows, columns, glyphs, …)``.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Any, Literal

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.platypus import Flowable
from reportlab.platypus.paragraph import cleanBlockQuotedText
from reportlab.rl_config import _FUZZ

from core.exports import cjkwrap
from core.exports.pdf_common import FONT, GRID, HEADER_BG, TOTAL_BG, Glyphs, register_fonts

Align = Literal["left", "center", "right"]
Line = tuple[float, str]          # (room left on the line, its text)

CELL_SIZE = 9.0                   # pdf_common.styles()["cell"]: 9 pt on 12.5 pt
CELL_LEADING = 12.5
PAD_V = 3.0                       # pdf_common.table(): TOP/BOTTOMPADDING 3
PAD_H = 6.0                       # platypus' default LEFT/RIGHTPADDING
GRID_WIDTH = 0.5


class TextWidths:
    """``stringWidth`` of one font and size, remembered per text (a list repeats its
    schools, grades and amounts thousands of times); a TrueType font's text is summed
    from its character widths as reportlab does, without its per-character generator."""

    def __init__(self, font: str = FONT, size: float = CELL_SIZE) -> None:
        register_fonts()
        self.font, self.size = font, size
        self._known: dict[str, float] = {}
        face: Any = getattr(getFont(font), "face", None)
        self._face = (face.charWidths.get, face.defaultWidth) if hasattr(face, "charWidths") else None
        # Whether the ten digits are equally wide (tabular figures): then a number's lines
        # depend only on how many digits it has.
        self.tabular = len({self(d) for d in "0123456789"}) == 1

    def __call__(self, text: str) -> float:
        w = self._known.get(text)
        if w is None:
            if self._face is None:
                w = stringWidth(text, self.font, self.size)
            else:       # reportlab's instanceStringWidthTTF, the same sum in the same order
                get, default = self._face
                w = 0.001 * self.size * sum(map(get, map(ord, text), repeat(default)))
            self._known[text] = w
        return w


def clean_text(text: str) -> str:
    """``text`` as a Paragraph cleans it (reportlab's ``cleanBlockQuotedText``: each run of
    whitespace one space, none at the ends); a printable text whose only whitespace is single
    inner spaces is already clean (the only printable whitespace is the ASCII space)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return str(cleanBlockQuotedText(text))


def wrap_text(text: str, width: float, widths: TextWidths) -> list[Line]:
    """``text`` broken into lines of at most ``width`` points: one line when it fits,
    else ``cjkwrap``'s line breaking (no line starts with closing punctuation, …).
    An empty text has no line."""
    if not text:
        return []
    used = widths(text)
    if used <= width + _FUZZ:
        return [(width - used, text)]
    return [(room, line) for room, line in cjkwrap.word_split(text, [width], widths.font, widths.size)]


def _number_lines(text: str, width: float, widths: TextWidths, known: dict[tuple[str, float], list[Line]]
                  ) -> list[Line]:
    """``wrap_text`` of a number in a font of tabular digits: the lines of the same count of
    zeros (made once), with the number's own digits. ``cjkwrap`` breaks a run of digits
    only by the widths of its characters (a list's 序号 over 999 takes two lines)."""
    key = ("0" * len(text), width)
    shape = known.get(key)
    if shape is None:
        shape = known[key] = wrap_text(key[0], width, widths)
    lines, start = [], 0
    for room, zeros in shape:
        lines.append((room, text[start:start + len(zeros)]))
        start += len(zeros)
    return lines


# The bytes of a string in a content stream as reportlab's escapePDF writes them, translated
# in one call (its pure-Python form walks the bytes one by one).
_ESCAPED = {c: f"\\{c:03o}" if c < 32 or c >= 127 else "\\" + chr(c) if chr(c) in "\\()" else chr(c)
            for c in range(256)}


class TextRun:
    """Lines of text of one font and size written into the current page as one text object
    (``show`` each line, then ``finish``), where a reportlab text object of that font would
    put them. Each distinct text is split into the font's subsets and escaped once per
    document, and each coordinate formatted once: a list repeats its schools, grades and
    amounts on every page. Without ``remember`` texts are encoded each time they are shown
    (text mostly drawn once, as the letters' lines: remembering them all would grow with the
    document)."""

    def __init__(self, font: str = FONT, size: float = CELL_SIZE, remember: bool = True) -> None:
        register_fonts()
        self.font = getFont(font)
        self.remember = remember
        self._tf = f" {fp_str(size)} Tf"
        self._doc: Any = None
        self._code: list[str] = []
        self._subset = -1

    def start(self, canvas: Any) -> None:
        """Begin a text object on ``canvas``'s page."""
        if canvas._doc is not self._doc:      # subsets and their names belong to one document
            self._doc = canvas._doc
            self._parts: dict[str, list[tuple[int, str]]] = {}
            self._names: dict[int, str] = {}
            self._nums: dict[float, str] = {}
        self._code, self._subset = ["BT"], -1

    def num(self, v: float) -> str:
        """``v`` as reportlab writes a coordinate (``fp_str``), formatted once per document."""
        s = self._nums.get(v)
        if s is None:
            s = self._nums[v] = fp_str(v)
        return s

    def show(self, x: float, y: float, text: str) -> None:
        """``text`` with its baseline starting at (x, y)."""
        parts = self._parts.get(text)
        if parts is None:
            parts = [(subset, f"({chunk.decode('latin-1').translate(_ESCAPED)}) Tj")
                     for subset, chunk in self.font.splitString(text, self._doc)]
            if self.remember:
                self._parts[text] = parts
        code = self._code
        code.append(f"1 0 0 1 {self.num(x)} {self.num(y)} Tm")
        for subset, shown in parts:
            if subset != self._subset:
                name = self._names.get(subset)
                if name is None:
                    name = self._names[subset] = self.font.getSubsetInternalName(subset, self._doc) + self._tf
                code.append(name)
                self._subset = subset
            code.append(shown)

    def finish(self, canvas: Any) -> None:
        """End the text object: its code goes into ``canvas``'s page."""
        self._code.append("ET")
        canvas.addLiteral(" ".join(self._code))
        self._code = []


def draw_lines(run: TextRun, x: float, top: float, width: float, lines: Sequence[Line], align: Align,
               size: float = CELL_SIZE, leading: float = CELL_LEADING) -> None:
    """Put ``lines`` (from ``wrap_text`` for ``width``) into ``run``, the first baseline
    ``size`` below ``top``, one ``leading`` apart, aligned in ``width`` from ``x``: where a
    Paragraph of that style drawn at (x, top) would put each character."""
    y = top - size
    for room, text in lines:
        run.show(x if align == "left" else x + room if align == "right" else x + room / 2, y, text)
        y -= leading


@dataclass(frozen=True)
class Column:
    """A table column: its width in points, how its cells align, and what its text is
    called in a missing-character warning (``label``)."""

    width: float
    align: Align = "left"
    label: str = ""


class _Rows:
    """The measured rows of one table, shared by all its parts."""

    def __init__(self, rows: Sequence[Sequence[Any]], columns: Sequence[Column], glyphs: Glyphs,
                 size: float = CELL_SIZE, leading: float = CELL_LEADING) -> None:
        widths = TextWidths(size=size)
        inner = [c.width - 2 * PAD_H for c in columns]
        clean: dict[tuple[str, str], str] = {}
        wrapped: dict[tuple[str, float], list[Line]] = {}
        shapes: dict[tuple[str, float], list[Line]] = {}       # a number's lines by its digit count
        tabular = widths.tabular
        self.cells: list[list[list[Line]]] = []
        heights: list[float] = []
        for row in rows:
            cells = []
            tallest = 0
            for c, v in enumerate(row):
                text = "" if v is None else str(v)
                label = columns[c].label
                key = (text, label)
                shown = clean.get(key)
                if shown is None:    # as a Paragraph cleans its text: whitespace runs become one space
                    shown = clean[key] = clean_text(glyphs.clean(text, label))
                lines = wrapped.get((shown, inner[c]))
                if lines is None:
                    lines = wrapped[(shown, inner[c])] = (
                        _number_lines(shown, inner[c], widths, shapes)
                        if tabular and shown.isdigit() and shown.isascii()
                        else wrap_text(shown, inner[c], widths))
                cells.append(lines)
                tallest = max(tallest, len(lines))
            self.cells.append(cells)
            heights.append(tallest * leading + 2 * PAD_V)
        self.heights = heights
        self.run = TextRun(size=size)
        self.tops = [0.0, *accumulate(heights)]      # tops[i]: the height of rows before row i


class RuledTable(Flowable):  # type: ignore[misc]  # reportlab has no type information: Flowable is Any
    """A gridded table of plain-text cells drawn directly on the canvas (see the module).

    ``rows``: the cells as text (None is empty), the first row the header when ``header``
    (centred, shaded, repeated at the top of every page); ``total`` shades the last row.
    Each cell's text is checked for characters the font lacks (□ and a warning in
    ``glyphs``, the column's ``label`` naming it). Splits between rows at page breaks.

    ``after``: flowables drawn below the last row, on its page, across the frame's width (a
    notice's school name and date, where it is stamped): where they do not fit under the last
    row, the last ``keep`` rows go to the next page with them, so the signature never stands
    alone on a page of its own, away from the list it signs."""

    def __init__(self, rows: Sequence[Sequence[Any]], columns: Sequence[Column], glyphs: Glyphs, *,
                 header: bool = True, total: bool = False, size: float = CELL_SIZE, leading: float = CELL_LEADING,
                 after: Sequence[Flowable] = (), keep: int = 2,
                 _shared: _Rows | None = None, _span: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.columns = list(columns)
        self.header, self.total = header, total
        self.after, self.keep = list(after), keep
        self._below: list[tuple[Flowable, float, float]] = []    # (flowable, its space above, its height)
        self._offset = 0.0        # the frame's left edge from the table's (the table is centred)
        self.size, self.leading = size, leading        # the cells' font size and line height (9 on 12.5)
        self.hAlign = "CENTER"
        self._rows = _shared or _Rows(rows, self.columns, glyphs, size, leading)
        first = 1 if header else 0
        self._span = _span or (first, len(self._rows.heights))     # the body rows this part draws
        self.width = sum(c.width for c in self.columns)
        self.height = self._height(*self._span)

    def _height(self, start: int, end: int) -> float:
        tops = self._rows.tops
        return tops[end] - tops[start] + (tops[1] if self.header else 0.0)

    def _ends(self) -> bool:
        return self._span[1] == len(self._rows.heights)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.height = self._height(*self._span)
        self._below = []
        if self.after and self._ends():
            self._offset = (availWidth - self.width) / 2
            for f in self.after:
                above = f.getSpaceBefore()
                _w, h = f.wrap(availWidth, availHeight)
                self._below.append((f, above, h))
                self.height += above + h + f.getSpaceAfter()
        return self.width, self.height

    def _part(self, start: int, end: int) -> RuledTable:
        return RuledTable((), self.columns, Glyphs(), header=self.header, total=self.total, size=self.size,
                          leading=self.leading, after=self.after, keep=self.keep, _shared=self._rows,
                          _span=(start, end))

    def split(self, availWidth: float, availHeight: float) -> list[RuledTable]:
        """The rows that fit in ``availHeight`` (under the header) and the rest; nothing when
        not even one row fits (as platypus' Table: the table moves to the next frame)."""
        start, end = self._span
        tops = self._rows.tops
        head = tops[1] if self.header else 0.0
        # the last row n with the rows start..n-1 within availHeight (platypus: h + rh <= availHeight)
        n = bisect_right(tops, tops[start] + availHeight - head, lo=start) - 1
        if n >= end and self.after and self.wrap(availWidth, availHeight)[1] > availHeight:
            n = end - self.keep        # every row fits, what follows them does not: rows go over with it
        if n <= start:
            return []
        if n >= end:
            return [self]
        return [self._part(start, n), self._part(n, end)]

    def draw(self) -> None:
        c = self.canv
        rows = self._rows
        start, end = self._span
        shown = ([0] if self.header else []) + list(range(start, end))
        heights = [rows.heights[i] for i in shown]
        xs = [0.0, *accumulate(col.width for col in self.columns)]
        ys = [self.height]                  # the top of every shown row, then the bottom
        for h in heights:
            ys.append(ys[-1] - h)
        c.saveState()
        if self.header:
            c.setFillColor(HEADER_BG)
            c.rect(0, ys[1], self.width, heights[0], stroke=0, fill=1)
        if self.total and end == len(rows.heights):
            c.setFillColor(TOTAL_BG)
            c.rect(0, ys[-1], self.width, heights[-1], stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        run = rows.run
        run.start(c)
        for k, i in enumerate(shown):
            top, h = ys[k], heights[k]
            aligns: list[Align] = (["center"] * len(self.columns) if self.header and i == 0
                                   else [col.align for col in self.columns])
            for col, x, align, lines in zip(self.columns, xs[:-1], aligns, rows.cells[i], strict=True):
                if lines:       # middle of the row, as platypus places a paragraph of these lines
                    draw_lines(run, x + PAD_H, top - (h - len(lines) * self.leading) / 2,
                               col.width - 2 * PAD_H, lines, align, self.size, self.leading)
        run.finish(c)
        c.setStrokeColor(GRID)
        c.setLineWidth(GRID_WIDTH)
        num = run.num         # the grid as canvas.lines draws it, each coordinate formatted once
        right, high, low = num(self.width), num(ys[0]), num(ys[-1])
        c.addLiteral(" ".join(["n", *(f"0 {num(y)} m {right} {num(y)} l" for y in ys),
                               *(f"{num(x)} {high} m {num(x)} {low} l" for x in xs), "S"]))
        c.restoreState()
        y = ys[-1]
        for f, above, h in self._below:
            y -= above + h
            f.drawOn(c, -self._offset, y)
            y -= f.getSpaceAfter()


def ruled_table(rows: Sequence[Sequence[Any]], widths: Sequence[float], glyphs: Glyphs, *,
                right: Sequence[int] = (), center: Sequence[int] = (), labels: dict[int, str] | None = None,
                total: bool = False, header: bool = True, size: float = CELL_SIZE,
                leading: float = CELL_LEADING, after: Sequence[Flowable] = ()) -> RuledTable:
    """``RuledTable`` called as ``pdf_common.table`` is (for rows of plain text)."""
    labels = labels or {}
    columns = [Column(w, "right" if c in right else "center" if c in center else "left", labels.get(c, ""))
               for c, w in enumerate(widths)]
    return RuledTable(rows, columns, glyphs, header=header, total=total, size=size, leading=leading, after=after)
