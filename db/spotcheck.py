"""专项核查 on the receiving side: samples drawn from the accepted packages, kept with
their seed and the students as sampled, the results entered back, the 核查报告.

Each use case is one transaction: drawing a sample stores it and writes its
checklists PDF in the same transaction (a PDF that cannot be written leaves no
sample behind); results are entered one at a time or from the results workbook
(all or nothing); every sample and result is audited. ``results_for_school`` is what
the feedback package may carry: completed checks only, and an unannounced (暗访)
sample's only once every one of that school's students in it is checked.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.exports.spotcheck_pdf import ReceiverDocument, write_checklists, write_report
from core.idnumber import normalize_id
from core.logsetup import mask_personal
from core.paths import require_suffix
from core.spotcheck import (
    FALSE_LABEL,
    POINTS,
    TRUE_LABEL,
    CompletedCheck,
    PointResult,
    Received,
    Sample,
    SampledGrant,
    SampledStudent,
    SchoolDraw,
    StoredSample,
    check_result,
    draw_sample,
    new_seed,
    point_of,
    report_json,
    seed_source,
    seed_used,
    summarise,
)
from db import audit, store
from db.changes import Changes
from db.exports import school_info
from db.session import Database
from db.spotcheck_models import SpotResult, SpotSample, SpotStudent

_DETAILS = ("school_township", "gender", "stage", "grade", "class_name", "township", "village", "category",
            "package_sha256")
SEED_SOURCE = "seed_source"     # the field of a sample's audit entry saying where its seed came from


def _result_text(r: PointResult | None) -> str | None:
    if r is None:
        return None
    return TRUE_LABEL if r.truthful else f"{FALSE_LABEL}：{r.note}"


def _document(session: Session, actor: str) -> ReceiverDocument:
    return ReceiverDocument(school_info(session), datetime.now(), actor, store.is_demo(session))


def store_sample(session: Session, sample: Sample, actor: str, source: str = "") -> StoredSample:
    """Keep ``sample`` (audited); returns it with its id. ``source``: where its seed came from
    (core.spotcheck.seed_source), kept in the sample's audit entry (``seed_source``): the sample's
    table has no column for it, and the entry is the record that cannot be changed afterwards."""
    school = store.get_school(session)
    row = SpotSample(seed=sample.seed, method=sample.method, requested=sample.requested,
                     population=sample.population, school_year=school.school_year, unannounced=sample.unannounced,
                     schools=json.dumps([asdict(d) for d in sample.schools], ensure_ascii=False),
                     created_at=datetime.now().replace(microsecond=0), created_by=actor)
    session.add(row)
    session.flush()
    for x in sample.students:
        details = {k: getattr(x, k) for k in _DETAILS}
        details["grants"] = [asdict(g) for g in x.grants]
        session.add(SpotStudent(sample_id=row.id, seq=x.seq, school_code=x.school_code, school_name=x.school_name,
                                id_number=x.id_number, name=x.name, stratum=x.stratum,
                                details=json.dumps(details, ensure_ascii=False, sort_keys=True)))
    audit.record(session, actor, "spot_sample", row.id, {
        "seed": (None, sample.seed), "requested": (None, sample.requested),
        "count": (None, len(sample.students)), "unannounced": (None, sample.unannounced),
        **({SEED_SOURCE: (None, source)} if source else {})})
    return StoredSample(row.id, sample, row.school_year, row.created_at, actor, seed_source=source)


def seed_sources(session: Session, sample_ids: Sequence[int]) -> dict[int, str]:
    """Sample id -> where its seed came from (程序生成 / 经办人输入), as its audit entry says;
    a sample drawn before it was recorded is absent."""
    from db.models import AuditEntry
    ids = list(sample_ids)
    out: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        for sid, text in session.execute(select(AuditEntry.entity_id, AuditEntry.new).where(
                AuditEntry.entity == "spot_sample", AuditEntry.field == SEED_SOURCE,
                AuditEntry.entity_id.in_(ids[start:start + 900])).order_by(AuditEntry.id)):
            if sid is not None and text:
                out[sid] = text
    return out


def _student(row: SpotStudent) -> SampledStudent:
    d: dict[str, Any] = json.loads(row.details)
    grants = tuple(SampledGrant(**g) for g in d.pop("grants"))
    return SampledStudent(seq=row.seq, school_code=row.school_code, school_name=row.school_name,
                          id_number=row.id_number, name=row.name, stratum=row.stratum, grants=grants, **d)


def load_sample(session: Session, sample_id: int) -> StoredSample:
    """The sample ``sample_id`` with its results; ValidationError naming the samples there are."""
    row = session.get(SpotSample, sample_id)
    if row is None:
        ids = list(session.scalars(select(SpotSample.id).order_by(SpotSample.id)))
        raise ValidationError(f"没有抽查编号为 {sample_id} 的核查样本",
                              ("现有的抽查编号：" + "、".join(map(str, ids))) if ids
                              else "请先抽取样本：consolidate sample --count 人数 输出.pdf")
    rows = list(session.scalars(select(SpotStudent).where(SpotStudent.sample_id == sample_id)
                                .order_by(SpotStudent.seq)))
    seq_of = {r.id: r.seq for r in rows}
    results: dict[int, dict[str, PointResult]] = {}
    if rows:
        for res in session.scalars(select(SpotResult).where(SpotResult.student_id.in_(seq_of))):
            results.setdefault(seq_of[res.student_id], {})[res.point] = PointResult(res.point, res.truthful, res.note)
    sample = Sample(row.seed, row.requested, row.population, tuple(_student(r) for r in rows),
                    tuple(SchoolDraw(**d) for d in json.loads(row.schools)), row.unannounced, row.method)
    return StoredSample(row.id, sample, row.school_year, row.created_at, row.created_by, results,
                        seed_sources(session, [row.id]).get(row.id, ""))


@dataclass(frozen=True)
class SampleRun:
    stored: StoredSample
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> Changes:
        return Changes.SPOTCHECK


def _accepted(session: Session) -> list[Received]:
    from db.receiving import accepted_data  # the current accepted package of each school
    return list(accepted_data(session))


def draw_and_store(db: Database, out: str | Path, *, count: int | None = None, percent: str | None = None,
                   seed: int | None = None, unannounced: bool = False, actor: str | None = None,
                   packages: Iterable[Received] | None = None) -> SampleRun:
    """Draw a sample from the accepted packages (or ``packages``), keep it and write its
    checklists to ``out``, all in one transaction. Without ``seed`` a fresh one is drawn; the
    sample's record says whether its seed is the program's or the clerk's (``seed_source``)."""
    require_suffix(out, (".pdf",), "抽查名单和现场核查表")
    actor = actor or audit.default_actor()
    seed = new_seed() if seed is None else seed
    with db.session() as s:
        received = list(packages) if packages is not None else _accepted(s)
        sample = draw_sample(received, seed, count=count, percent=percent, unannounced=unannounced)
        stored = store_sample(s, sample, actor, seed_source(seed))
        warnings = write_checklists(out, _document(s, actor), stored)
    seed_used(seed)
    return SampleRun(stored, warnings)


def print_checklists(db: Database, sample_id: int, out: str | Path, actor: str | None = None) -> list[str]:
    """The checklists of a kept sample again (a lost or spoilt printout)."""
    require_suffix(out, (".pdf",), "现场核查表")
    with db.session() as s:
        return write_checklists(out, _document(s, actor or audit.default_actor()), load_sample(s, sample_id))


@dataclass(frozen=True)
class SampleSummary:
    id: int
    created_at: datetime
    created_by: str
    seed: int
    requested: str
    count: int
    unannounced: bool
    checked: int                      # students with every point entered
    seed_source: str = ""             # 程序生成 / 经办人输入 ("": not recorded, an older sample)


def sample_list(db: Database) -> list[SampleSummary]:
    with db.session() as s:
        done = (select(SpotResult.student_id).group_by(SpotResult.student_id)
                .having(func.count(SpotResult.id) >= len(POINTS)).subquery())
        out = []
        samples = list(s.scalars(select(SpotSample).order_by(SpotSample.id)))
        sources = seed_sources(s, [row.id for row in samples])
        for row in samples:
            students = select(SpotStudent.id).where(SpotStudent.sample_id == row.id)
            count = s.scalar(select(func.count()).select_from(students.subquery())) or 0
            checked = s.scalar(select(func.count()).select_from(done)
                               .where(done.c.student_id.in_(students))) or 0
            out.append(SampleSummary(row.id, row.created_at, row.created_by, row.seed, row.requested, count,
                                     row.unannounced, checked, sources.get(row.id, "")))
        return out


@dataclass(frozen=True)
class ResultsEntry:
    stored: StoredSample              # after the entry
    changed: int                      # points whose result is new or different
    unchanged: int

    @property
    def changes(self) -> Changes:
        return Changes.SPOTCHECK if self.changed else Changes.NONE


def _apply(session: Session, stored: StoredSample, entries: Sequence[tuple[int, PointResult]],
           actor: str) -> tuple[int, int]:
    ids = {seq: sid for seq, sid in session.execute(select(SpotStudent.seq, SpotStudent.id)
                                                    .where(SpotStudent.sample_id == stored.id))}
    now = datetime.now()
    changed = unchanged = 0
    batch: list[tuple[int | None, dict[str, tuple[Any, Any]]]] = []
    for seq, r in entries:
        old = stored.results.get(seq, {}).get(r.point)
        if old == r:
            unchanged += 1
            continue
        row = session.scalars(select(SpotResult).where(SpotResult.student_id == ids[seq],
                                                       SpotResult.point == r.point)).first()
        if row is None:
            session.add(SpotResult(student_id=ids[seq], point=r.point, truthful=r.truthful, note=r.note,
                                   entered_at=now, entered_by=actor))
        else:
            row.truthful, row.note, row.entered_at, row.entered_by = r.truthful, r.note, now, actor
        batch.append((ids[seq], {r.point: (_result_text(old), _result_text(r))}))
        changed += 1
    audit.record_many(session, actor, "spot_result", batch, now)
    return changed, unchanged


def _find(stored: StoredSample, who: str) -> SampledStudent:
    """A sampled student by checklist number (编号) or ID number."""
    key = who.strip()
    if key.isdigit() and len(key) <= 6:
        found = [x for x in stored.sample.students if x.seq == int(key)]
    else:
        found = [x for x in stored.sample.students if x.id_number == normalize_id(key)]
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError(f"身份证号 {mask_personal(key)} 在抽查编号 {stored.id} 中出现 {len(found)} 次"
                              "（由不同学校上报）",
                              "请改用核查表上的编号：" + "、".join(str(x.seq) for x in found))
    raise ValidationError(f"抽查编号 {stored.id} 的名单中没有“{mask_personal(key)}”",
                          "请填写核查表上的编号（1、2、3…）或学生的身份证号")


def enter_result(db: Database, sample_id: int, who: str, point: str, truthful: bool, note: str = "",
                 actor: str | None = None) -> ResultsEntry:
    """One checked point of one student (编号 or ID number); 不属实 needs a note."""
    return enter_results(db, sample_id, who, [(point, truthful, note)], actor)


def enter_results(db: Database, sample_id: int, who: str, results: Sequence[tuple[str, bool | None, str]],
                  actor: str | None = None) -> ResultsEntry:
    """Checked points (point, truthful, note) of one student (编号 or ID number) in one
    transaction: any invalid one (a 不属实 without a note) enters none. ``truthful`` None
    withdraws the point's result (撤回: back to 未核查, e.g. entered for the wrong student)."""
    actor = actor or audit.default_actor()
    checked = [check_result(point_of(point), truthful, note) for point, truthful, note in results
               if truthful is not None]
    withdrawn = [point_of(point).code for point, truthful, _note in results if truthful is None]
    with db.session() as s:
        stored = load_sample(s, sample_id)
        x = _find(stored, who)
        changed, unchanged = _apply(s, stored, [(x.seq, r) for r in checked], actor)
        changed += _withdraw(s, stored, x, withdrawn, actor)
        s.flush()
        return ResultsEntry(load_sample(s, sample_id), changed, unchanged)


def withdraw_result(db: Database, sample_id: int, who: str, point: str, actor: str | None = None) -> ResultsEntry:
    """撤回 one point's result (``consolidate result … --withdraw``): 未核查 again, audited."""
    return enter_results(db, sample_id, who, [(point, None, "")], actor)


def _withdraw(session: Session, stored: StoredSample, x: SampledStudent, points: Sequence[str], actor: str) -> int:
    """Delete the entered results of ``points`` (the audit keeps what they were); a point not
    entered is refused: nothing to withdraw."""
    if not points:
        return 0
    entered = stored.results.get(x.seq, {})
    missing = [p for p in points if p not in entered]
    if missing:
        raise ValidationError(f"第 {x.seq} 号{x.name}的“{point_of(missing[0]).label}”还没有登记结果，无需撤回",
                              "只有已登记（属实或不属实）的核查项可以撤回")
    sid = session.scalars(select(SpotStudent.id).where(SpotStudent.sample_id == stored.id,
                                                       SpotStudent.seq == x.seq)).one()
    for p in points:
        session.delete(session.scalars(select(SpotResult).where(SpotResult.student_id == sid,
                                                                SpotResult.point == p)).one())
    audit.record_many(session, actor, "spot_result",
                      [(sid, {p: (_result_text(entered[p]), None) for p in points})], datetime.now())
    return len(points)


def write_results_sheet(db: Database, sample_id: int, out: str | Path) -> Path:
    """The results workbook (登记表) of the sample, results entered so far filled in."""
    from core.exports.spotcheck_xlsx import write_results_sheet as write
    require_suffix(out, (".xlsx",), "核查结果登记表")
    with db.session() as s:
        stored = load_sample(s, sample_id)
        receiver = store.get_school(s).name
    return write(out, stored, receiver)


@dataclass(frozen=True)
class ResultsImport(ResultsEntry):
    rows: int = 0                     # student rows read
    dry_run: bool = False

    @property
    def changes(self) -> Changes:
        return Changes.NONE if self.dry_run else super().changes


def import_results(db: Database, sample_id: int, path: str | Path, dry_run: bool = False,
                   actor: str | None = None) -> ResultsImport:
    """Enter the filled cells of a results workbook: all or nothing (a file with any problem
    enters nothing and lists every problem); ``dry_run`` reads and counts, writes nothing."""
    from core.exports.spotcheck_xlsx import read_results
    from core.importers.reader import read_table
    actor = actor or audit.default_actor()
    table = read_table(path)
    with db.session() as s:
        stored = load_sample(s, sample_id)
        sheet = read_results(table, stored)
        changed, unchanged = _apply(s, stored, sheet.entries, actor)
        s.flush()
        after = load_sample(s, sample_id)
        if dry_run:
            s.rollback()
            after = stored
    return ResultsImport(after, changed, unchanged, sheet.rows, dry_run)


@dataclass(frozen=True)
class SpotReport:
    stored: StoredSample
    json: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def spot_report(db: Database, sample_id: int, out: str | Path | None = None, actor: str | None = None) -> SpotReport:
    """The 核查报告's figures (JSON shape of ``consolidate report --json``) and, with ``out``, its PDF."""
    if out:
        require_suffix(out, (".pdf",), "抽查核查报告")
    with db.session() as s:
        stored = load_sample(s, sample_id)
        warnings = write_report(out, _document(s, actor or audit.default_actor()), stored) if out else []
    return SpotReport(stored, report_json(stored.info(), summarise(stored.checked())), warnings)


def results_for_school(session: Session, school_code: str, school_year: int | None = None) -> list[CompletedCheck]:
    """The completed checks (every point entered) of ``school_code``'s students, in every
    sample (of ``school_year``: a feedback carries its own year's checks only), oldest first.
    Never a check still under way; an unannounced (暗访) sample's checks of this school not at
    all until every one of its students in that sample is checked: one student's visit done
    tells the school the sample is under way, and the others not visited yet would be warned."""
    q = select(SpotStudent).where(SpotStudent.school_code == school_code)
    if school_year is not None:
        q = q.where(SpotStudent.sample_id.in_(select(SpotSample.id).where(SpotSample.school_year == school_year)))
    rows = list(session.scalars(q.order_by(SpotStudent.sample_id, SpotStudent.seq)))
    if not rows:
        return []
    by_student: dict[int, list[SpotResult]] = {}
    for res in session.scalars(select(SpotResult).where(SpotResult.student_id.in_([r.id for r in rows]))):
        by_student.setdefault(res.student_id, []).append(res)
    samples = sorted({r.sample_id for r in rows})
    unannounced = {sid: flag for sid, flag in session.execute(select(SpotSample.id, SpotSample.unannounced)
                                                              .where(SpotSample.id.in_(samples)))}
    done: dict[int, dict[str, SpotResult]] = {}
    for r in rows:
        got = {res.point: res for res in by_student.get(r.id, [])}
        if all(p.code in got for p in POINTS):
            done[r.id] = got
    held_back = {r.sample_id for r in rows if unannounced[r.sample_id] and r.id not in done}
    out = []
    for r in rows:
        got = done.get(r.id, {})
        if not got or r.sample_id in held_back:
            continue
        results = tuple(PointResult(p.code, got[p.code].truthful, got[p.code].note) for p in POINTS)
        out.append(CompletedCheck(r.sample_id, unannounced[r.sample_id], _student(r), results,
                                  max(res.entered_at for res in got.values())))
    return out
