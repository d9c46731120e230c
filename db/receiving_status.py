"""The receiver's list of expected schools and where each stands (consolidate schools / status).

States of an expected school: 已接收 (its current package of the receiver's year, with the
date, students and total), 迟报 (its first package received after the end of the campaign phase
“核准信息数据” of the receiver's year: in the totals, late), 缺报 (no package: its row notes
逾期未报 once that end has passed), 仅有草稿 (before that end, only drafts were offered: the
intake log notes the refused drafts signed by the school's own trusted key; after it such a
school is 缺报 like one that sent nothing, its row noting the draft). The states are the ones the
exported 报送情况 uses (db.consolidation.reporting_of_status): 缺报 is never in the totals, 迟报
always is. Lateness is judged by the school's earliest package of the
year, current or replaced (drafts are refused, never stored): a school that reported on time and
sent a correction after the end (the county's feedback asks for one) stays 已接收, its row noting
the correction's date. Each row also counts the school's replaced packages (history). Packages
received from schools not on the list are listed too.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from core.campaign import phase_statuses
from core.consolidate.reporting import OVERDUE
from core.importers.schools import parse_expected_schools
from core.intake import DRAFT_REFUSAL
from core.money import format_fen
from db import audit, store
from db.changes import Changes
from db.receiving import expected_schools
from db.receiving_models import CURRENT, REFUSED, REPLACED, ExpectedSchool, IntakeLog, ReceivedPackageRow
from db.session import Database

DEADLINE_PHASE = "核准信息数据"
RECEIVED, LATE, MISSING, DRAFT_ONLY = "已接收", "迟报", "缺报", "仅有草稿"
STATES = (RECEIVED, LATE, MISSING, DRAFT_ONLY)


@dataclass(frozen=True)
class SchoolsImported:
    count: int
    added: int
    removed: int
    skipped: list[tuple[int, str]]       # footer rows (line, why)
    changes: Changes = Changes.RECEIVING

    def lines(self, shown: int = 20) -> list[str]:
        """What was imported, worded once for ``consolidate schools`` and the 汇总 page: the count,
        then the first ``shown`` footer rows skipped."""
        return [f"已导入应报学校名单：{self.count} 所（新增 {self.added} 所，移出 {self.removed} 所）",
                *(f"  跳过第{line}行：{why}" for line, why in self.skipped[:shown])]


def import_expected_schools(db: Database, path: Path, actor: str | None = None) -> SchoolsImported:
    """Replace the list of expected schools with the workbook's (all or nothing)."""
    from core.importers.reader import read_table
    from db.backup import backup_before_change
    parsed = parse_expected_schools(read_table(path))       # a bad file raises here: nothing changes
    backup_before_change(db, "before-import")
    actor = actor or audit.default_actor()
    with db.write_session() as s:
        old = {e.code for e in expected_schools(s)}
        new = {r.code for r in parsed.schools}
        s.execute(delete(ExpectedSchool))
        s.execute(insert(ExpectedSchool.__table__), [
            {"code": r.code, "name": r.name, "township": r.township, "level": r.level} for r in parsed.schools])
        audit.record(s, actor, "expected_school", None, {"*": (
            f"{len(old)} 所", f"导入应报学校名单 {Path(path).name}：{len(new)} 所（新增 {len(new - old)}，"
                              f"移出 {len(old - new)}）")})
    return SchoolsImported(len(parsed.schools), len(new - old), len(old - new), parsed.skipped)


@dataclass(frozen=True)
class SchoolStatus:
    code: str
    name: str
    township: str
    level: str
    state: str                      # 已接收 / 迟报 / 缺报 / 仅有草稿
    late: bool = False
    listed: bool = True             # on the list of expected schools
    received_at: datetime | None = None
    file_name: str = ""
    generated_at: str = ""
    students: int = 0
    total_fen: int = 0
    replaced: int = 0               # earlier packages of this school and year (history)
    refused: int = 0                # distinct files refused (intake log, by SHA-256: a file offered again counts once)
    draft: bool = False             # no package, but a genuine draft was offered (仅有草稿, or 缺报 after the end)
    first_received_at: datetime | None = None   # its earliest package of the year (current or replaced)
    correction: str = ""            # the current package corrects an earlier one: when each came

    @property
    def note(self) -> str:
        """Said beside the state (CLI and 汇总): 逾期未报 for a school with no package after the end
        (and whether only a draft came), or a correction's date (the state is the first package's);
        "" otherwise."""
        if self.received_at is None and self.late:
            return OVERDUE + ("，只交过草稿（草稿不能汇总，请催报正式上报包）" if self.draft else "")
        return self.correction

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "township": self.township, "level": self.level,
                "state": self.state, "late": self.late, "listed": self.listed,
                "received_at": self.received_at.isoformat(timespec="seconds") if self.received_at else None,
                "file_name": self.file_name, "generated_at": self.generated_at, "students": self.students,
                "total": format_fen(self.total_fen), "replaced": self.replaced, "refused": self.refused,
                "draft": self.draft, "first_received_at": self.first_received_at.isoformat(timespec="seconds")
                if self.first_received_at else None, "note": self.note}


@dataclass(frozen=True)
class IntakeStatus:
    school_year: int
    deadline: date | None           # end of 核准信息数据 for the receiver's year (None: no such phase)
    schools: tuple[SchoolStatus, ...]
    unlisted: tuple[SchoolStatus, ...]

    def counts(self) -> dict[str, int]:
        got = Counter(s.state for s in self.schools)
        return {state: got.get(state, 0) for state in STATES}

    def to_json(self) -> dict[str, Any]:
        return {"school_year": self.school_year, "deadline": self.deadline.isoformat() if self.deadline else None,
                "counts": self.counts(), "schools": [s.to_json() for s in self.schools],
                "unlisted": [s.to_json() for s in self.unlisted]}


def deadline(session: Session, school_year: int) -> date | None:
    """The end of the campaign phase 核准信息数据 of ``school_year`` (the policy's phases)."""
    for phase in phase_statuses(store.get_policy(session), school_year, date.today()):
        if phase.name.startswith(DEADLINE_PHASE):
            return phase.end
    return None


def correction_text(first: datetime, current: datetime, end: date | None, late: bool) -> str:
    """The note of a school whose current package (received at ``current``) replaced its first
    (received at ``first``): "" when the current one is the first."""
    if current <= first:
        return ""
    when = f"{first:%Y-%m-%d} 首次接收"
    return f"{f'按时上报（{when}）' if end is not None and not late else when}，更正于 {current:%Y-%m-%d}"


def status_of(session: Session, today: date | None = None) -> IntakeStatus:
    today = today or date.today()
    year = store.get_school(session).school_year
    end = deadline(session, year)
    packages = session.scalars(select(ReceivedPackageRow).where(ReceivedPackageRow.school_year == year)).all()
    current = {p.school_code: p for p in packages if p.state == CURRENT}
    replaced = Counter(p.school_code for p in packages if p.state == REPLACED)
    first: dict[str, datetime] = {}         # each school's earliest package, current or replaced
    for p in packages:
        if p.state in (CURRENT, REPLACED):
            first[p.school_code] = min(first.get(p.school_code, p.received_at), p.received_at)
    log = session.execute(select(IntakeLog.school_code, IntakeLog.result, IntakeLog.draft, IntakeLog.reason,
                                 IntakeLog.id, IntakeLog.sha256).where(IntakeLog.school_year == year)).all()
    # the files refused, each once however often it was offered (by its SHA-256; a line without one, each),
    # but for one stored since (refused for a key not yet registered, then taken: nothing is left to do)
    stored = {p.sha256 for p in packages}
    refused = Counter(code for code, _ in {(code, sha or f"#{line}") for code, result, _, _, line, sha in log
                                          if result == REFUSED and sha not in stored})
    # a draft refused as such (its school's trusted key, its own code); an older program also marked
    # drafts signed by unknown keys, refused for that: their reason says so
    drafts = {code for code, _, draft, reason, _, _ in log if draft and (reason or "").startswith(DRAFT_REFUSAL)}

    def row(code: str, name: str, township: str, level: str, listed: bool) -> SchoolStatus:
        p = current.get(code)
        if p is not None:
            since = first.get(code, p.received_at)
            late = end is not None and since.date() > end
            return SchoolStatus(code, name or p.school_name, township or p.township, level, LATE if late else RECEIVED,
                                late, listed, p.received_at, p.file_name, p.generated_at, p.students, p.total_fen,
                                replaced[code], refused[code], first_received_at=since,
                                correction=correction_text(since, p.received_at, end, late))
        late = end is not None and today > end
        # after the end a school without a package is 缺报 (逾期未报), whatever drafts it sent
        state = DRAFT_ONLY if code in drafts and not late else MISSING
        return SchoolStatus(code, name, township, level, state, late, listed, replaced=replaced[code],
                            refused=refused[code], draft=code in drafts)

    expected = expected_schools(session)
    listed = {e.code for e in expected}
    schools = tuple(row(e.code, e.name, e.township, e.level, True) for e in expected)
    unlisted = tuple(row(code, "", "", "", False) for code in sorted(current.keys() - listed))
    return IntakeStatus(year, end, schools, unlisted)


def intake_status(db: Database, today: date | None = None) -> IntakeStatus:
    with db.session() as s:
        return status_of(s, today)
