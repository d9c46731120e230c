"""Running the checks over the store, keeping findings and their states, verification.

States: open; fixed (closed automatically when a re-run no longer finds it);
accepted (the clerk confirms the data with a written reason; it stays accepted
on re-runs until the data behind it changes). Every state change is audited.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from core.bulk import gc_paused
from core.checks import (
    RULES_BY_CODE,
    CheckContext,
    Finding,
    FindingState,
    Payment,
    RosterFacts,
    RosterMeta,
    StudentFacts,
    rule_code,
    run_checks,
)
from core.engine import Calculator, PendingCause
from core.errors import ValidationError
from core.fields import CHECK_FIELDS, IMPORTER_FIELDS
from core.idnumber import mask_id, normalize_id
from core.seal import SEAL_EXTRA_V2
from core.text import our_school_names
from db import audit, store
from db.bulk import insert_tuples, stored_time
from db.changes import Changes
from db.models import ON_LIST, FindingRow, PaymentRecord, RosterPerson, Student
from db.seals import seal_stands, seal_student

PAYMENTS_KEY = "payments.imported_at"
CHECKED_AT_KEY = "checks.last_run"     # when the checks last ran (工作台's 运行核查 step)
# The data is certainly wrong (fix it), or the record itself cannot be trusted. DUPLICATE_ID: one
# child twice on the list would be verified and paid twice (remove the copy or correct the ID).
NOT_ACCEPTABLE = {"ID_INVALID", "ID_NUMERIC_CELL", "DUPLICATE_ID", "TAMPERED_AFTER_VERIFY", "AUDIT_CHAIN_BROKEN",
                  "ROSTER_EMPTY"}


def not_acceptable(code: str, severity: str) -> bool:
    """Whether a finding can only be corrected, never accepted: the codes of ``NOT_ACCEPTABLE``, and
    an unreadable value the amounts depend on (VALUE_UNREADABLE as an error: no data is right there)."""
    return code in NOT_ACCEPTABLE or (code == "VALUE_UNREADABLE" and severity == "error")
# Open errors of these codes do not block verification: verifying anew is how they are resolved.
REVERIFY_FIXES = {"TAMPERED_AFTER_VERIFY"}
# StudentFacts' stored fields in order, after ``key`` and before the bookkeeping (rows are built
# positionally for speed; tests/test_fields.py holds StudentFacts to this order).
FACT_COLUMNS = (*CHECK_FIELDS, *IMPORTER_FIELDS)
ROSTER_IMPORTED_AT, ROSTER_SIZE, ROSTER_PREVIOUS_SIZE = "roster.imported_at", "roster.size", "roster.previous_size"


@dataclass
class CheckRun:
    findings: list[Finding]
    counts: dict[str, int] = field(default_factory=dict)          # by severity, open only
    opened: int = 0
    fixed: int = 0
    reopened: int = 0
    chain: audit.ChainStatus | None = None    # the audit log's chain after the run's own entries

    @property
    def changes(self) -> Changes:
        return Changes.FINDINGS


@gc_paused()
def build_context(session: Session, today: date | None = None,
                  chain: audit.ChainStatus | None = None) -> CheckContext:
    """The facts the rules read (``chain``: the audit log's status, when the caller checked it)."""
    school = store.get_school(session)
    cols = [Student.id, *(getattr(Student, f) for f in FACT_COLUMNS), Student.notified_at.is_not(None),
            Student.verified, Student.seal, Student.notified_told]
    session.flush()               # Core reads below do not autoflush pending ORM changes
    conn = session.connection()   # Core rows: no ORM loading machinery for 250,000 plain tuples
    # Rows are tuples; typed as such so that they spread into StudentFacts' fields.
    rows = cast(list[tuple[Any, ...]], conn.execute(select(*cols).where(ON_LIST).order_by(Student.id)).fetchall())
    students = _student_facts(rows)
    # (every listed student with a version-2 seal, whatever ``verified`` holds: the rule decides)
    extras = conn.execute(select(Student.id, *(getattr(Student, f) for f in SEAL_EXTRA_V2)).where(
        ON_LIST, Student.seal.startswith("2:", autoescape=True))).fetchall()
    roster = _roster_for_check(session, school.name)
    payments = None
    if store.get_setting(session, PAYMENTS_KEY):
        payments = [Payment(*r) for r in session.execute(select(
            PaymentRecord.line, PaymentRecord.id_number, PaymentRecord.item_code, PaymentRecord.amount_fen))]
    chain = chain or audit.audit_chain_status(session)
    return CheckContext(students, roster, store.get_policy(session), school.name, school.school_year,
                        today or date.today(), payments, roster_meta=roster_meta(session),
                        audit_problem="" if chain.intact else chain.message,
                        roster_size=session.scalar(select(func.count()).select_from(RosterPerson)) or 0,
                        seal_extras={int(row[0]): dict(zip(SEAL_EXTRA_V2, row[1:], strict=True)) for row in extras})


_ROSTER_FACTS = (RosterPerson.id, RosterPerson.name, RosterPerson.id_number, RosterPerson.school_name,
                 RosterPerson.schooling_status, RosterPerson.household_no)


def roster_facts(session: Session) -> list[RosterFacts]:
    """The roster (建档立卡名单) as the checks read it."""
    return list(map(RosterFacts._make, session.connection().execute(select(*_ROSTER_FACTS)).fetchall()))


def _roster_for_check(session: Session, school_name: str) -> list[RosterFacts]:
    """The roster rows the checks can use, in roster order (CheckContext.roster): those whose ID is a
    listed student's (SQLite matches them through the roster's ID index) and those of this school.
    A county's roster is 200,000 people; the rules compare its rows with the students only."""
    from db import roster_prefetch
    conn = session.connection()
    # `check` reads them ahead beside its imports (db.roster_prefetch): taken while the file is unchanged
    rows: Sequence[Any] | None = roster_prefetch.take(conn.engine.url.database or "")
    if rows is None:
        ours = our_school_names(school_name, session.scalars(select(RosterPerson.school_name).distinct()))
        rows = conn.exec_driver_sql(roster_prefetch.roster_for_check_sql(len(ours)), tuple(sorted(ours))).fetchall()
    return list(map(RosterFacts._make, rows))


def _student_facts(rows: list[tuple[Any, ...]]) -> list[StudentFacts]:
    """``StudentFacts(*row)`` for every row, without the frozen dataclass's ``__init__``, which sets each
    field through ``object.__setattr__`` (half of building 50,000 students' facts): the
    instance's ``__dict__`` is filled from the row in field order, which is what ``__init__``
    would store (the columns are selected in that order; the equality test in
    tests/test_import_fast_paths.py holds the two ways together)."""
    names = [f.name for f in fields(StudentFacts)]
    new = object.__new__
    out = []
    for row in rows:
        obj = new(StudentFacts)
        obj.__dict__.update(zip(names, row, strict=True))
        out.append(obj)
    return out


def roster_meta(session: Session) -> RosterMeta:
    def number(key: str) -> int | None:
        value = store.get_setting(session, key)
        return int(value) if value and value.isdigit() else None
    return RosterMeta(number(ROSTER_SIZE), number(ROSTER_PREVIOUS_SIZE),
                      store.get_setting(session, ROSTER_IMPORTED_AT) or "")


@gc_paused()
def run_and_store(session: Session, actor: str | None = None, today: date | None = None) -> CheckRun:
    """Run every check and reconcile the stored findings (only the findings that changed are
    written, so the re-check after every saved edit stays well under a second for 10,000 students)."""
    from db import chain_ahead
    conn = session.connection()
    # The transaction's snapshot is fixed first (a deferred BEGIN reads nothing; SQLite fixes what it sees at
    # its first read): what was read ahead is taken only if the file did not change before that moment, and a
    # write after it is not seen by this run either.
    conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    # `check` verifies the chain ahead in a child process (db.chain_ahead): taken while the file is unchanged
    chain = chain_ahead.take(conn.engine.url.database or "") or audit.audit_chain_status(session)
    today = today or date.today()       # one day for the whole run: its checks and the stamp of its day
    found = run_checks(build_context(session, today, chain))
    run = store_findings(session, found, actor or audit.default_actor(), datetime.now())
    run.chain = audit.audit_chain_status(session, since=chain)   # only the run's own entries checked again
    from db.check_state import mark_current
    mark_current(session, today, run.chain)     # last: the findings are current until a watched table changes
    return run


# What the reconcile reads of a stored finding (Core rows: no ORM object per finding).
_STORED = (FindingRow.id, FindingRow.code, FindingRow.subject, FindingRow.part, FindingRow.state, FindingRow.reason,
           FindingRow.severity, FindingRow.message, FindingRow.fingerprint, FindingRow.name, FindingRow.id_number,
           FindingRow.field)
_T = FindingRow.__table__
# One UPDATE for every changed finding (an executemany): its state, reason and what it shows.
_UPDATE = update(_T).where(_T.c.id == bindparam("_id")).values(
    state=bindparam("_state"), reason=bindparam("_reason"), severity=bindparam("_severity"),
    message=bindparam("_message"), fingerprint=bindparam("_fingerprint"), name=bindparam("_name"),
    id_number=bindparam("_id_number"), field=bindparam("_field"), updated_at=bindparam("_now"))


# The columns a new finding is inserted with (the others take their defaults: no feedback package).
_NEW = ("code", "severity", "subject", "part", "student_id", "roster_id", "id_number", "name", "message", "field",
        "fingerprint", "state", "reason", "created_at", "updated_at")


def store_findings(session: Session, found: list[Finding], actor: str, now: datetime) -> CheckRun:
    """Reconcile the stored findings with what a check run ``found`` and store the result: the one
    place the check writes its findings (new ones opened, changed ones updated, those not found
    any more fixed, every state change audited, the time of the run recorded).

    A receiver's findings (反馈包, db/feedback.py) are closed by the clerk, never by the school's checks."""
    existing = {(r.code, r.subject, r.part): r for r in session.connection().execute(
        select(*_STORED).where(FindingRow.feedback_id.is_(None))).fetchall()}
    run = CheckRun(found)
    changes: list[tuple[int | None, dict[str, tuple[Any, Any]]]] = []
    new_rows: list[tuple[Any, ...]] = []
    opened, stamp = FindingState.OPEN.value, stored_time(now)
    updates: list[dict[str, Any]] = []
    for f in found:
        row = existing.pop(f.identity, None)
        fingerprint = f.fingerprint
        if row is None:
            new_rows.append((f.code, f.severity.value, f.subject, f.part, f.student_key, f.roster_key, f.id_number,
                             f.name, f.message, f.field, fingerprint, opened, "", stamp, stamp))
            run.opened += 1
            continue
        state, reason = row.state, row.reason
        if state != FindingState.OPEN and not_acceptable(f.code, f.severity.value):
            # found again, a finding that cannot be accepted is open, even one accepted before its
            # code could not be (DUPLICATE_ID): it never stands as accepted
            changes.append((row.id, {"state": (state, FindingState.OPEN)}))
            run.reopened += 1
            state, reason = FindingState.OPEN, ""
        elif state == FindingState.FIXED and row.fingerprint == fingerprint and reason:
            # Found again with exactly the data the clerk accepted (a student removed and
            # restored, a change undone): the acceptance stands.
            changes.append((row.id, {"state": (FindingState.FIXED, FindingState.ACCEPTED)}))
            state = FindingState.ACCEPTED
        elif row.fingerprint != fingerprint or state == FindingState.FIXED:
            if state != FindingState.OPEN:
                changes.append((row.id, {"state": (state, FindingState.OPEN)}))
                run.reopened += 1
            state, reason = FindingState.OPEN, ""
        seen = (f.severity.value, f.message, fingerprint, f.name, f.id_number, f.field)
        if (state, reason) != (row.state, row.reason) or seen != tuple(row[6:]):
            # only a finding that changed is written: a re-check at 10,000 students finds
            # thousands of unchanged ones, and touching each was an UPDATE per finding
            updates.append(_update_params(row.id, state, reason, seen, now))
    for row in existing.values():
        if row.state != FindingState.FIXED:
            changes.append((row.id, {"state": (row.state, FindingState.FIXED)}))
            updates.append(_update_params(row.id, FindingState.FIXED, row.reason, tuple(row[6:]), now))
            run.fixed += 1
    if updates:
        session.connection().execute(_UPDATE, updates)
    if new_rows:       # plain tuples (db.bulk): 10,000 new findings by the ORM's insert took 0.3 s
        session.flush()
        insert_tuples(session.connection(), _T, _NEW, new_rows)
    if updates or new_rows:
        _expire_loaded_findings(session)
    audit.record_many(session, actor, "finding", changes, now)
    store.put_setting(session, CHECKED_AT_KEY, now.isoformat(timespec="seconds"))
    session.flush()
    run.counts = open_counts(session)
    return run


def _update_params(finding_id: int, state: FindingState, reason: str, seen: tuple[Any, ...],
                   now: datetime) -> dict[str, Any]:
    severity, message, fingerprint, name, id_number, field_name = seen
    return {"_id": finding_id, "_state": state, "_reason": reason, "_severity": severity, "_message": message,
            "_fingerprint": fingerprint, "_name": name, "_id_number": id_number, "_field": field_name, "_now": now}


def _expire_loaded_findings(session: Session) -> None:
    """Findings this session loaded as objects before (an accept, then the re-check) are read
    again at their next use: the reconcile wrote the table with Core statements."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, FindingRow):
            session.expire(obj)


def finding_title(code: str, stored: str = "") -> str:
    """A stored finding's title: the one a receiver sent with it (反馈包), else the catalogue's."""
    return stored or (RULES_BY_CODE[code].title if code in RULES_BY_CODE else code)


def open_counts(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {sv: n for sv, n in session.execute(     # counted by SQLite
        select(FindingRow.severity, func.count()).where(FindingRow.state == FindingState.OPEN)
        .group_by(FindingRow.severity))}
    return {sv: counts.get(sv, 0) for sv in ("error", "warning", "info")}


def finding_code(text: str, session: Session | None = None) -> str:
    """The code of the check named by ``text`` (its code or its Chinese title), or of a
    receiver's finding stored from a feedback package (its code or title)."""
    code = rule_code(text)
    if not code and session is not None:
        code = session.scalar(select(FindingRow.code).where(
            FindingRow.feedback_id.is_not(None), (FindingRow.code == text.strip()) | (FindingRow.title == text.strip()))
            .limit(1)) or ""
    if not code:
        raise ValidationError(f"没有名为“{text.strip()}”的核查问题",
                              "请写“核查问题”页上的问题名称（例如 姓名与建档立卡名单不一致）或 check --json 列出的代码")
    return code


def subject_rows(session: Session, code: str, id_number: str, fixed: bool = False) -> list[FindingRow]:
    """The findings of ``code`` about this ID number (the fixed ones too with ``fixed``)."""
    number = normalize_id(id_number)
    q = select(FindingRow).where(FindingRow.code == code)
    if not fixed:
        q = q.where(FindingRow.state != FindingState.FIXED)
    return [r for r in session.scalars(q) if normalize_id(r.id_number) == number or r.part == id_number]


def refusal(codes: list[str]) -> ValidationError:
    """Why findings of ``codes`` (not acceptable) cannot be accepted, and what to do about each (its
    rule's hint): the one refusal of ``accept``, ``accept_rows`` and the 核查问题 page."""
    rules = [RULES_BY_CODE[c] for c in codes]
    hint = rules[0].hint if len(rules) == 1 else "；".join(f"{r.title}：{r.hint}" for r in rules)
    return ValidationError(f"{'、'.join(r.title for r in rules)}不能接受，必须改正", hint)


def accept(session: Session, code: str, id_number: str, reason: str, actor: str | None = None) -> int:
    """Accept the findings of ``code`` for the student (or roster person) with this ID."""
    code = finding_code(code, session)
    if code in NOT_ACCEPTABLE:
        raise refusal([code])
    if not reason.strip():
        raise ValidationError("接受核查问题必须写明原因", "例如：户口簿上即为此异体字")
    rows = subject_rows(session, code, id_number)
    if not rows:
        raise ValidationError(f"身份证号 {mask_id(id_number)} 没有未处理的“{finding_title(code)}”问题",
                              "请写完整的18位身份证号（check 列出的是遮挡的号码，check --json 列出完整号码）" if "*"
                              in id_number else "请先运行核查（check），并核对问题名称和身份证号")
    return accept_rows(session, rows, reason, actor)


def accept_rows(session: Session, rows: Iterable[FindingRow], reason: str, actor: str | None = None) -> int:
    if not reason.strip():
        raise ValidationError("接受核查问题必须写明原因", "例如：户口簿上即为此异体字")
    rows = list(rows)
    bad = sorted({r.code for r in rows if not_acceptable(r.code, r.severity)})
    if bad:
        raise refusal(bad)
    changes = []
    for r in rows:
        if r.state != FindingState.ACCEPTED:
            changes.append((r.id, {"state": (r.state, FindingState.ACCEPTED),
                                   "reason": (r.reason, reason.strip())}))
            r.state, r.reason, r.updated_at = FindingState.ACCEPTED, reason.strip(), datetime.now()
    audit.record_many(session, actor or audit.default_actor(), "finding", changes)
    return len(changes)


def blocked_students(session: Session, student_ids: list[int]) -> dict[int, str]:
    """Students that cannot be verified, with why: an open error, or an amount that
    cannot be computed because a policy parameter is unset."""
    from core.engine import compute_student
    from db.students import to_record
    out: dict[int, str] = {}
    for start in range(0, len(student_ids), 900):
        chunk = student_ids[start:start + 900]
        for sid, name, code in session.execute(
                select(FindingRow.student_id, FindingRow.name, FindingRow.code)
                .where(FindingRow.student_id.in_(chunk), FindingRow.state == FindingState.OPEN,
                       FindingRow.severity == "error", FindingRow.code.not_in(REVERIFY_FIXES))):
            if sid is not None:   # always: selected by student id
                out.setdefault(sid, f"{name}（{RULES_BY_CODE[code].title if code in RULES_BY_CODE else code}）")
    for start in range(0, len(student_ids), 900):
        for sid, name in session.execute(select(Student.id, Student.name).where(
                Student.id.in_(student_ids[start:start + 900]), Student.removed_at.is_not(None))):
            out[sid] = f"{name or '（无姓名）'}（已移出名单）"
    policy = store.get_policy(session)
    rest = [i for i in student_ids if i not in out]
    for start in range(0, len(rest), 900):
        for st in session.scalars(select(Student).where(Student.id.in_(rest[start:start + 900]))):
            if any(d.cause is PendingCause.PARAMETER_UNSET for d in compute_student(to_record(st), policy).pending):
                out[st.id] = f"{st.name}（政策参数未设置，资助金额无法计算）"
    return out


def verification_plan(session: Session, student_ids: list[int]) -> tuple[int, dict[int, str]]:
    """(how many of these students verifying would mark 已核准, the blocked ones with why)."""
    blocked = blocked_students(session, student_ids)
    rest = [i for i in student_ids if i not in blocked]
    todo = 0
    for start in range(0, len(rest), 900):
        todo += session.scalar(select(func.count()).select_from(Student).where(
            Student.id.in_(rest[start:start + 900]), Student.verified.is_(False))) or 0
    return todo, blocked


def verify_students(session: Session, student_ids: Iterable[int], actor: str | None = None,
                    skip_blocked: bool = False) -> int:
    """Mark students 已核准 and seal what was verified (data and amounts, core.seal).
    Refused (nothing changes) while any has an open error or an uncomputable amount;
    with ``skip_blocked`` the others are verified. A verified student whose seal no
    longer matches (TAMPERED_AFTER_VERIFY) is verified anew: sealed as it stands now. One whose
    seal holds is left as it is, in whichever version (core.seal): a version-1 seal is not made
    version 2 by a verification that counts only the students not yet verified (核准筛选出的学生);
    取消核准, then 核准, seals it anew."""
    ids = list(student_ids)
    blocked = blocked_students(session, ids)
    if blocked and not skip_blocked:
        names = "；".join(list(blocked.values())[:10])
        raise ValidationError(f"有 {len(blocked)} 名学生不能核准：{names}", "有未处理错误的，先改正并重新核查；政策参数"
                              "未设置的，在“政策 → 政策参数”中填写（命令行：policy set）；已移出名单的不需要核准")
    changes = []
    ok = [i for i in ids if i not in blocked]
    calc = Calculator(store.get_policy(session))
    for start in range(0, len(ok), 900):
        for st in session.scalars(select(Student).where(Student.id.in_(ok[start:start + 900]))):
            if st.verified and seal_stands(st, calc):
                continue
            seal = seal_student(st, calc)
            change: dict[str, tuple[Any, Any]] = {"verified": (False, True)} if not st.verified else {}
            change["seal"] = (st.seal, seal)
            st.verified, st.seal = True, seal
            changes.append((st.id, change))
    audit.record_many(session, actor or audit.default_actor(), "student", changes)
    return len(changes)


def unverify_students(session: Session, notes: dict[int, str], actor: str | None = None,
                      at: datetime | None = None) -> int:
    """Send students back to 待核准 (the seal is cleared), audited with ``notes[id]``
    (why, with the old and new figures)."""
    changes = []
    ids = list(notes)
    for start in range(0, len(ids), 900):
        for st in session.scalars(select(Student).where(Student.id.in_(ids[start:start + 900]),
                                                        Student.verified.is_(True))):
            changes.append((st.id, {"verified": (True, False), "seal": (st.seal, None),
                                    "note": (None, notes[st.id])}))
            st.verified, st.seal = False, None
    audit.record_many(session, actor or audit.default_actor(), "student", changes, at)
    return len(changes)


def unverify_student_ids(session: Session, student_ids: Iterable[int], actor: str | None = None) -> int:
    """取消核准: the clerk sends verified students back to 待核准 (seal cleared, audited)."""
    ids = list(student_ids)
    n = unverify_students(session, {i: "取消核准" for i in ids}, actor)
    if not n:
        raise ValidationError("该学生不是已核准状态，不需要取消核准" if len(ids) == 1
                              else "所选学生都不是已核准状态，不需要取消核准",
                              "只有“已核准”的学生可以取消核准")
    return n


def revoke_accept(session: Session, code: str, id_number: str, actor: str | None = None) -> int:
    """撤销接受: the accepted findings of ``code`` for this ID become open again."""
    code = finding_code(code, session)
    rows = [r for r in subject_rows(session, code, id_number) if r.state == FindingState.ACCEPTED]
    if not rows:
        raise ValidationError(f"身份证号 {mask_id(id_number)} 没有已接受的“{finding_title(code)}”问题",
                              "只有“已接受”的核查问题可以撤销接受；请核对代码和身份证号")
    return revoke_rows(session, rows, actor)


def revoke_ids(session: Session, finding_ids: list[int], actor: str | None = None) -> int:
    """撤销接受 for the findings with these ids (the GUI's selection)."""
    rows = [r for start in range(0, len(finding_ids), 900)
            for r in session.scalars(select(FindingRow).where(FindingRow.id.in_(finding_ids[start:start + 900])))]
    return revoke_rows(session, rows, actor)


def revoke_rows(session: Session, rows: Iterable[FindingRow], actor: str | None = None) -> int:
    """Accepted findings back to open (their reason is cleared; the audit keeps it)."""
    rows = [r for r in rows if r.state == FindingState.ACCEPTED]
    if not rows:
        raise ValidationError("所选问题都不是“已接受”状态，不需要撤销接受", "只有已接受的核查问题可以撤销接受")
    now = datetime.now()
    changes = []
    for r in rows:
        changes.append((r.id, {"state": (FindingState.ACCEPTED, FindingState.OPEN), "reason": (r.reason, "")}))
        r.state, r.reason, r.updated_at = FindingState.OPEN, "", now
    audit.record_many(session, actor or audit.default_actor(), "finding", changes, now)
    return len(changes)


def find_student_ids(session: Session, id_number: str) -> list[int]:
    """The students with this ID number; else those without one whose file held exactly this text (a
    number cell's digits or "4.22822E+17": an ID_NUMERIC_CELL finding's student, named on the command line)."""
    number = normalize_id(id_number)
    found = list(session.scalars(select(Student.id).where(Student.id_number == number)))
    raw = (Student.id_number == "") & (Student.id_raw == id_number.strip())
    return found if found or not number else list(session.scalars(select(Student.id).where(raw)))
