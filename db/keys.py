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
from db.readonly import (  # noqa: F401 - the read-only readers, kept importable from here
    PUBLIC_KEY,
    RETIRED,
    RetiredKey,
    parse_retired,
    query_read_only,
    read_own_signer,
    read_retired_keys,
    retired_of,
)
from db.session import Database

PRIVATE_KEY = "signer.private_pem"

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


# -- replacing the key (a lost passphrase) ---------------------------------
def retired_keys(session: Session) -> list[RetiredKey]:
    """The keys this database signed with before, oldest first."""
    return retired_of(store.get_setting(session, RETIRED))


def _retired_entries(session: Session) -> list[dict[str, str]]:
    return parse_retired(store.get_setting(session, RETIRED))


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


KEY_SUFFIXES = (".txt", ".pub")      # key_file_name writes .txt; trust add and gui.trust_box read both


def export_public_key(db: Database, path: str | Path) -> ExportedKey:
    """Write the public key line (what ``key export`` writes) to ``path``, atomically: a .txt or .pub
    file, never over a database another 资助助手 is using (``db.lock.check_not_in_use``)."""
    from core.paths import require_suffix, write_atomic
    from core.signing import fingerprint
    from db.lock import check_not_in_use
    require_suffix(path, KEY_SUFFIXES, "公钥")
    check_not_in_use(path)
    with db.session() as s:
        line = public_key_line(s)
        fp = fingerprint(public_key(s) or b"")
    path = write_atomic(path, lambda tmp: tmp.write_text(line + "\n", encoding="utf-8"))
    return ExportedKey(path, fp)
