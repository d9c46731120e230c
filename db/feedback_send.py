"""The receiver's side of a feedback package (反馈包): the findings that concern one school,
signed with the receiver's key and written for that school to import (db/feedback.py)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.feedback import Feedback, FeedbackFinding, write_feedback_package
from db import audit, store
from db.keys import ensure_key
from db.session import Database


@dataclass(frozen=True)
class FeedbackWritten:
    path: Path
    school_code: str
    school_name: str
    findings: int
    counts: dict[str, int]          # by severity


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
    written = []
    for feedback, path in feedbacks:
        write_feedback_package(path, feedback, private, public_raw)
        written.append(FeedbackWritten(Path(path), feedback.school_code, feedback.school_name,
                                       len(feedback.findings), feedback.counts()))
    with db.session() as s:
        audit.record_many(s, actor or audit.default_actor(), "feedback", [
            (None, {"*": (None, f"生成反馈包：{w.school_name}（代码 {w.school_code}），问题 {w.findings} 个，"
                                f"文件 {w.path.name}")}) for w in written])
    return written
