"""The signer's private key at rest: scrypt + AES-GCM, old PEM keys re-wrapped, passphrase rules,
and the passphrase never reaching a log line or a message."""
import base64
import json
import logging
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from core import signing
from core.errors import InputFileError, ValidationError
from core.signing import create_key, load_private, needs_rewrap, public_key_text, public_raw_of, wrap_private

N = 2 ** 10
SECRET = "Zz-独特的口令-7f3a9c"          # distinctive: searched for in logs and messages


def legacy_pem(key: Ed25519PrivateKey, passphrase: str) -> bytes:
    """A key as earlier versions stored it: PKCS#8 PEM, PBKDF2 with 2,048 rounds."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(passphrase.encode()))


def test_key_blob_is_scrypt_aes_gcm():
    pair = create_key(SECRET, n=N)
    blob = json.loads(pair.private_blob)
    assert blob["kdf"] == "scrypt" and blob["cipher"] == "aes-256-gcm" and blob["version"] == 2
    assert (blob["n"], blob["r"], blob["p"]) == (N, 8, 1)
    assert len(base64.b64decode(blob["salt"])) == 16 and len(base64.b64decode(blob["nonce"])) == 12
    key = load_private(pair.private_blob, SECRET)
    assert public_raw_of(key) == pair.public_raw
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    assert raw not in pair.private_blob and base64.b64encode(raw) not in pair.private_blob
    assert SECRET.encode() not in pair.private_blob


def test_default_cost_is_memory_hard():
    assert signing.SCRYPT_N >= 2 ** 15 and signing.SCRYPT_R == 8
    blob = json.loads(create_key(SECRET).private_blob)        # the real cost, once
    assert blob["n"] == signing.SCRYPT_N


@pytest.mark.parametrize("blank", ["", " " * 12, "\t" * 9, "\u3000" * 8, "\n" * 8])
def test_blank_passphrase_refused(blank):
    with pytest.raises(ValidationError) as exc:
        create_key(blank, n=N)
    assert "不能为空" in exc.value.message and exc.value.hint


def test_short_passphrase_refused():
    with pytest.raises(ValidationError) as exc:
        create_key("1234567", n=N)
    assert "太短" in exc.value.message


def test_wrong_passphrase_same_message_for_new_and_old_keys():
    pair = create_key(SECRET, n=N)
    old = legacy_pem(Ed25519PrivateKey.generate(), SECRET)
    messages = set()
    for blob in (pair.private_blob, old):
        with pytest.raises(ValidationError) as exc:
            load_private(blob, SECRET + "x")
        messages.add((exc.value.message, exc.value.hint))
    assert messages == {("口令不正确，无法打开签名私钥。", "请重新输入口令（注意大小写和输入法的全角/半角）。")}


def test_old_pem_key_still_opens_and_needs_rewrap():
    key = Ed25519PrivateKey.generate()
    old = legacy_pem(key, SECRET)
    assert public_raw_of(load_private(old, SECRET)) == public_raw_of(key)
    assert needs_rewrap(old)
    new = wrap_private(key, SECRET, n=signing.SCRYPT_N)
    assert not needs_rewrap(new)
    assert needs_rewrap(wrap_private(key, SECRET, n=N))          # lower cost than today's: upgraded


@pytest.mark.parametrize("change", [
    {"n": 2 ** 30}, {"n": 1000}, {"r": 10 ** 6}, {"salt": "!!"}, {"nonce": ""}, {"version": 99},
    {"ciphertext": base64.b64encode(b"short").decode()},
])
def test_damaged_or_hostile_blob_is_an_input_error(change):
    blob = json.loads(create_key(SECRET, n=N).private_blob)
    blob.update(change)
    with pytest.raises((InputFileError, ValidationError)) as exc:
        load_private(json.dumps(blob).encode(), SECRET)
    assert SECRET not in str(exc.value)


def test_damaged_blob_types():
    for junk in (b"", b"{", b"not a key", b'{"format": "zizhu-private-key"}', "str"):
        with pytest.raises(InputFileError):
            load_private(junk, SECRET)


def test_old_key_in_database_is_rewrapped_and_audited(db):
    from db import store
    from db.exports import PRIVATE_KEY, PUBLIC_KEY, ensure_key, public_key
    from db.models import AuditEntry
    key = Ed25519PrivateKey.generate()
    with db.session() as s:
        store.init_school(s, "第一中学", "3642000001", 2023, actor="t")
        store.put_setting(s, PRIVATE_KEY, legacy_pem(key, SECRET).decode("ascii"))
        store.put_setting(s, PUBLIC_KEY, public_key_text(public_raw_of(key)))
    with db.session() as s:
        private, public = ensure_key(s, SECRET, actor="t")
        assert public == public_raw_of(key) == public_raw_of(private)
    with db.session() as s:
        stored = store.get_setting(s, PRIVATE_KEY)
        assert json.loads(stored)["kdf"] == "scrypt" and not needs_rewrap(stored.encode())
        assert public_key(s) == public_raw_of(key)                      # same key, same fingerprint
        notes = [e.new for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "key"))]
        assert any("scrypt" in (n or "") for n in notes)
        assert all(SECRET not in (n or "") for n in notes)
        assert public_raw_of(ensure_key(s, SECRET)[0]) == public_raw_of(key)   # opens again
    with db.session() as s, pytest.raises(ValidationError) as exc:
        ensure_key(s, "wrong-passphrase")
    assert exc.value.message == "口令不正确，无法打开签名私钥。"


def test_passphrase_never_logged_nor_in_messages(tmp_path, caplog, capsys, monkeypatch):
    """Create, use, mistype and mis-set the passphrase through the CLI and the core with
    logging at DEBUG: the passphrase never appears in a log record, the log files, an
    error message or the output."""
    from cli.commands import run
    monkeypatch.setattr(signing, "SCRYPT_N", N)
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    db = str(tmp_path / "s.sqlite")
    pw, wrong = tmp_path / "pw.txt", tmp_path / "wrong.txt"
    pw.write_text(SECRET + "\n", encoding="utf-8")
    wrong.write_text(SECRET + "-wrong\n", encoding="utf-8")
    assert run(["--db", db, "demo", "--students", "5"]) == 0
    assert run(["--db", db, "export", str(tmp_path / "a.zip"), "--draft", "--passphrase-file", str(pw)]) == 0
    assert run(["--db", db, "export", str(tmp_path / "b.zip"), "--draft", "--passphrase-file", str(wrong)]) == 2
    for call in (lambda: create_key(" " * 20, n=N), lambda: create_key(SECRET[:5], n=N),
                 lambda: load_private(create_key(SECRET, n=N).private_blob, SECRET + "-wrong"),
                 lambda: load_private(legacy_pem(Ed25519PrivateKey.generate(), SECRET), SECRET + "-wrong")):
        with pytest.raises(ValidationError) as exc:
            call()
        texts += [str(exc.value), repr(exc.value), exc.value.message, exc.value.hint]
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text]
    texts += [r.getMessage() + repr(r.args) for r in caplog.records]
    home = os.environ["ZIZHU_HOME"]
    for folder, _dirs, files in os.walk(home):
        for name in files:
            if name.endswith(".log") or "log" in folder:
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
                    texts.append(fh.read())
    blob = "\n".join(texts)
    assert "口令不正确" in blob                              # the failures were really exercised
    assert SECRET[:5] not in blob                            # nor a prefix (the too-short one)


def test_settings_explain_key_backup_and_lost_passphrase(qtbot, demo_db, shown):
    """设置 says where the key lives, how to back it up and what a lost passphrase means."""
    from conftest import open_main_window

    from gui.main_window import SETTINGS
    win = open_main_window(qtbot, demo_db, SETTINGS)
    text = win.settings.key_help.text()
    assert win.settings.key_help.isVisible()
    assert "数据库文件" in text and "备份" in text and "U 盘" in text
    assert "忘记口令" in text and "新的指纹" in text and "接收单位" in text
