"""`verify` through the CLI: a valid signature is not enough, the signer must be known
(this database's key, or a key in a --trust file bound to the manifest's school code)."""
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from cli.commands import run
from core import signing
from core.signing import create_key, load_private, public_key_text
from core.trust import signer_line

PASS = "verify-口令-2026"


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch):
    monkeypatch.setattr(signing, "SCRYPT_N", 2 ** 10)


@pytest.fixture
def school(tmp_path, capsys):
    """A demo school database and its genuine draft package."""
    db = tmp_path / "school.sqlite"
    pw = tmp_path / "pw.txt"
    pw.write_text(PASS + "\n", encoding="utf-8")
    assert run(["--db", str(db), "demo", "--students", "20"]) == 0
    pkg = tmp_path / "genuine.zip"
    assert run(["--db", str(db), "export", str(pkg), "--draft", "--passphrase-file", str(pw)]) == 0
    assert run(["--db", str(db), "key", "show"]) == 0
    fp = capsys.readouterr().out.strip().split("：")[-1]
    with zipfile.ZipFile(pkg) as zf:
        code = json.loads(zf.read("manifest.json"))["school"]["code"]
    return {"db": db, "pkg": pkg, "fp": fp, "code": code, "pw": pw}


def forge(genuine: Path, target: Path):
    """Rewrite the report and the manifest (total 999999.00, final instead of draft),
    re-sign with a fresh key and replace signer.pub. Returns the forger's key pair."""
    pair = create_key("forger-passphrase", n=2 ** 10)
    key = load_private(pair.private_blob, "forger-passphrase")
    with zipfile.ZipFile(genuine) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    members["report.pdf"] = members["report.pdf"].replace(b"%PDF", b"%PDF", 1) + b"\n% forged totals\n"
    signer = (public_key_text(pair.public_raw, "school") + "\n").encode()
    members["signer.pub"] = signer
    manifest["totals"]["total"] = "999999.00"
    manifest["draft"] = False
    for name in ("report.pdf", "signer.pub"):
        manifest["files"][name] = {"sha256": hashlib.sha256(members[name]).hexdigest(),
                                   "size": len(members[name])}
    members["manifest.json"] = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2).encode()
    members["manifest.sig"] = signing.sign(key, members["manifest.json"])
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return pair


def test_forged_package_is_intact_but_signer_unknown(school, tmp_path, capsys):
    forger = forge(school["pkg"], tmp_path / "forged.zip")
    capsys.readouterr()
    assert run(["verify", str(tmp_path / "forged.zip")]) == 1
    out = capsys.readouterr().out
    print(out)
    assert "签名人未知" in out and "文件完整" in out and "校验通过" not in out
    assert forger.fingerprint in out and school["fp"] not in out
    assert "提交包类型：正式" in out and "不可作准" in out     # what the (unproven) manifest says
    # the school's own database does not know the forger either
    assert run(["--db", str(school["db"]), "verify", str(tmp_path / "forged.zip")]) == 1
    assert "签名人未知" in capsys.readouterr().out


def test_known_forger_key_for_another_school_is_refused(school, tmp_path, capsys):
    forger = forge(school["pkg"], tmp_path / "forged.zip")
    trust = tmp_path / "trust.txt"
    trust.write_text(signer_line(forger.public_raw, "9999999999", "别的学校") + "\n", encoding="utf-8")
    capsys.readouterr()
    assert run(["verify", str(tmp_path / "forged.zip"), "--trust", str(trust)]) == 1
    out = capsys.readouterr().out
    assert "不能为另一所学校签名" in out and "9999999999" in out and school["code"] in out
    assert "校验通过" not in out


def test_genuine_package_with_the_school_database(school, capsys):
    capsys.readouterr()
    assert run(["--db", str(school["db"]), "verify", str(school["pkg"])]) == 0
    out = capsys.readouterr().out
    assert "校验通过" in out and "本机数据库" in out and school["code"] in out
    assert school["fp"] in out and "提交包类型：草稿" in out


def test_genuine_package_with_the_exported_key(school, tmp_path, capsys):
    keyfile = tmp_path / "school.pub"
    assert run(["--db", str(school["db"]), "key", "export", str(keyfile)]) == 0
    line = keyfile.read_text(encoding="utf-8").strip()
    assert f" code={school['code']} " in line
    other = tmp_path / "other.pub"
    other.write_text(signer_line(create_key(PASS, n=2 ** 10).public_raw, "1", "一校") + "\n", encoding="utf-8")
    capsys.readouterr()
    # --trust is repeatable; no --db: the default database does not exist and is not created
    assert run(["verify", str(school["pkg"]), "--trust", str(other), "--trust", str(keyfile)]) == 0
    out = capsys.readouterr().out
    assert "校验通过" in out and "草稿" in out and school["fp"] in out
    assert run(["verify", str(school["pkg"]), "--trust", str(other)]) == 1
    assert "签名人未知" in capsys.readouterr().out


def test_genuine_package_without_any_trust_is_not_a_pass(school, tmp_path, capsys):
    missing = tmp_path / "nowhere.sqlite"
    capsys.readouterr()
    assert run(["--db", str(missing), "verify", str(school["pkg"])]) == 1
    out = capsys.readouterr().out
    assert "签名人未知" in out and "文件完整" in out and school["fp"] in out and "草稿" in out
    assert not missing.exists()                          # verify never creates a database


def test_old_trust_line_without_school_code_is_refused(school, tmp_path, capsys):
    keyfile = tmp_path / "school.pub"
    assert run(["--db", str(school["db"]), "key", "export", str(keyfile)]) == 0
    old = " ".join(keyfile.read_text(encoding="utf-8").split()[:2]) + " 旧版导出\n"
    keyfile.write_text(old, encoding="utf-8")
    capsys.readouterr()
    assert run(["verify", str(school["pkg"]), "--trust", str(keyfile)]) == 1
    out = capsys.readouterr().out
    assert "没有学校代码" in out and "code=" in out


def test_tampered_package_still_fails(school, tmp_path, capsys):
    with zipfile.ZipFile(school["pkg"]) as zin, zipfile.ZipFile(tmp_path / "t.zip", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data + b"x" if info.filename == "workbook.xlsx" else data)
    capsys.readouterr()
    assert run(["--db", str(school["db"]), "verify", str(tmp_path / "t.zip")]) == 1
    out = capsys.readouterr().out
    assert "校验失败" in out and "workbook.xlsx" in out and "草稿" in out


# --- command line: no abbreviations, passphrase files ---------------------------------------

@pytest.mark.parametrize("option", ["--passphrase", "--pass", "--passphrase=secret-口令-1"])
def test_passphrase_on_the_command_line_is_refused(tmp_path, capsys, option):
    argv = ["--db", str(tmp_path / "x.sqlite"), "export", str(tmp_path / "out.zip"), option]
    if "=" not in option:
        argv.append("secret-口令-1")
    with pytest.raises(SystemExit) as exc:
        run(argv)
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert "secret-口令-1" not in captured.err + captured.out
    assert "--passphrase-file" in captured.err
    assert not (tmp_path / "out.zip").exists()


def test_no_abbreviations_in_any_subparser(capsys):
    from cli.commands import build_parser
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["import", "students", "f.csv", "--dry"])        # --dry-run abbreviated
    with pytest.raises(SystemExit):
        parser.parse_args(["--de", "compute"])                             # --demo abbreviated
    assert parser.parse_args(["import", "students", "f.csv", "--dry-run"]).dry_run


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_passphrase_file_encodings(school, tmp_path, capsys, encoding):
    """The key was created with PASS (UTF-8 file); the same passphrase saved by Notepad
    as UTF-8 with BOM, UTF-8 or GBK (CR LF) opens it."""
    pw = tmp_path / f"pw-{encoding}.txt"
    pw.write_bytes((PASS + "\r\n").encode(encoding))
    out = tmp_path / f"again-{encoding}.zip"
    assert run(["--db", str(school["db"]), "export", str(out), "--draft", "--passphrase-file", str(pw)]) == 0
    assert out.exists()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(("x" + PASS + "\r\n").encode(encoding))
    capsys.readouterr()
    assert run(["--db", str(school["db"]), "export", str(tmp_path / "no.zip"), "--draft",
                "--passphrase-file", str(bad)]) == 2
    assert "口令不正确" in capsys.readouterr().err


def test_decode_passphrase_file():
    from cli.export_commands import decode_passphrase_file
    assert decode_passphrase_file("\ufeff口令abc123\r\n第二行".encode("utf-8")) == "口令abc123"
    assert decode_passphrase_file("口令abc123\n".encode("gbk")) == "口令abc123"
    assert decode_passphrase_file(b"plain-pass\r") == "plain-pass"
    assert decode_passphrase_file(b"") == ""
