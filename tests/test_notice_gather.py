"""The public notice gathers only what it prints (issue 13): the students, their results, the
school and the official words — not the findings, the roster's size or a second pass over the
audit chain (the package's and the report's). Its check stays, so the draft mark still follows
the findings, even an edit made outside the program."""
import sqlite3
from datetime import date

import openpyxl
from conftest import two_student_school
from pdftext import pdf_text
from spy import spy
from sqlalchemy import select

from core.idnumber import make_id
from db import audit
from db import exports as exports_module
from db import findings as findings_module
from db.exports import export_notice
from db.findings import unverify_student_ids, verify_students
from db.models import Student
from db.session import open_database

HS = make_id("110101", date(2008, 5, 1), 123)


def _verified_school(tmp_path):
    path = two_student_school(tmp_path / "n.sqlite")
    d = open_database(path)
    with d.session() as s:
        verify_students(s, list(s.scalars(select(Student.id))), actor="t")
    return path, d


def test_the_notice_reads_the_audit_chain_once_and_never_the_full_gather(tmp_path, monkeypatch):
    _path, d = _verified_school(tmp_path)
    chain_reads = []
    real_status = audit.audit_chain_status

    def counted(session, since=None):
        if since is None:               # a read of the whole chain (``since``: only the entries after)
            chain_reads.append(1)
        return real_status(session, since=since)

    def no_full_gather(*a, **k):
        raise AssertionError("the notice gathered the package's data (findings, roster, audit chain)")

    monkeypatch.setattr(audit, "audit_chain_status", counted)
    monkeypatch.setattr(exports_module, "gather", no_full_gather)
    try:
        for name, reads in (("n.pdf", 1), ("n.xlsx", 0)):
            chain_reads.clear()
            result = export_notice(d, tmp_path / name)
            # the first notice checks (the verification changed the students): the check's own
            # read of the chain, no second pass; the second reuses that check (nothing changed)
            assert len(chain_reads) == reads
            assert (result.draft, result.students) == (False, 2)
    finally:
        d.close()
    assert "张丽" in pdf_text(tmp_path / "n.pdf")
    cells = [str(c) for row in openpyxl.load_workbook(tmp_path / "n.xlsx").active.iter_rows(values_only=True)
             for c in row if c is not None]
    assert "张丽" in cells and not any("草稿" in c for c in cells)


def test_the_notice_still_checks_so_an_edit_outside_the_program_makes_it_a_draft(tmp_path):
    path, d = _verified_school(tmp_path)
    try:
        assert not export_notice(d, tmp_path / "before.pdf").draft
    finally:
        d.close()
    con = sqlite3.connect(path)     # a verified student's amount changed behind the program's back
    with con:
        con.execute("UPDATE student SET tuition_fen = 90000 WHERE id_number = ?", (HS,))
    con.close()
    d = open_database(path)
    try:
        result = export_notice(d, tmp_path / "after.pdf")
    finally:
        d.close()
    assert result.draft and any("核准后被改动" in r for r in result.reasons)
    assert "草稿" in pdf_text(tmp_path / "after.pdf")


def test_the_notice_pdf_is_drawn_with_the_cyclic_collector_paused(tmp_path, monkeypatch):
    """A full collection walks every student the notice holds (0.3–1 s at county size): the
    PDF, as its workbook, is drawn with the collector paused, and it is on again after."""
    import gc

    from core.exports import notice
    from core.exports.sample import sample_export_data
    seen = []
    real_build = notice.build_pdf

    def build(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_build(*args, **kwargs)

    monkeypatch.setattr(notice, "build_pdf", build)
    notice.write_notice_pdf(tmp_path / "n.pdf", sample_export_data(20))
    assert seen == [False] and gc.isenabled()


def test_a_second_notice_reuses_the_check_until_something_changes(tmp_path, monkeypatch):
    """The PDF then the .xlsx of one day: one check (the change marker, db.check_state); a
    student unverified through the program in between: checked again, and a draft."""
    _path, d = _verified_school(tmp_path)
    runs = spy(monkeypatch, findings_module, "run_and_store")
    try:
        first, second = export_notice(d, tmp_path / "a.pdf"), export_notice(d, tmp_path / "a.xlsx")
        assert len(runs) == 1 and not first.draft and not second.draft
        with d.session() as s:
            unverify_student_ids(s, [s.scalars(select(Student.id)).first()], actor="t")
        third = export_notice(d, tmp_path / "b.pdf")
    finally:
        d.close()
    assert len(runs) == 2 and third.draft and any("未核准" in r for r in third.reasons)
