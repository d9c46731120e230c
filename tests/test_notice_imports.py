"""What a notice loads in a fresh process: the font's mono face only for the documents that use
it (the reports' hashes and fingerprints; reading a face costs about 0.3 s), and only the library
of the file it writes."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CODE = """
import sys
from reportlab.pdfbase import pdfmetrics
from core.exports.sample import sample_export_data
from core.exports.notice import write_notice_pdf
from core.exports.letters import write_letters
from core.exports.report import write_report
out = sys.argv[1]
data = sample_export_data(12)
write_notice_pdf(out + "/n.pdf", data)
write_letters(out + "/l.pdf", data)
before = "ZizhuHeiMono" in pdfmetrics.getRegisteredFontNames()
write_report(out + "/r.pdf", data)
print(before, "ZizhuHeiMono" in pdfmetrics.getRegisteredFontNames())
"""


def test_the_mono_face_is_read_only_for_the_report(tmp_path):
    out = subprocess.run([sys.executable, "-c", _CODE, str(tmp_path)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
    from pdftext import pdf_text
    assert "签名公钥指纹" in pdf_text(tmp_path / "r.pdf")


_NOTICE = """
import sys
from db.session import open_database
from db.exports import export_notice
from db.workflows import fill_demo
d = open_database(sys.argv[1] + "/d.sqlite")
fill_demo(d, n_students=30)
before = {m for m in ("reportlab", "openpyxl") if m in sys.modules}
export_notice(d, sys.argv[1] + "/n." + sys.argv[2])
print(sorted(before), sorted(m for m in ("reportlab", "openpyxl") if m in sys.modules))
"""


def test_a_notice_command_imports_only_its_own_files_library(tmp_path):
    """`notice OUT.pdf` never loads openpyxl, `notice OUT.xlsx` never reportlab (0.13 s each
    of a command's start): the notice's words live apart from both writers."""
    for suffix, loaded in (("pdf", "reportlab"), ("xlsx", "openpyxl")):
        (tmp_path / suffix).mkdir()
        out = subprocess.run([sys.executable, "-c", _NOTICE, str(tmp_path / suffix), suffix], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        assert out.stdout.split("\n")[-2] == f"[] ['{loaded}']", out.stdout
        assert (tmp_path / suffix / f"n.{suffix}").stat().st_size > 1000
