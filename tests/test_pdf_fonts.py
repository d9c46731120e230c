"""The font's mono face is read only by the documents that use it (the reports' hashes and
fingerprints): reading a face costs about 0.3 s, which the notice and the letters saved."""
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
