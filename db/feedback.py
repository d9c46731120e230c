"""The school's side of a feedback package (反馈包): importing a receiver's findings.

A feedback package is verified against the school's trusted signers (the receiver's
key must be registered for the receiver's code), must be for this school's code and
school year, and is then stored: its findings become rows of the 核查问题 table with
their origin, so they are handled like the school's own findings — accepted with a
reason (the data is right), or marked 已改正 with a note once the clerk fixed the data.
An open error among them blocks the final export like any other (再修正, then re-export).

How a feedback finding closes: only by the clerk (已改正 with a note, or 接受 with a
reason), or when a newer feedback from the same receiver no longer has it. The
school's own re-check never touches them: the school does not hold the other schools'
data, so it cannot tell whether a cross-school problem is gone, and a changed field is
no proof that it was the right change. The note or reason travels to the receiver in
the next package (data.json's findings carry state and reason), and the receiver's
next feedback is the confirmation: a problem still found there opens again.

Importing the same package twice changes nothing; an older feedback than the newest
one imported from that receiver is refused; a newer one supersedes the older one's
open findings (closed as 已改正 with a note saying so). A refused package changes nothing.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.checks import FindingState
from core.errors import ValidationError
from core.idnumber import mask_id, normalize_id
from db import audit, store
from db.changes import Changes
from db.findings import finding_code, subject_rows
from db.models import FeedbackPackage, FindingRow, Student
from db.session import Database

if TYPE_CHECKING:     # the package reader (cryptography) is imported where a package is read:
    # the 核查问题 listing (db.views) reads this module's origin texts only
    from core.feedback import Feedback, FeedbackFinding, ReadFeedback
    from core.trust import TrustedSigner

SUPERSEDED = "新的反馈包中已没有此问题"      # the note of a finding a newer feedback superseded
FEEDBACK_HINT = ("这是上级单位（{receiver}）反馈的问题：请核对并改正本校的数据，然后选中它点“标记已改正…”写明改了什么；"
                 "如果数据无误，点“接受…”写明原因。改正后请重新核准并导出上报包（再修正），上级单位会在新的上报包中看到处理结果。")


@dataclass(frozen=True)
class FeedbackImport:
    receiver: str                 # "某某乡镇扶贫工作站（代码 C）"
    created_at: str
    already: bool = False         # the same package was imported before: nothing changed
    added: int = 0                # new findings
    carried: int = 0              # findings of an earlier feedback found again
    reopened: int = 0             # of those, handled ones that open again
    superseded: int = 0           # open findings of an earlier feedback no longer reported

    @property
    def changes(self) -> Changes:
        return Changes.NONE if self.already else Changes.FINDINGS


def trusted_for_feedback(session: Session, trust_files: Iterable[Path] = ()) -> list[TrustedSigner]:
    """The signers a feedback package may come from: the database's trusted signers
    (``db.trust_store``: the registered keys and its own), plus the keys of ``trust_files`` (--trust)."""
    from core.trust import read_trust_file
    from db.trust_store import trusted_signers
    signers = trusted_signers(session)
    for path in trust_files:
        signers.extend(read_trust_file(Path(path)))
    return signers


def part_of(receiver_code: str, key: str) -> str:
    """The stored identity of a receiver's finding (its ``key``) among the school's findings."""
    digest = hashlib.sha1(json.dumps([receiver_code, key], ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"fb:{digest[:32]}"


def import_feedback(db: Database, path: Path, trust_files: Sequence[Path] = (),
                    actor: str | None = None) -> FeedbackImport:
    """Verify and import a feedback package (one transaction; a refusal changes nothing)."""
    from core.feedback import read_feedback_package
    from db.backup import backup_before_change
    path = Path(path)
    with db.session() as s:
        read = read_feedback_package(path, trusted_for_feedback(s, trust_files))
        if _refused_or_known(s, read, path.name):
            return _result(read.feedback, already=True)
    backup_before_change(db, "before-feedback")
    with db.write_session() as s:
        return store_feedback(s, read, path.name, actor)


def _refused_or_known(session: Session, read: ReadFeedback, file_name: str) -> bool:
    """Raise when this school must refuse the feedback; True when it was imported before."""
    from core.domain import school_year_label
    feedback, school = read.feedback, store.get_school(session)
    if feedback.school_code != school.code.strip():
        raise ValidationError(
            f"反馈包 {file_name} 是发给学校代码 {feedback.school_code}（{feedback.school_name}）的，"
            f"不是本校（{school.name}，代码 {school.code}），已拒收。",
            "请确认选择的文件；发给其他学校的反馈包请转交该校。")
    if feedback.school_year != school.school_year:
        raise ValidationError(
            f"反馈包 {file_name} 是 {school_year_label(feedback.school_year)} 的，"
            f"本数据库是 {school_year_label(school.school_year)}，已拒收。",
            "请打开该学年的数据库再导入，或请发出单位按本学年的数据重新生成反馈包。")
    lower = _lower_unit(session, feedback.receiver_code, school.code.strip())
    if lower:
        raise ValidationError(
            f"反馈包 {file_name} 的发出单位 {feedback.receiver_name}（代码 {feedback.receiver_code}）{lower}"
            "，是向本单位报送的下级学校，不是本校的上级单位，已拒收：反馈包只能由接收本校上报包的"
            "乡镇扶贫工作站或教育体育局发出；登记下级学校的公钥只是为了接收它的上报包。",
            "请不要使用这个反馈包，并与该校核实。如果该代码确是本校的上级单位，请在“汇总”页核对应报学校名单"
            "和已接收的上报包（命令行：consolidate status）。")
    if session.scalars(select(FeedbackPackage.id).where(FeedbackPackage.sha256 == read.sha256)).first() is not None:
        return True
    newest = session.scalars(select(FeedbackPackage.created_at).where(
        FeedbackPackage.receiver_code == feedback.receiver_code).order_by(FeedbackPackage.id.desc())).first()
    if newest is not None and feedback.created < _stored_time(newest):
        raise ValidationError(
            f"反馈包 {file_name} 生成于 {_day(feedback.created_at)}，比已导入的{feedback.receiver_name}反馈包"
            f"（生成于 {_day(newest)}）旧，已拒收。", "请导入最新的反馈包；较新的反馈包已包含最新结果。")
    return False


def _lower_unit(session: Session, code: str, own: str) -> str:
    """Why ``code`` is a unit that reports to this database ("" when it is not): on its list of
    expected schools, the school of a package it received, or a station whose 汇总包 it took in.
    Such a unit's key is in the trust list so that its packages verify; the trust list has no
    role, so this is how a lower unit's key is told from an upper unit's. This school's own code
    is none of them (a central school may send feedback to itself)."""
    from db.receiving_models import ExpectedSchool, IntakeLog, ReceivedPackageRow
    from db.receiving_nested import OPENED
    if not code or code == own:
        return ""
    if session.scalars(select(ExpectedSchool.id).where(ExpectedSchool.code == code).limit(1)).first() is not None:
        return "在本数据库的应报学校名单中"
    received = select(ReceivedPackageRow.id).where(
        (ReceivedPackageRow.school_code == code) | (ReceivedPackageRow.via == code)).limit(1)
    opened = select(IntakeLog.id).where(IntakeLog.school_code == code, IntakeLog.result == OPENED).limit(1)
    if session.scalars(received).first() is not None or session.scalars(opened).first() is not None:
        return "的提交包已由本数据库接收"
    return ""


def _stored_time(text: str) -> datetime:
    """A stored feedback's ``created_at`` as local time without an offset (one an older program stored
    with its offset too), ``datetime.min`` when unreadable: comparable with ``Feedback.created``."""
    from core.package_data import local_time
    try:
        return local_time(text)
    except ValueError:
        return datetime.min


def _result(feedback: Feedback, **counts: Any) -> FeedbackImport:
    return FeedbackImport(f"{feedback.receiver_name}（代码 {feedback.receiver_code}）", feedback.created_at, **counts)


def store_feedback(session: Session, read: ReadFeedback, file_name: str = "",
                   actor: str | None = None) -> FeedbackImport:
    """Record a verified feedback package and reconcile its findings (the caller's transaction)."""
    from core.feedback import ORIGIN_SPOT, ORIGIN_VISIT
    feedback, actor = read.feedback, actor or audit.default_actor()
    if _refused_or_known(session, read, file_name or "反馈包"):     # again, under the write lock
        return _result(feedback, already=True)
    now = datetime.now()
    pkg = FeedbackPackage(sha256=read.sha256, receiver_code=feedback.receiver_code,
                          receiver_name=feedback.receiver_name, school_year=feedback.school_year,
                          created_at=feedback.created_at, package_sha256=feedback.package_sha256,
                          signer_fingerprint=read.fingerprint, file_name=file_name,
                          findings=len(feedback.findings), imported_at=now, imported_by=actor)
    session.add(pkg)
    session.flush()
    earlier_packages = {p.id: p.package_sha256 for p in session.scalars(
        select(FeedbackPackage).where(FeedbackPackage.receiver_code == feedback.receiver_code))}
    rows = {r.part: r for r in session.scalars(select(FindingRow).where(
        FindingRow.feedback_id.in_(list(earlier_packages))))}
    subjects = _subjects(session, feedback.findings)
    added = carried = reopened = 0
    changes: list[tuple[int | None, dict[str, tuple[Any, Any]]]] = []
    for f, student_id in zip(feedback.findings, subjects, strict=True):
        part = part_of(feedback.receiver_code, f.key)
        values = _values(f, student_id, pkg.id)
        row = rows.pop(part, None)
        if row is None:
            session.add(FindingRow(part=part, state=FindingState.OPEN, reason="", created_at=now, updated_at=now,
                                   **values))
            added += 1
            continue
        carried += 1
        state = carried_state(row.state, row.reason, row.fingerprint == values["fingerprint"],
                              same_package=bool(feedback.package_sha256)
                              and earlier_packages.get(row.feedback_id or 0) == feedback.package_sha256,
                              spot=f.origin in (ORIGIN_SPOT, ORIGIN_VISIT))
        if state != row.state:
            changes.append((row.id, {"state": (row.state, state), "reason": (row.reason, "")}))
            row.state, row.reason = state, ""
            reopened += 1
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = now
    superseded = 0
    note = f"{SUPERSEDED}（{feedback.receiver_name} {_day(feedback.created_at)} 的反馈包）"
    for row in rows.values():
        if row.state == FindingState.OPEN:
            changes.append((row.id, {"state": (row.state, FindingState.FIXED), "reason": (row.reason, note)}))
            row.state, row.reason, row.updated_at = FindingState.FIXED, note, now
            superseded += 1
    session.flush()
    audit.record(session, actor, "feedback", pkg.id, {"*": (None, (
        f"导入反馈包：{feedback.receiver_name}（代码 {feedback.receiver_code}）{_day(feedback.created_at)}，"
        f"问题 {len(feedback.findings)} 个，签名人指纹 {read.fingerprint}"))}, now)
    audit.record_many(session, actor, "finding", changes, now)
    return _result(feedback, added=added, carried=carried, reopened=reopened, superseded=superseded)


def carried_state(state: FindingState, reason: str, same_fingerprint: bool, same_package: bool,
                  spot: bool = False) -> FindingState:
    """The state of a finding an earlier feedback reported and a newer one reports again.
    Accepted stays accepted while the receiver says the same thing (as the school's own
    acceptances do); a superseded finding reported again opens again.

    A clerk's 已改正 of a cross-school finding (汇总核查) stands while the receiver still looks
    at the same school package (the fix is not there yet), and opens again once the receiver
    found it on a newer one: the receiver checks each package it accepts anew, so a finding
    still there is a fix that did not work.

    A ``spot`` finding (专项核查, 暗访) is no reading of the school package but the receiver's
    record of a visit, sent again with every feedback of the year whatever package the receiver
    holds (db.spotcheck.results_for_school): a newer package cannot make it go away. Its
    已改正 stands while the receiver's result is unchanged (the same fingerprint: the point, the
    note, the student as sampled); a result the receiver entered again differently opens it."""
    if state == FindingState.ACCEPTED and same_fingerprint:
        return state
    if (state == FindingState.FIXED and same_fingerprint and (same_package or spot)
            and not reason.startswith(SUPERSEDED)):
        return state
    return FindingState.OPEN


def _values(f: FeedbackFinding, student_id: int | None, feedback_id: int) -> dict[str, Any]:
    return dict(code=f.code, severity=f.severity, subject=f"s{student_id}" if student_id is not None else "-",
                student_id=student_id, roster_id=None, id_number=normalize_id(f.id_number) or f.id_number,
                name=f.name, message=f.message, field="", fingerprint=f.fingerprint, feedback_id=feedback_id,
                origin=f.origin, title=f.title,
                details=json.dumps([list(d) for d in f.details], ensure_ascii=False) if f.details else "")


def _subjects(session: Session, findings: Sequence[FeedbackFinding]) -> list[int | None]:
    """The student each finding is about (None: left unattached, the "-" subject). The receiver names
    the student by the ID number and the name its package (or its sample) held; the school may have
    corrected IDs since (two swapped ones, a mistyped one), so the ID alone may be another child's now:

    1. a student with the finding's ID number and its name (one on the list first, else a removed
       one); a finding without a name is matched by the ID alone, as it always was;
    2. else the student whose ID was corrected from the finding's (the ID the file held, ``id_raw``:
       db.importing_match's corrected-ID aliases, as a re-import finds that student) with its name;
    3. else the one student on the list with its name and the finding's date of birth (digits 7–14
       of both IDs: a namesake is not the child), when no ID conflicts: the finding's ID is no
       other child's (a student holding it under another name may be the same child renamed, or the
       ID may have gone to another child: the name cannot tell which), and that student's own ID is
       none this feedback reports (the receiver knows that child by it);
    4. else none: never a child of another name."""
    from db.importing_match import alias_of, corrected_aliases
    numbers = {normalize_id(f.id_number) for f in findings if f.id_number} - {""}
    names = {f.name.strip() for f in findings if f.id_number and f.name.strip()}
    cols = (Student.id, Student.name, Student.id_number, Student.id_raw, Student.removed_at)
    found: dict[int, Any] = {}
    for column, wanted in ((Student.id_number, sorted(numbers)), (Student.name, sorted(names))):
        for start in range(0, len(wanted), 900):
            found.update((r.id, r) for r in session.execute(select(*cols).where(column.in_(wanted[start:start + 900]))))
    students = sorted(found.values(), key=lambda r: (r.removed_at is not None, r.id))     # listed first
    by_number: dict[str, list[Any]] = {}
    listed_by_name: dict[str, list[Any]] = {}
    for r in students:
        by_number.setdefault(r.id_number or "", []).append(r)
        if r.removed_at is None:
            listed_by_name.setdefault((r.name or "").strip(), []).append(r)
    aliases = corrected_aliases(students, ())        # by the ID each was corrected from (no name keys)

    def subject(f: FeedbackFinding) -> int | None:
        number, name = (normalize_id(f.id_number) if f.id_number else ""), f.name.strip()
        if not number:
            return None
        holders = by_number.get(number, [])
        if not name:
            return holders[0].id if holders else None
        same = [r for r in holders if (r.name or "").strip() == name]
        if same:
            return int(same[0].id)
        alias = alias_of(aliases, "id:" + number, name, set())
        if alias is not None:
            return int(alias.id)
        listed = listed_by_name.get(name, [])
        if holders or len(listed) != 1 or (listed[0].id_number or "") in numbers:
            return None
        if _born(listed[0].id_number or "") != _born(number) or not _born(number):
            return None         # (a namesake: a person in no package, ROSTER_NOT_ENROLLED, met a child's name)
        return int(listed[0].id)
    return [subject(f) for f in findings]


def _born(number: str) -> str:
    """The date of birth an 18-character ID holds ("" for another length)."""
    return number[6:14] if len(number) == 18 else ""


def _day(iso: str) -> str:
    return iso[:10]


# -- handling feedback findings -----------------------------------------------------

def mark_fixed(session: Session, finding_ids: Sequence[int], note: str, actor: str | None = None) -> int:
    """标记已改正: the clerk corrected the data behind these feedback findings (a note says how).
    The school's own findings close by themselves when a re-check no longer finds them."""
    if not note.strip():
        raise ValidationError("标记已改正必须写明改了什么", "例如：已将该生移出名单（已转学至外县），已重新核准")
    rows = _finding_rows(session, finding_ids)
    own = [r for r in rows if r.feedback_id is None]
    if own:
        raise ValidationError("本校核查发现的问题不需要手动标记：改正数据后重新核查，它会自动变为已改正",
                              "“标记已改正”只用于上级单位反馈包中的问题")
    todo = [r for r in rows if r.state != FindingState.FIXED]
    if not todo:
        raise ValidationError("所选问题都已是“已改正”状态", "请选择未处理或已接受的反馈问题")
    now, changes = datetime.now(), []
    for r in todo:
        changes.append((r.id, {"state": (r.state, FindingState.FIXED), "reason": (r.reason, note.strip())}))
        r.state, r.reason, r.updated_at = FindingState.FIXED, note.strip(), now
    audit.record_many(session, actor or audit.default_actor(), "finding", changes, now)
    return len(changes)


def _finding_rows(session: Session, finding_ids: Sequence[int]) -> list[FindingRow]:
    ids = list(finding_ids)
    return [r for start in range(0, len(ids), 900)
            for r in session.scalars(select(FindingRow).where(FindingRow.id.in_(ids[start:start + 900])))]


def marked_fixed(state: FindingState, reason: str, feedback: bool) -> bool:
    """A receiver's finding the clerk marked 已改正 (not one a newer feedback closed)."""
    return feedback and state == FindingState.FIXED and not reason.startswith(SUPERSEDED)


def _before_mark(session: Session, row: FindingRow) -> tuple[FindingState, str]:
    """The state and reason a finding had before it was marked 已改正 (the audit log's last
    change to 已改正 and to its note); open without a reason when the log has none."""
    from db.models import AuditEntry

    def old(field: str, new: str) -> str | None:
        return session.scalars(select(AuditEntry.old).where(
            AuditEntry.entity == "finding", AuditEntry.entity_id == row.id, AuditEntry.field == field,
            AuditEntry.new == new).order_by(AuditEntry.id.desc()).limit(1)).first()
    state = old("state", FindingState.FIXED.value)
    before = FindingState(state) if state in {s.value for s in FindingState} else FindingState.OPEN
    if before == FindingState.FIXED:
        before = FindingState.OPEN
    return before, (old("reason", row.reason) or "") if before == FindingState.ACCEPTED else ""


def reopen(session: Session, finding_ids: Sequence[int], actor: str | None = None) -> int:
    """撤销已改正: feedback findings the clerk marked 已改正 go back to what they were before
    (未处理, or 已接受 with its reason), audited; the note stays in the audit log."""
    rows = [r for r in _finding_rows(session, finding_ids)
            if marked_fixed(r.state, r.reason, r.feedback_id is not None)]
    if not rows:
        raise ValidationError("所选问题中没有标记为“已改正”的上级单位反馈问题，不需要撤销",
                              "“撤销已改正”只用于本校标记已改正的反馈问题；本校核查的问题由重新核查自动打开或关闭")
    now, changes = datetime.now(), []
    for r in rows:
        state, reason = _before_mark(session, r)
        changes.append((r.id, {"state": (r.state, state), "reason": (r.reason, reason)}))
        r.state, r.reason, r.updated_at = state, reason, now
    audit.record_many(session, actor or audit.default_actor(), "finding", changes, now)
    return len(changes)


def feedback_sources(session: Session) -> dict[int, tuple[str, str]]:
    """Feedback package id -> (who sent it, the day it was made)."""
    return {i: (name, _day(created)) for i, name, created in session.execute(
        select(FeedbackPackage.id, FeedbackPackage.receiver_name, FeedbackPackage.created_at))}


def origin_text(origin: str, source: tuple[str, str] | None) -> str:
    """"来自：某某乡镇扶贫工作站 汇总核查，2024-06-05" ("" for the school's own findings)."""
    if not origin:
        return ""
    name, day = source or ("上级单位", "")
    return f"来自：{name} {origin}" + (f"，{day}" if day else "")


def details_of(stored: str) -> tuple[tuple[str, str], ...]:
    """The stored details (JSON [[label, value], …]) as pairs; () when none or unreadable."""
    try:
        pairs = json.loads(stored) if stored else []
    except ValueError:
        return ()
    return tuple((str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2)



def mark_fixed_findings(db: Database, finding_ids: Sequence[int], note: str, actor: str | None = None) -> Any:
    """标记已改正 for the selected feedback findings (the GUI's way); a ``Done``."""
    from db.usecases import Done
    with db.session() as s:
        return Done(mark_fixed(s, finding_ids, note, actor), Changes.FINDINGS)


def mark_fixed_code(db: Database, code: str, id_number: str, note: str, actor: str | None = None) -> Any:
    """标记已改正 for the feedback findings of ``code`` (code or title) about this ID number (the CLI's way)."""
    from db.usecases import Done
    with db.session() as s:
        return Done(mark_fixed(s, _subject_feedback(s, code, id_number, "标记已改正"), note, actor), Changes.FINDINGS)


def _subject_feedback(session: Session, code: str, id_number: str, action: str, fixed: bool = False) -> list[int]:
    """The feedback findings of ``code`` (code or title) about this ID number (the CLI's ``action``;
    the fixed ones too with ``fixed``)."""
    rows = [r for r in subject_rows(session, finding_code(code, session), id_number, fixed)
            if r.feedback_id is not None]
    if not rows:
        raise ValidationError(f"身份证号 {mask_id(id_number)} 没有上级单位反馈的“{code.strip()}”问题",
                              f"“{action}”只用于反馈包中的问题；请用 check 查看问题名称和身份证号")
    return [r.id for r in rows]


def reopen_findings(db: Database, finding_ids: Sequence[int], actor: str | None = None) -> Any:
    """撤销已改正 for the selected feedback findings (the GUI's way); a ``Done``."""
    from db.usecases import Done
    with db.session() as s:
        return Done(reopen(s, finding_ids, actor), Changes.FINDINGS)


def reopen_code(db: Database, code: str, id_number: str, actor: str | None = None) -> Any:
    """撤销已改正 for the feedback findings of ``code`` about this ID number (the CLI's way)."""
    from db.usecases import Done
    with db.session() as s:
        return Done(reopen(s, _subject_feedback(s, code, id_number, "撤销已改正", fixed=True), actor), Changes.FINDINGS)
