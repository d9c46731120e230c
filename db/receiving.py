"""Intake at a receiver (consolidate add) and the read functions the other receiving parts use.

Every package is examined completely before anything of it is stored (``core.intake``);
an accepted one is stored in one transaction: its bytes (content-addressed by SHA-256 in
``package_blob``, inside the database so a backup, a restore and a killed write keep the
rows and the bytes together) and the package row with its count and total. Its students
and grants are not copied into rows: every reader takes them from the stored package's
signed ``data.json`` (``accepted_data``), the one copy of them. A newer package of the same
school and year replaces the current one in the same transaction (the older stays, state
``replaced``); an older one is refused.
Every offered file gets a line in the intake log; every accepted one an audit entry.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from core.bulk import gc_paused
from core.errors import InputFileError, ValidationError
from core.intake import Examined, data_member, examine_files, package_files, read_offered
from core.money import format_fen
from core.package import VerifyResult
from core.package_data import KIND_SCHOOL, PackageData, ReceivedPackage
from core.trust import TrustedSigner
from db import audit, intake_ahead, store
from db.changes import Changes
from db.receiving_models import (
    ACCEPTED,
    CURRENT,
    DUPLICATE,
    REFUSED,
    REPLACED,
    ExpectedSchool,
    IntakeLog,
    PackageBlob,
    ReceivedPackageRow,
)
from db.receiving_nested import StationPackage, expand, inner_contents, intake_kinds, log_stations, via_note
from db.session import Database

if TYPE_CHECKING:
    from core.package_changes import PackageChanges
from db.trust_store import trusted_signers

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IntakeOutcome:
    """What happened to one offered file."""

    file_name: str
    path: Path
    result: str                     # accepted | refused | duplicate
    reason: str = ""                # why refused / already received
    sha256: str = ""
    school_code: str = ""
    school_name: str = ""
    school_year: int | None = None
    history: bool = False           # stored as an earlier year's package (once-only check only)
    students: int = 0
    total_fen: int = 0
    replaced_file: str = ""         # the package it replaced ("" none)
    changes: PackageChanges | None = None
    draft: bool = False             # an intact package marked 草稿 (status: 仅有草稿)
    package_id: int | None = None   # the stored package (accepted)
    items: Mapping[str, str] = field(default_factory=dict)     # item code -> name, as the package names them
    via: str = ""                   # the station (code) whose consolidated package held it ("" sent directly)

    @property
    def accepted(self) -> bool:
        return self.result == ACCEPTED


@dataclass(frozen=True)
class IntakeReport:
    outcomes: tuple[IntakeOutcome, ...]
    stations: tuple[StationPackage, ...] = ()      # station packages opened (their school packages are outcomes)

    def count(self, result: str) -> int:
        return sum(o.result == result for o in self.outcomes)

    def via_text(self, o: IntakeOutcome) -> str:
        """"，经…转报" for a school package a station's 汇总包 held ("" for one sent directly)."""
        labels = {p.station_code: p.label() for p in self.stations}
        return f"，经{labels.get(o.via, o.via)}转报" if o.via else ""

    @property
    def changes(self) -> Changes:
        """The receiving data changed (a package stored, or a line added to the intake log)."""
        return Changes.RECEIVING if self.outcomes else Changes.NONE


@gc_paused()
def intake(db: Database, paths: Sequence[Path], history: bool = False, actor: str | None = None,
           progress: Progress | None = None) -> IntakeReport:
    """Examine every file, then store the accepted ones oldest first (so an older and a newer
    package of one school given together both land, the newer current), one transaction each.
    The cyclic collector rests meanwhile: the packages' students are many small objects, none
    of them cyclic garbage, and collections walking them again and again cost a tenth of the
    whole."""
    actor = actor or audit.default_actor()
    files = package_files(paths)
    with db.session() as s:
        trusted = trusted_signers(s)
        year = store.get_school(s).school_year
    examined: list[Examined] = []
    refused: list[IntakeOutcome] = []
    stations: list[StationPackage] = []
    kinds = intake_kinds()
    # examined ahead in a child process while `consolidate add` started (db.intake_ahead), else now
    ahead = intake_ahead.take(db.path)
    found = ahead.results if ahead is not None and ahead.answers(files, trusted, year, history, kinds) \
        else examine_files(files, trusted, year, history, kinds)
    for i, first in enumerate(found):
        path = files[i]
        if isinstance(first, str):
            refused.append(IntakeOutcome(path.name, path, REFUSED, first))
        else:
            exams, station = expand(first, trusted, year, history)
            stations += [station] if station else []
            examined += [e for e in exams if e.ok]
            refused += [_outcome(e, REFUSED, e.reason) for e in exams if not e.ok]
        if progress:
            progress(i + 1, 2 * len(files))
    if refused or stations:
        with db.session() as s:
            _log(s, refused, actor)
            log_stations(s, stations, actor)
    stored: list[IntakeOutcome] = []
    examined.sort(key=lambda e: _when(e.data.generated_at if e.data else ""))
    for j, exam in enumerate(examined):
        with db.write_session() as s:
            outcome = _store(s, exam, history, actor)
            _log(s, [outcome], actor)
        stored.append(outcome)
        if progress:
            progress(len(files) + j + 1, 2 * len(files))
    order = {p: i for i, p in enumerate(files)}
    # a school package from a station package sits where that file was offered
    return IntakeReport(tuple(sorted([*refused, *stored], key=lambda o: _offered(order, o.path))),
                        tuple(stations))


def _offered(order: Mapping[Path, int], path: Path) -> int:
    return order.get(path, order.get(path.parent, -1))


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.min


def _outcome(exam: Examined, result: str, reason: str = "", history: bool = False,
             replaced_file: str = "", changes: PackageChanges | None = None,
             package_id: int | None = None) -> IntakeOutcome:
    data = exam.data
    return IntakeOutcome(
        exam.path.name, exam.path, result, reason and reason + via_note(exam), exam.sha256, exam.school_code,
        data.school_name if data else exam.school_name, exam.school_year, history and data is not None,
        exam.students, exam.total_fen, replaced_file, changes, exam.draft, package_id,
        dict(data.items) if data else {}, exam.via)


def _log(session: Session, outcomes: Iterable[IntakeOutcome], actor: str) -> None:
    now = datetime.now()
    rows = [{"at": now, "by": actor, "file_name": o.file_name, "sha256": o.sha256, "school_code": o.school_code,
             "school_year": o.school_year, "draft": o.draft, "result": o.result, "reason": o.reason,
             "package_id": o.package_id} for o in outcomes]
    if rows:
        session.execute(insert(IntakeLog.__table__), rows)


_PACKAGE = ReceivedPackageRow.__table__
# The statements of storing a package, built once (bound parameters): a county's 50 packages
# do not build and key 300 statement objects.
_KNOWN = select(_PACKAGE.c.received_at, _PACKAGE.c.file_name).where(_PACKAGE.c.sha256 == bindparam("sha256"))
_CURRENT = select(_PACKAGE.c.id, _PACKAGE.c.file_name, _PACKAGE.c.generated_at, _PACKAGE.c.sha256).where(
    _PACKAGE.c.school_code == bindparam("code"), _PACKAGE.c.school_year == bindparam("year"),
    _PACKAGE.c.state == CURRENT)
_ADD_BLOB = insert(PackageBlob.__table__)
_ADD_PACKAGE = insert(_PACKAGE)
_REPLACED = update(_PACKAGE).where(_PACKAGE.c.id == bindparam("old")).values(
    state=REPLACED, replaced_by=bindparam("new"))


def _store(session: Session, exam: Examined, history: bool, actor: str) -> IntakeOutcome:
    """Store one examined package (under the write lock), or say why not. Core statements
    on the tables (no ORM object, no flush): a handful of statements per package whatever
    its size (its students stay in its stored bytes)."""
    data = exam.data
    assert data is not None
    conn = session.connection()
    known = conn.execute(_KNOWN, {"sha256": exam.sha256}).first()
    if known is not None:
        return _outcome(exam, DUPLICATE, f"同一文件已于 {known.received_at:%Y-%m-%d %H:%M} 接收（{known.file_name}）",
                        history)
    current = conn.execute(_CURRENT, {"code": data.school_code, "year": data.school_year}).first()
    if current is not None and _when(current.generated_at) >= _when(data.generated_at):
        same = _when(current.generated_at) == _when(data.generated_at)
        return _outcome(exam, REFUSED, (
            f"本校已有同一时间（{data.generated_at}）生成、内容不同的提交包 {current.file_name}，无法判断哪个是新版本。"
            if same else
            f"这个提交包生成于 {data.generated_at.replace('T', ' ')}，比已接收的 {current.file_name}"
            f"（生成于 {current.generated_at.replace('T', ' ')}）旧，不能替换新版本。"), history)
    now = datetime.now()
    changes = None
    if current is not None:
        from core.package_changes import amount_rows, amounts_by_id, changes_between  # a replacement only
        old = _data_of(session, current.sha256, current.file_name)
        changes = changes_between(amounts_by_id(amount_rows(old.students)),
                                  amounts_by_id(amount_rows(exam.with_students().students)))
    conn.execute(_ADD_BLOB, {"sha256": exam.sha256, "size": len(exam.content), "content": exam.content})
    total = exam.total_fen
    added = conn.execute(_ADD_PACKAGE, {
        "sha256": exam.sha256, "file_name": exam.path.name, "school_code": data.school_code,
        "school_name": data.school_name, "township": data.township, "school_year": data.school_year,
        "kind": data.kind, "generated_at": data.generated_at, "received_at": now, "received_by": actor,
        "signer_fingerprint": exam.fingerprint, "via": exam.via, "state": CURRENT, "replaced_by": None,
        "students": exam.students, "total_fen": total}).inserted_primary_key
    assert added is not None
    package_id = added[0]
    if current is not None:
        conn.execute(_REPLACED, {"old": current.id, "new": package_id})
    note = (f"接收{'往年' if history else ''}提交包 {exam.path.name}：学校代码 {data.school_code}"
            f"（{data.school_name}），{data.school_year} 学年，学生 {exam.students} 人，"
            f"合计 {format_fen(total)} 元，SHA-256 {exam.sha256}")
    if current is not None:
        note += f"；替换 {current.file_name}"
    if exam.via:
        note += f"；由 {exam.via} 在汇总包 {exam.path.parent.name} 中转报"
    audit.record(session, actor, "package", package_id, {"*": (None, note)}, now)
    return _outcome(exam, ACCEPTED, "", history, current.file_name if current else "", changes, package_id)


@dataclass(frozen=True)
class PackageView:
    """A package looked at without storing it (``consolidate view``; drafts too)."""

    path: Path
    check: VerifyResult
    data: PackageData | None        # None when unreadable (then ``problem`` says why)
    problem: str = ""
    inner: tuple[PackageView, ...] = ()     # a station's 汇总包: each school package in it, looked at alike


def view_package(db: Database, path: Path) -> PackageView:
    """Verify ``path`` against this database's trusted signers and read its data member."""
    with db.session() as s:
        trusted = trusted_signers(s)
    path = Path(path)
    content = read_offered(path)
    if isinstance(content, str):
        raise InputFileError(content, "请确认文件路径正确。")
    return _view(path, content, trusted)


def _view(path: Path, content: bytes, trusted: Sequence[TrustedSigner]) -> PackageView:
    from core.intake import read_data_member
    from core.package import verify_package
    check = verify_package(path, trusted, content=content)
    if not check.intact:
        return PackageView(path, check, None, "提交包已被改动或损坏，不显示其中的数据。")
    try:
        data = read_data_member(path, content, check.manifest or {})
    except ValidationError as exc:
        return PackageView(path, check, None, exc.message)
    inner, problem = inner_contents(path, content) if data.kind != KIND_SCHOOL else ([], "")
    return PackageView(path, check, data, problem, tuple(_view(p, c, trusted) for p, c in inner))


# -- reading what was received (the other receiving parts build on these) -------------------
def package_bytes(session: Session, sha256: str) -> bytes:
    """The stored original file of an accepted package."""
    content = session.scalar(select(PackageBlob.content).where(PackageBlob.sha256 == sha256))
    if content is None:
        raise ValidationError(f"没有 SHA-256 为 {sha256} 的已接收提交包。", "consolidate status 可查看已接收的提交包。")
    return bytes(content)


def _data_of(session: Session, sha256: str, file_name: str) -> PackageData:
    """The data of a stored package, read from its bytes (verified when they were taken in)."""
    return data_member(package_bytes(session, sha256), f"已接收的提交包 {file_name} ")


def receiver_year(session: Session) -> int:
    return store.get_school(session).school_year


def accepted_data(session: Session, *, history: bool = False) -> list[ReceivedPackage]:
    """The current package of each school for the receiver's school year (``history``: the
    current packages of EARLIER school years, kept for the once-only check), by school code."""
    year = receiver_year(session)
    q = select(ReceivedPackageRow).where(ReceivedPackageRow.state == CURRENT)
    q = q.where(ReceivedPackageRow.school_year < year if history else ReceivedPackageRow.school_year == year)
    rows = session.scalars(q.order_by(ReceivedPackageRow.school_code, ReceivedPackageRow.school_year)).all()
    with gc_paused():
        return [ReceivedPackage(r.id, r.sha256, r.file_name, r.received_at.isoformat(timespec="seconds"),
                                _data_of(session, r.sha256, r.file_name), r.via, r.state) for r in rows]


@dataclass(frozen=True)
class ExpectedSchoolEntry:
    code: str
    name: str
    township: str
    level: str


def expected_schools(session: Session) -> list[ExpectedSchoolEntry]:
    """The schools the receiver expects a package from, by code."""
    return [ExpectedSchoolEntry(r.code, r.name, r.township, r.level)
            for r in session.scalars(select(ExpectedSchool).order_by(ExpectedSchool.code))]
