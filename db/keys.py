"""The signer's key pair in the store: created on the first export, replaced when the
passphrase is lost, the public key line for the receiver, and the retired keys.

The private key is kept encrypted (``core.signing``) in the setting ``signer.private_pem``,
the public key line in ``signer.public``. Replacing the key never needs the old passphrase
(the point is that it was lost); the old public key line is kept in ``signer.retired``
(a JSON list, newest last) so packages signed before the change can still be recognised.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.errors import ValidationError
from db import audit, store
from db.session import Database

PRIVATE_KEY = "signer.private_pem"
PUBLIC_KEY = "signer.public"
RETIRED = "signer.retired"

# What replacing the key means, for the CLI refusal and the GUI question.
REPLACE_CONSEQUENCES = (
    "更换签名密钥会生成一把新的密钥（新的指纹），旧密钥从此不再用于签名，也不需要旧口令。\n"
    "· 接收单位必须登记新的公钥和指纹，否则之后导出的上报包会被判为“签名人未知”；"
    "请导出新公钥交给接收单位，并通过电话或纸质报告核对新指纹。\n"
    "· 用旧密钥签名、已经报送的上报包仍然有效：接收单位只要保留旧公钥的登记，就能继续核验。\n"
    "· 旧公钥会记在本数据库的密钥历史中；更换前会先备份数据库。\n"
    "· 新口令请记在安全的地方：忘记口令无法找回。")


def ensure_key(session: Session, passphrase: str, actor: str | None = None) -> tuple[Any, bytes]:
    """The signer's key: loaded with the passphrase, or created on first export. A key
    stored by an earlier version (PEM, PBKDF2) or with a lower scrypt cost is
    re-encrypted with the current KDF once it opened (audited)."""
    from core.signing import (
        create_key,
        load_private,
        needs_rewrap,
        parse_public_key_text,
        public_key_text,
        wrap_private,
    )
    blob = store.get_setting(session, PRIVATE_KEY)
    if blob is None:
        pair = create_key(passphrase)
        store.put_setting(session, PRIVATE_KEY, pair.private_blob.decode("ascii"))
        store.put_setting(session, PUBLIC_KEY, public_key_text(pair.public_raw))
        audit.record(session, actor or audit.default_actor(), "key", None, {"*": (None, "创建签名密钥")})
        blob = store.get_setting(session, PRIVATE_KEY)
    assert blob is not None
    private = load_private(blob.encode("ascii", "replace"), passphrase)
    if needs_rewrap(blob.encode("ascii", "replace")):
        store.put_setting(session, PRIVATE_KEY, wrap_private(private, passphrase).decode("ascii"))
        audit.record(session, actor or audit.default_actor(), "key", None,
                     {"*": (None, "签名私钥改用 scrypt 重新加密（密钥和指纹不变）")})
    return private, parse_public_key_text(store.get_setting(session, PUBLIC_KEY) or "")


def public_key(session: Session) -> bytes | None:
    from core.signing import parse_public_key_text
    text = store.get_setting(session, PUBLIC_KEY)
    return parse_public_key_text(text) if text else None


def own_signer(session: Session) -> Any:
    """This database's key as a TrustedSigner bound to its school code (None without a key)."""
    from core.trust import TrustedSigner
    raw = public_key(session)
    school = store.find_school(session)
    if raw is None or school is None:
        return None
    return TrustedSigner(raw, school.code.strip(), school.name, "本机数据库")


def public_key_line(session: Session) -> str:
    """The public key line for the receiver's trust list, bound to the school code."""
    from core.trust import signer_line
    raw = public_key(session)
    if raw is None:
        raise ValidationError("还没有签名密钥。", "第一次导出上报包时会创建密钥，之后再导出公钥。")
    school = store.get_school(session)
    return signer_line(raw, school.code, school.name)


def read_own_signer(path: Path) -> Any:
    """The signer of the database file at ``path`` (None when the file does not exist
    or has no key). Read-only: never creates, migrates or writes the file."""
    import sqlite3

    from core.errors import DatabaseError
    from core.signing import parse_public_key_text
    from core.trust import TrustedSigner
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise sqlite3.DatabaseError("not a database")
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT value FROM setting WHERE key = ?", (PUBLIC_KEY,)).fetchone()
            school = con.execute("SELECT code, name FROM school ORDER BY id LIMIT 1").fetchone()
        finally:
            con.close()
        if row is None or school is None:
            return None
        return TrustedSigner(parse_public_key_text(row[0]), str(school[0]).strip(), str(school[1]), "本机数据库")
    except (sqlite3.Error, OSError, ValidationError):
        raise DatabaseError(f"无法从数据库 {path} 读取本校的签名公钥。",
                            "请确认 --db 指向资助助手的数据库；或不用数据库，改用 --trust 信任文件 核验。") from None


# -- replacing the key (a lost passphrase) ---------------------------------
@dataclass(frozen=True)
class RetiredKey:
    public_line: str          # as ``key export`` wrote it (bound to the school code when known)
    fingerprint: str          # "" when the stored line could not be read
    retired_at: str           # ISO time of the replacement


def retired_keys(session: Session) -> list[RetiredKey]:
    """The keys this database signed with before, oldest first."""
    return [RetiredKey(e.get("public", ""), e.get("fingerprint", ""), e.get("retired_at", ""))
            for e in _retired_entries(session)]


def read_retired_keys(path: Path) -> list[RetiredKey]:
    """The retired keys of the database file at ``path``, read-only ([] when unreadable:
    they only explain an unknown signer, they are never trusted)."""
    import sqlite3
    try:
        rows = query_read_only(path, "SELECT value FROM setting WHERE key = ?", (RETIRED,))
    except (sqlite3.Error, OSError):
        return []
    return [RetiredKey(e.get("public", ""), e.get("fingerprint", ""), e.get("retired_at", ""))
            for e in _parse_retired(rows[0][0] if rows else None)]


def query_read_only(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """The rows of ``sql`` on the database file at ``path`` opened read-only (never created,
    migrated or written; [] when the file does not exist). sqlite3.Error and OSError propagate."""
    import sqlite3
    path = Path(path)
    if not path.is_file():
        return []
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _retired_entries(session: Session) -> list[dict[str, str]]:
    return _parse_retired(store.get_setting(session, RETIRED))


def _parse_retired(text: str | None) -> list[dict[str, str]]:
    if not text:
        return []
    try:
        entries = json.loads(text)
    except ValueError:
        entries = None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        # a damaged history is kept as one unreadable entry, never dropped
        return [{"public": text, "fingerprint": "", "retired_at": ""}]
    return [{k: str(v) for k, v in e.items()} for e in entries]


def _retired_entry(session: Session, old_text: str, now: datetime) -> dict[str, str]:
    from core.signing import fingerprint, parse_public_key_text, public_key_text
    from core.trust import signer_line
    try:
        raw = parse_public_key_text(old_text)
    except ValidationError:               # damaged: keep the text as it was
        return {"public": old_text, "fingerprint": "", "retired_at": now.isoformat(timespec="seconds")}
    school = store.find_school(session)
    line = signer_line(raw, school.code, school.name) if school is not None and school.code.strip() \
        else public_key_text(raw)
    return {"public": line, "fingerprint": fingerprint(raw), "retired_at": now.isoformat(timespec="seconds")}


def replace_key(session: Session, new_passphrase: str, actor: str | None = None) -> str:
    """A new key pair protected by ``new_passphrase`` (the old passphrase is not needed);
    the old public key goes to the history, the change is audited. Returns the new
    fingerprint. Without a key yet this simply creates the first one."""
    from core.signing import create_key, public_key_text
    pair = create_key(new_passphrase)        # checks the passphrase first: nothing changes on a bad one
    now = datetime.now()
    old_text = store.get_setting(session, PUBLIC_KEY)
    if old_text:
        entry = _retired_entry(session, old_text, now)
        store.put_setting(session, RETIRED, json.dumps([*_retired_entries(session), entry], ensure_ascii=False))
        note = f"更换签名密钥：旧指纹 {entry['fingerprint'] or '（无法读取）'} → 新指纹 {pair.fingerprint}"
    else:
        note = f"创建签名密钥：指纹 {pair.fingerprint}"
    store.put_setting(session, PRIVATE_KEY, pair.private_blob.decode("ascii"))
    store.put_setting(session, PUBLIC_KEY, public_key_text(pair.public_raw))
    audit.record(session, actor or audit.default_actor(), "key", None, {"*": (None, note)}, now)
    return pair.fingerprint


def new_key(db: Database, new_passphrase: str, actor: str | None = None) -> str:
    """``replace_key`` after a backup of the database (which still holds the old key)."""
    from core.signing import check_new_passphrase
    from db.backup import backup_before_change
    check_new_passphrase(new_passphrase)      # no backup for a passphrase that will be refused
    backup_before_change(db, "before-key")
    with db.session() as s:
        return replace_key(s, new_passphrase, actor)


# -- the public key file for the receiver --------------------------------
def key_file_name(school_code: str | None, school_name: str | None) -> str:
    """``<学校代码>-<学校>-公钥.txt`` with characters Windows forbids in names replaced."""
    from core.paths import safe_file_name
    return safe_file_name((school_code, school_name, "公钥"), ".txt")


@dataclass(frozen=True)
class ExportedKey:
    path: Path
    fingerprint: str


def export_public_key(db: Database, path: str | Path) -> ExportedKey:
    """Write the public key line (what ``key export`` writes) to ``path``, atomically."""
    from core.paths import write_atomic
    from core.signing import fingerprint
    with db.session() as s:
        line = public_key_line(s)
        fp = fingerprint(public_key(s) or b"")
    path = write_atomic(path, lambda tmp: tmp.write_text(line + "\n", encoding="utf-8"))
    return ExportedKey(path, fp)
