"""The export use cases end to end through the CLI: refuse, draft, sign, verify, letters, notice."""
import json
import zipfile
from datetime import date

import openpyxl
import pytest
from conftest import two_student_school
from pdftext import pdf_text

from cli.commands import run
from core.checks import FindingState
from core.idnumber import make_id
from db.session import open_database

HS = make_id("110101", date(2008, 5, 1), 123)
PRE = make_id("110101", date(2019, 3, 1), 124)


@pytest.fixture
def clean_db(tmp_path):
    """Two students with no error findings."""
    return two_student_school(tmp_path / "e.sqlite",
                              contact={"phone": "13800001111", "bank_card": "6228480000000000001"})


@pytest.fixture
def pw(tmp_path):
    p = tmp_path / "pw.txt"
    p.write_text("school-secret-1\n", encoding="utf-8")
    return p


def test_export_refused_until_verified_then_signed(clean_db, pw, tmp_path, capsys):
    db = str(clean_db)
    out = tmp_path / "pkg.zip"
    assert run(["--db", db, "export", str(out), "--passphrase-file", str(pw)]) == 2
    err = capsys.readouterr().err
    assert "2 名学生未核准" in err and "草稿" in err
    assert not out.exists()
    assert run(["--db", db, "verify-student", HS]) == 0
    assert run(["--db", db, "verify-student", PRE]) == 0
    capsys.readouterr()
    assert run(["--db", db, "export", str(out), "--passphrase-file", str(pw), "--letters"]) == 0
    printed = capsys.readouterr().out
    assert "签名人公钥指纹" in printed
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
    assert {"workbook.xlsx", "report.pdf", "notice.pdf", "letters.pdf", "manifest.json", "manifest.sig",
            "signer.pub"} <= names
    assert manifest["draft"] is False and manifest["totals"]["total"] == "3222.00"
    assert run(["--db", db, "verify", str(out)]) == 0
    verify_out = capsys.readouterr().out
    assert run(["--db", db, "key", "show"]) == 0
    fp = capsys.readouterr().out.split("：")[1].strip()
    assert fp in verify_out and fp in printed
    keyfile = tmp_path / "school.pub"
    assert run(["--db", db, "key", "export", str(keyfile)]) == 0
    assert run(["verify", str(out), "--trust", str(keyfile)]) == 0
    # wrong passphrase on the next export: refused, nothing written
    bad = tmp_path / "bad.txt"
    bad.write_text("wrong-pass-123\n", encoding="utf-8")
    assert run(["--db", db, "export", str(tmp_path / "b.zip"), "--passphrase-file", str(bad)]) == 2
    assert not (tmp_path / "b.zip").exists()


def test_draft_export_and_tamper(clean_db, pw, tmp_path, capsys):
    db = str(clean_db)
    out = tmp_path / "draft.zip"
    assert run(["--db", db, "export", str(out), "--draft", "--passphrase-file", str(pw)]) == 0
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("manifest.json"))["draft"] is True
        report = z.read("report.pdf")
        members = {n: z.read(n) for n in z.namelist()}
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(report)
    text = pdf_text(pdf)
    assert "草稿" in text
    # flip a byte of the workbook: verification fails and names the file
    members["workbook.xlsx"] = members["workbook.xlsx"][:100] + bytes([members["workbook.xlsx"][100] ^ 1]) + \
        members["workbook.xlsx"][101:]
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(tampered, "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    capsys.readouterr()
    assert run(["verify", str(tampered)]) == 1
    assert "workbook.xlsx" in capsys.readouterr().out
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    assert run(["verify", str(junk)]) == 2


def test_letters_mark_printed_clears_not_notified(clean_db, tmp_path, capsys):
    db = str(clean_db)
    run(["--db", db, "check", "--json"])
    flags = json.loads(capsys.readouterr().out)["flags"]
    assert {f["name"] for f in flags if f["code"] == "NOT_NOTIFIED"} == {"张丽", "李四"}
    letters = tmp_path / "l.pdf"
    assert run(["--db", db, "letters", str(letters), "--student", HS, "--mark-printed"]) == 2   # still a draft
    assert not letters.exists()
    for number in (HS, PRE):             # final letters: every student verified, no error open
        assert run(["--db", db, "verify-student", number]) == 0
    assert run(["--db", db, "letters", str(letters), "--student", HS, "--mark-printed"]) == 0
    capsys.readouterr()
    text = pdf_text(letters)
    assert "张丽" in text and HS not in text and HS[:6] in text and "李四" not in text
    run(["--db", db, "check", "--json"])
    flags = json.loads(capsys.readouterr().out)["flags"]
    assert {f["name"] for f in flags if f["code"] == "NOT_NOTIFIED"} == {"李四"}


def test_notice_has_no_identifiers(clean_db, tmp_path):
    db = str(clean_db)
    x = tmp_path / "n.xlsx"
    assert run(["--db", db, "notice", str(x)]) == 0
    cells = " ".join(str(c) for ws in openpyxl.load_workbook(x).worksheets
                     for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    assert "张丽" in cells
    for secret in (HS, PRE, "13800001111", "6228480000000000001", HS[-6:]):
        assert secret not in cells
    p = tmp_path / "n.pdf"
    assert run(["--db", db, "notice", str(p)]) == 0
    text = pdf_text(p)
    assert "张丽" in text and HS not in text and "13800001111" not in text
    assert run(["--db", db, "notice", str(tmp_path / "n.doc")]) == 2


def test_notice_is_a_draft_until_everyone_is_verified(clean_db, tmp_path, capsys):
    db = str(clean_db)
    p, x = tmp_path / "n.pdf", tmp_path / "n.xlsx"
    assert run(["--db", db, "notice", str(p)]) == 0
    assert "草稿" in capsys.readouterr().out
    text = pdf_text(p)
    assert "草稿" in text
    for number in (HS, PRE):
        assert run(["--db", db, "verify-student", number]) == 0
    capsys.readouterr()
    assert run(["--db", db, "notice", str(p)]) == 0 and run(["--db", db, "notice", str(x)]) == 0
    out = capsys.readouterr().out
    assert "草稿" not in out and "2 名学生" in out
    text = pdf_text(p)
    assert "张丽" in text and "草稿" not in text
    cells = [str(c) for ws in openpyxl.load_workbook(x).worksheets
             for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "张丽" in cells and not any("草稿" in c for c in cells)


def test_report_counts_fixed_findings(clean_db, tmp_path):
    from sqlalchemy import select

    from core.exports.report import write_report
    from db.exports import gather
    from db.findings import run_and_store
    from db.models import Student
    from db.students import update_student
    d = open_database(clean_db)
    with d.session() as s:
        sid = s.scalars(select(Student.id).where(Student.id_number == HS)).one()
        update_student(s, sid, {"gender": "女"})      # ID says male: a warning
        run_and_store(s)
        update_student(s, sid, {"gender": "男"})      # corrected: fixed on the next run
        run_and_store(s)
        data = gather(s)
    d.close()
    assert any(f.state == FindingState.FIXED and f.code == "ID_GENDER_MISMATCH" for f in data.findings)
    out = tmp_path / "r.pdf"
    write_report(out, data)
    text = pdf_text(out)
    assert "已改正 1 条" in text.replace("\n", "")


def test_a_finding_closed_by_removing_its_student_is_not_said_corrected(clean_db, tmp_path):
    """A finding whose student was taken off the list closes at the next check (the check reads
    listed students only). The package said 已改正 of it as of a corrected one; it now says that the
    student was taken off the list, in the workbook's 核查情况 and in the report's count."""
    from sqlalchemy import select

    from core.checks.base import REMOVED_LABEL
    from core.exports.report import write_report
    from core.exports.workbook import write_workbook
    from db.exports import gather
    from db.findings import run_and_store
    from db.models import Student
    from db.students import remove_student, update_student
    d = open_database(clean_db)
    with d.session() as s:
        ids = dict(s.execute(select(Student.id_number, Student.id)).all())
        update_student(s, ids[HS], {"gender": "女"})      # ID says male: a warning
        update_student(s, ids[PRE], {"gender": "男"})     # ID says female: a warning
        run_and_store(s)
        update_student(s, ids[HS], {"gender": "男"})      # corrected
        remove_student(s, ids[PRE], "已转学")             # taken off the list
        run_and_store(s)
        data = gather(s)
    d.close()
    closed = {f.id_number: f for f in data.findings if f.code == "ID_GENDER_MISMATCH"}
    assert {k: (f.state, f.removed) for k, f in closed.items()} == {
        HS: (FindingState.FIXED, False), PRE: (FindingState.FIXED, True)}
    book = tmp_path / "w.xlsx"
    write_workbook(book, data)
    ws = openpyxl.load_workbook(book, read_only=True)["核查情况"]
    states = {row[5]: row[1] for row in ws.iter_rows(values_only=True) if len(row) > 5 and row[3] == closed[HS].title}
    assert states == {HS: "已改正", PRE: REMOVED_LABEL}
    out = tmp_path / "r.pdf"
    write_report(out, data)
    fixed = [f for f in data.findings if f.state == FindingState.FIXED]
    off = [f for f in fixed if f.removed]
    assert {f.id_number for f in off} == {PRE} and {f.id_number for f in fixed} == {HS, PRE}    # all of 李四's
    assert (f"已改正 {len(fixed)} 条（其中 {len(off)} 条因学生移出名单而不再存在）"
            in pdf_text(out).replace("\r", "").replace("\n", ""))


def test_a_finding_corrected_before_its_student_was_removed_stays_corrected(clean_db):
    """Only the findings the removal closed are said to be closed by it: one corrected earlier (and
    closed by that check) is a correction, whatever happened to the student afterwards."""
    from sqlalchemy import select

    from db.exports import gather
    from db.findings import run_and_store
    from db.models import Student
    from db.students import remove_student, update_student
    d = open_database(clean_db)
    with d.session() as s:
        pre = s.scalars(select(Student.id).where(Student.id_number == PRE)).one()
        update_student(s, pre, {"gender": "男"})      # ID says female: a warning
        run_and_store(s)
        open_then = {f.code for f in gather(s).findings
                     if f.id_number == PRE and f.state == FindingState.OPEN and f.code != "ID_GENDER_MISMATCH"}
        update_student(s, pre, {"gender": "女"})      # corrected: closed by this check
        run_and_store(s)
        remove_student(s, pre, "已转学")              # then taken off the list (its re-check closes the rest)
        data = gather(s)
    d.close()
    mine = {f.code: f for f in data.findings if f.id_number == PRE}
    assert (mine["ID_GENDER_MISMATCH"].state, mine["ID_GENDER_MISMATCH"].removed) == (FindingState.FIXED, False)
    assert open_then and all((mine[c].state, mine[c].removed) == (FindingState.FIXED, True) for c in open_then)
