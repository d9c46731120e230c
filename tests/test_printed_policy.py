"""The letters and the public notice name the policy their amounts were computed with: its title,
its version and the start of its file's SHA-256 (``core.exports.output.policy_line``), so two
printouts made under different policies can be told apart."""
import re
from dataclasses import replace

import openpyxl
import pytest
from pdftext import page_count, pdf_text

from cli.commands import run
from core.exports.letters import write_letters
from core.exports.notice import write_notice_pdf
from core.exports.notice_xlsx import HEADER_ROW, write_notice_xlsx
from core.exports.output import policy_line
from core.exports.sample import sample_export_data
from db.workflows import fill_demo

VERSION = "2023–2024学年 第2版"


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def data():
    return replace(sample_export_data(), policy_version=VERSION, policy_version_number=2)


def test_the_line_names_title_version_and_hash(data):
    sha = data.policy.sha256
    assert policy_line(data) == f"依据：《{data.official.title}》（{VERSION}，政策文件校验码 {sha[:8]}）"
    unknown = replace(data, policy_version="", policy_version_number=0)
    assert policy_line(unknown) == f"依据：《{data.official.title}》（政策文件校验码 {sha[:8]}）"


def test_every_letter_and_the_notice_print_it(data, tmp_path):
    line = flat(policy_line(data))
    letters = tmp_path / "letters.pdf"
    write_letters(letters, data)
    n = page_count(letters)
    assert n > 1
    for page in range(1, n + 1):
        assert line in flat(pdf_text(letters, page)), page
    notice = tmp_path / "notice.pdf"
    write_notice_pdf(notice, data)
    assert line in flat(pdf_text(notice, 1))
    book = tmp_path / "notice.xlsx"
    write_notice_xlsx(book, data)
    ws = openpyxl.load_workbook(book).active
    assert ws.cell(HEADER_ROW - 1, 1).value == policy_line(data)
    assert ws.cell(HEADER_ROW, 1).value == "序号"


def test_the_printed_version_is_the_one_in_force(db, tmp_path, capsys):
    fill_demo(db, n_students=40)
    path = str(db.path)
    db.close()

    def printed(tag):
        letters, notice, book = tmp_path / f"{tag}.pdf", tmp_path / f"{tag}-notice.pdf", tmp_path / f"{tag}.xlsx"
        assert run(["--db", path, "letters", str(letters), "--draft"]) == 0
        assert run(["--db", path, "notice", str(notice), str(book)]) == 0
        found = re.findall(r"依据：《[^》]+》（[^）]+）", flat(pdf_text(letters, 1)))
        assert found and found[0] in flat(pdf_text(notice, 1))
        ws = openpyxl.load_workbook(book).active
        assert flat(ws.cell(HEADER_ROW - 1, 1).value) == found[0]
        return found[0]

    first = printed("v1")
    number = int(re.search(r"第(\d+)版", first).group(1))
    assert run(["--db", path, "policy", "set", "学前教育资助标准", "2500"]) == 0
    second = printed("v2")
    assert f"第{number + 1}版" in second
    assert first.split("校验码")[1] != second.split("校验码")[1]       # another file, another hash
    capsys.readouterr()
