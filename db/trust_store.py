"""The receiver's trust list (签名人登记): public keys bound to school codes, in the database.

``trusted_signers`` is what every verification on this database uses (``verify``, intake,
feedback): the registered keys not removed, plus the database's own key. A key is
registered from its ``key export`` file after the clerk compared its fingerprint with the
one printed on the school's paper report; removing a key keeps its row (``removed_at``)
so the history says who was trusted when.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.signing import public_key_text
from core.text import value_key
from core.trust import TrustedSigner, read_trust_file
from db import audit
from db.keys import own_signer
from db.readonly import TRUST_SOURCE as SOURCE
from db.readonly import read_trusted_signers  # noqa: F401 - kept importable from here
from db.readonly import trusted_signer as _trusted
from db.receiving_models import TrustedSignerRow
from db.session import Database


@dataclass(frozen=True)
class SignerEntry:
    """One row of the trust list, for ``trust list`` and 设置."""

    id: int
    fingerprint: str
    school_code: str
    school_name: str
    township: str
    registered_at: datetime
    registered_by: str
    removed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.removed_at is None


def _entry(row: TrustedSignerRow) -> SignerEntry:
    return SignerEntry(row.id, row.fingerprint, row.school_code, row.school_name, row.township,
                       row.registered_at, row.registered_by, row.removed_at)


def _signer(row: TrustedSignerRow) -> TrustedSigner:
    return _trusted(row.public_key, row.school_code, row.school_name, str(row.registered_at))


def trusted_signers(session: Session) -> list[TrustedSigner]:
    """The keys this database trusts: the registered ones not removed, plus its own key."""
    rows = session.scalars(select(TrustedSignerRow).where(TrustedSignerRow.removed_at.is_(None))
                           .order_by(TrustedSignerRow.id))
    signers = [_signer(r) for r in rows]
    own = own_signer(session)
    return [*signers, own] if own is not None else signers


def signer_entries(session: Session, include_removed: bool = True) -> list[SignerEntry]:
    q = select(TrustedSignerRow).order_by(TrustedSignerRow.school_code, TrustedSignerRow.id)
    if not include_removed:
        q = q.where(TrustedSignerRow.removed_at.is_(None))
    return [_entry(r) for r in session.scalars(q)]


@dataclass(frozen=True)
class KeyFile:
    """A public-key file read for registration (nothing stored yet)."""

    signer: TrustedSigner      # with the school code to register (from --code or the line's code=)
    fingerprint: str
    file_name: str = ""        # the unit's name the line itself carries ("": none)

    @property
    def renamed(self) -> bool:
        """Registered under another name than the one the key file carries."""
        return bool(self.file_name) and not same_name(self.file_name, self.signer.school_name)


def same_name(a: str, b: str) -> bool:
    """One unit's name however it was typed: full- or half-width forms (（本部） and (本部)) and
    spaces make no other name; the comparison an intake makes of a package's own name
    (``db.receiving_nested.KnownNames.differing``)."""
    return value_key(a or "") == value_key(b or "")


def other_name_warning(file_name: str, name: str, typed: str) -> str:
    """Before the registration: the name typed (``typed`` says where, e.g. "这里填写的") is not the
    one the key file carries; "" when it is, or the file carries none. The code binds the key and
    a different one is refused (``read_key_file``); the name is only said: it is the label the
    clerk reads and the one an intake compares a package's own name with, and a school's name is
    often typed otherwise (shortened, or the school renamed since it exported its key). It may
    also be the first sign of the wrong school's file chosen, which the fingerprint comparison
    that follows is there to catch."""
    if not file_name or not name.strip() or same_name(file_name, name):     # (an empty name: said as such)
        return ""
    return (f"注意：公钥文件中的单位名称是“{file_name}”，与{typed}“{name.strip()}”不同；"
            "请确认选的是这所学校的公钥文件。按这个名称登记后，接收该校的上报包时可能提示名称不同，"
            "建议按公钥文件中的名称登记。")


def other_name_note(key: KeyFile, typed: str, undo: str) -> str:
    """After the registration: the name the key was registered under is not the key file's
    (``typed`` says whose, ``undo`` how to remove the registration there); "" when it is."""
    if not key.renamed:
        return ""
    return (f"注意：公钥文件中的单位名称是“{key.file_name}”，已按{typed}登记为“{key.signer.school_name}”，"
            f"接收该校的上报包时可能提示名称不同；如果登记错了，{undo}")


def read_key_file(path: Path, school: str, code: str | None = None) -> KeyFile:
    """The one key of a ``key export`` file, bound to ``code`` (or the line's ``code=``).
    Raises InputFileError / ValidationError with what is wrong and what to do."""
    name = (school or "").strip()
    if not name:
        raise ValidationError("学校名称为空。", "请用 --school 写明这把公钥属于哪所学校（或工作站）。")
    signers = read_trust_file(Path(path))
    if len(signers) != 1:
        raise ValidationError(f"公钥文件 {path} 中有 {len(signers)} 把公钥，一次只能登记一把。",
                              "请使用学校“导出公钥”得到的文件（只有一行公钥）。")
    line = signers[0]
    given = (code or "").strip()
    if given and line.school_code and given != line.school_code:
        raise ValidationError(f"--code {given} 与公钥文件中的学校代码 {line.school_code} 不一致。",
                              "请与学校核对学校代码；公钥文件由学校“导出公钥”得到，其中的 code= 就是学校的代码。")
    bound = given or line.school_code
    if not bound:
        raise ValidationError(f"公钥文件 {path} 中没有学校代码（code=），也没有用 --code 指定。",
                              "请用 --code 学校代码 指定这把公钥属于哪个学校代码（与学校核对后）。")
    signer = TrustedSigner(line.public_raw, bound, name, SOURCE)
    return KeyFile(signer, signer.fingerprint, line.school_name.strip())


def add_signer(session: Session, key: KeyFile, township: str = "", actor: str | None = None) -> SignerEntry:
    """Register ``key`` (read by ``read_key_file``). A key already registered for another
    school code is refused: one school's key must not sign for another."""
    actor = actor or audit.default_actor()
    active = session.scalars(select(TrustedSignerRow).where(TrustedSignerRow.fingerprint == key.fingerprint,
                                                            TrustedSignerRow.removed_at.is_(None))).all()
    for row in active:
        if row.school_code == key.signer.school_code:
            raise ValidationError(f"指纹为 {key.fingerprint} 的公钥已登记为学校代码 {row.school_code}"
                                  f"（{row.school_name}）的密钥，无需重复登记。", "trust list 可查看信任列表。")
        raise ValidationError(f"指纹为 {key.fingerprint} 的公钥已登记为学校代码 {row.school_code}（{row.school_name}）"
                              f"的密钥，不能再登记为学校代码 {key.signer.school_code} 的密钥："
                              "一所学校的密钥不能为另一所学校签名。",
                              "请与两所学校核对；确属登记错误时，先用 trust remove 指纹 移除旧的登记。")
    row = TrustedSignerRow(fingerprint=key.fingerprint, public_key=public_key_text(key.signer.public_raw),
                           school_code=key.signer.school_code, school_name=key.signer.school_name,
                           township=(township or "").strip(), registered_at=datetime.now(), registered_by=actor,
                           removed_at=None)
    session.add(row)
    session.flush()
    renamed = f"（公钥文件中的单位名称是“{key.file_name}”）" if key.renamed else ""
    audit.record(session, actor, "trust", row.id,
                 {"*": (None, f"登记签名人：学校代码 {row.school_code}（{row.school_name}），指纹 {row.fingerprint}"
                              + renamed)})
    return _entry(row)


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def remove_signers(session: Session, what: str, actor: str | None = None) -> list[SignerEntry]:
    """Remove (keep with ``removed_at``) the active key with this fingerprint, or every
    active key of this school code. Refused when nothing matches."""
    actor = actor or audit.default_actor()
    wanted = (what or "").strip()
    active = session.scalars(select(TrustedSignerRow).where(TrustedSignerRow.removed_at.is_(None))
                             .order_by(TrustedSignerRow.id)).all()
    rows = [r for r in active if _compact(r.fingerprint) == _compact(wanted)] or \
        [r for r in active if r.school_code == wanted]
    if not wanted or not rows:
        raise ValidationError(f"信任列表中没有指纹或学校代码为“{wanted}”的有效登记。",
                              "trust list 可查看已登记的指纹和学校代码。")
    now = datetime.now()
    for row in rows:
        row.removed_at = now
        audit.record(session, actor, "trust", row.id,
                     {"removed_at": (None, f"移除签名人：学校代码 {row.school_code}（{row.school_name}），"
                                           f"指纹 {row.fingerprint}")}, now)
    session.flush()
    return [_entry(r) for r in rows]


# -- use cases (one transaction each) for the CLI and the GUI --------------------------------
def register(db: Database, key: KeyFile, township: str = "", actor: str | None = None) -> SignerEntry:
    with db.session() as s:
        return add_signer(s, key, township, actor)


def unregister(db: Database, what: str, actor: str | None = None) -> list[SignerEntry]:
    with db.session() as s:
        return remove_signers(s, what, actor)


def entries(db: Database, include_removed: bool = True) -> list[SignerEntry]:
    with db.session() as s:
        return signer_entries(s, include_removed)


def signers(db: Database) -> list[TrustedSigner]:
    with db.session() as s:
        return trusted_signers(s)
