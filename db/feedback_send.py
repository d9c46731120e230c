"""The receiver's side of a feedback package (反馈包): the findings that concern one school,
signed with the receiver's key and written for that school to import (db/feedback.py)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.consolidate.checks import item_names
from core.errors import OutputFileError, ValidationError, ZizhuError
from core.feedback import Feedback, FeedbackFinding, write_feedback_package
from core.feedback_findings import for_school
from db import audit, store
from db.changes import Changes
from db.consolidation import consolidate
from db.keys import ensure_key
from db.models import AuditEntry
from db.receiving import expected_schools
from db.session import Database, recording_written
from db.spotcheck import results_for_school


@dataclass(frozen=True)
class FeedbackWritten:
    path: Path
    school_code: str
    school_name: str
    findings: int
    counts: dict[str, int]          # by severity

    @property
    def changes(self) -> Changes:
        return Changes.SETTINGS           # the signing key, made at the first signed feedback

    def line(self) -> str:
        """"PATH（学校，代码 C）：问题 N 个（错误 e，警告 w，提示 i）" (CLI and GUI)."""
        c = self.counts
        who = self.school_name or self.school_code
        return (f"{self.path}（{who}，代码 {self.school_code}）：问题 {self.findings} 个"
                f"（错误 {c['error']}，警告 {c['warning']}，提示 {c['info']}）")


def feedback_for_school(session: Session, school_code: str, school_name: str,
                        findings: Sequence[FeedbackFinding], package_sha256: str = "",
                        now: datetime | None = None) -> Feedback:
    """The feedback of this receiver (the database's own school row) for one school."""
    receiver = store.get_school(session)
    return Feedback(receiver_code=receiver.code.strip(), receiver_name=receiver.name,
                    school_code=school_code.strip(), school_name=school_name,
                    school_year=receiver.school_year,
                    created_at=(now or datetime.now()).isoformat(timespec="seconds"),
                    package_sha256=package_sha256, findings=tuple(findings))


def feedback_file_name(feedback: Feedback) -> str:
    """``<学校代码>-<学校>-反馈包-<发出单位>-<日期>.zip``."""
    from core.paths import safe_file_name
    return safe_file_name((feedback.school_code, feedback.school_name, "反馈包", feedback.receiver_name,
                           feedback.created_at[:10].replace("-", "")), ".zip")


def sign_feedback(db: Database, feedbacks: Sequence[tuple[Feedback, Path]], passphrase: str,
                  actor: str | None = None) -> list[FeedbackWritten]:
    """Write each feedback to its path, signed with the receiver's key (audited)."""
    if not feedbacks:
        raise ValidationError("没有要发给学校的问题，未生成反馈包", "汇总核查和已完成的核查中没有涉及这所学校的问题")
    with db.session() as s:
        private, public_raw = ensure_key(s, passphrase, actor)
    written: list[FeedbackWritten] = []
    try:
        for feedback, path in feedbacks:
            write_feedback_package(path, feedback, private, public_raw)
            written.append(FeedbackWritten(Path(path), feedback.school_code, feedback.school_name,
                                           len(feedback.findings), feedback.counts()))
    except ZizhuError as exc:
        if not written:
            raise
        _record_sent(db, written, actor)       # those written are on disk: recorded, and said
        names = "、".join(f"“{w.path.name}”" for w in written)
        raise OutputFileError(f"{exc.message}；此前的 {len(written)} 个反馈包已经写好：{names}",
                        "；".join(filter(None, (exc.hint, "改正后再生成一次即可写出其余的反馈包")))) from None
    _record_sent(db, written, actor)
    return written


def _record_sent(db: Database, written: Sequence[FeedbackWritten], actor: str | None) -> None:
    names = "、".join(f"“{w.path.name}”" for w in written)
    with recording_written(f"反馈包{names}"), db.session() as s:
        audit.record_many(s, actor or audit.default_actor(), "feedback", [
            (None, {"*": (None, f"{_SENT}{w.school_name}（代码 {w.school_code}），问题 {w.findings} 个，"
                                f"文件 {w.path.name}")}) for w in written])


# The audit entry of a feedback written (``sign_feedback``), read back by ``_last_sent``.
_SENT = "生成反馈包："
_SENT_LINE = re.compile(re.escape(_SENT) + r".*（代码 ([^）]*)），问题 (\d+) 个，")


def _last_sent(session: Session) -> dict[str, int]:
    """How many findings the last feedback written to each school carried (by school code)."""
    last: dict[str, int] = {}
    for text in session.scalars(select(AuditEntry.new).where(AuditEntry.entity == "feedback")
                                .order_by(AuditEntry.id)):
        m = _SENT_LINE.match(text or "")
        if m:
            last[m.group(1)] = int(m.group(2))
    return last


# -- gathering what concerns each school (the receiver's findings) ---------------------

@dataclass(frozen=True)
class FeedbackSchool:
    """A school the receiver may send a feedback to (生成反馈包…'s choice), with its findings."""
    code: str
    name: str
    findings: int
    counts: dict[str, int]          # by severity
    closes: int = 0                 # no finding now; its last feedback had this many (the empty one closes them)

    @property
    def due(self) -> bool:
        """In 所有有问题的学校 (``--all``): findings to send, or earlier ones to close."""
        return bool(self.findings or self.closes)


def gather_feedback(session: Session, school_codes: Sequence[str] | None = None,
                    now: datetime | None = None) -> list[Feedback]:
    """The feedback for each school of ``school_codes`` (even with no finding: an empty feedback
    tells the school the receiver's newer look found nothing, which closes its earlier open
    findings), or (``None``) for every school that has a finding or was last sent findings that are
    gone now (its empty feedback closes them): the cross-school findings of the
    receiver's consolidation (db.consolidation) and the 不属实 points of completed spot checks
    (db.spotcheck: an unannounced sample's only once every one of the school's students in it is
    checked), each feedback naming the school package the findings were made on. The spot checks'
    findings are sent with every feedback of the year, whatever package they were made on: the
    school's 已改正 of one stands while the result is unchanged (db.feedback.carried_state)."""
    everyone = _all_feedback(session, now)
    if school_codes is None:
        # (and every school whose last feedback had findings that are gone: its empty feedback closes
        # them; left out, the school stays blocked by an error that no longer is one)
        sent = _last_sent(session)
        return [f for f in everyone if f.findings or sent.get(f.school_code, 0)]
    by_code = {f.school_code: f for f in everyone}
    out = []
    for raw in dict.fromkeys(c.strip() for c in school_codes):
        if raw not in by_code:
            raise ValidationError(f"没有学校代码为 {raw} 的已接收提交包或应报学校，无法生成反馈包",
                                  "请核对学校代码（consolidate status 列出各校的代码）")
        out.append(by_code[raw])
    return out


def _all_feedback(session: Session, now: datetime | None = None) -> list[Feedback]:
    """One feedback per school the receiver knows (received, expected or named by a finding)."""
    now = now or datetime.now()
    c = consolidate(session)
    packages = {r.data.school_code: r for r in c.packages}
    names = {e.code: e.name for e in expected_schools(session)}
    names.update({code: r.data.school_name for code, r in packages.items()})
    items = item_names([r.data for r in c.packages])
    year = store.get_school(session).school_year
    out = []
    for code in sorted(set(names) | {f.school_code for f in c.findings if f.school_code}):
        spots = [f for check in results_for_school(session, code, year) for f in check.findings()]
        pkg = packages.get(code)
        out.append(feedback_for_school(session, code, names.get(code, ""),
                                       for_school(code, c.findings, spots, items), pkg.sha256 if pkg else "", now))
    return out


def feedback_schools(db: Database) -> list[FeedbackSchool]:
    """生成反馈包…'s list: every school with the number of findings its feedback would carry."""
    with db.session() as s:
        sent = _last_sent(s)
        return [FeedbackSchool(f.school_code, f.school_name, len(f.findings), f.counts(),
                               0 if f.findings else sent.get(f.school_code, 0)) for f in _all_feedback(s)]


def write_feedback(db: Database, school_code: str, target: Path, passphrase: str,
                   actor: str | None = None) -> FeedbackWritten:
    """``consolidate feedback --school CODE OUT.zip``: one school's feedback, signed."""
    with db.session() as s:
        [feedback] = gather_feedback(s, [school_code])
    return sign_feedback(db, [(feedback, Path(target))], passphrase, actor)[0]


def write_all_feedback(db: Database, folder: Path, passphrase: str, actor: str | None = None,
                       school_codes: Sequence[str] | None = None) -> list[FeedbackWritten]:
    """``consolidate feedback --all FOLDER``: one feedback per school that has a finding; with
    ``school_codes`` (``--school A --school B FOLDER``, 生成反馈包… for chosen schools) one per
    school named, each holding that school's findings only."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError(f"文件夹 {folder} 不存在", "请先建立文件夹，或指定一个已有的文件夹")
    with db.session() as s:
        feedbacks = gather_feedback(s, school_codes)
    return sign_feedback(db, [(f, folder / feedback_file_name(f)) for f in feedbacks], passphrase, actor)
