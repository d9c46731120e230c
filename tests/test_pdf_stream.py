"""Our PDFs are written to their file piece by piece as reportlab formats them
(core.exports.pdf_stream), not joined in memory first, and the bytes are reportlab's own."""
from __future__ import annotations

import io

import pytest
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from core.exports import pdf_common, pdf_stream
from core.exports.letters import write_letters
from core.exports.pdf_common import FONT, register_fonts
from core.exports.sample import sample_export_data


@pytest.fixture
def invariant(monkeypatch):
    monkeypatch.setattr(pdf_common.rl_config, "invariant", 1)       # no time stamp or random id


def _drawn(target) -> Canvas:
    register_fonts()
    c = Canvas(target)
    for n in range(30):
        c.setFont(FONT, 12)
        c.drawString(72, 720, f"第 {n + 1} 页：资助结果告知书")
        c.showPage()
    return c


class _Pieces(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.pieces = 0

    def write(self, b) -> int:
        self.pieces += 1
        return super().write(b)


def test_a_streamed_save_writes_reportlabs_bytes_piece_by_piece(invariant, tmp_path):
    _drawn(str(tmp_path / "own.pdf")).save()                     # reportlab's own save
    streamed = _Pieces()
    pdf_stream.save_streamed(_drawn(streamed))
    assert streamed.getvalue() == (tmp_path / "own.pdf").read_bytes()
    assert streamed.pieces > 60                   # each object as it is formatted (30 pages: 2 objects each)
    path = tmp_path / "streamed.pdf"
    pdf_stream.save_streamed(_drawn(str(path)))   # a file name: opened and closed by the save
    assert path.read_bytes() == streamed.getvalue()


def test_outside_a_streamed_save_reportlab_collects_as_before(invariant):
    own = _Pieces()
    _drawn(own).save()
    assert own.pieces == 1                        # the joined file, written once
    assert _drawn(io.BytesIO()).getpdfdata() == own.getvalue()
    assert getattr(pdf_stream._SINK, "file", None) is None
    assert issubclass(pdfdoc.PDFFile, pdf_stream._StreamedFile)


def test_a_failed_streamed_save_leaves_no_file_named_for_the_next(invariant, monkeypatch):
    c = _drawn(io.BytesIO())
    monkeypatch.setattr(c._doc, "GetPDFData", lambda canvas: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        pdf_stream.save_streamed(c)
    assert getattr(pdf_stream._SINK, "file", None) is None


def test_letters_are_streamed_with_unchanged_bytes(invariant, tmp_path, monkeypatch):
    data = sample_export_data(60, seed=5)
    write_letters(tmp_path / "streamed.pdf", data)
    monkeypatch.setattr(pdf_common, "save_streamed", lambda canvas: Canvas.save(canvas))
    write_letters(tmp_path / "joined.pdf", data)
    assert (tmp_path / "streamed.pdf").read_bytes() == (tmp_path / "joined.pdf").read_bytes()


def test_a_save_inside_another_writes_to_its_own_file(invariant, tmp_path, monkeypatch):
    """A document saved while another's streamed save is under way (none is today) goes to its own
    file, streamed or not, and leaves the outer save's file as it was."""
    expected = _drawn(io.BytesIO()).getpdfdata()
    outer, inner, plain = _Pieces(), _Pieces(), io.BytesIO()
    real = pdfdoc.PDFDocument.SaveToFile

    def saving(doc, target, canvas):
        if target is outer:
            pdf_stream.save_streamed(_drawn(inner))      # (nested: streamed)
            _drawn(plain).save()                          # (nested: reportlab's own save)
        return real(doc, target, canvas)
    monkeypatch.setattr(pdfdoc.PDFDocument, "SaveToFile", saving)
    pdf_stream.save_streamed(_drawn(outer))
    assert inner.getvalue() == plain.getvalue() == outer.getvalue() == expected
    assert getattr(pdf_stream._SINK, "file", None) is None
