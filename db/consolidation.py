"""Consolidation use cases of a receiving database (汇总): cross-checks, summaries and the
signed consolidated package.

The accepted packages are read through recv-intake's accessors (db.receiving: accepted_data,
package_bytes, expected_schools) and the roster through db.findings.roster_facts; the 报送情况
(应报, 已报, 缺报, 迟报) through db.receiving_status.status_of, the one reading of where each
expected school stands (``consolidate status``); everything else is core.consolidate (pure)
and core.exports.consolidated. The receiver's own key signs the consolidated package
(db.keys.ensure_key), like a school package.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from core.consolidate import CrossFinding, Summary, cross_check, outside_item_names, summarise
from core.consolidate.reporting import DRAFT_NOTE, NOT_YET, OVERDUE, Reporting, SchoolRef
from core.errors import ValidationError
from core.exports.consolidated import Consolidation, InnerPackage
from core.money import format_fen
from db import audit, store
from db.changes import Changes
from db.session import Database, recording_written

if TYPE_CHECKING:
    from db.receiving_status import IntakeStatus

Progress = Callable[[int, int], None]
NOTHING_HINT = "请先在“汇总”页点“添加上报包…”接收各校的上报包（命令行：consolidate add 上报包…）。"


@dataclass
class Consolidated:
    """The receiver's current packages, the cross-check findings and the summaries."""

    packages: list[Any]              # core.package_data.ReceivedPackage, one per school
    findings: list[CrossFinding]
    summary: Summary
    history: int = 0                 # earlier years' packages the once-only check read
    own_left_out: str = ""           # the receiver's own school code, when its package was left out

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)


def _townships(session: Session) -> dict[str, str]:
    from db.receiving import expected_schools
    return {r.code: r.township for r in expected_schools(session) if r.township}


def consolidate(session: Session, without_own: bool = False) -> Consolidated:
    """Cross-check and summarise the accepted packages of the receiver's school year; ``without_own``:
    not its own school's package (``own_left_out``)."""
    from db.findings import roster_facts
    from db.receiving import accepted_data
    received = accepted_data(session)
    left_out = ""
    if without_own:
        own = store.get_school(session).code.strip()
        if any(r.data.school_code.strip() == own for r in received):
            left_out = own
            received = [r for r in received if r.data.school_code.strip() != own]
    history = accepted_data(session, history=True)
    policy = store.get_policy(session)
    packages = [r.data for r in received]
    findings = cross_check(packages, roster=roster_facts(session), history=[h.data for h in history],
                           once_codes=policy.once_codes, outside_items=outside_item_names(policy))
    summary = summarise(packages, _townships(session), {i.code: i.name for i in policy.items})
    return Consolidated(list(received), findings, summary, len(history), left_out)


def own_left_out(code: str, wrapped: int) -> str:
    """What the 汇总包 (of ``wrapped`` packages) says when the receiver's own school package (``code``)
    was left out of it: a 中心校 takes in its village schools' packages and may take its own, but a
    receiver wrapping its own package is refused whole above (``db.receiving_nested.expand``: it could
    vouch for its own backdated package); the school sends it itself."""
    return (f"注意：本单位（代码 {code}）自己的提交包没有放进汇总包（汇总包中为其他 {wrapped} 所学校）："
            "上级不接收含有本单位自己提交包的汇总包；本单位的提交包请直接报送上级。")


def consolidation(db: Database) -> Consolidated:
    """``consolidate`` in a transaction of its own (CLI and GUI)."""
    with db.session() as s:
        return consolidate(s)


def reporting(session: Session, today: date | None = None, without: str = "") -> Reporting | None:
    """The 报送情况 the consolidated package states: None without a list of expected schools.
    An expected school is 缺报 when no package of it is in the totals (nothing sent, only drafts,
    or nothing yet after the deadline: “逾期未报”, as db.receiving_status says it too), 迟报 when its
    package is in them but its first came after the deadline."""
    from dataclasses import replace

    from db.receiving_status import status_of
    status = status_of(session, today)
    if without:              # a 中心校's own school, left out of its 汇总包: reported by itself, not in it
        status = replace(status, schools=tuple(x for x in status.schools if x.code.strip() != without),
                         unlisted=tuple(x for x in status.unlisted if x.code.strip() != without))
    return reporting_of_status(status)


def reporting_of_status(status: IntakeStatus) -> Reporting | None:
    """``reporting`` of a status already read (the 汇总 page reads it for its list too)."""
    if not status.schools:
        return None
    missing, late = [], []
    for s in status.schools:
        if s.received_at is None:
            note = "，".join(x for x in (OVERDUE if s.late else "", DRAFT_NOTE if s.draft else "") if x)
            missing.append(SchoolRef(s.code, s.name, s.township, note or NOT_YET))
        elif s.late:
            first = s.first_received_at or s.received_at
            late.append(SchoolRef(s.code, s.name, s.township, f"{first:%Y-%m-%d} 接收", f"{first:%Y-%m-%d}"))
    unlisted = tuple(SchoolRef(s.code, s.name, s.township, "不在应报学校名单中") for s in status.unlisted)
    return Reporting(len(status.schools), len(status.schools) - len(missing), tuple(missing), tuple(late), unlisted,
                     status.deadline.isoformat() if status.deadline else "")


@dataclass
class ConsolidatedExportResult:
    path: Path
    fingerprint: str
    packages: int
    findings: list[CrossFinding]
    summary: Summary
    warnings: list[str] = field(default_factory=list)    # what to tell the clerk: the 缺报 first, then the report's
    reporting: Reporting | None = None                   # the 报送情况 stated (None: no list of expected schools)

    @property
    def incomplete(self) -> str:
        """``注意：应报 N 所，缺报 K 所（…），汇总数据不完整`` when expected schools are missing, else ""."""
        return self.reporting.warning() if self.reporting is not None else ""

    @property
    def changes(self) -> Changes:
        return Changes.SETTINGS           # the signing key, made at the first signed export


def _inner(r: Any) -> InnerPackage:
    d = r.data
    return InnerPackage(r.sha256, r.file_name, str(r.received_at), r.via, d.school_code, d.school_name,
                        d.township, d.school_year, d.generated_at, d.totals.total)


def export_consolidated(db: Database, target: str | Path, passphrase: str, actor: str | None = None,
                        progress: Progress | None = None) -> ConsolidatedExportResult:
    """The signed consolidated package: summary workbook, report, data.json (kind
    "consolidated") and every current school package verbatim, signed with the receiver's key.
    Refused when no package has been accepted; cross-check errors are reported in it, not refused
    (the station passes on what it received, with its findings)."""
    from core.exports.consolidated import (
        REPORT_MEMBER,
        WORKBOOK_MEMBER,
        data_member,
        write_consolidated_workbook,
    )
    from core.exports.consolidated_report import write_consolidated_report
    from core.package import write_package
    from core.package_data import DATA_MEMBER
    from core.paths import require_suffix, temp_folder
    from core.signing import fingerprint
    from db.exports import school_info
    from db.keys import ensure_key
    from db.official import get_official
    from db.receiving import package_bytes
    require_suffix(target, (".zip",), "汇总包")
    steps = 4
    now = datetime.now()
    with db.session() as s:
        done = consolidate(s, without_own=True)
        if not done.packages:
            raise ValidationError(("除本单位自己的提交包外，" if done.own_left_out else "")
                                  + "还没有接收任何上报包，无法导出汇总包。", NOTHING_HINT)
        private, public_raw = ensure_key(s, passphrase, actor)
        inner = [_inner(r) for r in done.packages]
        blobs = {p.member: package_bytes(s, p.sha256) for p in inner}
        official, policy = get_official(s), store.get_policy(s)
        c = Consolidation(school_info(s), inner, done.summary, done.findings, county=official.county,
                          policy_name=official.title, policy_hash=policy.sha256, generated_at=now,
                          generated_by=actor or audit.default_actor(), clerk=official.clerk,
                          signer_fingerprint=fingerprint(public_raw),
                          reporting=reporting(s, now.date(), done.own_left_out))
    if progress:
        progress(1, steps)
    with temp_folder("consolidated") as folder:
        write_consolidated_workbook(folder / WORKBOOK_MEMBER, c)
        if progress:
            progress(2, steps)
        warnings = write_consolidated_report(folder / REPORT_MEMBER, c)
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    if progress:
        progress(3, steps)
    files[DATA_MEMBER] = data_member(c)
    files.update(blobs)
    t = c.summary.totals
    meta = {
        "school": {"name": c.receiver.name, "code": c.receiver.code}, "kind": "consolidated",
        "school_year": c.receiver.school_year, "policy_name": c.policy_name, "policy_hash": c.policy_hash,
        "draft": False, "demo": False, "generated_at": c.generated_at.isoformat(timespec="seconds"),
        "generated_by": c.generated_by, "program_version": c.program_version,
        "counts": {"packages": len(inner), "students": t.students, "subsidised": t.students_granted,
                   "pending": t.pending, "duplicate_ids": c.summary.duplicates.ids,
                   "errors": done.errors, "findings": len(done.findings)},
        "totals": {"by_item": {k: format_fen(v) for k, v in t.by_item.items()},
                   "by_source": {k: format_fen(v) for k, v in t.by_source.items()}, "total": format_fen(t.total)},
        "packages": sorted(p.sha256 for p in inner),
    }
    path = write_package(Path(target), files, meta, private, public_raw)
    r = c.reporting
    gap = f"，应报 {r.expected} 所，缺报 {len(r.missing)} 所" if r is not None and r.missing else ""
    with recording_written(f"汇总包“{path.name}”"), db.session() as s:
        audit.record(s, actor or audit.default_actor(), "export", None,
                     {"*": (None, f"导出汇总包 {Path(target).name}（{len(inner)} 所学校{gap}）")})
    if progress:
        progress(steps, steps)
    left_out = [own_left_out(done.own_left_out, len(inner))] if done.own_left_out else []
    result = ConsolidatedExportResult(path, fingerprint(public_raw), len(inner), done.findings, done.summary,
                                      [*left_out, *warnings], r)
    if result.incomplete:             # (the CLI prints the warnings; the GUI says this one first)
        result.warnings.insert(0, result.incomplete)
    return result

