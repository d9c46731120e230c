"""The version, from the one source (package metadata), in every export and the package manifest."""
import json
import zipfile

import pypdfium2 as pdfium
import pytest
from conftest import two_student_school
from openpyxl import load_workbook

from cli.commands import run
from core import version as version_module
from core.idnumber import make_id

FAKE = "9.8.7"


@pytest.fixture
def fake_version(monkeypatch):
    monkeypatch.setattr("importlib.metadata.version", lambda name: {"zizhu": FAKE}[name])   # (read at the call)
    version_module.program_version.cache_clear()
    yield f"Zizhu {FAKE}"
    version_module.program_version.cache_clear()


def _creator(pdf) -> str:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return doc.get_metadata_dict()["Creator"]
    finally:
        doc.close()


def test_every_export_names_the_program_version(tmp_path, fake_version):
    from datetime import date
    db = str(two_student_school(tmp_path / "v.sqlite"))
    for born, seq in ((date(2008, 5, 1), 123), (date(2019, 3, 1), 124)):
        assert run(["--db", db, "verify-student", make_id("110101", born, seq)]) == 0
    pw = tmp_path / "pw.txt"
    pw.write_text("school-secret-1\n", encoding="utf-8")
    pkg = tmp_path / "p.zip"
    assert run(["--db", db, "export", str(pkg), "--letters", "--passphrase-file", str(pw)]) == 0
    with zipfile.ZipFile(pkg) as z:
        assert json.loads(z.read("manifest.json"))["program_version"] == FAKE
        z.extractall(tmp_path / "pkg")
    for pdf in ("report.pdf", "notice.pdf", "letters.pdf"):
        assert _creator(tmp_path / "pkg" / pdf) == fake_version, pdf
    book = load_workbook(tmp_path / "pkg" / "workbook.xlsx")
    assert book.properties.creator == fake_version
    assert any(row == ("程序版本", fake_version) for ws in book.worksheets
               for row in ws.iter_rows(values_only=True, max_col=2))
    assert run(["--db", db, "notice", str(tmp_path / "n.xlsx")]) == 0
    assert load_workbook(tmp_path / "n.xlsx").properties.creator == fake_version
    assert run(["--db", db, "notice", str(tmp_path / "n.pdf")]) == 0
    assert _creator(tmp_path / "n.pdf") == fake_version
    assert run(["--db", db, "letters", str(tmp_path / "l.pdf")]) == 0
    assert _creator(tmp_path / "l.pdf") == fake_version


def test_about_shows_the_version(fake_version):
    from gui.help import about_text
    assert f"版本 {FAKE}" in about_text()
