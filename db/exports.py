"""Gathering export data from the store, signer keys, and the export use cases."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select, update
from sqlalchemy.orm import Session

from core.bulk import gc_paused
from core.checks import FindingState
from core.domain import StudentRecord
from core.engine import Calculator, StudentResult, Totals
from core.errors import MissingSettingError, ValidationError
from core.exports.data import (
    AuditInfo,
    ExportData,
    FindingInfo,
    SchoolInfo,
    StudentInfo,
)
from core.fields import EXPORT_FIELDS
from core.money import format_fen
from core.paths import require_suffix
from core.policy import Policy
from core.records import RECORD_COLUMNS, stored_records
from db import audit, store
from db.changes import Changes
from db.findings import finding_title
from db.keys import (  # noqa: F401 - re-exported
    PRIVATE_KEY,
    PUBLIC_KEY,
    ensure_key,
    own_signer,
    public_key,
    public_key_line,
    read_own_signer,
)
from db.models import ON_LIST, FindingRow, RosterPerson, Student
from db.official import (
    COUNTY_HINT,
    COUNTY_REASON,
    county_missing,
    get_official,
    require_county,
)
from db.session import Database, recording_written

Progress = Callable[[int, int], None]


def school_info(session: Session) -> SchoolInfo:
    s = store.get_school(session)
    return SchoolInfo(s.name, s.code, s.school_year, s.township, s.contact_phone, s.supervision_phone, s.address)


@gc_paused()
def gather(session: Session, draft: bool = False, keys: list[int] | None = None,
           actor: str | None = None) -> ExportData:
    """ExportData of every student (or of ``keys``), with results, totals and findings."""
    policy = store.get_policy(session)
    students, results, totals = _students(session, policy, keys)
    from core.exports.output import grade_label
    by_key = {s.key: s for s in students}
    # students off the list, when taken off: a finding closed since (the next check) was closed by it
    off_list: dict[int, datetime] = {sid: at for sid, at in session.execute(
        select(Student.id, Student.removed_at).where(Student.removed_at.is_not(None))) if at is not None}
    findings = [
        FindingInfo(r.code, r.severity, finding_title(r.code, r.title),
                    r.name, r.id_number, r.message, r.state, r.reason,
                    roster_person=r.student_id is None and r.roster_id is not None,
                    grade=grade_label(by_key[r.student_id]) if r.student_id in by_key else "",
                    removed=r.state == FindingState.FIXED and r.student_id in off_list
                    and r.updated_at >= off_list[r.student_id])
        for r in session.scalars(select(FindingRow).order_by(FindingRow.id))   # fixed ones too: 再修正 on record
    ]
    from core.signing import fingerprint
    raw = public_key(session)
    fp = fingerprint(raw) if raw else ""
    from db.check_state import audit_chain
    from db.findings import ROSTER_IMPORTED_AT
    chain = audit_chain(session)        # only the entries after a current stored check's are verified
    return ExportData(school=school_info(session), policy=policy, students=students, results=results,
                      totals=totals, findings=findings, generated_at=datetime.now(),
                      generated_by=actor or audit.default_actor(), draft=draft, signer_fingerprint=fp,
                      demo=store.is_demo(session),
                      roster_size=session.scalar(select(func.count()).select_from(RosterPerson)) or 0,
                      roster_imported_at=store.get_setting(session, ROSTER_IMPORTED_AT) or "",
                      audit=AuditInfo(chain.intact, chain.entries, chain.head, chain.message),
                      official=get_official(session), **_policy_version(session))


def _policy_version(session: Session) -> dict[str, Any]:
    """ExportData's policy version fields: the active version's label and number (empty, 0 unknown)."""
    from db.policy_versions import active_version
    version = active_version(session)
    return {"policy_version": version.label if version else "",
            "policy_version_number": version.number if version else 0}


# The columns a reported student is read from, in one Core SELECT: its id and the exported
# fields (StudentInfo's order), whether it is verified, then what else the engine reads.
_INFO_COLUMNS = ("id", *EXPORT_FIELDS, "verified")
_STUDENT_COLUMNS = (*_INFO_COLUMNS, *(c for c in RECORD_COLUMNS if c not in _INFO_COLUMNS))
_RECORD_OF = itemgetter(*(_STUDENT_COLUMNS.index(c) for c in RECORD_COLUMNS))
# What the public notice reads of a student: what it prints (name, stage, grade, class) and
# what the engine reads. Never the ID number, telephone, bank card or address: these are read
# as empty texts (the engine's decisions do not depend on the ID number: core.engine.decision_key).
_NOTICE_READS = frozenset(("id", "name", "stage", "grade", "class_name", "category", "verified", *RECORD_COLUMNS)
                          ) - {"id_number"}
_NOTICE_COLUMNS = tuple(getattr(Student, c) if c in _NOTICE_READS else literal_column("''").label(c)
                        for c in _STUDENT_COLUMNS)
# The columns whose few distinct texts repeat from student to student (shared while reading).
_SHARED = tuple(_STUDENT_COLUMNS.index(c) for c in ("gender", "stage", "grade", "class_name", "location",
                                                     "ownership", "category", "township", "village", "prior_grants"))


def _students(session: Session, policy: Policy, keys: list[int] | None,
              notice: bool = False) -> tuple[list[StudentInfo], list[StudentResult], Totals]:
    """The listed students (of ``keys``) in id order with their results and totals: plain
    column rows streamed in batches (not ORM objects), each computed by one Calculator.
    ``notice``: the notice's read, only the students with a granted item (the totals still
    count every student) and only the columns it prints or computes with (``_NOTICE_READS``)."""
    read = _NOTICE_COLUMNS if notice else tuple(getattr(Student, c) for c in _STUDENT_COLUMNS)
    q = select(*read).where(ON_LIST).order_by(Student.id)
    if keys is not None:
        q = q.where(Student.id.in_(keys))
    students: list[StudentInfo] = []
    results: list[StudentResult] = []
    calc = Calculator(policy, explain=True)
    labels: dict[str, str] = {}          # a category as stored -> its label (parsed once per spelling)
    n, category = len(_INFO_COLUMNS) - 1, _STUDENT_COLUMNS.index("category")
    shared: dict[Any, Any] = {}
    one = shared.setdefault
    rows = session.connection().execution_options(yield_per=1000).execute(q)
    seen: dict[tuple[Any, ...], tuple[StudentRecord, bool]] = {}
    for batch in rows.partitions():      # streamed: not every row at once
        values: list[tuple[Any, ...]]
        if notice:                       # (a few rows kept: nothing to share)
            values, computed = _granted(calc, batch, seen)
        else:
            columns = list(zip(*batch, strict=True))
            for c in _SHARED:            # one string object per distinct value (memory: letters stay flat)
                columns[c] = tuple(map(one, columns[c], columns[c]))
            values = list(zip(*columns, strict=True))
            computed = list(map(calc, stored_records(map(_RECORD_OF, values))))
        results += computed
        for row in values:
            stored = row[category]
            label = labels.get(stored)
            if label is None:
                cat = policy.parse_category(stored)
                label = labels[stored] = policy.category_label(cat) if cat else stored
            info: tuple[Any, ...] = (*row[:n], label, row[n])      # StudentInfo's fields in order
            students.append(StudentInfo(*info))
    return students, results, calc.totals()


# A student's stored engine columns but its id, name and ID number: rows equal in these are
# computed alike (the engine's decisions read none of the three: core.engine.decision_key).
_ENGINE_OF = itemgetter(*(_STUDENT_COLUMNS.index(c) for c in RECORD_COLUMNS if c not in ("id", "name", "id_number")))


def _granted(calc: Calculator, rows: Sequence[Sequence[Any]], seen: dict[tuple[Any, ...], tuple[StudentRecord, bool]]
             ) -> tuple[list[tuple[Any, ...]], list[StudentResult]]:
    """The ``rows`` with a granted item and their results, every row counted by ``calc`` (its
    totals). A row whose engine columns equal an earlier row's without a grant (``seen``: most
    students of a county) is counted with that row's record instead of being made into a record
    and a result of its own."""
    kept: list[tuple[Any, ...]] = []
    results: list[StudentResult] = []
    for row in rows:
        key = _ENGINE_OF(row)
        hit = seen.get(key)
        if hit is not None and not hit[1]:
            calc(hit[0])
            continue
        record = stored_records((_RECORD_OF(row),))[0]
        result = calc(record)
        if hit is None:
            hit = seen[key] = (record, bool(result.granted))
        if hit[1]:
            kept.append(tuple(row))
            results.append(result)
    return kept, results


@gc_paused()
def _printed_data(session: Session, draft: bool, keys: list[int] | None = None,
                  actor: str | None = None, notice: bool = False) -> ExportData:
    """What the letters and the public notice print: the students (of ``keys``) with their
    results, the school, the official words and the policy version (``policy_line``). Not the
    findings, the audit chain or the roster's size (the package's and the report's): neither
    document shows them, and checking the chain reads the whole log. ``notice``: only the students with a granted
    item (the notice lists no other; the totals count every student) and only what it prints
    (``_students``: no ID number, telephone, bank card or address)."""
    policy = store.get_policy(session)
    students, results, totals = _students(session, policy, keys, notice)
    return ExportData(school=school_info(session), policy=policy, students=students, results=results,
                      totals=totals, generated_at=datetime.now(),
                      generated_by=actor or audit.default_actor(), draft=draft, demo=store.is_demo(session),
                      official=get_official(session), **_policy_version(session),
                      told_before={} if notice else _told_before(session, keys))


def _told_before(session: Session, keys: list[int] | None) -> dict[int, tuple[date, str]]:
    """The listed students (of ``keys``) whose family was sent a letter: when, and what it told."""
    q = select(Student.id, Student.notified_at, Student.notified_told).where(ON_LIST,
                                                                             Student.notified_at.is_not(None))
    if keys is not None:
        q = q.where(Student.id.in_(keys))
    return {sid: (at.date(), told or "") for sid, at, told in session.execute(q) if at is not None}


@dataclass(frozen=True)
class LettersData:
    data: ExportData
    reasons: list[str]          # why the letters are a draft (``readiness``); empty for final letters

    @property
    def draft(self) -> bool:
        return self.data.draft


def gather_letters(db: Database, keys: list[int] | None = None, draft: bool = False) -> LettersData:
    """The letters' data (of ``keys``) in a transaction of its own, for the CLI and the GUI
    alike. As for the public notice, letters are marked 草稿 until every student is verified
    and no error is open, and whenever ``draft`` is asked; a final letter needs the county's
    name, a draft may show the placeholder."""
    with db.session() as s:
        reasons = readiness(s, documents=False)
        if not (draft or reasons):
            require_county(s, "正式告知书")
        return LettersData(_printed_data(s, draft=draft or bool(reasons), keys=keys), reasons)


# Open findings that are named on their own among the reasons a final export is refused.
_BLOCKING = {
    "TAMPERED_AFTER_VERIFY": "其中 {n} 名已核准学生的数据或金额在核准后被改动（核准后数据被改动）",
    "AUDIT_CHAIN_BROKEN": "审计日志已被改动，无法证明数据的修改记录完整",
    "ROSTER_EMPTY": "建档立卡名单为空，没有与名单比对",
    "ROSTER_SHRUNK": "建档立卡名单人数骤减，尚未核实",
}


# The audit note of a package export (the 工作台's 导出上报 step looks for the final one).
FINAL_EXPORT_NOTE, DRAFT_EXPORT_NOTE = "正式导出", "草稿导出"


def readiness(session: Session, documents: bool = True) -> list[str]:
    """Why a final (non-draft) export is refused; empty when ready. Without ``documents``
    only the data's state counts (not the county's name the documents need)."""
    reasons = [COUNTY_REASON] if documents and county_missing(session) else []
    unverified = session.scalar(select(func.count()).select_from(Student).where(Student.verified.is_(False), ON_LIST))
    if unverified:
        reasons.append(f"还有 {unverified} 名学生未核准")
    errors = session.scalar(select(func.count()).select_from(FindingRow)
                            .where(FindingRow.state == FindingState.OPEN, FindingRow.severity == "error"))
    if errors:
        reasons.append(f"还有 {errors} 个未处理的错误")
    open_codes = dict(session.execute(
        select(FindingRow.code, func.count())
        .where(FindingRow.state == FindingState.OPEN, FindingRow.code.in_(_BLOCKING))
        .group_by(FindingRow.code)).all())
    reasons += [text.format(n=open_codes[code]) for code, text in _BLOCKING.items() if open_codes.get(code)]
    if not session.scalar(select(func.count()).select_from(Student).where(ON_LIST)):
        reasons.append("学生名单为空")
    return reasons


def not_ready_error(reasons: list[str]) -> ValidationError:
    """The refusal of a final export for ``reasons`` (``readiness``); a missing county's
    name is a MissingSettingError, so the GUI offers 去设置."""
    message, hint = "还不能正式导出上报：" + "；".join(reasons), "请完成核准、处理全部错误后再导出"
    if COUNTY_REASON in reasons:
        return MissingSettingError(message, f"{COUNTY_HINT}；{hint}；如需先交草稿，请勾选“草稿”（命令行加 --draft）",
                                   "county")
    return ValidationError(message, hint + "；如需先交草稿，请勾选“草稿”（命令行加 --draft）")


@dataclass(frozen=True)
class ExportState:
    reasons: list[str]          # why a final export is refused (empty: ready)
    fingerprint: str            # the signer key's, "" before the first export
    school_code: str = ""
    school_name: str = ""
    school_year: int | None = None

    def package_name(self, draft: bool, day: date, what: str = "上报包") -> str:
        """"3142588936-建始县第一高级中学-2023–2024学年-上报包-20240605.zip" (草稿 marked);
        ``what`` names another signed package of this database (a receiver's 汇总包)."""
        from core.domain import school_year_label
        from core.paths import safe_file_name
        kind = f"{what}（草稿）" if draft else what
        return safe_file_name((self.school_code, self.school_name, school_year_label(self.school_year), kind,
                               f"{day:%Y%m%d}"), ".zip")


def export_state(db: Database) -> ExportState:
    """What 导出上报 shows and checks before asking anything: readiness, the key
    fingerprint and the school (a read: the GUI keeps the findings current by
    re-checking after every change)."""
    from core.signing import fingerprint
    with db.session() as s:
        raw = public_key(s)
        school = store.find_school(s)
        return ExportState(readiness(s), fingerprint(raw) if raw else "",
                           school.code if school else "", school.name if school else "",
                           school.school_year if school else None)


@dataclass
class ExportResult:
    path: Path
    draft: bool
    fingerprint: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> Changes:
        return Changes.SETTINGS | Changes.FINDINGS    # the key made at the first export; the check it ran
    demo: bool = False          # made from a demo database: every file says 演示数据


def export_package(db: Database, target: str | Path, passphrase: str, draft: bool = False,
                   letters: bool = False, actor: str | None = None,
                   progress: Progress | None = None) -> ExportResult:
    """Check, gather, render and sign; refused (with reasons) unless ready or a draft."""
    from core.exports.data_member import package_data_of
    from core.exports.letters import write_letters
    from core.exports.notice import write_notice_pdf
    from core.exports.report import write_report
    from core.exports.workbook import write_workbook
    from core.package import write_package
    from core.package_data import DATA_MEMBER
    from core.signing import fingerprint
    from db.check_state import check_unless_current, unchanged_for_checks

    require_suffix(target, (".zip",), "上报包")
    steps = 6 if letters else 5
    with db.session() as s:
        check_unless_current(s, actor=actor)      # the stored findings when nothing changed since
        reasons = readiness(s)
        if reasons and not draft:
            raise not_ready_error(reasons)
        with unchanged_for_checks(s):             # the key made at the first export: no check reads it
            private, public_raw = ensure_key(s, passphrase, actor)
        data = gather(s, draft=draft, actor=actor)
    if progress:
        progress(1, steps)
    warnings: list[str] = []
    from core.paths import temp_folder
    with temp_folder("export") as folder:   # private, removed after a kill by the next start
        write_workbook(folder / "workbook.xlsx", data)
        if progress:
            progress(2, steps)
        warnings += write_report(folder / "report.pdf", data)
        if progress:
            progress(3, steps)
        warnings += write_notice_pdf(folder / "notice.pdf", data)
        if progress:
            progress(4, steps)
        if letters:
            warnings += write_letters(folder / "letters.pdf", data)
            if progress:
                progress(5, steps)
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    files[DATA_MEMBER] = package_data_of(data).to_bytes()      # what a receiver consolidates
    counts = {"students": len(data.students), "subsidised": data.totals.students_granted,
              "pending": data.totals.pending,
              "open_findings": sum(f.state == FindingState.OPEN for f in data.findings),
              "accepted_findings": sum(f.state == FindingState.ACCEPTED for f in data.findings)}
    assert data.audit is not None   # gather() always checks the audit chain
    meta = {
        "school": {"name": data.school.name, "code": data.school.code},
        "school_year": data.school.school_year, "policy_name": data.official.title,
        "policy_hash": data.policy.sha256, "policy_version": data.policy_version_number,
        "policy_version_label": data.policy_version, "counts": counts, "draft": draft, "demo": data.demo,
        "totals": {"by_item": {k: format_fen(v) for k, v in data.totals.by_item.items()},
                   "by_source": {k: format_fen(v) for k, v in data.totals.by_source.items()},
                   "total": format_fen(data.totals.total)},
        "generated_at": data.generated_at.isoformat(timespec="seconds"), "generated_by": data.generated_by,
        "program_version": data.program_version,
        "roster": {"size": data.roster_size, "imported_at": data.roster_imported_at},
        "audit_log": {"entries": data.audit.entries, "intact": data.audit.intact, "head": data.audit.head},
    }
    path = write_package(Path(target), files, meta, private, public_raw)
    with recording_written(f"上报包“{path.name}”"), db.session() as s, unchanged_for_checks(s):
        audit.record(s, actor or audit.default_actor(), "export", None,
                     {"*": (None, f"{DRAFT_EXPORT_NOTE if draft else FINAL_EXPORT_NOTE} {Path(target).name}")})
    if progress:
        progress(steps, steps)
    return ExportResult(path, draft, fingerprint(public_raw), counts, list(dict.fromkeys(warnings)), data.demo)


def mark_letters_printed(session: Session, keys: list[int], actor: str | None = None,
                         told: Mapping[int, str] | None = None) -> int:
    """Record that these families' letters were printed (feeds NOT_NOTIFIED and NOTIFIED_CHANGED), with
    what each told (``told``: core.told.told_key of the letter printed; for a key not in it, the
    student's result now, as a letter made just before from the stored data states it). A student
    already recorded with what this letter tells is left as recorded; one recorded with something
    else (a letter told before the result changed, or printed before migration 0011 recorded it) is
    recorded again, and the receipt of an earlier letter that told something else (回执) no longer stands.
    Returns how many were recorded."""
    now = datetime.now()
    stamp = now.isoformat(timespec="seconds")
    told = dict(told or {})
    wanted = list(dict.fromkeys(keys))
    missing = [k for k in wanted if k not in told]
    if missing:
        told.update(_told_now(session, missing))
    cols = (Student.id, Student.notified_at, Student.notified_told, Student.receipt_at)
    rows = [r for part in _parts(wanted) for r in session.execute(select(*cols).where(Student.id.in_(part)))]
    changed: list[tuple[int, dict[str, tuple[Any, Any]]]] = []
    params: list[dict[str, Any]] = []
    receipts: list[int] = []
    for sid, at, was, receipt in rows:
        key = told.get(sid)
        if key is None or (at is not None and was == key):
            continue        # (not on the list: nothing a letter tells) / already recorded as told
        diff: dict[str, tuple[Any, Any]] = {
            "notified_at": (None if at is None else at.isoformat(timespec="seconds"), stamp),
            "notified_told": (was, key)}
        if was is not None and receipt is not None:       # a second letter: its receipt is yet to come
            # (``was`` None: printed before 0011 recorded what it told: its receipt is kept)
            diff["receipt_at"] = (receipt.isoformat(timespec="seconds"), None)
            receipts.append(sid)
        params.append({"b_id": sid, "b_told": key})
        changed.append((sid, diff))
    if changed:
        table = Student.__table__
        conn = session.connection()
        conn.execute(table.update().where(table.c.id == bindparam("b_id"))
                     .values(notified_at=now, notified_told=bindparam("b_told")), params)
        for part in _parts(receipts):
            conn.execute(update(Student).where(Student.id.in_(part)).values(receipt_at=None))
        audit.record_many(session, actor or audit.default_actor(), "student", iter(changed), now)
    return len(changed)


def _parts(keys: list[int], size: int = 900) -> list[list[int]]:
    """``keys`` a few hundred at a time: SQLite as Windows' Python ships it binds at most 32,766
    variables a statement (older builds 999), and a county school prints tens of thousands of letters."""
    return [keys[i:i + size] for i in range(0, len(keys), size)]


def _told_now(session: Session, keys: list[int]) -> dict[int, str]:
    """What a letter made now tells each of these students on the list (core.told.told_key)."""
    from core.engine import Calculator
    from core.told import told_key
    from db.students import records_of
    calc = Calculator(store.get_policy(session))
    out: dict[int, str] = {}
    for rec in records_of(session, keys):
        if rec.key is not None:         # (always: a stored record carries its id)
            res = calc(rec)
            out[rec.key] = told_key(res.granted, res.pending)
    return out


def mark_receipts(session: Session, keys: list[int], returned: bool = True, actor: str | None = None) -> int:
    """Record which receipts (回执) came back."""
    now = datetime.now() if returned else None
    changed = 0
    found = (st for part in _parts(list(keys)) for st in session.scalars(select(Student).where(Student.id.in_(part))))
    for st in found:
        if (st.receipt_at is not None) != returned:
            audit.record(session, actor or audit.default_actor(), "student", st.id,
                         {"receipt_at": (st.receipt_at, now)})
            st.receipt_at = now
            changed += 1
    return changed



# The notice's use case (db.notice_export reads through this module at call time), named here too.
from db.notice_export import NoticeResult, export_notice, export_notices  # noqa: E402, F401
