"""Policy files in and out (政策文件): the use cases behind `policy export/import` and the
政策 view's 导出政策文件… / 导入政策文件… (core.policy_file reads and checks the file).

Export writes the active version (or version ``number``) as plain TOML, or signed with
this database's key as a package. Import is two steps, so the clerk sees the 变更预览
before anything changes: ``check_policy_file`` (read, verify, preview; writes nothing)
then ``save_imported`` (a new version, origin ``imported``, with the signer recorded).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from core.domain import school_year_label
from core.errors import ValidationError
from core.policy_file import POLICY_MEMBER, PolicyFile, policy_meta, read_policy_file
from core.trust import TrustedSigner, read_trust_file
from db import audit
from db.changes import Changes
from db.policy_versions import ChangePreview, VersionInfo, preview_in, save_version
from db.session import Database
from db.settings import PolicySaved

UNSIGNED_HINT = "只有确认文件来自县教育局时才导入未签名的政策文件（命令行加 --allow-unsigned）"


@dataclass(frozen=True)
class PolicyExported:
    path: Path
    signed: bool
    version: VersionInfo | None
    sha256: str
    fingerprint: str = ""
    changes: Changes = Changes.NONE     # (a first signature makes the key: SETTINGS)


def export_policy(db: Database, target: str | Path, sign: bool = False, passphrase: str = "",
                  number: int | None = None, actor: str | None = None) -> PolicyExported:
    """Write the active policy (or version ``number`` of its year) to ``target``: the TOML text
    as stored, or with ``sign`` a signed policy file made with this database's key (made at
    the first signature, like the first export)."""
    from core.package import write_package
    from core.paths import write_atomic
    from core.policy import load_policy
    from core.signing import fingerprint
    from db.keys import ensure_key, public_key
    from db.policy_versions import version_document
    from db.store import get_school
    target = Path(target)
    with db.session() as s:
        version, text = version_document(s, number)
        policy = load_policy(text)
        if not sign:
            write_atomic(target, lambda tmp: tmp.write_bytes(text.encode("utf-8")))
            return PolicyExported(target, False, version, policy.sha256)
        had_key = public_key(s) is not None
        private, public_raw = ensure_key(s, passphrase, actor)
        school = get_school(s)
        meta = policy_meta(school.code, school.name, school.school_year, policy,
                           version.school_year if version else school.school_year, version.number if version else 0)
        write_package(target, {POLICY_MEMBER: text.encode("utf-8")}, meta, private, public_raw)
        audit.record(s, actor or audit.default_actor(), "export", None,
                     {"*": (None, f"签名的政策文件 {version.label if version else ''} {target.name}")})
    return PolicyExported(target, True, version, policy.sha256, fingerprint(public_raw),
                          Changes.NONE if had_key else Changes.SETTINGS)


def trusted_signers(db: Database, trust_files: Sequence[Path] = ()) -> list[TrustedSigner]:
    """Who may sign a policy file for this school: the keys in ``trust_files`` and the
    database's trust list with its own key (db.trust_store, as every verification)."""
    from db.trust_store import trusted_signers as stored
    signers = [signer for path in trust_files for signer in read_trust_file(Path(path))]
    with db.session() as s:
        return signers + stored(s)


@dataclass(frozen=True)
class PolicyFileCheck:
    """A policy file that may be imported, and what it would change."""
    file: PolicyFile
    preview: ChangePreview


def check_policy_file(db: Database, path: str | Path, trust_files: Sequence[Path] = ()) -> PolicyFileCheck:
    """Read and verify a policy file and preview its change; writes nothing. A signed file of
    an unknown signer, a tampered one, an invalid document, or one issued for another school
    year raises a ZizhuError."""
    policy_file = read_policy_file(Path(path), trusted_signers(db, trust_files))
    with db.session() as s:
        from db.store import get_school
        year = get_school(s).school_year
        if policy_file.school_year is not None and policy_file.school_year != year:
            issued = school_year_label(policy_file.school_year)
            raise ValidationError(f"这个政策文件是{policy_file.signer_school}为{issued}签发的，"
                                  f"本校当前是{school_year_label(year)}，没有导入",
                                  "请向县教育局索取本学年的政策文件；如学年设置有误，请先在设置中改正学年")
        _refuse_older(s, policy_file)
        _refuse_from_below(s, policy_file)
        return PolicyFileCheck(policy_file, preview_in(s, policy_file.text))


def _refuse_from_below(session: Session, policy_file: PolicyFile) -> None:
    """A file signed by the key of a unit that reports to this one (a school it takes 提交包 from, a
    station whose 汇总包 it took in: ``db.receiving_nested.seen_roles``) is refused: the station or
    bureau trusts those keys to sign their packages, not the policy (its once-only items and deadlines
    decide what the cross-checks find)."""
    signer = policy_file.signer
    if signer is None or not signer.school_code:
        return
    from db.receiving_nested import seen_roles
    roles = seen_roles(session.connection())
    code = signer.school_code
    why = roles.schools.get(code) or ("本单位所辖的工作站或下级教育部门" if code in roles.stations else "")
    if why:
        raise ValidationError(
            f"这个政策文件由{signer.label()}的密钥签名，但 {code} 是向本单位报送数据的下级单位（{why}）："
            "下级单位的密钥只能签发上报包，不能签发本单位使用的政策文件，没有导入",
            "政策文件应由县教育局（或上级教育部门）签发，请向县教育局索取")


def _refuse_older(session: Session, policy_file: PolicyFile) -> None:
    """A signed file older than a version already imported from the same signer is refused: it would
    put the older standards back (the bureau that wants them again issues them as a new version)."""
    from sqlalchemy import func, select

    from db.models import PolicyVersion
    issued = policy_file.issued
    if not policy_file.signed or issued is None:
        return
    newest = session.execute(
        select(PolicyVersion.issued_year, func.max(PolicyVersion.issued_number))
        .where(PolicyVersion.signer_fingerprint == policy_file.fingerprint, PolicyVersion.issued_year.is_not(None))
        .group_by(PolicyVersion.issued_year).order_by(PolicyVersion.issued_year.desc()).limit(1)).first()
    if newest is None or issued >= (newest[0], newest[1]):
        return
    had = f"{school_year_label(newest[0])} 第{newest[1]}版"
    raise ValidationError(f"这个政策文件是{policy_file.signer_school or '该签名人'}签发的{policy_file.issued_label()}，"
                          f"本校已经导入过同一签名人更新的{had}，没有导入（导入旧版本会把已更新的标准改回去）",
                          "请使用县教育局最新下发的政策文件；如县教育局确要恢复旧标准，请县教育局另行签发新版本")


def save_imported(db: Database, policy_file: PolicyFile, note: str = "", allow_unsigned: bool = False,
                  actor: str | None = None) -> PolicySaved:
    """Save a checked policy file as a new version (origin imported, the signer recorded).
    An unsigned file needs ``allow_unsigned`` (the clerk's confirmation)."""
    if not policy_file.signed and not allow_unsigned:
        raise ValidationError("这是未签名的政策文件，无法确认它来自县教育局、没有被改动，没有导入", UNSIGNED_HINT)
    source = policy_file.source_text()
    return save_version(db, policy_file.text, note or source, actor, "imported",
                        policy_file.fingerprint, policy_file.signer_school, policy_file.issued)
