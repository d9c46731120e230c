"""Policy versions by school year, the change preview, signed policy files and the policy CLI."""
import hashlib
import json
import shutil
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import two_student_school
from sqlalchemy import select

from cli.commands import run
from core.idnumber import make_id
from core.policy import default_policy_text, load_policy, set_value
from core.policy_edit import ItemDraft, with_item
from db import settings, store
from db.findings import run_and_store, verify_students
from db.migrate import current_revision, head_revision
from db.models import AuditEntry, PolicyVersion, Setting, Student
from db.policy_versions import list_versions, preview_change, save_version, version_text
from db.session import open_database

DATA = Path(__file__).parent / "data"
HS = make_id("110101", date(2008, 5, 1), 123)       # 张丽, two_student_school
PRE = make_id("110101", date(2019, 3, 1), 124)      # 李四


@pytest.fixture
def school(tmp_path):
    path = two_student_school(tmp_path / "school.sqlite")
    d = open_database(path)
    yield d
    d.close()


def _verify(d, *numbers):
    with d.session() as s:
        run_and_store(s)
        ids = [s.scalars(select(Student.id).where(Student.id_number == n)).one() for n in numbers]
        verify_students(s, ids)


def _versions(path) -> list[tuple[int, int, str]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT school_year, number, sha256 FROM policy_version ORDER BY id").fetchall()
    finally:
        con.close()


def test_frozen_v0006_database_keeps_its_policy_as_version_1(tmp_path):
    target = tmp_path / "old6.sqlite"
    shutil.copy(DATA / "schema-0006.sqlite", target)
    con = sqlite3.connect(target)
    old_text = con.execute("SELECT value FROM setting WHERE key = 'policy'").fetchone()[0]
    entries = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    con.close()
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            assert s.get(Setting, "policy") is None          # one copy: the versions
            row = s.scalars(select(PolicyVersion)).one()
            assert (row.school_year, row.number, row.origin) == (2023, 1, "edited")   # the standard was set
            assert row.text == old_text and row.sha256 == hashlib.sha256(old_text.encode()).hexdigest()
            assert store.get_policy(s).sha256 == row.sha256
            assert s.scalars(select(Student.verified).where(Student.name == "王一")).one()
            codes = {f.code for f in run_and_store(s).findings}
            assert "TAMPERED_AFTER_VERIFY" not in codes and "AUDIT_CHAIN_BROKEN" not in codes
            assert s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) >= entries
        saved = settings.save_policy(d, {"公办普通高中学费标准": "1300"})
        assert saved.version.label == "2023–2024学年 第2版" and saved.version.origin == "edited"
        assert [v.number for v in list_versions(d)] == [2, 1] and list_versions(d)[0].active
        assert version_text(d, 1) == old_text                # old versions stay readable
    finally:
        d.close()


def test_a_new_school_starts_on_the_default_and_each_save_is_a_version(school):
    versions = list_versions(school)
    assert [(v.number, v.origin) for v in versions] == [(2, "edited"), (1, "default")]   # the fixture sets a standard
    assert load_policy(version_text(school, 1)).sha256 == load_policy(default_policy_text()).sha256
    same = settings.save_policy(school, {"公办普通高中学费标准": "1200"})
    assert not same.changed and same.version.number == 2 and len(list_versions(school)) == 2
    with school.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.entity == "policy_version")).all()
        assert rows[-1].new.startswith("2023–2024学年 第2版：公办普通高中学费标准：未设置 → 1200.00")
        assert rows[-1].old == "2023–2024学年 第1版"


def test_preview_to_the_fen_then_save_unverifies_with_old_and_new_amounts(school):
    _verify(school, HS, PRE)
    with school.session() as s:
        text = set_value(store.get_policy_text(s), "公办普通高中学费标准", "800")
    preview = preview_change(school, text)
    assert preview.changed and [d.name for d in preview.students] == ["张丽"]
    zhang = preview.students[0]
    assert zhang.id_masked == "110101********1238" and HS not in zhang.text()
    assert (zhang.old_total, zhang.new_total) == (120000, 100000)
    assert [i.text() for i in zhang.items] == ["免学费：1000.00 元 → 800.00 元"]
    assert [d.name for d in preview.unverify] == ["张丽"]
    totals = {code: (a, b) for code, _, a, b in preview.item_totals()}
    assert totals["HS_TUITION"] == (100000, 80000) and totals["HS_TEXTBOOK"] == (20000, 20000)
    assert totals["PRESCHOOL"] == (202200, 202200)
    assert preview.source_totals() == [("市级", 161100, 151100), ("县级", 161100, 151100), ("合计", 322200, 302200)]
    assert preview.diff.lines() == ["修改参数：公办普通高中学费标准：1200.00 → 800.00"]
    with school.session() as s:                # the preview wrote nothing
        assert len(s.scalars(select(PolicyVersion)).all()) == 2
    saved = save_version(school, text, note="县里下调学费标准")
    assert saved.changed and saved.unverified == 1 and saved.version.number == 3
    assert saved.version.note == "县里下调学费标准"
    with school.session() as s:
        st = s.scalars(select(Student).where(Student.id_number == HS)).one()
        assert not st.verified
        note = s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "student", AuditEntry.entity_id == st.id,
                                                      AuditEntry.field == "note")).all()[-1]
        assert "合计 1200.00 元 → 1000.00 元" in note and "免学费：1000.00 元 → 800.00 元" in note
        assert s.scalars(select(Student.verified).where(Student.id_number == PRE)).one()   # unchanged: kept
    assert not preview_change(school, text).changed


def test_an_added_item_is_previewed_and_computed(school):
    draft = ItemDraft(code="HS_LIVING", name="普通高中生活补助", stages=("普通高中",), categories=("REGISTERED",),
                      kind="fixed", amount="500", needs_application=True)
    with school.session() as s:
        text = with_item(store.get_policy_text(s), draft)
    preview = preview_change(school, text)
    assert [i.text() for i in preview.students[0].items] == ["普通高中生活补助：无此项目 → 500.00 元"]
    assert preview.diff.lines() == ["新增项目：普通高中生活补助（HS_LIVING），每人每年 500.00 元"]
    save_version(school, text)
    from db.compute import compute_school
    results, totals = compute_school(school)
    living = [d for r in results for d in r.decisions if d.code == "HS_LIVING" and d.amount_fen]
    assert len(living) == 1 and totals.by_item["HS_LIVING"] == 50000


def _tampered_open(d) -> list[str]:
    """The ID numbers of the open TAMPERED_AFTER_VERIFY findings after a check."""
    from db.models import FindingRow
    with d.session() as s:
        run_and_store(s)
        return sorted(s.scalars(select(FindingRow.id_number).where(FindingRow.code == "TAMPERED_AFTER_VERIFY",
                                                                    FindingRow.state == "open")).all())


def test_an_item_no_verified_student_gets_keeps_them_verified_and_untampered(school):
    """Adding an item (or copying, or retiring one) that changes no verified student's subsidies keeps
    them 已核准 and their seals holding; a seal that no longer held before the change still fails."""
    _verify(school, HS, PRE)
    con = sqlite3.connect(school.path)          # 李四's data changed behind the program's back
    con.execute("UPDATE student SET tuition_fen = 1 WHERE id_number = ?", (PRE,))
    con.commit()
    con.close()
    assert _tampered_open(school) == [PRE]
    draft = ItemDraft(code="PHD_LIVING", name="博士研究生补助", stages=("普通高中",), categories=("REGISTERED",),
                      kind="fixed", amount="500", needs_application=False, locations=("外地",))
    with school.session() as s:
        text = with_item(store.get_policy_text(s), draft)
    preview = preview_change(school, text)
    assert preview.changed and not preview.students and not preview.unverify
    saved = save_version(school, text)
    assert saved.unverified == 0
    with school.session() as s:
        assert all(s.scalars(select(Student.verified)).all())
    assert _tampered_open(school) == [PRE]          # 张丽 re-sealed; 李四's broken seal left broken
    with school.session() as s:
        entries = s.scalars(select(AuditEntry.new).where(AuditEntry.entity == "policy",
                                                          AuditEntry.field == "resealed")).all()
        assert entries and "1 名已核准学生" in entries[-1]


def test_a_new_school_year_carries_the_policy_forward_until_saved(school):
    with school.session() as s:
        before = store.get_policy(s).sha256
        school_row = store.get_school(s)
        store.init_school(s, school_row.name, school_row.code, 2024)
    with school.session() as s:
        assert store.get_policy(s).sha256 == before
    saved = settings.save_policy(school, {"公办普通高中学费标准": "1250"})
    assert saved.version.label == "2024–2025学年 第1版"
    assert [v.label for v in list_versions(school)][:2] == ["2024–2025学年 第1版", "2023–2024学年 第2版"]


# ---------------------------------------------------------------- CLI and files

@pytest.fixture
def pw(tmp_path):
    p = tmp_path / "pw.txt"
    p.write_text("correct horse battery\n", encoding="utf-8")
    return p


@pytest.fixture
def bureau(tmp_path, pw):
    """The county bureau's database: its policy (a standard of 1100) signed, its public key exported."""
    path = tmp_path / "bureau.sqlite"
    assert run(["--db", str(path), "init", "--school", "建始县教育局", "--code", "4228", "--school-year", "2023"]) == 0
    assert run(["--db", str(path), "policy", "set", "公办普通高中学费标准", "1100"]) == 0
    assert run(["--db", str(path), "policy", "export", str(tmp_path / "policy.zip"), "--sign",
                "--passphrase-file", str(pw)]) == 0
    assert run(["--db", str(path), "key", "export", str(tmp_path / "bureau.pub")]) == 0
    return path


def test_a_signed_policy_is_imported_at_a_school(tmp_path, bureau, capsys):
    path = two_student_school(tmp_path / "s.sqlite")
    before = _versions(path)
    capsys.readouterr()
    assert run(["--db", str(path), "policy", "import", str(tmp_path / "policy.zip"),
                "--trust", str(tmp_path / "bureau.pub")]) == 0
    out = capsys.readouterr().out
    assert "签名有效的政策文件：由4228 建始县教育局签发，2023–2024学年 第2版" in out
    assert "修改参数：公办普通高中学费标准：1200.00 → 1100.00" in out and "资助结果改变的学生：0 名" in out
    assert "已导入资助政策" in out and "保存为2023–2024学年 第3版" in out
    d = open_database(path)
    try:
        newest = list_versions(d)[0]
        assert (newest.origin, newest.signer_school) == ("imported", "4228 建始县教育局")
        assert newest.signer_fingerprint and newest.active and len(list_versions(d)) == len(before) + 1
        with d.session() as s:
            assert store.get_policy(s).parameters["tuition_standard"]
    finally:
        d.close()
    capsys.readouterr()
    assert run(["--db", str(path), "policy", "versions"]) == 0
    assert "导入政策文件（4228 建始县教育局 签名）" in capsys.readouterr().out


def _tampered(src: Path, dst: Path) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "policy.toml":
                data = data.replace(b'"1100.00"', b'"9100.00"')
            zout.writestr(info, data)
    return dst


@pytest.mark.parametrize("case", ["tampered", "unknown signer", "unsigned", "other year", "not a policy"])
def test_an_invalid_policy_file_exits_2_and_changes_nothing(tmp_path, bureau, pw, case, capsys):
    path = two_student_school(tmp_path / "s.sqlite")
    args = ["--trust", str(tmp_path / "bureau.pub")]
    if case == "tampered":
        file = _tampered(tmp_path / "policy.zip", tmp_path / "t.zip")
        words = "校验失败"
    elif case == "unknown signer":
        file, args, words = tmp_path / "policy.zip", [], "签名人未知"
    elif case == "unsigned":
        file = tmp_path / "plain.toml"
        file.write_text(set_value(default_policy_text(), "公办普通高中学费标准", "900"), encoding="utf-8")
        words = "未签名的政策文件"
    elif case == "other year":
        assert run(["--db", str(bureau), "init", "--school", "建始县教育局", "--code", "4228",
                    "--school-year", "2024"]) == 0
        file = tmp_path / "p2024.zip"
        assert run(["--db", str(bureau), "policy", "export", str(file), "--sign", "--passphrase-file", str(pw)]) == 0
        words = "2024–2025学年签发的"
    else:
        file = tmp_path / "pkg.zip"
        assert run(["--db", str(path), "export", str(file), "--draft", "--passphrase-file", str(pw)]) == 0
        assert run(["--db", str(path), "key", "export", str(tmp_path / "school.pub")]) == 0
        args = ["--trust", str(tmp_path / "school.pub")]
        words = "不是政策文件"
    before = _versions(path)
    capsys.readouterr()
    assert run(["--db", str(path), "policy", "import", str(file), *args]) == 2
    assert words in capsys.readouterr().err
    assert _versions(path) == before


def test_unsigned_import_needs_allow_unsigned_and_big_changes_need_yes(tmp_path, capsys):
    path = two_student_school(tmp_path / "s.sqlite")
    d = open_database(path)
    _verify(d, HS)
    d.close()
    plain = tmp_path / "plain.toml"
    plain.write_text(set_value(default_policy_text(), "公办普通高中学费标准", "900"), encoding="utf-8")
    assert run(["--db", str(path), "policy", "import", str(plain), "--allow-unsigned", "--dry-run"]) == 0
    assert "预览（未保存）" in capsys.readouterr().out
    assert run(["--db", str(path), "policy", "import", str(plain), "--allow-unsigned"]) == 2
    assert "1 名已核准学生" in capsys.readouterr().err and len(_versions(path)) == 2
    assert run(["--db", str(path), "policy", "import", str(plain), "--allow-unsigned", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "未签名的政策文件" in out and "有 1 名已核准学生的资助结果因此改变" in out and len(_versions(path)) == 3


def test_the_default_policy_round_trips_unchanged(tmp_path, pw, capsys):
    """Exported and imported again (plain and signed): the same SHA-256, and no new version."""
    path = tmp_path / "d.sqlite"
    assert run(["--db", str(path), "init", "--school", "一中", "--code", "1", "--school-year", "2023"]) == 0
    plain, signed = tmp_path / "default.toml", tmp_path / "default.zip"
    assert run(["--db", str(path), "policy", "export", str(plain)]) == 0
    assert plain.read_text(encoding="utf-8") == default_policy_text()
    assert run(["--db", str(path), "policy", "export", str(signed), "--sign", "--passphrase-file", str(pw)]) == 0
    before = _versions(path)
    for file, extra in ((plain, ["--allow-unsigned"]), (signed, [])):
        capsys.readouterr()
        assert run(["--db", str(path), "policy", "import", str(file), *extra]) == 0
        assert "与当前政策完全相同（SHA-256 一致），没有建立新版本" in capsys.readouterr().out
    assert _versions(path) == before and before[0][2] == hashlib.sha256(default_policy_text().encode()).hexdigest()


def test_export_records_the_policy_version_beside_the_hash(tmp_path, pw):
    path = two_student_school(tmp_path / "s.sqlite")
    out = tmp_path / "pkg.zip"
    assert run(["--db", str(path), "export", str(out), "--draft", "--passphrase-file", str(pw)]) == 0
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["policy_version"] == 2 and manifest["policy_version_label"] == "2023–2024学年 第2版"
    assert manifest["policy_hash"] == _versions(path)[-1][2]


def test_diff_versions_show_and_the_2022_note(tmp_path, capsys):
    path = two_student_school(tmp_path / "s.sqlite")
    capsys.readouterr()
    assert run(["--db", str(path), "policy", "diff", "1", "2"]) == 0
    assert capsys.readouterr().out.strip() == "新增参数：公办普通高中学费标准：未设置 → 1200.00"
    other = tmp_path / "o.toml"
    other.write_text(default_policy_text().replace('code = "PRESCHOOL"', 'code = "PRESCHOOL"\nretired = true'),
                     encoding="utf-8")
    assert run(["--db", str(path), "policy", "diff", "1", str(other)]) == 0
    assert capsys.readouterr().out.strip() == "停用项目：学前教育资助（PRESCHOOL）"
    assert run(["--db", str(path), "policy", "diff", "1", "nope.toml"]) == 2
    assert "既不是版本号" in capsys.readouterr().err
    assert run(["--db", str(path), "policy", "show", "--version", "1"]) == 0
    out = capsys.readouterr().out
    assert "公办普通高中学费标准 = 未设置" in out
    assert out.count("注：政策原文写的是“2022元”") == 4
    assert run(["--db", str(path), "policy", "show", "--version", "9"]) == 2
    assert "没有第9版" in capsys.readouterr().err


def test_an_added_item_unverifies_only_the_students_it_grants(school):
    # 李四 (学前教育) gets nothing from a 普通高中 item: not listed, stays verified.
    _verify(school, HS, PRE)
    draft = ItemDraft(code="HS_LIVING", name="普通高中生活补助", stages=("普通高中",), categories=("REGISTERED",),
                      kind="fixed", amount="500")
    with school.session() as s:
        text = with_item(store.get_policy_text(s), draft)
    preview = preview_change(school, text)
    assert [d.name for d in preview.students] == ["张丽"] and [d.name for d in preview.unverify] == ["张丽"]
    assert save_version(school, text).unverified == 1
    with school.session() as s:
        assert s.scalars(select(Student.verified).where(Student.id_number == PRE)).one()
        assert not s.scalars(select(Student.verified).where(Student.id_number == HS)).one()
