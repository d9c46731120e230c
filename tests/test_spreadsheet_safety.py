"""A spreadsheet is data, never code: no text Zizhu writes into a workbook becomes
a formula (cells, titles, page headers), whatever the clerk or an imported file
put into a name, a school name, a class, a village or an acceptance reason."""
from __future__ import annotations

import dataclasses
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from cli.commands import run
from core.exports.notice import write_notice_xlsx
from core.exports.sample import sample_export_data
from core.exports.workbook import write_workbook
from core.exports.xlsx_common import header_text
from core.idnumber import make_id
from core.importers.problems import write_problem_rows
from core.importers.templates import write_template
from core.records import ParsedRow

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+2",
    "\r=1+2",
]
_FORMULA_XML = re.compile(rb"<(?:\w+:)?f[\s>/]")


def assert_no_formula(path: Path) -> None:
    """Neither openpyxl nor the raw sheet XML sees a formula anywhere."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not _FORMULA_XML.search(zf.read(name)), f"{path.name}:{name} holds a formula"
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}!{ws.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"


def texts(path: Path) -> set[str]:
    """Every text cell, with "\r" read as XML reads it ("\n")."""
    wb = load_workbook(path)
    return {c.value.replace("\r", "\n") for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str)}


def xml_text(text: str) -> str:
    return text.replace("\r", "\n")


def poisoned(payload: str):
    data = sample_export_data(n=12, draft=True)
    school = dataclasses.replace(data.school, name=payload)
    students = [dataclasses.replace(s, name=payload, class_name=payload, village=payload) for s in data.students]
    findings = [dataclasses.replace(f, name=payload, reason=payload, state="accepted") for f in data.findings]
    return dataclasses.replace(data, school=school, students=students, findings=findings)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_workbook_and_notice_write_payloads_as_text(tmp_path, payload):
    data = poisoned(payload)
    book = write_workbook(tmp_path / "workbook.xlsx", data)
    notice = write_notice_xlsx(tmp_path / "notice.xlsx", data)
    for path in (book, notice):
        assert_no_formula(path)
    assert xml_text(payload) in texts(book)      # the text is kept, as text
    assert any(xml_text(payload) in t for t in texts(notice))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_problem_rows_write_payloads_as_text(tmp_path, payload):
    rows = [ParsedRow(2, {}, ["身份证号为空"], [payload, "", payload]),
            ParsedRow(3, {}, [payload], ["#N/A", payload, "x"])]
    path = write_problem_rows(tmp_path / "p.xlsx", [payload, "身份证号", "村"], rows)
    assert_no_formula(path)
    ws = load_workbook(path).active
    assert {ws["A1"].value, ws["A2"].value, ws["D3"].value} == {xml_text(payload)}
    assert ws["A3"].value == "#N/A" and ws["A3"].data_type == "s"   # not an error value either


def test_control_characters_from_an_imported_file_do_not_break_the_problem_file(tmp_path):
    path = write_problem_rows(tmp_path / "p.xlsx", ["姓名"], [ParsedRow(2, {}, ["x"], ["张\x01三\x1f"])])
    assert load_workbook(path).active["A2"].value == "张三"


def test_page_headers_escape_ampersand_codes(tmp_path):
    data = poisoned("&P&F&\"Arial\"学校&&")
    path = write_workbook(tmp_path / "w.xlsx", data)
    assert header_text("&P学校&&") == "&&P学校&&&&"
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    header = re.search(r"<oddHeader>(.*?)</oddHeader>", xml).group(1)
    # "&&P": a literal "&P", not the page number; no font code from the name either
    assert header.startswith('&amp;L&amp;&amp;P&amp;&amp;F&amp;&amp;"Arial"学校&amp;&amp;&amp;&amp;&amp;C')


def test_templates_hold_no_formula_cell(tmp_path):
    for kind in ("students", "roster"):
        path = write_template(tmp_path / f"{kind}.xlsx", kind)
        assert_no_formula(path)


# --- end to end: the database, the package, the notice, the CLI problem file -------------

HS = make_id("110101", date(2008, 5, 1), 123)


def _people(n: int) -> list[str]:
    return [make_id("110101", date(2008, 5, 1), 200 + i) for i in range(n)]


@pytest.fixture
def poisoned_db(tmp_path):
    from db import store
    from db.findings import accept_rows, run_and_store
    from db.importing import apply_plan, plan_import
    from db.models import FindingRow
    from db.session import open_database
    from sqlalchemy import select

    d = open_database(tmp_path / "x.sqlite")
    ids = _people(len(PAYLOADS))
    with d.session() as s:
        store.init_school(s, PAYLOADS[0], "1", 2023, actor="t")
        students = [{"name": p, "id_number": i, "id_raw": i, "stage": "普通高中", "category": "REGISTERED",
                     "class_name": p, "village": p, "tuition_fen": 100000, "textbook_fen": 0, "lodging_fen": 0}
                    for p, i in zip(PAYLOADS, ids)]
        fields = ["name", "id_number", "stage", "category", "class_name", "village", "tuition", "textbook",
                  "lodging"]
        apply_plan(s, plan_import(s, "students", [ParsedRow(n, v) for n, v in enumerate(students)], [], fields))
        run_and_store(s)
        rows = list(s.scalars(select(FindingRow).where(FindingRow.state == "open")))
        for n, row in enumerate(rows):
            accept_rows(s, [row], PAYLOADS[n % len(PAYLOADS)] + " 理由", actor="t")
    yield d
    d.close()


def test_package_workbook_and_notice_from_the_database_hold_no_formula(poisoned_db, tmp_path):
    from db.exports import export_notice, export_package
    result = export_package(poisoned_db, tmp_path / "pkg.zip", "一个足够长的口令 2024", draft=True)
    with zipfile.ZipFile(result.path) as zf:
        (tmp_path / "workbook.xlsx").write_bytes(zf.read("workbook.xlsx"))
    assert_no_formula(tmp_path / "workbook.xlsx")
    book = texts(tmp_path / "workbook.xlsx")
    assert PAYLOADS[1] in book and PAYLOADS[0] + " 理由" in book and "\n=1+2" in book
    notice = export_notice(poisoned_db, tmp_path / "notice.xlsx")
    assert_no_formula(notice.path)
    assert PAYLOADS[2] in texts(notice.path)


def test_cli_problem_file_and_template_hold_no_formula(poisoned_db, tmp_path, capsys):
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "学段", "班级", "村"])
    for p in PAYLOADS:
        ws.append([p, "12345", "普通高中", p, p])      # a bad ID: every row is a problem row
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"                       # the payloads are text in the clerk's file too
    src = tmp_path / "in.xlsx"
    wb.save(src)
    out = tmp_path / "problems.xlsx"
    db = str(poisoned_db.path)
    assert run(["--db", db, "import", "students", str(src), "--dry-run", "--problems", str(out)]) == 0
    assert_no_formula(out)
    assert {xml_text(p) for p in PAYLOADS} <= texts(out)
    template = tmp_path / "t.xlsx"
    assert run(["--db", db, "template", "students", str(template)]) == 0
    assert_no_formula(template)
    capsys.readouterr()
