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
    sign,
)
from core.trust import TrustedSigner, signer_line

N = 2 ** 10          # a low scrypt cost keeps the tests fast (the real cost is core.signing.SCRYPT_N)

PASS = "zizhu-口令-2026"
FILES = {"workbook.xlsx": b"PK-fake-workbook" * 50, "report.pdf": b"%PDF-1.7 report\n" * 40,
         "notice.pdf": b"%PDF-1.7 notice\n"}
META = {"school": {"name": "青山县第一中学", "code": "3642000001"}, "school_year": "2026-2027", "policy_hash": "ab" * 32,
        "counts": {"students": 3, "findings": 0}, "totals": {"tuition_fen": 360000},
        "draft": False, "generated_at": "2026-11-28T10:00:00"}


@pytest.fixture(scope="module")
def keys():
    pair = create_key(PASS, n=N)
    return pair, load_private(pair.private_blob, PASS)


@pytest.fixture(scope="module")
def other_keys():
    pair = create_key("another-passphrase", n=N)
    return pair, load_private(pair.private_blob, "another-passphrase")


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
        create_key("1234567", n=N)
    assert "口令" in exc.value.message and exc.value.hint


def test_wrong_passphrase_refused(keys):
    pair, _ = keys
    with pytest.raises(ValidationError) as exc:
        load_private(pair.private_blob, "wrong-passphrase")
    assert "口令不正确" in exc.value.message


def test_private_key_is_encrypted(keys, tmp_path):
    pair, key = keys
    path = tmp_path / "signing.key"
    path.write_bytes(pair.private_blob)
    on_disk = path.read_bytes()
    assert json.loads(on_disk)["kdf"] == "scrypt"
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
    trust.write_text("\ufeff# 已登记的学校\n\n" + signer_line(keys[0].public_raw, "3642 %01", "青山 一中") + "\n"
                     + public_key_text(other_keys[0].public_raw, "old comment") + "\n", encoding="utf-8")
    first, second = read_trust_file(trust)
    assert first.public_raw == keys[0].public_raw and second.public_raw == other_keys[0].public_raw
    assert (first.school_code, first.school_name) == ("3642 %01", "青山 一中")   # escaped round trip
    assert "第 3 行" in first.source
    assert (second.school_code, second.school_name) == ("", "old comment")   # an old line: no school bound
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
    assert result.intact and not result.ok                 # intact, but no signer is known
    assert result.problems == [] and "签名人未知" in result.signer_problem and result.hint
    assert result.fingerprint == pair.fingerprint
    known = TrustedSigner(pair.public_raw, "3642000001", "青山县第一中学")
    result = verify_package(pkg, trusted=[known])
    assert result.ok and result.signer == known and result.hint == "" and result.draft is False
    with zipfile.ZipFile(pkg) as zf:
        assert sorted(zf.namelist()) == sorted([*FILES, "manifest.json", "manifest.sig", "signer.pub"])
        raw = zf.read("manifest.json")
        assert len(zf.read("manifest.sig")) == 64
        assert parse_public_key_text(zf.read("signer.pub").decode()) == pair.public_raw
    assert "青山县第一中学".encode() in raw                      # ensure_ascii=False
    with zipfile.ZipFile(pkg) as zf:                        # signer.pub names the school as key export does
        assert zf.read("signer.pub").decode().split(" ", 2)[2].strip() == "code=3642000001 青山县第一中学"
    manifest = json.loads(raw)
    assert manifest == result.manifest
    assert manifest["format_version"] == 1 and manifest["program_version"]
    assert manifest["school"] == META["school"] and manifest["totals"] == META["totals"]
    for name, data in FILES.items():
        assert manifest["files"][name]["size"] == len(data)
        assert len(manifest["files"][name]["sha256"]) == 64


def test_kept_members_come_back_only_from_a_package_that_verifies(pkg, tmp_path, keys):
    """``keep``: the bytes hashed are the bytes handed back (read once), and only when ``ok``."""
    pair, _ = keys
    known = TrustedSigner(pair.public_raw, "3642000001", "青山县第一中学")
    big = {**FILES, "data.json": b'{"students": []}' * 20000}         # several read chunks
    path = write_package(tmp_path / "big.zip", big, META, keys[1], pair.public_raw)
    result = verify_package(path, trusted=[known], keep=("data.json", "report.pdf", "absent.txt"))
    assert result.ok and result.members == {"data.json": big["data.json"], "report.pdf": FILES["report.pdf"]}
    assert verify_package(path, trusted=[known]).members == {}              # nothing kept unless asked
    unknown = verify_package(path, keep=("data.json",))                      # intact, signer not trusted
    assert unknown.intact and not unknown.ok and unknown.members == {}
    other_school = TrustedSigner(pair.public_raw, "3642000099", "别的学校")
    assert verify_package(path, trusted=[other_school], keep=("data.json",)).members == {}
    for member in ("data.json", "notice.pdf"):                               # the kept one or another changed
        bad = verify_package(rewrite(path, tmp_path / f"bad-{member}", change=member), trusted=[known],
                             keep=("data.json",))
        assert not bad.ok and bad.members == {}


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
                data = data.replace("第一中学".encode(), "第二中学".encode())
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
    assert result.intact and not result.ok and result.fingerprint == other_pair.fingerprint != keys[0].fingerprint
    trust = tmp_path / "trust.txt"
    trust.write_text(signer_line(keys[0].public_raw, "3642000001", "一中") + "\n", encoding="utf-8")
    result = verify_package(path, trusted=read_trust_file(trust))
    assert result.intact and not result.ok and result.signer is None
    assert "签名人未知" in result.signer_problem and other_pair.fingerprint in result.signer_problem


def test_known_key_for_another_school_is_refused(pkg, keys):
    """A trust entry binds a key to one school code: the key cannot sign for another school."""
    other_school = TrustedSigner(keys[0].public_raw, "3642000002", "二中")
    result = verify_package(pkg, trusted=[other_school])
    assert result.intact and not result.ok
    assert "3642000002" in result.signer_problem and "3642000001" in result.signer_problem
    assert "不能为另一所学校签名" in result.signer_problem
    both = verify_package(pkg, trusted=[other_school, TrustedSigner(keys[0].public_raw, "3642000001")])
    assert both.ok


def test_key_without_school_code_is_not_trusted(pkg, keys, tmp_path):
    """An old trust line (no code=) binds no school: refused, with the way out in the message."""
    trust = tmp_path / "old.txt"
    trust.write_text(public_key_text(keys[0].public_raw, "青山县第一中学") + "\n", encoding="utf-8")
    result = verify_package(pkg, trusted=read_trust_file(trust))
    assert result.intact and not result.ok and "没有学校代码" in result.signer_problem
    assert "code=" in result.hint


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
    for name in ("manifest.json", "a/b.pdf", "", "../x", "a/../../x", "/etc/x", "C:\\x", "C:x",
                 "a\\b", "a\0b", " ", ".."):
        with pytest.raises(ValidationError):
            write_package(tmp_path / "p.zip", {name: b"x"}, META, key, pair.public_raw)
    with pytest.raises(ValidationError):                      # key and public key must match
        write_package(tmp_path / "p.zip", FILES, META, key, create_key(PASS, n=N).public_raw)
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
    assert target.read_bytes() == before and verify_package(target).intact
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]


def test_missing_folder_is_output_error(tmp_path, keys):
    pair, key = keys
    with pytest.raises(OutputFileError) as exc:
        write_package(tmp_path / "nope" / "out.zip", FILES, META, key, pair.public_raw)
    assert "文件夹" in exc.value.message and "不存在" in exc.value.message


# --- member names and large packages -------------------------------------------------------

def signed_zip(path: Path, members: list[tuple[str, bytes]], keys, meta=META) -> Path:
    """A package whose manifest lists and signs ``members`` as they are (write_package's
    name checks bypassed), the way a forger would build one."""
    pair, key = keys
    signer = (public_key_text(pair.public_raw) + "\n").encode()
    manifest = package.build_manifest(dict(members), meta, signer)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name), data)
        zf.writestr("manifest.json", manifest)
        zf.writestr("manifest.sig", sign(key, manifest))
        zf.writestr("signer.pub", signer)
    return path


TRAVERSAL = ["../x", "a/../../x", "/etc/x", "C:\\x", "C:x", "a\\b", "dir/x.pdf", "a\0b", "x.pdf.", "CON.txt"]


@pytest.mark.parametrize("name", TRAVERSAL)
def test_escaping_member_names_are_refused_even_when_signed(tmp_path, keys, name):
    path = signed_zip(tmp_path / "evil.zip", [("report.pdf", b"%PDF"), (name, b"owned")], keys)
    known = TrustedSigner(keys[0].public_raw, "3642000001")
    result = verify_package(path, trusted=[known])
    text = "\n".join(result.problems)
    print(name, "->", text)
    assert not result.ok and not result.intact and "文件夹以外" in text


def test_names_differing_only_in_case_are_refused(tmp_path, keys):
    """Unpacked on Windows, REPORT.PDF would overwrite report.pdf."""
    path = signed_zip(tmp_path / "case.zip", [("report.pdf", b"%PDF real"), ("REPORT.PDF", b"%PDF other")], keys)
    result = verify_package(path, trusted=[TrustedSigner(keys[0].public_raw, "3642000001")])
    assert not result.ok and any("大小写" in p for p in result.problems)


def test_many_members_and_duplicates_are_checked_linearly(tmp_path, keys):
    """50,000 members (names.count() per member was quadratic: 200,000 took 300 s):
    duplicates are named exactly, and the unlisted extras are counted, not listed one by one."""
    path = signed_zip(tmp_path / "big.zip", [("report.pdf", b"%PDF")], keys)
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as zf:
        for i in range(50_000):
            zf.writestr(f"extra{i}.txt", b"")
        zf.writestr("report.pdf", b"second")
        zf.writestr("extra7.txt", b"again")
    result = verify_package(path)
    dups = [p for p in result.problems if "不止一次" in p]
    assert sorted(dups) == sorted(f"压缩包中文件 {n} 出现了不止一次，提交包已被改动。"
                                  for n in ("extra7.txt", "report.pdf"))
    assert any("另有" in p and "未登记" in p for p in result.problems)
    assert len(result.problems) < 100 and not result.ok


@pytest.mark.slow
def test_200k_members_verify_quickly(tmp_path, keys):
    import time
    path = signed_zip(tmp_path / "huge.zip", [("report.pdf", b"%PDF")], keys)
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(200_000):
            zf.writestr(f"x{i}", b"")
    start = time.perf_counter()
    result = verify_package(path)
    assert time.perf_counter() - start < 30 and not result.ok
