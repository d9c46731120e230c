"""Read models: the plain rows the GUI's pages show, read and computed here.

``snapshot`` reads every student once, computes every student's subsidies with
one shared ``Calculator`` and returns what the 工作台, the student list and the
告知书 page show, so a change is computed once for the three of them (in the
worker). ``finding_rows`` and ``roster_rows`` feed 核查问题 and 建档立卡名单;
``finding_detail`` one finding with the data behind it (the detail pane).

Rows are frozen dataclasses of text and numbers: no ORM object leaves db/. The snapshot holds its
students as columns (``db.student_columns``): a ``StudentRow`` or ``LetterRow`` is made per index.
``name_key`` (a pinyin collation key, made by the GUI per thread) is optional.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.campaign import CampaignFacts, Step, campaign_steps, month_day, phase_statuses
from core.checks import SEVERITY_LABELS, FindingState, policy_setting
from core.domain import Category
from core.engine import Calculator, ItemDecision, PendingCause, StudentResult, totals_of_decisions
from core.fields import (
    LIST_FIELDS,
)
from core.pinyin import initials_key
from core.policy import SOURCE_LABELS, Parameter, Policy, parameter_label, parameters_of
from core.policy import unset_parameters as policy_unset
from core.told import letter_due, told_key
from db import store
from db.feedback import feedback_sources, origin_text
from db.findings import finding_title, open_counts
from db.models import (
    ON_LIST,
    STUDENT_DATA_FIELDS,
    AuditEntry,
    FindingRow,
    RosterPerson,
    Student,
)
from db.roster_columns import RosterColumns, masked, read_roster_columns
from db.session import Database
from db.student_columns import ColumnsBuilder, LetterColumns, StudentColumns
from db.students import to_record

NameKey = Callable[[str], Any]
STATUS_VERIFIED = "已核准"
STATUS_PENDING = "待核准"
STATUS_REMOVED = "已移出名单"


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class OpenFindings:
    """A student's open findings (核查问题 未处理), worst first: what the list's 问题 column shows."""
    severities: tuple[str, ...] = ()   # "error" / "warning" / "info", worst first
    titles: tuple[str, ...] = ()       # the rules' titles, in the same order

    @property
    def count(self) -> int:
        return len(self.severities)

    @property
    def worst(self) -> str:
        return self.severities[0] if self.severities else ""

    @property
    def needs_work(self) -> bool:
        """An open error or warning (an info finding is a note, e.g. 尚未告知家庭)."""
        return self.worst in ("error", "warning")

    def lines(self) -> list[str]:
        """"错误：身份证号重复" per finding."""
        labels = [SEVERITY_LABELS.get(sv, sv) for sv in self.severities]
        return [f"{label}：{t}" for label, t in zip(labels, self.titles, strict=True)]


NO_FINDINGS = OpenFindings()


def open_findings_by_student(s: Session, ids: Collection[int] | None = None) -> dict[int, OpenFindings]:
    """The open findings of every student (or of ``ids``), worst first."""
    q = select(FindingRow.student_id, FindingRow.severity, FindingRow.code, FindingRow.title).where(
        FindingRow.state == FindingState.OPEN, FindingRow.student_id.is_not(None))
    if ids is not None:
        q = q.where(FindingRow.student_id.in_(list(ids)))
    found: dict[Any, list[tuple[int, str, str]]] = {}
    rows = chain.from_iterable(s.connection().execute(q).partitions(_SNAPSHOT_PART))  # not all fetched at once
    for sid, severity, code, stored in rows:
        title = finding_title(code, stored)
        found.setdefault(sid, []).append((SEVERITY_RANK.get(severity, 9), severity, title))
    out = {}
    for sid, items in found.items():
        items.sort()
        out[sid] = OpenFindings(tuple(sv for _r, sv, _t in items), tuple(t for _r, _sv, t in items))
    return out


@dataclass(frozen=True, slots=True)
class StudentRow:
    """One row of the student list: ``id``, the catalogue's ``listed`` fields (core.fields.LIST_FIELDS,
    as shown: the category by its policy label), then what is computed."""
    id: int
    name: str
    id_number: str        # the full number: for search and the form, never shown in the list
    id_masked: str        # what the list shows (first 6 and last 4)
    gender: str
    stage: str
    grade: str
    class_name: str
    category: str         # the policy's label (建档立卡 …), or the text as imported
    location: str
    total_fen: int
    total_text: str       # "2022.00"
    pending: int          # items waiting for missing data
    verified: bool
    initials: str         # "zs|cs"
    name_key: Any = None  # the name's rank in pinyin order (db.student_columns.name_ranks)
    haystack: str = ""    # search text (core.text.haystack), built off the GUI thread
    removed: bool = False  # 移出名单: shown in the list, left out of counts, totals and letters
    removed_reason: str = ""
    findings: OpenFindings = field(default_factory=lambda: NO_FINDINGS)   # the open ones, as stored now

    @property
    def status(self) -> str:
        if self.removed:
            return STATUS_REMOVED
        return STATUS_VERIFIED if self.verified else STATUS_PENDING


@dataclass(frozen=True, slots=True)
class LetterRow:
    """One row of the 告知书 page: ``id``, the catalogue's ``lettered`` fields (core.fields.LETTER_FIELDS),
    then what is computed."""
    id: int
    name: str
    id_number: str
    head_name: str
    grade: str
    total_fen: int
    printed: bool
    receipt: bool
    initials: str = ""
    name_key: Any = None


@dataclass
class Summary:
    school: str = ""
    school_year: int | None = None
    students: int = 0
    registered: int = 0
    granted_students: int = 0
    total_fen: int = 0
    pending: int = 0
    roster: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_item: list[tuple[str, int]] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    verified: int = 0
    open_by_severity: dict[str, int] = field(default_factory=dict)
    findings_total: int = 0
    students_with_errors: int = 0      # students on the list with at least one open error
    steps: list[Step] = field(default_factory=list)    # the campaign's checklist, next step first not done


@dataclass(frozen=True)
class Snapshot:
    """Every student's subsidies computed once: what three pages show."""
    policy: Policy
    summary: Summary
    students: StudentColumns     # every student (a StudentRow per index, made on demand)
    letters: LetterColumns       # students on the list with a granted item, or told before their result changed


_COLUMNS = [Student.id, Student.verified, Student.name_initials,
            Student.notified_at.is_not(None).label("printed"), Student.notified_told,
            Student.receipt_at.is_not(None).label("receipt"),
            Student.removed_at.is_not(None).label("removed"), Student.removed_reason,
            *(getattr(Student, f) for f in STUDENT_DATA_FIELDS)]


_SNAPSHOT_PART = 500       # rows a fetch (one C call holding the GIL: 2,000 students took 50-90 ms)


def category_label(policy: Policy, stored: str) -> str:
    """The label the clerk knows for a stored category (unknown text as it is)."""
    try:
        return policy.category_label(Category(stored or "NONE"))
    except ValueError:
        return stored


def _stored(m: Any, name: str) -> Any:
    """A stored field's value as the rows hold it: text never None, the ID as it stood in the
    file when it is not a valid number."""
    if name == "id_number":
        return m["id_number"] or m["id_raw"] or ""
    value = m[name]
    return "" if value is None else value


def _told(res: StudentResult, keys: dict[tuple[int, ...], str]) -> str:
    """``told_key`` of a result, once per combination of decisions (the Calculator shares its decision
    objects among the students who decide alike, and keeps them: their ids name the combination; a
    SHA-256 per told student took 0.2 s at 50,000)."""
    combination = tuple(map(id, res.decisions))
    key = keys.get(combination)
    if key is None:
        key = keys[combination] = told_key(res.granted, res.pending)
    return key


def told_otherwise(s: Session) -> set[int]:
    """The students whose changed result the clerk accepted as told some other way (NOTIFIED_CHANGED
    accepted): no second letter is due."""
    return set(s.scalars(select(FindingRow.student_id).where(
        FindingRow.code == "NOTIFIED_CHANGED", FindingRow.state == FindingState.ACCEPTED,
        FindingRow.student_id.is_not(None))))


def snapshot(db: Database, name_key: NameKey | None = None, today: date | None = None,
             ids: Collection[int] | None = None) -> Snapshot:
    """Worker: read every student once and compute the school (one ``Calculator``). ``ids``: only
    these students (the start's first screenful, ``gui.first_rows``; the summary's counts still
    the school's, its totals only theirs).

    The students are read and computed a few thousand at a time: what is kept are the rows the
    pages show; each part's stored rows, engine records and results are let go before the next
    (50,000 of each at once made the process's memory swell for good, ~100 MB at county size)."""
    with db.session() as s:
        policy = store.get_policy(s)
        summary = _summary_counts(s, policy, today)
        progress = _progress(s)
        findings = open_findings_by_student(s, ids)
        calc = Calculator(policy)
        columns = ColumnsBuilder()
        decisions: list[Sequence[ItemDecision]] = []        # of the students on the list (what counts)
        needed: dict[str, None] = {}
        registered = verified = hardship = 0
        told_keys: dict[tuple[int, ...], str] = {}     # what a letter tells, per combination (core.told)
        retold = told_otherwise(s)
        query = select(*_COLUMNS).order_by(Student.id)
        if ids is not None:
            query = query.where(Student.id.in_(list(ids)))
        # A Core result over the connection: fetched a part at a time (the ORM session's execute fetches
        # every row first, ~100 MB at county size, whatever the partitions).
        for part in s.connection().execute(query).partitions(_SNAPSHOT_PART):
            for row in part:
                m = row._mapping
                res = calc(to_record(m))
                listed = {f: _stored(m, f) for f in LIST_FIELDS}
                if "category" in listed:
                    listed["category"] = category_label(policy, m["category"])
                columns.add(m["id"], listed, res.total_fen, len(res.pending), bool(m["verified"]),
                            bool(m["removed"]), m["removed_reason"] or "", m["name_initials"] or "",
                            findings.get(m["id"], NO_FINDINGS))
                if m["removed"]:                                # not counted (db.models.ON_LIST)
                    continue
                told = m["notified_told"]
                retell = told is not None and m["id"] not in retold and told != _told(res, told_keys)
                # (told before the result changed: a second letter is due)
                if letter_due(bool(res.granted), res.student.category) or retell:
                    columns.add_letter(_stored(m, "head_name"), bool(m["printed"]) and not retell,
                                       bool(m["receipt"]) and not retell)
                decisions.append(res.decisions)
                registered += m["category"] == Category.REGISTERED.value
                verified += bool(m["verified"])
                hardship += (m["category"] or "NONE") != Category.NONE.value
                needed.update(dict.fromkeys(f"{policy.item(d.code).cap}.{m['stage']}" for d in res.pending
                                            if d.cause is PendingCause.PARAMETER_UNSET))
    students, letters = columns.finish(name_key)
    totals = totals_of_decisions(decisions, policy)
    names = {i.code: i.name for i in policy.items}
    summary.students, summary.registered, summary.verified = len(decisions), registered, verified
    summary.granted_students, summary.total_fen, summary.pending = \
        totals.students_granted, totals.total, totals.pending
    summary.by_source = {src: totals.by_source.get(src, 0) for src in SOURCE_LABELS}
    summary.by_item = [(names[c], fen) for c, fen in totals.by_item.items()]
    unset = policy_unset(policy)
    editable = unset or parameters_of(policy)      # 设置政策 opens 设置 at the first of these
    summary.steps = campaign_steps(CampaignFacts(
        students=summary.students, roster=summary.roster, unset=tuple(p.label for p in unset),
        unset_needed=tuple(parameter_label(k) for k in needed),
        first_setting=next(iter(needed), editable[0].key if editable else ""),
        checked_at=progress.checked_at, open_errors=summary.open_by_severity.get("error", 0),
        open_warnings=summary.open_by_severity.get("warning", 0), verified=summary.verified,
        hardship=hardship, letters_due=len(letters), letters_printed=sum(letters.printed),
        exported_at=progress.exported_at, changed_since_export=progress.changed_since_export))
    return Snapshot(policy, summary, students, letters)


@dataclass(frozen=True)
class _Progress:
    checked_at: str = ""
    exported_at: str = ""
    changed_since_export: bool = False


# What a package carries: the students (not whether their letters were printed or receipts came back:
# those come weeks after the export), their findings but the info ones (尚未告知家庭 comes and goes with
# the letters), the school, the policy, 公文信息. An audit entry of one of these after the last final
# export makes it stale (a payment or a roster import changes what the package says through findings).
_PACKAGED = ("school", "policy", "policy_version", "setting")
_TOLD = ("notified_at", "notified_told", "receipt_at")


def _progress(s: Session) -> _Progress:
    """When the checks last ran and the last final export was made ("" never), and whether what a
    package carries changed since that export (the audit log records every such change)."""
    from db.exports import FINAL_EXPORT_NOTE
    from db.findings import CHECKED_AT_KEY
    checked = store.get_setting(s, CHECKED_AT_KEY) or ""
    exported = s.execute(select(AuditEntry.id, AuditEntry.at).where(
        AuditEntry.entity == "export", AuditEntry.new.like(FINAL_EXPORT_NOTE + " %"))
        .order_by(AuditEntry.id.desc()).limit(1)).first()
    if exported is None:
        return _Progress(checked.replace("T", " ")[:16])
    not_info = select(FindingRow.id).where(FindingRow.severity != "info")
    changed = s.scalar(select(AuditEntry.id).where(AuditEntry.id > exported.id, or_(
        AuditEntry.entity.in_(_PACKAGED),
        and_(AuditEntry.entity == "student", AuditEntry.field.not_in(_TOLD)),
        and_(AuditEntry.entity == "finding", AuditEntry.entity_id.in_(not_info)))).limit(1)) is not None
    return _Progress(checked.replace("T", " ")[:16], f"{exported.at:%Y-%m-%d %H:%M}", changed)


def _summary_counts(s: Session, policy: Policy, today: date | None) -> Summary:
    school = store.find_school(s)
    return Summary(
        school=school.name if school else "", school_year=school.school_year if school else None,
        roster=s.scalar(select(func.count()).select_from(RosterPerson)) or 0,
        phases=[f"{p.name}：{month_day(p.start)}至{month_day(p.end)}，{p.label}"
                for p in phase_statuses(policy, school.school_year, today or date.today())] if school else [],
        open_by_severity=open_counts(s),
        findings_total=s.scalar(select(func.count()).select_from(FindingRow)
                                .where(FindingRow.state != FindingState.FIXED)) or 0,
        students_with_errors=s.scalar(
            select(func.count(func.distinct(FindingRow.student_id))).join(Student, Student.id == FindingRow.student_id)
            .where(FindingRow.state == FindingState.OPEN, FindingRow.severity == "error", ON_LIST)) or 0)


@dataclass(frozen=True)
class StudentData:
    """One student's stored values, for the form."""
    id: int
    values: dict[str, Any]
    problems: str
    prior_grants: frozenset[str]
    verified: bool = False
    removed: bool = False
    removed_reason: str = ""
    findings: tuple[str, ...] = ()    # the open findings now, worst first: "错误：身份证号无效：…"


def read_student(db: Database, student_id: int) -> StudentData:
    """Worker: one student's stored values (the form's fields, import problems, earlier grants)
    and its open findings."""
    from core.records import grants_of
    from db.students import get_student, student_values
    with db.session() as s:
        st = get_student(s, student_id)
        rows = s.execute(select(FindingRow.severity, FindingRow.code, FindingRow.message, FindingRow.title).where(
            FindingRow.student_id == st.id, FindingRow.state == FindingState.OPEN)).all()
        findings = tuple(f"{SEVERITY_LABELS.get(sv, sv)}：{finding_title(c, t)}" + (f"：{m}" if m else "")
                         for sv, c, m, t in sorted(rows, key=lambda r: (SEVERITY_RANK.get(r[0], 9), r[1])))
        return StudentData(st.id, student_values(st), st.import_problems or "", grants_of(st.prior_grants),
                           bool(st.verified), st.removed_at is not None, st.removed_reason or "", findings)


# -- 核查问题 ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FindingView:
    id: int
    code: str
    severity: str
    title: str
    name: str
    id_number: str       # full: search only
    message: str
    state: FindingState
    reason: str
    student_id: int | None
    field: str
    initials: str = ""
    setting: str = ""    # a finding about an unset policy parameter: its key (设置 focuses it)
    origin: str = ""     # a receiver's finding (反馈包): 汇总核查 / 专项核查 / 暗访; "" for the school's own
    origin_text: str = ""    # "来自：某某乡镇扶贫工作站 汇总核查，2024-06-05"

    @property
    def severity_text(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)


# What ``finding_view`` reads of a stored finding (read as Core rows: no ORM object per finding).
_VIEW_COLUMNS = (FindingRow.id, FindingRow.code, FindingRow.severity, FindingRow.title, FindingRow.name,
                 FindingRow.id_number, FindingRow.message, FindingRow.state, FindingRow.reason,
                 FindingRow.student_id, FindingRow.field, FindingRow.part, FindingRow.origin, FindingRow.feedback_id)


def finding_rows(db: Database, include_fixed: bool = True, initials: bool = True) -> list[FindingView]:
    """Worker: the stored findings (by id), fixed ones too unless ``include_fixed`` is off; without
    ``initials`` the names' pinyin initials (the page's search) are left empty (the CLI prints)."""
    with db.session() as s:
        q = select(*_VIEW_COLUMNS).order_by(FindingRow.id)
        if not include_fixed:
            q = q.where(FindingRow.state != FindingState.FIXED)
        sources = feedback_sources(s)
        # Core rows on the connection: the ORM's loading adds nothing to plain columns
        return [finding_view(r, sources.get(r.feedback_id or 0), initials) for r in s.connection().execute(q)]


def finding_view(r: Any, source: tuple[str, str] | None = None, initials: bool = True) -> FindingView:
    """A stored finding as the 核查问题 page shows it (``r``: a FindingRow or a row of its
    ``_VIEW_COLUMNS``; ``source``: who sent a receiver's finding and when,
    ``db.feedback.feedback_sources``)."""
    return FindingView(r.id, r.code, r.severity, finding_title(r.code, r.title),
                       r.name, r.id_number, r.message, r.state, r.reason, r.student_id, r.field,
                       initials_key(r.name) if initials else "", policy_setting(r.field, r.part), r.origin,
                       origin_text(r.origin, source))


# -- 建档立卡名单 ------------------------------------------------------------------

IN_LIST, NOT_IN_LIST = "在册", "未在学生名册"


@dataclass(frozen=True, slots=True)
class RosterRow:
    id: int
    name: str
    id_number: str      # full: search only
    id_masked: str
    relation: str
    county: str
    township: str
    village: str
    household_no: str
    schooling_status: str
    school_name: str
    in_student_list: bool
    problems: str
    initials: str
    name_key: Any = None
    haystack: str = ""

    @property
    def enrolled_text(self) -> str:
        return IN_LIST if self.in_student_list else NOT_IN_LIST


def roster_rows(db: Database, name_key: NameKey | None = None) -> list[RosterRow]:
    """Worker: the whole roster as row objects (small lists and tests; the 建档立卡名单 page keeps
    the columns, ``db.roster_columns``), each marked whether the student list holds the person."""
    cols = read_roster_columns(db)
    return [roster_row(cols, i, name_key) for i in range(len(cols))]


def roster_row(cols: RosterColumns, i: int, name_key: NameKey | None = None) -> RosterRow:
    """Person ``i`` of the columns as a row."""
    name, idn = cols.names[i], cols.id_numbers[i]
    return RosterRow(cols.ids[i], name, idn, masked(idn), cols.relation[i], cols.county[i], cols.township[i],
                     cols.village[i], cols.household_no[i], cols.schooling_status[i], cols.school_name[i],
                     bool(cols.enrolled[i]), cols.problems[i], cols.initials[i],
                     name_key(name) if name_key else None, cols.haystacks[i])


def audit_status(db: Database) -> Any:
    """The audit log's hash chain (db.audit.ChainStatus)."""
    from db.audit import audit_chain_status
    with db.session() as s:
        return audit_chain_status(s)


def students_with_id(db: Database, id_number: str) -> list[int]:
    """The stored students with this ID number (normalised first)."""
    from db.findings import find_student_ids
    with db.session() as s:
        return find_student_ids(s, id_number)


def unset_parameters(db: Database) -> list[Parameter]:
    """The policy parameters not set yet (what the first start asks for)."""
    with db.session() as s:
        return policy_unset(store.get_policy(s))
