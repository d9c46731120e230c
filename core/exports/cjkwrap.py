"""Chinese line breaking (禁则) for reportlab paragraphs with ``wordWrap="CJK"``.

reportlab breaks CJK text between any two characters and hangs at most one
closing mark in the margin; its list of such marks lacks the full-width comma,
semicolon, colon, ？, ！ and 》, so "（……第三条）" followed by "，" could start a
line with "，". Here characters are first grouped into units that are never
split: closing punctuation sticks to what precedes it, opening punctuation to
what follows it (the Simplified Chinese kinsoku sets of OOXML). Lines are then
filled unit by unit with reportlab's own line builder, so no line starts with
closing punctuation, none ends with opening punctuation, and none passes the
margin. A run of Latin letters or digits (a phone number, a 文号's year) is
kept whole when it does not start the line (reportlab gives up half-way).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import paragraph as _para
from reportlab.rl_config import _FUZZ

CANNOT_START = ("!%),.:;?]}¢°’”‰′″›℃∶、。〃〉》」』】〕〗〞︶︺︾﹀﹄﹚﹜﹞"
                "！％），．：；？］｝～…")
CANNOT_END = "([{£¥‘“〈《「『【〔〖〝（［｛"

Unit = list[Any]          # reportlab cjkU glyphs that go on one line together


def _latin(u: str) -> bool:
    return bool(u) and ord(u[0]) < 0x3000 and not u.isspace()


def _units(frags: list[Any], encoding: str, glyph: Any = None) -> list[Unit]:
    """Characters grouped into units that stay on one line; ``glyph(ch, frag)`` makes a
    character's glyph (reportlab's ``cjkU``, measured) when given."""
    units: list[Unit] = []
    glue = False                      # the previous glyph may not end a line
    for f in frags:
        text = f.text.decode(encoding) if isinstance(f.text, bytes) else f.text
        if not text or hasattr(f, "lineBreak"):
            units.append([_para.cjkU(text or "", f, encoding)])
            glue = False
            continue
        for ch in text:
            u = glyph(ch, f) if glyph is not None else _para.cjkU(ch, f, encoding)
            if units and (glue or ch in CANNOT_START) and not hasattr(units[-1][-1].frag, "lineBreak"):
                units[-1].append(u)
            else:
                units.append([u])
            glue = ch in CANNOT_END
    return units


def _width(unit: Unit, max_width: float) -> float:
    total = 0.0
    for u in unit:
        w = u.width
        if hasattr(w, "normalizedValue"):
            w._normalizer = max_width
            w = w.normalizedValue(max_width)
        total += w
    return total


Line = tuple[list[Unit], float, bool, float]    # units, width used, ends at <br/>, width available


def _cut(line: Sequence[Sequence[str]], first: str) -> int:
    """Where a full ``line`` of units ends before a unit starting with ``first``: after its last
    unit, or inside a Latin word before the word when it fits (a longer word is cut)."""
    cut = len(line)
    if _latin(first):
        j = cut
        while j > 0 and _latin(line[j - 1][-1]):
            j -= 1
            if not _latin(line[j][0]):     # "〔2": the word starts inside this unit
                break
        if j > 0:
            cut = j
    return cut


def _break(units: list[Unit], max_widths: list[float]) -> list[Line]:
    """Fill lines unit by unit; a unit that does not fit starts the next line."""
    lines: list[Line] = []
    line: list[Unit] = []
    widths: list[float] = []

    def emit(units: list[Unit], used: float, line_break: bool) -> None:
        lines.append((units, used, line_break, max_widths[min(len(lines), len(max_widths) - 1)]))

    for unit in units:
        max_width = max_widths[min(len(lines), len(max_widths) - 1)]
        w = _width(unit, max_width)
        if hasattr(unit[0].frag, "lineBreak"):
            emit([*line, unit], sum(widths) + w, True)
            line, widths = [], []
            continue
        if line and sum(widths) + w > max_width + _FUZZ:
            cut = _cut(line, unit[0])
            emit(line[:cut], sum(widths[:cut]), False)
            line, widths = line[cut:], widths[cut:]
        line.append(unit)
        widths.append(w)
    if line:
        emit(line, sum(widths), False)
    return lines


def cjk_frag_split(frags: list[Any], maxWidths: list[float], calcBounds: bool, encoding: str = "utf8") -> Any:
    """Drop-in for reportlab's ``cjkFragSplit`` (paragraphs with markup)."""
    lines = [_para.makeCJKParaLine([u for unit in units for u in unit], max_width, used, max_width - used,
                                   line_break, calcBounds)
             for units, used, line_break, max_width in _break(_units(frags, encoding), maxWidths)]
    return _para.ParaLines(kind=1, lines=lines)


class _Font:
    def __init__(self, text: str | bytes, font_name: str, font_size: float) -> None:
        self.text, self.fontName, self.fontSize = text, font_name, font_size


_glyphs: dict[tuple[str, float], dict[str, Any]] = {}


def _plain_glyph(font_name: str, font_size: float, encoding: str) -> Any:
    """A maker of plain text's glyphs that measures each character once per font and size
    (a long list wraps thousands of cells of the same few hundred characters)."""
    known = _glyphs.setdefault((font_name, font_size), {})
    frag = _Font("", font_name, font_size)

    def glyph(ch: str, _frag: Any) -> Any:
        u = known.get(ch)
        if u is None:
            u = known[ch] = _para.cjkU(ch, frag, encoding)
        return u
    return glyph


def split_text(text: str, max_widths: list[float], font_name: str, font_size: float) -> list[tuple[float, str]]:
    """Plain text (one font, no markup) broken into ``(extra space, line)`` lines: the same lines,
    to the last bit of every width, as ``_units`` and ``_break`` make of a one-fragment paragraph,
    but on characters and the font's width table instead of one reportlab glyph object per
    character (the letters and tables draw with it straight on the canvas)."""
    face = pdfmetrics.getFont(font_name).face
    get, default = face.charWidths.get, face.defaultWidth
    scale = 0.001 * font_size
    used = scale * sum(get(ord(ch), default) for ch in text)     # what stringWidth gives
    if used <= max_widths[0] + _FUZZ:          # it fits on one line: nothing to break (most table cells)
        return [(max_widths[0] - used, text)]
    units: list[str] = []
    glue = False
    for ch in text:
        if units and (glue or ch in CANNOT_START):
            units[-1] += ch
        else:
            units.append(ch)
        glue = ch in CANNOT_END
    lines: list[tuple[float, str]] = []
    line: list[str] = []
    widths: list[float] = []
    last = len(max_widths) - 1
    for unit in units:
        max_width = max_widths[min(len(lines), last)]
        w = 0.0
        for ch in unit:
            w += scale * get(ord(ch), default)
        if line and sum(widths) + w > max_width + _FUZZ:
            cut = _cut(line, unit[0])
            lines.append((max_width - sum(widths[:cut]), "".join(line[:cut])))
            line, widths = line[cut:], widths[cut:]
        line.append(unit)
        widths.append(w)
    if line:
        lines.append((max_widths[min(len(lines), last)] - sum(widths), "".join(line)))
    return lines


def word_split(word: str | bytes, maxWidths: Any, fontName: str, fontSize: float,
               encoding: str = "utf8") -> list[list[Any]]:
    """Drop-in for reportlab's ``wordSplit`` (paragraphs of plain text): ``[extra space, text]`` lines."""
    if not isinstance(maxWidths, (list, tuple)):
        maxWidths = [maxWidths]
    text = word.decode(encoding) if isinstance(word, bytes) else word
    if isinstance(pdfmetrics.getFont(fontName), TTFont):
        return [list(line) for line in split_text(text, list(maxWidths), fontName, fontSize)]
    used = stringWidth(text, fontName, fontSize)
    if used <= maxWidths[0] + _FUZZ:
        return [[maxWidths[0] - used, text]]
    units = _units([_Font(word, fontName, fontSize)], encoding, _plain_glyph(fontName, fontSize, encoding))
    return [[max_width - used, "".join(u for unit in line for u in unit)]
            for line, used, _br, max_width in _break(units, list(maxWidths))]


def install() -> None:
    """Make every CJK-wrapped Paragraph break lines here (idempotent)."""
    _para.cjkFragSplit = cjk_frag_split
    _para.wordSplit = word_split
