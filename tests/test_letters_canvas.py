"""Letters drawn straight on the canvas (core.exports.letters_draw): plain text is broken into
the lines a Paragraph makes, the parts every letter shares are drawn once (PDF forms), an
overlong letter is still shrunk onto its page, finished pages are made small without changing
a byte, and the letters' lighter gathering prints what the full one prints. That every
character stays where it was is tests/test_exports_unchanged.py's."""
from __future__ import annotations

from dataclasses import replace

import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from pdftext import page_count, pdf_text
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.rl_config import _FUZZ

from core.exports import cjkwrap, pdf_common
from core.exports.letters import CUT_Y, RECEIPT_Y, write_letters
from core.exports.pdf_common import FONT, register_fonts
from core.exports.sample import sample_export_data

TEXT = "您好！根据《建始县教育扶贫“百日攻坚”资助政策》（建教助〔2025〕12号 第三条），经核对、如有疑问请拨打 0718-3321234 反映。Ab"


@pytest.fixture(scope="module")
def data():
    return sample_export_data(300, seed=3)


def _reference(text: str, widths: list[float], size: float) -> list[tuple[float, str]]:
    """The lines cjkwrap breaks a one-fragment Paragraph into (glyph objects, unit by unit)."""
    used = stringWidth(text, FONT, size)
    if used <= widths[0] + _FUZZ:
        return [(widths[0] - used, text)]
    units = cjkwrap._units([cjkwrap._Font(text, FONT, size)], "utf8")
    return [(width - room, "".join(u for unit in line for u in unit))
            for line, room, _br, width in cjkwrap._break(units, widths)]


@settings(max_examples=400, deadline=None)
@given(text=hs.text(alphabet=TEXT, max_size=120), first=hs.floats(30, 400), rest=hs.floats(30, 400),
       size=hs.sampled_from([9, 10, 11, 12]))
def test_split_text_breaks_exactly_as_the_paragraphs_line_breaker(text, first, rest, size):
    register_fonts()
    assert cjkwrap.split_text(text, [first, rest], FONT, size) == _reference(text, [first, rest], size)


def _forms(path) -> int:
    return path.read_bytes().count(b"/Subtype /Form")


def test_the_parts_every_letter_shares_are_drawn_once(data, tmp_path):
    keys = [s.key for s, r in data.pairs() if r.granted]
    few, many = tmp_path / "few.pdf", tmp_path / "many.pdf"
    write_letters(few, data, keys=keys[:3])
    write_letters(many, data, keys=keys[:40])
    # title, closing words, receipt head, signature lines, cut line, the page's marks (草稿 …)
    assert _forms(few) == _forms(many) == 6
    assert page_count(many) == 40
    for p in (1, 40):                              # what a form holds is on every page
        text = pdf_text(many, p)
        assert "资助结果告知书" in text and "家长签字" in text and "盖章处" in text and "内容已知悉" in text


def test_finished_pages_are_made_small_without_changing_a_byte(data, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_common.rl_config, "invariant", 1)       # no time stamp or random id
    write_letters(tmp_path / "small.pdf", data)
    monkeypatch.setattr(pdf_common, "finish_page", lambda page, shared: None)
    write_letters(tmp_path / "kept.pdf", data)
    assert (tmp_path / "small.pdf").read_bytes() == (tmp_path / "kept.pdf").read_bytes()


def _chars(path):
    doc = pdfium.PdfDocument(str(path))
    try:
        tp = doc[0].get_textpage()
        return [(tp.get_text_range(k, 1), tp.get_charbox(k)) for k in range(tp.count_chars())]
    finally:
        doc.close()


def test_an_overlong_household_letter_is_shrunk_onto_its_page(data, tmp_path):
    kids = [s for s, r in data.pairs() if len(r.granted) > 1][:12]
    students = [replace(s, household_no="H-12", head_name="刘大山", township="城关镇", village="东村") if s in kids else s
                for s in data.students]
    path = tmp_path / "household.pdf"
    write_letters(path, replace(data, students=students), keys=[s.key for s in kids], per_household=True)
    assert page_count(path) == 1
    text = pdf_text(path)
    assert all(text.count(s.name) >= 2 for s in kids)             # in the table and on the receipt
    chars = _chars(path)
    seal = [box for ch, box in chars if ch == "盖"]               # 盖章处, （盖章）: the body's last lines
    sign = [box for ch, box in chars if ch == "期"]               # 日期: the receipt's last line
    assert len(seal) == 2 and all(box[1] > CUT_Y for box in seal)
    assert len(sign) == 1 and RECEIPT_Y < sign[0][1] < sign[0][3] < CUT_Y
    greeting = next(box for ch, box in chars if ch == "敬")
    assert greeting[3] - greeting[1] < 10                         # shrunk: 12 pt text drawn smaller


def test_the_letters_gathering_prints_what_the_full_gathering_prints(demo_db, tmp_path):
    from sqlalchemy import select

    from db.exports import gather, gather_letters
    from db.models import ON_LIST, Student
    with demo_db.session() as s:
        keys = list(s.scalars(select(Student.id).where(ON_LIST).order_by(Student.id).limit(40)))
    light = gather_letters(demo_db, keys=keys, draft=True).data
    with demo_db.session() as s:
        full = replace(gather(s, draft=True, keys=keys), generated_at=light.generated_at)
    assert full.findings and full.audit is not None
    assert light.findings == [] and light.audit is None            # never printed on a letter
    assert write_letters(tmp_path / "light.pdf", light, keys=keys) == write_letters(tmp_path / "full.pdf", full,
                                                                                    keys=keys)
    n = page_count(tmp_path / "full.pdf")
    assert n == len(keys) and page_count(tmp_path / "light.pdf") == n
    for p in range(1, n + 1):
        assert pdf_text(tmp_path / "light.pdf", p) == pdf_text(tmp_path / "full.pdf", p)
