"""A later school year starts a new campaign (新学年): what was the year's own work is set aside.

The school's year is set in 设置 or by ``init --school-year``. Moved on to a later year, the students,
the roster and the policy stay (the new year's lists are imported over them), but what the clerk did
for the year that ended is not the new year's: carried over, last year's verification let a final
package of the new year go out with nothing checked, last year's letters counted as this year's
全部告知 (and a new letter said it voided last year's), last year's payment record was compared with
this year's amounts, and last year's findings, accepted ones with their reasons and a receiver's
feedback, went into the new year's report and package.

So a move to a later year, in the same transaction as the year itself, after the backup made before it
(``before-school-year``, which keeps everything as it was):

* sends every verified student back to 待核准 (the seal cleared);
* clears the letters' marks (printed, what it told, the receipt) — the new year's letters are new;
* deletes the payment record (发放记录), which is the year's (the check compares none until the
  new year's is imported, as in a first year);
* deletes the findings (the next check finds this year's) and leaves the feedback packages' record;
* first records, as received before (``prior_grants``), each once-only item (每人一次性) that the year
  that ended granted to a verified student or that its payment record paid, so it is not granted again.

One audit entry says what was cleared and names the backup. Setting the year back brings none of it
back: restoring the backup does, and the message says which one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.domain import school_year_label
from core.errors import ZizhuError
from core.policy import load_policy
from core.records import grants_of
from db import audit
from db.findings import PAYMENTS_KEY
from db.models import FindingRow, PaymentRecord, Setting, Student


@dataclass(frozen=True)
class YearStarted:
    """What a move to a later school year cleared (counts) and where the year that ended is kept."""

    old_year: int
    new_year: int
    unverified: int          # students sent back to 待核准
    letters: int             # students whose letter marks were cleared
    payments: int            # payment lines deleted
    findings: int            # findings deleted
    once_only: int           # students whose once-only items were recorded as received before
    backup: Path | None      # the backup made before the change (None: the database was empty)
    kept_policy: str = ""    # the year that ended's policy, still in force (no policy of the new year yet)

    def text(self) -> str:
        """The clerk's sentence: what the new year starts from, what was cleared, where the old year is."""
        done = [f"{n} {what}" for n, what in ((self.unverified, "名已核准学生改回待核准"),
                                              (self.letters, "名学生的告知书打印和回执记录已清空"),
                                              (self.payments, "条发放记录已清空"),
                                              (self.findings, "条核查问题已清空"))
                if n]
        cleared = "，".join(done) if done else "没有需要清空的记录"
        text = (f"已进入{school_year_label(self.new_year)}（新学年）：{cleared}"
                "；请导入新学年的学生名单和建档立卡名单，运行核查，重新核准和告知")
        if self.once_only:
            text += f"。{self.once_only} 名学生上学年已享受的一次性资助已记为“往年已享受”，本学年不再计算"
        if self.kept_policy:
            text += (f"。本学年暂沿用{self.kept_policy}的资助政策（告知书、公示和上报包都注明这个版本）："
                     "县里发布本学年的政策后，请在“政策”页导入")
        if self.backup is not None:
            text += (f"。{school_year_label(self.old_year)}的全部数据保存在备份“{self.backup.name}”中；"
                     "如果学年改错了，请恢复这个备份（学年改回不会恢复已清空的记录）")
        return text


def start_later_year(session: Session, old_text: str, old_year: int, new_year: int, backup: Path | None,
                     actor: str | None = None, now: datetime | None = None) -> YearStarted:
    """Set aside the year ``old_year``'s own work (see the module), ``old_text`` being the policy that
    was in force in it. Call only for ``new_year > old_year``, inside the year change's transaction."""
    actor = actor or audit.default_actor()
    now = now or datetime.now()
    once_only = _carry_once_only(session, old_text, actor, now)
    unverified = _count(session, update(Student).where(Student.verified.is_(True))
                        .values(verified=False, seal=None))
    told = (Student.notified_at.is_not(None) | Student.notified_told.is_not(None)
            | Student.receipt_at.is_not(None))
    letters = _count(session, update(Student).where(told)
                     .values(notified_at=None, notified_told=None, receipt_at=None))
    payments = _count(session, delete(PaymentRecord))
    session.execute(delete(Setting).where(Setting.key == PAYMENTS_KEY))    # no record: the check compares none
    findings = _count(session, delete(FindingRow))
    started = YearStarted(old_year, new_year, unverified, letters, payments, findings, once_only, backup)
    audit.record(session, actor, "school", None, {"new_year": (None, started.text())}, now)
    session.expire_all()        # (bulk statements: loaded rows must be read again)
    return started


def _count(session: Session, statement: Any) -> int:
    """The rows a bulk UPDATE or DELETE changed."""
    result: Any = session.execute(statement)
    return int(result.rowcount or 0)


def _carry_once_only(session: Session, old_text: str, actor: str, now: datetime) -> int:
    """Record as received before each once-only item the year that ended granted to a verified student
    on the list, or that its payment record paid: audited per student. Returns how many students."""
    from core.domain import EVERY_ONCE_ONLY
    from core.engine import Calculator
    from db.models import ON_LIST
    from db.students import to_record
    try:
        policy = load_policy(old_text)
    except ZizhuError:       # the stored document no longer loads: which items were once-only is unknown
        return 0
    once = set(policy.once_codes)
    if not once:
        return 0
    paid: dict[str, set[str]] = {}
    for number, code in session.execute(select(PaymentRecord.id_number, PaymentRecord.item_code)):
        if code in once:
            paid.setdefault(number, set()).add(code)
    calc = Calculator(policy)
    changes = []
    for st in session.scalars(select(Student).where(ON_LIST)):
        got = set(paid.get(st.id_number, ()))
        if st.verified:
            got |= {d.code for d in calc(to_record(st)).granted if d.code in once}
        before = grants_of(st.prior_grants)
        if not got or EVERY_ONCE_ONLY in before or got <= before:
            continue
        text = ",".join(sorted(before | got))
        if len(text) > 200:            # (the column's width: every once-only item instead)
            text = EVERY_ONCE_ONLY
        changes.append((st.id, {"prior_grants": (st.prior_grants, text),
                                "note": (None, "上学年已享受的一次性资助，记为往年已享受")}))
        st.prior_grants = text
    if changes:
        audit.record_many(session, actor, "student", changes, now)
    return len(changes)
