"""core.exports.pdf_canvas: the ruled table drawn on the canvas puts every character where
pdf_common.table's platypus Table of paragraphs put it, page breaks and repeated headers
included, and wraps only the cells that do not fit."""
from __future__ import annotations

import pytest
from export_dump import _glyph_places
from pdftext import page_count, pdf_text
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from core.exports.cjkwrap import CANNOT_START
from core.exports.pdf_canvas import RuledTable, TextWidths, ruled_table, wrap_text
from core.exports.pdf_common import FONT, Glyphs, PageSpec, render_pdf, styles, table

WIDTHS = [11 * mm, 19 * mm, 30 * mm, 66 * mm, 22 * mm]
ITEMS = ["免学费 (A\\B) 1600.00", "免学费 1600.00；免书本费 475.30；免住宿费 800.00；国家助学金 2000.00",
         "本科生、硕士研究生资助 3000.00；生源地助学贷款（一次性就学资助）2022.00", ""]


def _rows(n: int) -> list[list[str]]:
    rows = [["序号", "姓名", "学校", "资助项目及金额（元）", "合计（元）"]]
    for i in range(1, n + 1):
        rows.append([str(i), ["张三", "欧阳  明月", "李四"][i % 3], "建始县第一中学" if i % 5 else "建始县民族实验中学附属小学",
                     ITEMS[i % len(ITEMS)], f"{i * 37.5:,.2f}"])
    rows.append(["合计", f"{n}人", "", "", "1,234.50"])
    return rows


def _write(path, table_flowable, glyphs):
    st = styles()
    story = [Paragraph("标题", st["subtitle"]), Spacer(1, 4 * mm), table_flowable,
             Spacer(1, 10 * mm), Paragraph("落款", st["right"])]
    return render_pdf(path, story, PageSpec("建始县第一中学", "测试", False, "2024-04-20 15:30"), glyphs,
                      subject="测试", creator="test")


@pytest.mark.parametrize("n", [3, 130])
def test_same_characters_in_the_same_places_as_the_paragraph_table(tmp_path, n):
    rows = _rows(n)
    kw = {"right": (4,), "center": (0,), "labels": {1: "姓名"}, "total": True}
    g_old, g_new = Glyphs(), Glyphs()
    old = _write(tmp_path / "old.pdf", table(rows, WIDTHS, styles(), g_old, **kw), g_old)
    new = _write(tmp_path / "new.pdf", ruled_table(rows, WIDTHS, g_new, **kw), g_new)
    pages = page_count(tmp_path / "old.pdf")
    assert page_count(tmp_path / "new.pdf") == pages and pages == (1 if n == 3 else 5)
    for p in range(1, pages + 1):
        assert pdf_text(tmp_path / "new.pdf", p).split() == pdf_text(tmp_path / "old.pdf", p).split()
    assert _glyph_places(tmp_path / "new.pdf") == _glyph_places(tmp_path / "old.pdf")
    assert new == old == []


def test_header_repeats_on_every_page_and_every_row_is_listed_once(tmp_path):
    rows = _rows(130)
    _write(tmp_path / "t.pdf", ruled_table(rows, WIDTHS, Glyphs(), total=True), Glyphs())
    listed = []
    for p in range(1, page_count(tmp_path / "t.pdf") + 1):
        lines = pdf_text(tmp_path / "t.pdf", p).splitlines()
        assert any("序号" in line and "合计（元）" in line for line in lines[:8]), f"page {p} has no header"
        listed += [int(line.split()[0]) for line in lines if line.split() and line.split()[0].isdigit()
                   and "建始县" in line]
    assert listed == list(range(1, 131))


def test_split_keeps_rows_whole_and_refuses_when_no_row_fits():
    t = ruled_table(_rows(40), WIDTHS, Glyphs())
    head = 12.5 + 6
    assert t.split(WIDTHS[0], head + 5) == []                 # the header alone: move to the next page
    first, rest = t.split(sum(WIDTHS), 300)
    assert first.height <= 300 and first.height + rest.height > t.height  # the header is in both parts
    assert rest.height - head == pytest.approx(t.height - first.height)
    assert t.split(sum(WIDTHS), t.height) == [t]


def test_what_follows_the_last_row_takes_the_last_rows_along_when_it_does_not_fit_under_them():
    st = styles()
    sign = [Spacer(1, 10 * mm), Paragraph("落款", st["right"])]
    t = ruled_table(_rows(10), WIDTHS, Glyphs(), total=True, after=sign)
    frame = 200 * mm
    _w, whole = t.wrap(frame, 1000)
    plain = ruled_table(_rows(10), WIDTHS, Glyphs(), total=True)
    assert whole > plain.height                          # the signature is part of the last part's height
    first, rest = t.split(frame, plain.height + 1)       # every row fits, the signature does not
    assert rest._span == (len(_rows(10)) - 2, len(_rows(10)))          # the last student and the total
    assert first.wrap(frame, 1000)[1] == pytest.approx(first._height(*first._span))    # no signature
    assert rest.wrap(frame, 1000)[1] > rest._height(*rest._span)                        # the signature
    assert t.split(frame, whole) == [t]
    short = ruled_table(_rows(1), WIDTHS, Glyphs(), total=True).height        # one student and the total
    assert ruled_table(_rows(1), WIDTHS, Glyphs(), total=True, after=sign).split(frame, short + 1) == []  # all over


def test_a_notice_never_ends_with_its_school_and_date_alone_on_a_page(tmp_path):
    """Whatever the list's length, its last page holds list rows above the school's name and date
    (where it is stamped). Before, 60, 74, 102, 103 … students left them alone on a last page."""
    from core.exports.notice import write_notice_pdf
    from core.exports.output import date_label
    from core.exports.sample import sample_export_data

    for n in range(55, 125):
        data = sample_export_data(n)
        path = tmp_path / f"{n}.pdf"
        write_notice_pdf(path, data)
        pages = page_count(path)
        last = "".join(pdf_text(path, pages).split())
        total = last.find("合计" + f"{sum(1 for _s, r in data.pairs() if r.granted)}人")
        assert total >= 0, f"{n} students: the last page has no list rows"
        assert last.find("".join(date_label(data).split()), total) >= 0, f"{n} students: no date under the list"


def test_a_cell_is_wrapped_only_when_it_does_not_fit():
    widths = TextWidths(FONT, 9)
    assert wrap_text("张三", 40, widths) == [(pytest.approx(40 - widths("张三")), "张三")]
    assert wrap_text("", 40, widths) == []
    text = "本科生、硕士研究生资助 3000.00；生源地助学贷款（一次性就学资助）2022.00，已发放。"
    lines = wrap_text(text, 100, widths)
    assert len(lines) > 2 and "".join(line for _, line in lines) == text
    for room, line in lines:
        assert room >= -0.01 and widths(line) <= 100.01
        assert line[0] not in CANNOT_START


def test_missing_characters_are_shown_and_warned_like_the_paragraph_table(tmp_path):
    rows = [["序号", "姓名"], ["1", "王䶮"], ["2", "王䶮"]]
    g_old, g_new = Glyphs(), Glyphs()
    table(rows, [20 * mm, 30 * mm], styles(), g_old, labels={1: "姓名"})
    t = ruled_table(rows, [20 * mm, 30 * mm], g_new, labels={1: "姓名"})
    assert g_new.warnings == g_old.warnings and len(g_new.warnings) == 1 and "䶮" in g_new.warnings[0]
    _write(tmp_path / "t.pdf", t, g_new)
    assert "王□" in pdf_text(tmp_path / "t.pdf")


def test_a_part_shares_the_measured_rows():
    t = RuledTable(_rows(200), ruled_table(_rows(1), WIDTHS, Glyphs()).columns, Glyphs())
    first, rest = t.split(sum(WIDTHS), 400)
    assert first._rows is t._rows is rest._rows


def test_text_widths_are_reportlabs():
    from reportlab.pdfbase.pdfmetrics import stringWidth
    widths = TextWidths(FONT, 9)
    for text in ("张三", "免学费 1600.00；免书本费 475.30", "王䶮 ABC xyz", ""):
        assert widths(text) == stringWidth(text, FONT, 9)
    assert TextWidths("Helvetica", 9)("abc") == stringWidth("abc", "Helvetica", 9)


def test_a_long_notice_lists_every_subsidised_student_once_in_order_under_a_header_on_every_page(tmp_path):
    from core.exports.notice import write_notice_pdf
    from core.exports.sample import sample_export_data
    from core.money import format_fen

    data = sample_export_data(400)
    granted = [(s, r) for s, r in data.pairs() if r.granted]
    assert write_notice_pdf(tmp_path / "n.pdf", data) == []
    pages = page_count(tmp_path / "n.pdf")
    assert pages >= 3
    flat = ""
    for p in range(1, pages + 1):
        text = "".join(pdf_text(tmp_path / "n.pdf", p).split())
        assert "序号姓名学校年级资助项目及金额（元）合计（元）" in text, f"page {p}: no header"
        flat += text
    at = 0
    for n, (s, r) in enumerate(granted, start=1):
        found = flat.find(f"{n}{s.name}{data.school.name}", at)
        assert found >= at, f"row {n} ({s.name}) missing or out of order"
        assert format_fen(r.total_fen) in flat[found:found + 200]
        at = found + 1
    assert flat.count(data.school.name) == len(granted) + 2 + pages   # rows, title, signature, running headers


def test_strings_are_escaped_as_reportlab_escapes_them():
    from reportlab.lib.rl_accel import escapePDF

    from core.exports.pdf_canvas import _ESCAPED
    every = bytes(range(256))
    assert every.decode("latin-1").translate(_ESCAPED) == escapePDF(every)


def test_a_number_is_wrapped_as_cjkwrap_wraps_it():
    # The font's digits are tabular: a number's lines are those of as many zeros, its digits kept
    from core.exports.pdf_canvas import _number_lines
    widths = TextWidths(FONT, 9)
    assert widths.tabular
    shapes: dict = {}
    for width in (11 * mm - 12, 19 * mm - 12, 12.0, 30.0):
        for n in [*range(0, 1200), 7425, 12345, 99999, 100000, 1234567]:
            text = str(n)
            assert _number_lines(text, width, widths, shapes) == wrap_text(text, width, widths), (text, width)
    assert len(_number_lines("1000", 11 * mm - 12, widths, shapes)) == 2       # a 序号 over 999: two lines


@pytest.mark.parametrize("text", ["张三", "欧阳  明月", " 王五", "李四 ", "a\tb", "甲\n乙", "甲\xa0乙", "甲\u3000乙",
                                  "免学费 1600.00；免书本费 475.30", "", "  ", "\n"])
def test_cells_are_cleaned_as_a_paragraph_cleans_them(text):
    from reportlab.platypus.paragraph import cleanBlockQuotedText

    from core.exports.pdf_canvas import clean_text
    assert clean_text(text) == cleanBlockQuotedText(text)


def test_a_text_the_font_prints_has_no_missing_glyph_and_one_it_cannot_has():
    from core.exports.pdf_common import missing_glyphs
    assert missing_glyphs("张三 1,600.00；") == set()
    assert missing_glyphs("王䶮\n") == {"䶮"}
