"""reportlab plumbing shared by the report, the letters and the notice list.

One bundled TrueType collection (WenQuanYi Micro Hei) is registered once
and embedded (subset) in every PDF; no built-in PDF font is ever used, so
every font is embedded and all text, Chinese included, can be extracted.

Characters the font lacks (rare name characters such as 䶮) are never
dropped silently: ``Glyphs.clean`` prints a visible □ in their place and
records a warning naming the text and the character, which the writers
return to the caller (a student's name is warned student by student,
``rare_names``).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle
from reportlab.rl_config import _FUZZ

from core.exports import cjkwrap
from core.exports.data import ExportData
from core.exports.output import DEMO_MARK, DEMO_NOTE, time_label
from core.exports.pdf_stream import save_streamed
from core.paths import write_atomic
from core.resources import FONT_FILE

FONT = "ZizhuHei"
FONT_MONO = "ZizhuHeiMono"
FONT_PATH = FONT_FILE
PLACEHOLDER = "□"
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
DRAFT_RED = colors.Color(0.75, 0.05, 0.05)
GRID = colors.Color(0.45, 0.45, 0.45)
HEADER_BG = colors.Color(0.87, 0.92, 0.97)
TOTAL_BG = colors.Color(0.94, 0.94, 0.94)

_lock = threading.Lock()
_cmap: frozenset[int] = frozenset()
_mono = False


def register_fonts(mono: bool = False) -> None:
    """Register the Chinese font once: its proportional face, and its mono face when ``mono``
    is asked (only the reports' hashes and fingerprints use it; reading a face of the font
    costs about 0.3 s, the notice and the letters do not pay it for nothing)."""
    global _cmap, _mono
    with _lock:
        if not _cmap:
            cjkwrap.install()
            regular = TTFont(FONT, str(FONT_PATH), subfontIndex=0)
            pdfmetrics.registerFont(regular)
            # <b>/<i> in paragraphs map to the same face (the font has no bold).
            pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
            _cmap = frozenset(regular.face.charToGlyph)
        if mono and not _mono:
            pdfmetrics.registerFont(TTFont(FONT_MONO, str(FONT_PATH), subfontIndex=1))
            _mono = True


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` the bundled font cannot print."""
    register_fonts()
    if _cmap.issuperset(map(ord, text)):       # (most texts: one pass in C)
        return set()
    return {ch for ch in text if ord(ch) not in _cmap and ch not in "\r\n\t"}


class Glyphs:
    """Collects the missing-character warnings of one document; ``told``: texts already warned
    about in other words (the students' names: ``rare_names.RareNames``), printed with □ unwarned,
    as is a told text's character inside another text (a finding's message naming the student)."""

    def __init__(self, told: Iterable[str] = ()) -> None:
        self.warnings: list[str] = []
        self._told = frozenset(told)

    def clean(self, text: str, label: str = "") -> str:
        """``text`` with unprintable characters replaced by □ (each one warned)."""
        text = str(text)
        missing = missing_glyphs(text)
        if not missing:
            return text
        shown = text if len(text) <= 30 else text[:30] + "…"
        told = "".join(t for t in self._told if t in text)
        for ch in sorted(missing.difference(told), key=text.index):
            w = f"{label}“{shown}”中的“{ch}”字字体中没有，打印时请手写补上"
            if w not in self.warnings:
                self.warnings.append(w)
        return "".join(PLACEHOLDER if ch in missing else ch for ch in text)

    def esc(self, text: str, label: str = "") -> str:
        """Cleaned and escaped for Paragraph markup."""
        return escape(self.clean(text, label))


class Para(Paragraph):  # type: ignore[misc]  # reportlab has no type information: Paragraph is Any
    """A Paragraph that remembers its line breaking per width: platypus wraps a paragraph
    again and again (a table measures then draws each cell, a KeepInFrame wraps then
    draws) and the same paragraph may stand on many pages (the letters' shared parts)."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        memo: dict[float, tuple[Any, ...]] = self.__dict__.setdefault("_memo", {})
        done = memo.get(availWidth)
        if done is not None:
            self.width, self.height, self.blPara, self._wrapWidths = done
            return self.width, self.height
        w, h = super().wrap(availWidth, availHeight)
        if availWidth >= _FUZZ:
            memo[availWidth] = (self.width, self.height, self.blPara, self._wrapWidths)
        return w, h


def _style(name: str, size: float, leading: float | None = None, align: int = TA_LEFT,
           font: str = FONT, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading or size * 1.45,
                          alignment=align, wordWrap="CJK", **kw)


Styles = dict[str, ParagraphStyle]


def styles(mono: bool = False) -> Styles:
    """The documents' paragraph styles; ``mono`` adds "mono" (and reads the font's mono face)."""
    register_fonts(mono)
    st = {
        "title": _style("title", 24, 34, TA_CENTER),
        "subtitle": _style("subtitle", 15, 22, TA_CENTER),
        "h1": _style("h1", 14, 20, spaceBefore=10, spaceAfter=6, keepWithNext=1),
        "h2": _style("h2", 11.5, 17, spaceBefore=6, spaceAfter=4, keepWithNext=1),
        "body": _style("body", 11, 19),
        "indent": _style("indent", 11, 19, firstLineIndent=22),
        "small": _style("small", 8.5, 12, textColor=colors.Color(0.3, 0.3, 0.3), spaceBefore=2),
        "cell": _style("cell", 9, 12.5),
        "cell_c": _style("cell_c", 9, 12.5, TA_CENTER),
        "cell_r": _style("cell_r", 9, 12.5, TA_RIGHT),
        "head": _style("head", 9, 12.5, TA_CENTER),
        "right": _style("right", 11, 19, TA_RIGHT),
        "center": _style("center", 11, 19, TA_CENTER),
        "draft": _style("draft", 12, 18, TA_CENTER, textColor=DRAFT_RED),
    }
    if mono:
        st["mono"] = _style("mono", 9, 12.5, font=FONT_MONO)
    return st


def table(rows: Sequence[Sequence[Any]], widths: Sequence[float], st: dict[str, ParagraphStyle],
          glyphs: Glyphs, *, right: Sequence[int] = (), center: Sequence[int] = (),
          labels: dict[int, str] | None = None, total: bool = False, header: bool = True,
          shared: dict[tuple[str, str], Para] | None = None) -> Table:
    """A gridded table; str cells become wrapping Paragraphs (glyph-checked,
    ``labels`` names a column for the warnings), other flowables pass through.
    The header row repeats on every page; ``total`` shades the last row. With
    ``shared``, cells of the same text and style are one paragraph, laid out once
    (the letters' tables: the same header, items and amounts on every page)."""
    labels = labels or {}
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            if isinstance(v, Flowable):
                cells.append(v)
                continue
            style = st["head"] if header and r == 0 else (
                st["cell_r"] if c in right else st["cell_c"] if c in center else st["cell"])
            text = glyphs.esc("" if v is None else str(v), labels.get(c, ""))
            if shared is None:
                cells.append(Para(text, style))
                continue
            cell = shared.get((text, style.name))
            if cell is None:
                cell = shared[(text, style.name)] = Para(text, style)
            cells.append(cell)
        body.append(cells)
    t = Table(body, colWidths=list(widths), repeatRows=1 if header else 0)
    cmds: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_BG))
    if total:
        cmds.append(("BACKGROUND", (0, -1), (-1, -1), TOTAL_BG))
    t.setStyle(TableStyle(cmds))
    return t


def layout(rows: list[list[Any]], widths: Sequence[float], *cmds: tuple[Any, ...],
           heights: Sequence[float] | None = None) -> Table:
    """A borderless layout table. The font is always set: a Table left at its
    default would pull the built-in, unembedded Helvetica into the PDF."""
    t = Table(rows, colWidths=list(widths), rowHeights=list(heights) if heights else None)
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *cmds]))
    return t


class SealBox(Flowable):  # type: ignore[misc]  # reportlab has no type information: Flowable is Any
    """A dashed square where the school's seal goes, labelled in grey."""

    def __init__(self, size: float = 38 * mm, label: str = "学校盖章") -> None:
        super().__init__()
        self.size, self.label = size, label
        self.width = self.height = size

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setStrokeColor(GRID)
        c.setDash(3, 2)
        c.rect(0, 0, self.size, self.size)
        c.setFillColor(colors.Color(0.55, 0.55, 0.55))
        c.setFont(FONT, 10)
        c.drawCentredString(self.size / 2, self.size / 2 - 4, self.label)
        c.restoreState()


def signature_block(st: Styles, signers: Sequence[str], seal_label: str) -> Table:
    """The signature lines (one per signer, then the date) beside a seal box."""
    line = "＿＿＿＿＿＿＿＿＿＿"
    sign_rows = [[Paragraph(f"{who}（签字）：{line}", st["body"])] for who in signers]
    sign_rows.append([Paragraph("日　　期：＿＿＿＿年＿＿月＿＿日", st["body"])])
    signs = layout(sign_rows, [110 * mm], ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                   ("LEFTPADDING", (0, 0), (-1, -1), 0), heights=[14 * mm] * len(sign_rows))
    return layout([[signs, SealBox(44 * mm, seal_label)]], [120 * mm, 54 * mm],
                  ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (1, 0), "CENTER"))


@dataclass(frozen=True)
class PageSpec:
    """What every page carries: the school, the title, page x/y, draft marks."""

    school: str
    title: str
    draft: bool
    generated: str = ""
    page_numbers: bool = True
    running_header: bool = True
    demo: bool = False               # 演示数据: a demo database's document


def _watermark(c: Canvas, spec: PageSpec) -> None:
    if not (spec.draft or spec.demo):
        return
    c.saveState()
    c.setFillColor(DRAFT_RED)
    c.setFillAlpha(0.10)
    c.setFont(FONT, 100 if spec.demo else 130)
    c.translate(PAGE_W / 2, PAGE_H / 2)
    c.rotate(35)
    c.drawCentredString(0, -35 if spec.demo else -45, DEMO_MARK if spec.demo else "草稿")
    c.restoreState()


def _decorate(c: Canvas, spec: PageSpec, page: int, pages: int) -> None:
    """Running header and footer, drawn once the page count is known."""
    c.saveState()
    top = PAGE_H - 11 * mm
    if spec.running_header:
        c.setFont(FONT, 8.5)
        c.setFillColor(colors.Color(0.3, 0.3, 0.3))
        c.drawString(MARGIN, top, spec.school)
        c.drawRightString(PAGE_W - MARGIN, top, spec.title)
        c.setStrokeColor(colors.Color(0.6, 0.6, 0.6))
        c.setLineWidth(0.5)
        c.line(MARGIN, top - 3, PAGE_W - MARGIN, top - 3)
    if spec.draft or spec.demo:
        c.setFont(FONT, 10)
        c.setFillColor(DRAFT_RED)
        c.drawCentredString(PAGE_W / 2, top, DEMO_NOTE if spec.demo else "【草稿】未最终核准，不得作为正式材料")
    c.setFont(FONT, 8.5)
    c.setFillColor(colors.Color(0.3, 0.3, 0.3))
    bottom = 9 * mm
    if spec.page_numbers:
        c.drawCentredString(PAGE_W / 2, bottom, f"第 {page} 页 / 共 {pages} 页")
        if spec.generated:
            c.drawString(MARGIN, bottom, f"生成时间：{spec.generated}")
    if spec.draft or spec.demo:
        c.setFillColor(DRAFT_RED)
        c.drawRightString(PAGE_W - MARGIN, bottom, "　".join(
            [DEMO_MARK] * spec.demo + ["草稿"] * spec.draft))
    c.restoreState()


# Page entries reportlab sets to None on every page and reads only with a default when it
# writes the file (PDFCatalog.format's getattr(page, key, None)): dropped from a kept page.
_UNREAD = ("CropBox", "Thumb", "B", "Dur", "Hid", "AA", "PieceInfo", "LastModified", "SeparationInfo",
           "ArtBox", "TrimBox", "BleedBox", "ID", "PZ")
_NO_TRANSITION = pdfdoc.PDFDictionary({})


class _PageStream(pdfdoc.PDFStream):  # type: ignore[misc]  # reportlab has no type information
    """A page's content stream, already filtered (finish_page): no instance dictionary, and its
    content dropped once it is in the file (all pages are kept until the file is complete)."""

    __slots__ = ("content", "dictionary", "filters")
    __Comment__ = "page stream"

    def __init__(self, dictionary: Any, content: Any) -> None:
        self.dictionary, self.content, self.filters = dictionary, content, None

    def format(self, document: Any) -> Any:
        """Written once (reportlab writes a document once): the file's copy is the only one kept."""
        out = super().format(document)
        self.content = b""
        return out


def finish_page(page: pdfdoc.PDFPage, shared: dict[tuple[Any, ...], Any]) -> None:
    """Make a finished page small for the time reportlab keeps it (every page, until the file
    is written: thousands of letters): its content stream compressed now instead of then (about
    a third of the text), its unset entries dropped, and the parts pages have alike (the forms it
    uses, its resources, media box and empty transition, made as reportlab makes them) shared.
    The bytes written stay the same: the same filters in the order reportlab applies them, the
    filter list set as reportlab sets it (tests/test_letters_canvas.py compares them)."""
    if page.compression and page.Contents is None and isinstance(page.stream, str):
        filters = [pdfdoc.PDFBase85Encode, pdfdoc.PDFZCompress] if rl_config.useA85 else [pdfdoc.PDFZCompress]
        content: Any = page.stream
        for f in reversed(filters):
            content = f.encode(content)
        names = tuple(f.pdfname for f in filters)
        head = shared.get(("filters", *names))     # PDFStream.format copies its dictionary: one for all
        if head is None:
            head = shared[("filters", *names)] = pdfdoc.PDFDictionary(
                {"Filter": pdfdoc.PDFArray([pdfdoc.PDFName(n) for n in names])})
        page.Contents, page.stream = _PageStream(head, content), None
    d = page.__dict__
    for key in _UNREAD:
        if key in d and d[key] is None:
            del d[key]
    if isinstance(page.Trans, pdfdoc.PDFDictionary) and not page.Trans.dict:
        page.Trans = _NO_TRANSITION
    if isinstance(page.XObjects, pdfdoc.PDFDictionary):
        page.XObjects = shared.setdefault(("forms", *sorted(page.XObjects.dict)), page.XObjects)
    if isinstance(page.ExtGState, pdfdoc.PDFDictionary):       # the document's states so far, on every page
        states = sorted((name, tuple(v.dict.items())) for name, v in page.ExtGState.dict.items())
        page.ExtGState = shared.setdefault(("states", *states), page.ExtGState)
    if page.MediaBox is None and page.Rotate not in (90, 270):
        page.MediaBox = shared.setdefault(("box", page.pagewidth, page.pageheight),
                                          pdfdoc.PDFArray([0, 0, page.pagewidth, page.pageheight]))
    if not page.Annots:
        page.Annots = None                     # as PDFPage.check_format sets it
    if page.Resources is None and not page._colorsUsed and not page._shadingUsed:
        same = ("page resources", id(page.XObjects), id(page.ExtGState), bool(page.hasImages))
        resources = shared.get(same)
        if resources is None:                  # what PDFPage.check_format makes for each page
            resources = shared[same] = pdfdoc.PDFResourceDictionary()
            resources.basicFonts()
            if page.hasImages:
                resources.allProcs()
            else:
                resources.basicProcs()
            if page.XObjects:
                resources.XObject = page.XObjects
            if page.ExtGState:
                resources.ExtGState = page.ExtGState
        page.Resources = resources
        del d["_colorsUsed"], d["_shadingUsed"]          # empty, and only read to make the resources
    page.__dict__ = dict(d)                    # sized for what is left


class _DeferredCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type information: Canvas is Any
    """Keeps every page until the end so the footer can say “共 N 页”; a document without
    page numbers (the letters) has each page finished at once, so it holds no page open,
    and made small (``finish_page``)."""

    spec: PageSpec

    def __init__(self, *args: Any, **kw: Any) -> None:
        register_fonts()
        kw["initialFontName"] = FONT     # never the built-in (unembedded) Helvetica
        kw.setdefault("initialFontSize", 10)
        super().__init__(*args, **kw)
        self._pages: list[dict[str, Any]] = []
        self._shared: dict[tuple[Any, ...], Any] = {}       # finish_page's

    def showPage(self) -> None:
        if not self.spec.page_numbers:              # the same marks on every page: drawn once (a form)
            if not self.hasForm("page-marks"):
                self.beginForm("page-marks")
                _decorate(self, self.spec, self._pageNumber, 0)
                self.endForm()
            self.doForm("page-marks")
            Canvas.showPage(self)
            finish_page(self._doc.Pages.pages[-1], self._shared)
            return
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            _decorate(self, self.spec, self._pageNumber, total)
            Canvas.showPage(self)
        save_streamed(self)


class LazyStory(list[Flowable]):
    """A story made while platypus lays it out: the layout takes flowables from the front
    of its list, so only the next few parts exist at a time and memory stays flat however
    long the document (thousands of letters)."""

    AHEAD = 16

    def __init__(self, parts: Iterable[list[Flowable]]) -> None:
        super().__init__()
        self._parts: Iterator[list[Flowable]] | None = iter(parts)

    def __len__(self) -> int:
        while self._parts is not None and list.__len__(self) < self.AHEAD:
            part = next(self._parts, None)
            if part is None:
                self._parts = None
            else:
                self.extend(part)
        return list.__len__(self)


def frame(x: float, y: float, w: float, h: float, fid: str = "body") -> Frame:
    return Frame(x, y, w, h, id=fid, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)


def body_frame() -> Frame:
    return frame(MARGIN, 16 * mm, PAGE_W - 2 * MARGIN, PAGE_H - 16 * mm - 17 * mm)


def build_pdf(path: str | Path, story: list[Flowable], spec: PageSpec, data: ExportData, glyphs: Glyphs,
              frames: list[Frame] | None = None,
              on_page: Callable[[Canvas, Any], None] | None = None) -> list[str]:
    """Lay out ``story`` on A4 pages and write it to ``path`` atomically.

    Returns the glyph warnings (the header text is checked too)."""
    spec = PageSpec(spec.school, spec.title, spec.draft, spec.generated or time_label(data), spec.page_numbers,
                    spec.running_header, demo=data.demo)
    return render_pdf(path, story, spec, glyphs, subject=f"{data.school.year_label} {spec.title}",
                      creator=f"Zizhu {data.program_version}", frames=frames, on_page=on_page)


def render_pdf(path: str | Path, story: list[Flowable], spec: PageSpec, glyphs: Glyphs, *, subject: str,
               creator: str, frames: list[Frame] | None = None,
               on_page: Callable[[Canvas, Any], None] | None = None) -> list[str]:
    """``build_pdf`` for a document that is not made of a school's ExportData (the receiver's
    report): ``spec`` says everything the pages carry."""
    register_fonts()
    spec = PageSpec(glyphs.clean(spec.school, "学校名称"), spec.title, spec.draft, spec.generated,
                    spec.page_numbers, spec.running_header, demo=spec.demo)
    canvas_class = type("PageCanvas", (_DeferredCanvas,), {"spec": spec})

    def page(c: Canvas, doc: Any) -> None:
        _watermark(c, spec)
        if on_page is not None:
            on_page(c, doc)

    def write(tmp: Path) -> None:
        doc = BaseDocTemplate(str(tmp), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                              topMargin=17 * mm, bottomMargin=16 * mm,
                              title=spec.title + ("（草稿）" if spec.draft else "")
                              + (f"（{DEMO_MARK}）" if spec.demo else ""),
                              author=spec.school, subject=subject, creator=creator, lang="zh-CN")
        doc.addPageTemplates([PageTemplate("page", frames or [body_frame()], onPage=page)])
        doc.build(story, canvasmaker=canvas_class)

    write_atomic(path, write)
    return list(glyphs.warnings)
