"""The receiver's trust list in the database: trust add / list / remove, and verify using it."""
from __future__ import annotations

import pytest
from receiving_fixtures import receiver_db, two_kid_school

from cli.commands import run
from core.errors import InputFileError, ValidationError
from core.package import verify_package
from core.trust import TrustedSigner
from db import trust_store
from db.audit import audit_chain_status
from db.session import open_database


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    return two_kid_school(tmp_path_factory.mktemp("school"))


@pytest.fixture
def station(tmp_path):
    return receiver_db(tmp_path / "station.sqlite")


def _trusted(path):
    d = open_database(path)
    try:
        return trust_store.signers(d), trust_store.entries(d)
    finally:
        d.close()


def test_trust_add_prints_the_fingerprint_and_registers_the_key_for_the_line_s_code(station, school, capsys):
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name,
                "--township", "龙坪乡", "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"公钥指纹：{school.fingerprint}" in out and f"学校代码 {school.code}" in out
    signers, entries = _trusted(station)
    assert [(e.school_code, e.school_name, e.township, e.fingerprint, e.active) for e in entries] == [
        (school.code, school.name, "龙坪乡", school.fingerprint, True)]
    assert [s.fingerprint for s in signers if s.school_code == school.code] == [school.fingerprint]
    assert verify_package(school.path, signers).ok


def test_unconfirmed_fingerprint_registers_nothing(station, school, capsys):
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name]) == 2
    captured = capsys.readouterr()
    assert school.fingerprint in captured.out and "指纹未经确认" in captured.err and "--yes" in captured.err
    assert _trusted(station)[1] == []


def test_the_clerk_s_yes_at_the_terminal_registers(station, school, monkeypatch):
    from cli import receiving_commands
    asked = []
    monkeypatch.setattr(receiving_commands, "confirm", lambda q: asked.append(q) or True)
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name]) == 0
    assert asked and "纸质报告" in asked[0]
    assert len(_trusted(station)[1]) == 1


def test_code_must_agree_with_the_line_and_a_line_without_code_needs_one(station, school, tmp_path, capsys):
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name,
                "--code", "9999", "--yes"]) == 2
    assert "不一致" in capsys.readouterr().err
    bare = tmp_path / "old.txt"
    bare.write_text(school.key_file.read_text(encoding="utf-8").split(" code=")[0] + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="没有学校代码"):
        trust_store.read_key_file(bare, "某校")
    key = trust_store.read_key_file(bare, "某校", "4228220101")
    assert key.signer.school_code == "4228220101" and key.fingerprint == school.fingerprint
    with pytest.raises(InputFileError):
        trust_store.read_key_file(tmp_path / "missing.txt", "某校")
    assert _trusted(station)[1] == []


def test_a_key_is_registered_once_and_never_for_a_second_school(station, school):
    d = open_database(station)
    try:
        trust_store.register(d, trust_store.read_key_file(school.key_file, school.name))
        with pytest.raises(ValidationError, match="无需重复登记"):
            trust_store.register(d, trust_store.read_key_file(school.key_file, school.name))
        key = trust_store.read_key_file(school.key_file, school.name)
        other = trust_store.KeyFile(TrustedSigner(key.signer.public_raw, "OTHER", "别校"), key.fingerprint)
        with pytest.raises(ValidationError, match="不能再登记为学校代码 OTHER"):
            trust_store.register(d, other)
        assert len(trust_store.entries(d)) == 1
    finally:
        d.close()


def test_remove_keeps_the_row_and_stops_trusting_the_key(station, school, capsys):
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name, "--yes"]) == 0
    compact = school.fingerprint.replace(" ", "").lower()
    assert run(["--db", str(station), "trust", "remove", compact]) == 0
    assert "已移除" in capsys.readouterr().out
    signers, entries = _trusted(station)
    assert len(entries) == 1 and not entries[0].active and entries[0].removed_at is not None
    assert not verify_package(school.path, signers).ok
    assert run(["--db", str(station), "trust", "list"]) == 0
    assert "已移除" in capsys.readouterr().out
    assert run(["--db", str(station), "trust", "remove", school.code]) == 2     # nothing active left
    assert "没有" in capsys.readouterr().err
    # re-registered after removal: a new row, the old one stays as history
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name, "--yes"]) == 0
    assert [e.active for e in _trusted(station)[1]] == [False, True]
    d = open_database(station)
    try:
        with d.session() as s:
            assert audit_chain_status(s).intact
    finally:
        d.close()


def test_remove_by_school_code(station, school):
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name, "--yes"]) == 0
    assert run(["--db", str(station), "trust", "remove", school.code]) == 0
    assert [e.active for e in _trusted(station)[1]] == [False]


def test_verify_uses_the_database_s_trust_list(station, school, capsys):
    assert run(["--db", str(station), "verify", str(school.path)]) == 1
    assert "签名人未知" in capsys.readouterr().out
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", school.name, "--yes"]) == 0
    capsys.readouterr()
    assert run(["--db", str(station), "verify", str(school.path)]) == 0
    assert "来源：信任列表" in capsys.readouterr().out
    assert run(["--db", str(station), "trust", "remove", school.code]) == 0
    assert run(["--db", str(station), "verify", str(school.path)]) == 1


def test_an_old_database_without_the_trust_table_verifies_with_its_own_key_only(tmp_path):
    import shutil
    from pathlib import Path
    old = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).parent / "data" / "schema-0004.sqlite", old)
    assert trust_store.read_trusted_signers(old) == []
    assert trust_store.read_trusted_signers(tmp_path / "none.sqlite") == []


# -- a school name other than the key file's (review, session 30: the name typed silently won) ------------
def test_a_school_name_other_than_the_key_file_s_is_registered_and_said(station, school, capsys):
    """The code binds the key (a different --code is refused); the name is the label the clerk reads
    and the one an intake compares a package's own name with: a different one is registered as typed
    (an abbreviation, a renamed school), but said before the comparison and after the registration."""
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", "三里乡小学",
                "--yes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    compact = school.fingerprint.replace(" ", "")
    assert lines == [
        f"公钥指纹：{school.fingerprint}",
        f"将登记为：学校代码 {school.code}（三里乡小学）",
        f"注意：公钥文件中的单位名称是“{school.name}”，与 --school 写的“三里乡小学”不同；"
        f"请确认选的是这所学校的公钥文件。按这个名称登记后，接收该校的上报包时可能提示名称不同，建议按公钥文件中的名称登记。",
        f"已登记：学校代码 {school.code}（三里乡小学），指纹 {school.fingerprint}",
        f"注意：公钥文件中的单位名称是“{school.name}”，已按 --school 登记为“三里乡小学”，"
        f"接收该校的上报包时可能提示名称不同；如果登记错了，请用 trust remove {compact} 移除这条登记，再重新登记。"]
    assert [(e.school_code, e.school_name) for e in _trusted(station)[1]] == [(school.code, "三里乡小学")]


def test_the_warning_comes_before_the_clerk_is_asked(station, school, monkeypatch, capsys):
    from cli import receiving_commands
    seen = []
    monkeypatch.setattr(receiving_commands, "confirm", lambda q: seen.append(capsys.readouterr().out) or False)
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", "三里乡小学"]) == 2
    assert f"公钥文件中的单位名称是“{school.name}”" in seen[0]
    assert _trusted(station)[1] == []


def test_the_key_file_s_own_name_spaced_or_in_full_width_is_no_other_name(station, school, capsys):
    spaced = f" {school.name[:2]} {school.name[2:]}"
    assert run(["--db", str(station), "trust", "add", str(school.key_file), "--school", spaced, "--yes"]) == 0
    assert "注意" not in capsys.readouterr().out
    key = trust_store.read_key_file(school.key_file, "三里乡小学")
    assert (key.file_name, key.renamed) == (school.name, True)
    assert not trust_store.read_key_file(school.key_file, school.name).renamed
    assert trust_store.same_name("花坪（本部）", "花坪(本部)") and not trust_store.same_name("花坪", "花坪小学")


def test_a_key_line_naming_no_school_warns_of_nothing(station, school, tmp_path, capsys):
    bare = tmp_path / "code-only.txt"
    bare.write_text(f"{school.key_file.read_text(encoding='utf-8').split(' code=')[0]} code={school.code}\n",
                    encoding="utf-8")
    assert run(["--db", str(station), "trust", "add", str(bare), "--school", "三里乡小学", "--yes"]) == 0
    assert "注意" not in capsys.readouterr().out


def test_the_audit_record_of_a_renamed_registration_names_the_file_s_name(station, school):
    from sqlalchemy import select

    from db.models import AuditEntry
    d = open_database(station)
    try:
        trust_store.register(d, trust_store.read_key_file(school.key_file, "三里乡小学"))
        with d.session() as s:
            [text] = [r.new for r in s.scalars(select(AuditEntry).where(AuditEntry.entity == "trust"))]
    finally:
        d.close()
    assert text == (f"登记签名人：学校代码 {school.code}（三里乡小学），指纹 {school.fingerprint}"
                    f"（公钥文件中的单位名称是“{school.name}”）")
