"""Official documents never look like a template: the county's name, the policy's title
and basis and the two phones are the clerk's (settings), a final document needs the
county's name, and the report prints the signer's fingerprint exactly as `key show`."""
import re
import zipfile
from datetime import date
from io import BytesIO

import pytest
from conftest import two_student_school
from openpyxl import load_workbook

from cli.commands import run
from core.errors import MissingSettingError, ValidationError
from core.idnumber import make_id
from db import store
from db.models import AuditEntry
from db.official import get_official, official_values, set_official
from db.session import open_database

HS = make_id("110101", date(2008, 5, 1), 123)
PRE = make_id("110101", date(2019, 3, 1), 124)
TITLE = "建始县教育扶贫“百日攻坚”资助政策"
BASIS = "建教发〔2023〕5号 第二条"
# every placeholder a template would show
PLACEHOLDERS = ("XX", "ＸＸ", "××", "（县名未设置）", "默认", "示例", "0000-0000000")


@pytest.fixture
def school_db(tmp_path):
    """Two registered students, roster matched, no error findings, county NOT set."""
    return two_student_school(tmp_path / "e.sqlite", county="", phones=False)


@pytest.fixture
def pw(tmp_path):
    p = tmp_path / "pw.txt"
    p.write_text("school-secret-1\n", encoding="utf-8")
    return p


def pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def xlsx_text(data: bytes) -> str:
    wb = load_workbook(BytesIO(data))
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None)


def verify_all(db: str) -> None:
    assert run(["--db", db, "verify-student", HS]) == 0
    assert run(["--db", db, "verify-student", PRE]) == 0


# -- settings ------------------------------------------------------------------

def test_title_follows_the_county_unless_the_clerk_writes_another(db):
    with db.session() as s:
        store.init_school(s, "第一中学", "1", 2023)
        assert get_official(s).title == "（县名未设置）教育扶贫“百日攻坚”资助政策"
        set_official(s, "县名", "  建始县 ")                      # the Chinese name works as a key
        assert official_values(s)["county"] == "建始县" and get_official(s).title == TITLE
        set_official(s, "policy_title", "建始县2023年学生资助政策")
        assert get_official(s).title == "建始县2023年学生资助政策"
        set_official(s, "政策名称", "")                            # empty: follows the county again
        assert get_official(s).title == TITLE
        set_official(s, "supervision_phone", "０７１８－３３２１２３４")   # full-width digits normalised
        assert store.get_school(s).supervision_phone == "0718-3321234"
        notes = [(e.field, e.new) for e in s.query(AuditEntry).all()]
    assert ("official.county", "建始县") in notes and ("supervision_phone", "0718-3321234") in notes


@pytest.mark.parametrize("key,value,words", [
    ("county", "XX县", "示例"), ("county", "某某县", "示例"), ("policy_basis", "XX教发〔2023〕X号", "示例"),
    ("supervision_phone", "0718-0000000 电话", "不是电话号码"), ("contact_phone", "000-0000000", "示例号码"),
    ("contact_phone", "123", "不是电话号码"), ("county", "县" * 31, "太长"), ("电话", "1", "没有名为"),
])
def test_bad_values_are_refused_and_change_nothing(db, key, value, words):
    with db.session() as s:
        store.init_school(s, "第一中学", "1", 2023)
        set_official(s, "county", "建始县")
        before = official_values(s)
    with pytest.raises(ValidationError) as caught, db.session() as s:
        set_official(s, key, value)
    assert words in caught.value.message and caught.value.hint
    with db.session() as s:
        assert official_values(s) == before


def test_cli_init_county_and_settings_show_set(tmp_path, capsys):
    db = str(tmp_path / "c.sqlite")
    assert run(["--db", db, "init", "--school", "第一中学", "--code", "1", "--school-year", "2023",
                "--county", "建始县"]) == 0
    out = capsys.readouterr().out
    assert f"政策名称（policy_title）：{TITLE}（随县名）" in out
    assert "县级监督电话（supervision_phone）：（未设置）" in out
    assert run(["--db", db, "settings", "set", "政策依据", BASIS]) == 0
    assert run(["--db", db, "settings", "set", "contact_phone", "0718-3321234"]) == 0
    capsys.readouterr()
    assert run(["--db", db, "settings", "show"]) == 0
    out = capsys.readouterr().out
    assert "县名（county）：建始县" in out and f"政策依据（policy_basis）：{BASIS}" in out
    assert "学校联系电话（contact_phone）：0718-3321234" in out
    assert run(["--db", db, "settings", "set", "乡镇", "x"]) == 2
    err = capsys.readouterr().err
    assert "没有名为“乡镇”的设置项" in err and "县名（county）" in err
    assert run(["--db", db, "settings", "set", "county", ""]) == 0
    assert "县名未设置，正式的告知书" in capsys.readouterr().out


def test_init_with_a_bad_phone_changes_nothing(tmp_path, capsys):
    db = str(tmp_path / "c.sqlite")
    assert run(["--db", db, "init", "--school", "第一中学", "--code", "1", "--school-year", "2023",
                "--county", "建始县", "--supervision-phone", "请填写"]) == 2
    assert "不是电话号码" in capsys.readouterr().err
    d = open_database(tmp_path / "c.sqlite")
    with d.session() as s:
        assert store.find_school(s) is None and official_values(s)["county"] == ""
    d.close()


# -- final documents need the county, drafts show the placeholder ------------------

def test_final_documents_are_refused_while_the_county_is_unset(school_db, pw, tmp_path, capsys):
    db = str(school_db)
    verify_all(db)
    capsys.readouterr()
    for args in (["export", str(tmp_path / "p.zip"), "--passphrase-file", str(pw)],
                 ["letters", str(tmp_path / "l.pdf")], ["notice", str(tmp_path / "n.pdf")]):
        assert run(["--db", db, *args]) == 2, args
        err = capsys.readouterr().err
        assert "县名" in err and "settings set 县名" in err, args
    assert not any(tmp_path.glob("[pln].*"))
    d = open_database(school_db)
    from db.exports import export_notice, export_package, gather_letters
    with pytest.raises(MissingSettingError) as caught:
        export_package(d, tmp_path / "p.zip", "school-secret-1")
    assert caught.value.setting == "county" and "县名未设置" in caught.value.message
    with pytest.raises(MissingSettingError):
        export_notice(d, tmp_path / "n.xlsx")
    with pytest.raises(MissingSettingError):
        gather_letters(d)
    d.close()


def test_drafts_may_use_the_placeholder_and_say_draft(school_db, pw, tmp_path, capsys):
    db = str(school_db)
    assert run(["--db", db, "letters", str(tmp_path / "l.pdf"), "--draft"]) == 0
    text = pdf_text((tmp_path / "l.pdf").read_bytes())
    assert "草稿" in text and "（县名未设置）教育扶贫" in text
    assert run(["--db", db, "letters", str(tmp_path / "m.pdf"), "--draft", "--mark-printed"]) == 2
    assert run(["--db", db, "notice", str(tmp_path / "n.pdf")]) == 0     # not verified: a draft
    assert "草稿" in pdf_text((tmp_path / "n.pdf").read_bytes())
    assert run(["--db", db, "export", str(tmp_path / "d.zip"), "--draft", "--passphrase-file", str(pw)]) == 0
    with zipfile.ZipFile(tmp_path / "d.zip") as z:
        report = pdf_text(z.read("report.pdf"))
    assert "草" in report and "（县名未设置）教育扶贫" in report


def test_final_documents_show_the_clerks_words_and_no_placeholder(school_db, pw, tmp_path, capsys):
    db = str(school_db)
    assert run(["--db", db, "settings", "set", "县名", "建始县"]) == 0
    assert run(["--db", db, "settings", "set", "政策依据", BASIS]) == 0
    assert run(["--db", db, "settings", "set", "县级监督电话", "0718-3321234"]) == 0   # school phone unset
    verify_all(db)
    out = tmp_path / "pkg.zip"
    assert run(["--db", db, "export", str(out), "--letters", "--passphrase-file", str(pw)]) == 0
    assert run(["--db", db, "notice", str(tmp_path / "n.xlsx")]) == 0
    assert run(["--db", db, "letters", str(tmp_path / "l.pdf")]) == 0
    with zipfile.ZipFile(out) as z:
        texts = {name: pdf_text(z.read(name)) for name in ("report.pdf", "notice.pdf", "letters.pdf")}
        texts["workbook.xlsx"] = xlsx_text(z.read("workbook.xlsx"))
        manifest = z.read("manifest.json").decode("utf-8")
    texts["n.xlsx"] = xlsx_text((tmp_path / "n.xlsx").read_bytes())
    texts["l.pdf"] = pdf_text((tmp_path / "l.pdf").read_bytes())
    for name, text in texts.items():
        flat = re.sub(r"\s+", "", text)
        assert TITLE in flat, name
        for placeholder in PLACEHOLDERS:
            assert placeholder not in text, (name, placeholder)
        assert "草稿" not in text, name
    for name in ("letters.pdf", "report.pdf", "workbook.xlsx", "notice.pdf"):
        assert re.sub(r"\s+", "", BASIS) in re.sub(r"\s+", "", texts[name]), name
    assert TITLE in manifest or TITLE.encode("unicode_escape").decode() in manifest
    # an unset phone leaves its sentence out; the set one is printed
    for name in ("letters.pdf", "notice.pdf", "n.xlsx"):
        assert "0718-3321234" in texts[name], name
        assert "学校（电话" not in texts[name] and "向学校反映（电话" not in texts[name], name


# -- the fingerprint ---------------------------------------------------------------

def test_report_prints_the_fingerprint_exactly_as_key_show(school_db, pw, tmp_path, capsys):
    db = str(school_db)
    assert run(["--db", db, "settings", "set", "县名", "建始县"]) == 0
    assert run(["--db", db, "export", str(tmp_path / "d.zip"), "--draft", "--passphrase-file", str(pw)]) == 0
    capsys.readouterr()
    assert run(["--db", db, "key", "show"]) == 0
    shown = capsys.readouterr().out.splitlines()[0].split("：")[1].strip()
    assert re.fullmatch(r"([0-9A-F]{4} ){7}[0-9A-F]{4}", shown)
    with zipfile.ZipFile(tmp_path / "d.zip") as z:
        report = pdf_text(z.read("report.pdf"))
        workbook = xlsx_text(z.read("workbook.xlsx"))
    printed = re.findall(r"[0-9A-F]{4}(?: [0-9A-F]{1,4})+", report)
    fingerprints = [p for p in printed if len(p.replace(" ", "")) == 32]
    assert fingerprints and all(p == shown for p in fingerprints), (fingerprints, shown)
    assert len(fingerprints) == 2                       # the cover and the signature block
    assert shown in workbook
    d = open_database(school_db)
    from db.settings import load_settings
    assert load_settings(d).fingerprint == shown       # 设置 shows the same string
    d.close()
