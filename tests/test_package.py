"""Signed submission package: keys, writing, verifying, tamper detection, atomicity."""
import json
import zipfile
from pathlib import Path

import pytest

from core import package
from core.errors import InputFileError, OutputFileError, ValidationError
from core.package import read_trust_file, verify_package, write_package
from core.signing import (
    create_key,
    fingerprint,
    load_private,
    parse_public_key_text,
    public_key_text,
)

PASS = "zizhu-口令-2026"
FILES = {"workbook.xlsx": b"PK-fake-workbook" * 50, "report.pdf": b"%PDF-1.7 report\n" * 40,
         "notice.pdf": b"%PDF-1.7 notice\n"}
META = {"school": "青山县第一中学", "school_year": "2026-2027", "policy_hash": "ab" * 32,
        "counts": {"students": 3, "findings": 0}, "totals": {"tuition_fen": 360000},
        "draft": False, "generated_at": "2026-11-28T10:00:00"}


@pytest.fixture(scope="module")
def keys():
    pair = create_key(PASS)
    return pair, load_private(pair.private_pem, PASS)


@pytest.fixture(scope="module")
def other_keys():
    pair = create_key("another-passphrase")
    return pair, load_private(pair.private_pem, "another-passphrase")


@pytest.fixture
def pkg(tmp_path, keys):
    pair, key = keys
    return write_package(tmp_path / "提交包.zip", FILES, META, key, pair.public_raw)


def rewrite(src: Path, dst: Path, change=None, drop=None, add=None) -> Path:
    """Copy the zip, flipping one byte of member ``change``, dropping ``drop``, adding ``add``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == drop:
                continue
            if info.filename == change:
                i = len(data) // 2
                data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
            zout.writestr(info, data)
        if add:
            zout.writestr(add[0], add[1])
    return dst


# --- keys ---------------------------------------------------------------------------------

def test_short_passphrase_refused():
    with pytest.raises(ValidationError) as exc:
        create_key("1234567")
    assert "口令" in exc.value.message and exc.value.hint


def test_wrong_passphrase_refused(keys):
    pair, _ = keys
    with pytest.raises(ValidationError) as exc:
        load_private(pair.private_pem, "wrong-passphrase")
    assert "口令不正确" in exc.value.message


def test_private_key_is_encrypted(keys, tmp_path):
    pair, key = keys
    path = tmp_path / "signing.key"
    path.write_bytes(pair.private_pem)
    on_disk = path.read_bytes()
    assert b"ENCRYPTED" in on_disk and b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in on_disk
    from cryptography.hazmat.primitives import serialization
    secret = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption())
    assert secret not in on_disk
    assert PASS.encode() not in on_disk
    import base64
    assert base64.b64encode(secret)[:20] not in on_disk
    with pytest.raises(InputFileError):
        load_private(b"not a key", PASS)


def test_fingerprint_and_public_key_text(keys):
    pair, _ = keys
    fp = fingerprint(pair.public_raw)
    groups = fp.split(" ")
    assert len(groups) == 8 and all(len(g) == 4 and g == g.upper() for g in groups)
    assert pair.fingerprint == fp
    line = public_key_text(pair.public_raw, "青山县第一中学\n教务处")
    assert "\n" not in line and line.startswith("zizhu-ed25519 ")
    assert parse_public_key_text(line) == pair.public_raw
    for bad in ("ssh-ed25519 AAAA", "zizhu-ed25519 !!!", "zizhu-ed25519 QUJD"):
        with pytest.raises(ValidationError):
            parse_public_key_text(bad)


def test_trust_file(tmp_path, keys, other_keys):
    trust = tmp_path / "trust.txt"
    trust.write_text("\ufeff# 已登记的学校\n\n" + public_key_text(keys[0].public_raw, "一中") + "\n"
                     + public_key_text(other_keys[0].public_raw) + "\n", encoding="utf-8")
    assert read_trust_file(trust) == [keys[0].public_raw, other_keys[0].public_raw]
    trust.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputFileError):
        read_trust_file(trust)
    trust.write_text("# a\nzizhu-ed25519 broken\n", encoding="utf-8")
    with pytest.raises(InputFileError) as exc:
        read_trust_file(trust)
    assert "第 2 行" in exc.value.message
    with pytest.raises(InputFileError):
        read_trust_file(tmp_path / "missing.txt")


# --- writing and verifying ----------------------------------------------------------------

def test_write_and_verify_ok(pkg, keys):
    pair, _ = keys
    result = verify_package(pkg)
    print("signer fingerprint:", result.fingerprint)
    assert result.ok, result.problems
    assert result.problems == [] and result.hint == ""
    assert result.fingerprint == pair.fingerprint
    assert verify_package(pkg, trusted=[pair.public_raw]).ok
    with zipfile.ZipFile(pkg) as zf:
        assert sorted(zf.namelist()) == sorted([*FILES, "manifest.json", "manifest.sig", "signer.pub"])
        raw = zf.read("manifest.json")
        assert len(zf.read("manifest.sig")) == 64
        assert parse_public_key_text(zf.read("signer.pub").decode()) == pair.public_raw
    assert "青山县第一中学".encode() in raw                      # ensure_ascii=False
    manifest = json.loads(raw)
    assert manifest == result.manifest
    assert manifest["format_version"] == 1 and manifest["program_version"]
    assert manifest["school"] == META["school"] and manifest["totals"] == META["totals"]
    for name, data in FILES.items():
        assert manifest["files"][name]["size"] == len(data)
        assert len(manifest["files"][name]["sha256"]) == 64


def test_write_is_deterministic(tmp_path, keys):
    pair, key = keys
    a = write_package(tmp_path / "a.zip", FILES, META, key, pair.public_raw)
    b = write_package(tmp_path / "b.zip", FILES, META, key, pair.public_raw)
    assert a.read_bytes() == b.read_bytes()                   # Ed25519 signatures are deterministic


@pytest.mark.parametrize("member", [*FILES, "manifest.json", "manifest.sig", "signer.pub"])
def test_every_changed_member_is_caught(pkg, tmp_path, member):
    result = verify_package(rewrite(pkg, tmp_path / "bad.zip", change=member))
    assert not result.ok and result.problems and result.hint
    text = "\n".join(result.problems)
    print(member, "->", text)
    if member in FILES:
        assert member in text and "已被改动" in text
    elif member == "manifest.sig":
        assert "签名不正确" in text
    elif member == "manifest.json":
        assert "签名不正确" in text or "manifest.json" in text
    else:
        assert "signer.pub" in text or "签名不正确" in text


def test_changed_signer_comment_is_caught(pkg, tmp_path, keys):
    """Only the comment of signer.pub changes: the key still verifies the signature,
    but signer.pub's hash in the manifest no longer matches."""
    src, dst = pkg, tmp_path / "bad.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "signer.pub":
                data = data.replace("一中".encode(), "二中".encode())
            zout.writestr(info, data)
    result = verify_package(dst)
    assert not result.ok and any("signer.pub" in p and "已被改动" in p for p in result.problems)
    assert result.fingerprint == keys[0].fingerprint


def test_raw_byte_flip_in_zip_is_caught(pkg, tmp_path):
    """Flip bytes of the .zip file itself (not via zipfile): always fails or raises InputFileError."""
    data = pkg.read_bytes()
    for pos in range(0, len(data), max(1, len(data) // 60)):
        bad = tmp_path / "raw.zip"
        bad.write_bytes(data[:pos] + bytes([data[pos] ^ 0xFF]) + data[pos + 1:])
        try:
            result = verify_package(bad)
        except InputFileError:
            continue
        # Zip headers outside member contents (e.g. timestamps) are not covered; contents are.
        if result.ok:
            with zipfile.ZipFile(bad) as a, zipfile.ZipFile(pkg) as b:
                assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}


def test_removed_member_is_caught(pkg, tmp_path):
    result = verify_package(rewrite(pkg, tmp_path / "bad.zip", drop="report.pdf"))
    assert not result.ok and any("缺少文件 report.pdf" in p for p in result.problems)
    for name in ("manifest.json", "manifest.sig", "signer.pub"):
        result = verify_package(rewrite(pkg, tmp_path / f"no-{name}.zip", drop=name))
        assert not result.ok and any(f"缺少 {name}" in p for p in result.problems)


def test_added_member_is_caught(pkg, tmp_path):
    result = verify_package(rewrite(pkg, tmp_path / "bad.zip", add=("extra.txt", b"hello")))
    assert not result.ok and any("extra.txt" in p and "未登记" in p for p in result.problems)
    with pytest.warns(UserWarning, match="Duplicate name"):
        dup = rewrite(pkg, tmp_path / "dup.zip", add=("report.pdf", b"other"))
    result = verify_package(dup)
    assert not result.ok and any("report.pdf" in p for p in result.problems)


def test_other_signer_and_trust(tmp_path, keys, other_keys):
    other_pair, other_key = other_keys
    path = write_package(tmp_path / "other.zip", FILES, META, other_key, other_pair.public_raw)
    result = verify_package(path)
    assert result.ok and result.fingerprint == other_pair.fingerprint != keys[0].fingerprint
    trust = tmp_path / "trust.txt"
    trust.write_text(public_key_text(keys[0].public_raw, "一中") + "\n", encoding="utf-8")
    result = verify_package(path, trusted=read_trust_file(trust))
    assert not result.ok and any("未登记的签名人" in p and other_pair.fingerprint in p for p in result.problems)


def test_swapped_signer_is_caught(pkg, tmp_path, other_keys):
    """Someone replaces signer.pub with their own key but keeps the old signature."""
    dst = tmp_path / "bad.zip"
    with zipfile.ZipFile(pkg) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "signer.pub":
                data = (public_key_text(other_keys[0].public_raw, "一中") + "\n").encode()
            zout.writestr(info, data)
    result = verify_package(dst)
    assert not result.ok and any("签名不正确" in p for p in result.problems)


def test_unreadable_input_raises(tmp_path):
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"this is not a zip file at all")
    for path in (not_zip, tmp_path / "missing.zip", tmp_path):
        with pytest.raises(InputFileError) as exc:
            verify_package(path)
        assert exc.value.message and exc.value.hint


def test_bad_member_names_refused(tmp_path, keys):
    pair, key = keys
    for name in ("manifest.json", "a/b.pdf", ""):
        with pytest.raises(ValidationError):
            write_package(tmp_path / "p.zip", {name: b"x"}, META, key, pair.public_raw)
    with pytest.raises(ValidationError):                      # key and public key must match
        write_package(tmp_path / "p.zip", FILES, META, key, create_key(PASS).public_raw)
    assert list(tmp_path.iterdir()) == []


# --- atomicity ----------------------------------------------------------------------------

def _fail_midway(monkeypatch, exc):
    calls = []
    real = package._write_member

    def flaky(zf, name, data):
        calls.append(name)
        if len(calls) == 2:
            raise exc
        real(zf, name, data)
    monkeypatch.setattr(package, "_write_member", flaky)


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failed_write_leaves_nothing(tmp_path, keys, monkeypatch, exc):
    pair, key = keys
    _fail_midway(monkeypatch, exc)
    target = tmp_path / "out.zip"
    with pytest.raises(OutputFileError if isinstance(exc, OSError) else KeyboardInterrupt):
        write_package(target, FILES, META, key, pair.public_raw)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_existing_package(tmp_path, keys, monkeypatch):
    pair, key = keys
    target = write_package(tmp_path / "out.zip", FILES, META, key, pair.public_raw)
    before = target.read_bytes()
    _fail_midway(monkeypatch, OSError(5, "Input/output error"))
    with pytest.raises(OutputFileError) as exc:
        write_package(target, {**FILES, "letters.pdf": b"%PDF letters"}, META, key, pair.public_raw)
    assert "out.zip" in exc.value.message and exc.value.hint
    assert target.read_bytes() == before and verify_package(target).ok
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]


def test_missing_folder_is_output_error(tmp_path, keys):
    pair, key = keys
    with pytest.raises(OutputFileError) as exc:
        write_package(tmp_path / "nope" / "out.zip", FILES, META, key, pair.public_raw)
    assert "文件夹" in exc.value.message and "不存在" in exc.value.message
