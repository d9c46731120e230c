"""Policy versions by school year (政策版本) and the change preview (变更预览).

Saving a policy creates a new version (1, 2, … per school year); the active policy is the
newest version of the school's year — or, in a new school year before anything is saved,
the newest of the latest earlier year (carried forward unchanged). ``active_text`` is the
one reader: every computation, check, letter and export reads the policy through it
(db.store.get_policy_text). Old versions stay readable (``list_versions``, ``version_text``).

``preview_change`` says what a new document would change before it is saved;
``save_version`` saves it (db.store.change_policy: one path, one transaction, audited;
the verified students whose subsidies change go back to 待核准 with their old and new
amounts in the audit).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.domain import school_year_label
from core.engine import Calculator, StudentResult, Totals, totals_of
from core.errors import ValidationError, ZizhuError
from core.money import format_fen
from core.policy import SOURCE_LABELS, Policy, default_policy_text, load_policy
from core.policy_diff import PolicyDiff, policy_diff_items
from core.policy_preview import StudentDelta, compare, student_deltas
from db import audit
from db.models import PolicyVersion, School, Student
from db.plain_reads import ACTIVE_POLICY_ID, REMOVED
from db.session import Database
from db.settings import PolicySaved

ORIGIN_LABELS = {"default": "程序自带", "edited": "本校修改", "imported": "导入政策文件"}


@dataclass(frozen=True)
class VersionInfo:
    school_year: int              # 0: saved before the school existed
    number: int
    sha256: str
    created_at: datetime
    created_by: str
    note: str
    origin: str                   # default | edited | imported
    signer_fingerprint: str = ""  # an imported signed file's signer
    signer_school: str = ""
    active: bool = False

    @property
    def label(self) -> str:
        """“2023–2024学年 第2版”."""
        year = school_year_label(self.school_year)
        return f"{year} 第{self.number}版" if year else f"第{self.number}版"

    @property
    def origin_label(self) -> str:
        text = ORIGIN_LABELS.get(self.origin, self.origin)
        if self.signer_school:
            text += f"（{self.signer_school} 签名）"
        return text


def _info(row: PolicyVersion, active_id: int | None) -> VersionInfo:
    return VersionInfo(row.school_year, row.number, row.sha256, row.created_at, row.created_by, row.note,
                       row.origin, row.signer_fingerprint, row.signer_school, row.id == active_id)


def _school_year(session: Session) -> int:
    return session.scalar(select(School.school_year).order_by(School.id).limit(1)) or 0


def active_row(session: Session) -> PolicyVersion | None:
    """The active version: the newest of the school's year, else of the latest earlier year,
    else (a school year set back) the newest of all."""
    active_id = session.scalar(text(ACTIVE_POLICY_ID))     # one SQL text, also ``compute``'s plain read
    return session.get(PolicyVersion, active_id) if active_id is not None else None


def active_text(session: Session) -> str:
    """The active policy document (the bundled default before any version exists)."""
    row = active_row(session)
    return row.text if row is not None else default_policy_text()


def active_version(session: Session) -> VersionInfo | None:
    row = active_row(session)
    return _info(row, row.id) if row is not None else None


def add_version(session: Session, text: str, origin: str, note: str = "", actor: str | None = None,
                signer_fingerprint: str = "", signer_school: str = "",
                at: datetime | None = None, issued: tuple[int, int] | None = None) -> VersionInfo:
    """Store ``text`` as the next version of the school's year (the caller validated it)."""
    year = _school_year(session)
    last = session.scalar(select(func.max(PolicyVersion.number)).where(PolicyVersion.school_year == year)) or 0
    row = PolicyVersion(school_year=year, number=last + 1, text=text,
                        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), created_at=at or datetime.now(),
                        created_by=actor or audit.default_actor(), note=note, origin=origin,
                        signer_fingerprint=signer_fingerprint, signer_school=signer_school,
                        issued_year=issued[0] if issued else None, issued_number=issued[1] if issued else None)
    session.add(row)
    session.flush()
    return _info(row, row.id)


def ensure_version(session: Session, actor: str | None = None) -> None:
    """A new school starts on version 1: the bundled default policy."""
    if session.scalar(select(func.count()).select_from(PolicyVersion)) == 0:
        add_version(session, default_policy_text(), "default", "程序自带的默认政策", actor)


def list_versions(db: Database) -> list[VersionInfo]:
    """Every version, newest first (the active one marked)."""
    with db.session() as s:
        active = active_row(s)
        rows = s.scalars(select(PolicyVersion).order_by(PolicyVersion.school_year.desc(),
                                                        PolicyVersion.number.desc()))
        return [_info(r, active.id if active else None) for r in rows]


def find_version(session: Session, number: int, school_year: int | None = None) -> VersionInfo:
    """Version ``number`` of ``school_year`` (default: the active version's year)."""
    active = active_row(session)
    if school_year is None:
        school_year = active.school_year if active else _school_year(session)
    row = session.scalars(select(PolicyVersion).where(PolicyVersion.school_year == school_year,
                                                      PolicyVersion.number == number)).first()
    if row is None:
        year = school_year_label(school_year) or "本校"
        raise ValidationError(f"{year}没有第{number}版资助政策", "policy versions 列出已有的版本")
    return _info(row, active.id if active else None)


def _text_of(session: Session, info: VersionInfo) -> str:
    return session.scalars(select(PolicyVersion.text).where(PolicyVersion.school_year == info.school_year,
                                                            PolicyVersion.number == info.number)).one()


def version_document(session: Session, number: int | None = None) -> tuple[VersionInfo | None, str]:
    """(version, document): version ``number`` of the active year, or the active one
    (None and the bundled default before any version exists)."""
    if number is None:
        row = active_row(session)
        return (_info(row, row.id), row.text) if row is not None else (None, default_policy_text())
    info = find_version(session, number)
    return info, _text_of(session, info)


def version_text(db: Database, number: int, school_year: int | None = None) -> str:
    """The document of version ``number`` of ``school_year`` (default: the active version's year)."""
    with db.session() as s:
        return _text_of(s, find_version(s, number, school_year))


# ---------------------------------------------------------------- preview

@dataclass(frozen=True)
class ChangePreview:
    """What saving ``new`` instead of the active policy changes (变更预览)."""
    current: VersionInfo | None
    old: Policy | None               # None: the active document no longer loads
    new: Policy
    diff: PolicyDiff | None          # None when ``old`` is None
    students: tuple[StudentDelta, ...]   # students on the list whose subsidies change
    unverify: tuple[StudentDelta, ...]   # the verified ones among them: back to 待核准 on saving
    before: Totals
    after: Totals
    # verified students removed from the list whose results change: back to 待核准 too (db.store)
    unverify_removed: tuple[StudentDelta, ...] = ()

    @property
    def unverified(self) -> int:
        """How many verified students saving sends back to 待核准, removed ones included."""
        return len(self.unverify) + len(self.unverify_removed)

    @property
    def changed(self) -> bool:
        """Whether saving would create a new version (the document differs)."""
        return self.old is None or self.old.sha256 != self.new.sha256

    def item_totals(self) -> list[tuple[str, str, int, int]]:
        """(code, name, fen before, fen after) of every item of either policy."""
        names = {i.code: i.name for i in (self.old.items if self.old else ())}
        names.update({i.code: i.name for i in self.new.items})
        return [(c, n, self.before.by_item.get(c, 0), self.after.by_item.get(c, 0)) for c, n in names.items()]

    def source_totals(self) -> list[tuple[str, int, int]]:
        """(funding source's Chinese name, fen before, fen after), then the total."""
        sources = [*SOURCE_LABELS, *(s for s in {**self.before.by_source, **self.after.by_source}
                                     if s not in SOURCE_LABELS)]
        rows = [(SOURCE_LABELS.get(s, s), self.before.by_source.get(s, 0), self.after.by_source.get(s, 0))
                for s in sources if s in self.before.by_source or s in self.after.by_source]
        return [*rows, ("合计", self.before.total, self.after.total)]

    def lines(self) -> list[str]:
        """The preview as text (`policy import`, `policy preview`)."""
        out = [f"政策变化：{'；'.join(self.diff.lines()) or '只有注释或格式不同'}" if self.diff
               else "原政策文件无法读取，全部学生按新政策计算"]
        out.append(f"资助结果改变的学生：{len(self.students)} 名；其中已核准、将改回待核准的：{len(self.unverify)} 名")
        if self.unverify_removed:
            out.append(f"另有已移出名单的已核准学生 {len(self.unverify_removed)} 名资助结果改变，将改回待核准")
        out += [f"  {d.name}（{d.id_masked}）{d.text()}" for d in self.students[:50]]
        if len(self.students) > 50:
            out.append(f"  ……另有 {len(self.students) - 50} 名")
        out.append("各项目合计（元）：")
        out += [f"  {name}：{format_fen(a)} → {format_fen(b)}" for _, name, a, b in self.item_totals() if a or b]
        out.append("各级资金（元）：")
        out += [f"  {name}：{format_fen(a)} → {format_fen(b)}" for name, a, b in self.source_totals()]
        return out


def _load_old(text: str) -> Policy | None:
    try:
        return load_policy(text)
    except ZizhuError:
        return None


def preview_in(session: Session, new_text: str) -> ChangePreview:
    """``preview_change`` inside the caller's transaction."""
    from db.students import iter_records, verified_records
    new = load_policy(new_text, strict=True)          # an invalid document raises PolicyError: nothing to preview
    old = _load_old(active_text(session))
    records = list(iter_records(session))
    if old is None:      # nothing computed under the old document can stand
        news = [Calculator(new)(r) for r in records]
        olds = [StudentResult(r, []) for r in records]
    else:
        olds, news = compare(records, old, new)
    deltas = student_deltas(olds, news)
    verified = set(session.scalars(select(Student.id).where(Student.verified.is_(True))))
    removed = verified_records(session, REMOVED)
    return ChangePreview(active_version(session), old, new, policy_diff_items(old, new) if old else None,
                         tuple(deltas), tuple(d for d in deltas if d.key in verified),
                         totals_of(olds, old) if old else Totals(), totals_of(news, new),
                         tuple(student_deltas(*compare(removed, old, new))) if old else
                         tuple(student_deltas([StudentResult(r, []) for r in removed],
                                              [Calculator(new)(r) for r in removed])))


def preview_change(db: Database, new_text: str) -> ChangePreview:
    """Which students' subsidies ``new_text`` changes, per item old → new, the totals per item
    and funding source before and after, and the verified students it sends back to 待核准.
    Reads only."""
    with db.session() as s:
        return preview_in(s, new_text)


def save_version(db: Database, new_text: str, note: str = "", actor: str | None = None, origin: str = "edited",
                 signer_fingerprint: str = "", signer_school: str = "",
                 issued: tuple[int, int] | None = None) -> PolicySaved:
    """Save ``new_text`` as a new version (after a backup, in one transaction): audited with the
    old and new hashes and version numbers; the verified students whose subsidies change go
    back to 待核准 (their old and new amounts in the audit). The same document as the active
    one creates no version (``changed`` False). Returns db.settings.PolicySaved."""
    from db.backup import backup_before_change
    from db.store import change_policy
    load_policy(new_text)                   # refuse an invalid document before the backup
    backup_before_change(db, "before-policy")
    with db.session() as s:
        change = change_policy(s, new_text, actor, note=note, origin=origin,
                               signer_fingerprint=signer_fingerprint, signer_school=signer_school, issued=issued)
        return PolicySaved(change.policy, change.unverified, change.version is not None,
                           change.version or active_version(s))
