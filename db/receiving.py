"""Intake at a receiver (consolidate add) and the read functions the other receiving parts use.

Every package is examined completely before anything of it is stored (``core.intake``);
an accepted one is stored in one transaction: its bytes (content-addressed by SHA-256 in
``package_blob``, inside the database so a backup, a restore and a killed write keep the
rows and the bytes together) and the package row with its count and total. Its students
and grants are not copied into rows: every reader takes them from the stored package's
signed ``data.json`` (``accepted_data``), the one copy of them. A newer package of the same
school and year replaces the current one in the same transaction (the older stays, state
``replaced``); an older one is refused, naming the newer version kept (a station's 汇总包 may
forward a version the school has replaced since: no one's clock is wrong then).
Every offered file gets a line in the intake log; every accepted one an audit entry.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from core.bulk import gc_paused
from core.errors import DatabaseError, InputFileError, ValidationError
from core.intake import Examined, audit_entries, data_member, examine_files, package_files, read_offered
from core.money import format_fen
from core.package import MAX_PACKAGE, VerifyResult
from core.package_data import DATA_MEMBER, KIND_SCHOOL, PackageData, ReceivedPackage, local_time
from core.trust import TrustedSigner
from db import audit, intake_ahead, store
from db.bulk import insert_one, insert_tuples, stored_time
from db.changes import Changes
from db.intake_reasons import already_reason, older_reason, superseded, superseded_reason
from db.plain_reads import not_initialised
from db.readonly import FIRST_SCHOOL, OWN_KEY, PUBLIC_KEY, TRUSTED_KEYS, own_signer_of, trusted_signers_of
from db.receiving_models import (
    ACCEPTED,
    CURRENT,
    DUPLICATE,
    REFUSED,
    REPLACED,
    SUPERSEDED,
    ExpectedSchool,
    IntakeLog,
    PackageBlob,
    ReceivedPackageRow,
)
from db.receiving_nested import (
    KnownNames,
    StationPackage,
    expand,
    first_received,
    inner_contents,
    intake_kinds,
    known_names,
    log_stations,
    seen_roles,
    via_note,
)
from db.session import NOTHING_WRITTEN, Database

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
    draft: bool = False             # a draft its school's trusted key signed (status: 仅有草稿)
    package_id: int | None = None   # the stored package (accepted)
    items: Mapping[str, str] = field(default_factory=dict)     # item code -> name, as the package names them
    via: str = ""                   # the station (code) whose consolidated package held it ("" sent directly)
    known_name: tuple[str, str] = ("", "")    # accepted under a name other than the one known here: it, where from
    audit_shrank: tuple[int, ...] = ()        # a replacement whose school's audit log is shorter: (before, now)

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
        trusted, year = _receiver(s.connection())
        roles = seen_roles(s.connection())
        names = known_names(s.connection(), trusted)
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
            exams, station = expand(first, trusted, year, history, roles)
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
        try:
            with db.write_session() as s:
                outcome = _store(s, exam, history, actor, names)
                _log(s, [outcome], actor)
        except DatabaseError as exc:
            accepted = [o for o in stored if o.result == ACCEPTED]
            raise _partly_stored(exc, accepted, examined[j:]) if accepted else exc from None
        stored.append(outcome)
        if progress:
            progress(len(files) + j + 1, 2 * len(files))
    order = {p: i for i, p in enumerate(files)}
    # a school package from a station package sits where that file was offered
    return IntakeReport(tuple(sorted([*refused, *stored], key=lambda o: _offered(order, o.path))),
                        tuple(stations))


def _partly_stored(exc: DatabaseError, stored: Sequence[IntakeOutcome], left: Sequence[Examined]) -> DatabaseError:
    """``exc`` (a package's transaction failed) told as what it is in an intake: the packages stored
    before it are kept (one transaction each), this one and those after it are not: the message
    does not say that nothing was written."""
    told = exc.message.replace(NOTHING_WRITTEN, "")
    return DatabaseError(
        f"{told}：“{left[0].path.name}”及其后共 {len(left)} 个包没有存入；"
        f"此前的 {len(stored)} 个包（最后一个：“{stored[-1].file_name}”）已经存入，不受影响",
        "；".join(filter(None, (exc.hint, "之后再次添加同一批文件即可存入其余的包：已存入的包会被认出，不会重复存入"))))


def _offered(order: Mapping[Path, int], path: Path) -> int:
    return order.get(path, order.get(path.parent, -1))


# A package made later than this machine's clock by more than this was made on a machine whose date is
# wrong (or this one's is): refused, since once stored it would make every corrected package look older.
CLOCK_SLACK = timedelta(days=1)


def _when(text: str) -> datetime:
    """A package's time as local time without an offset (``core.package_data.local_time``: the parser
    gives them so, but a package stored by an older program may keep its offset), ``datetime.min``
    when unreadable: always comparable with another."""
    try:
        return local_time(text)
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


def _receiver(conn: Connection) -> tuple[list[TrustedSigner], int]:
    """The keys this database trusts (the registered ones not removed, then its own: as
    ``db.trust_store.trusted_signers``) and the school year it consolidates. The driver's SQL,
    the texts ``db.readonly`` reads them with: the ORM's first use would configure every mapper
    (a fresh ``consolidate add`` uses no ORM object)."""
    trusted = trusted_signers_of(conn.exec_driver_sql(TRUSTED_KEYS).fetchall())
    key = conn.exec_driver_sql(OWN_KEY, (PUBLIC_KEY,)).first()
    school = conn.exec_driver_sql(FIRST_SCHOOL).first()
    own = own_signer_of((key[0] if key else None) or None, school)      # an empty setting: no key
    if school is None:
        raise not_initialised()
    return [*trusted, *([own] if own is not None else [])], int(school[2])


_LOG_COLUMNS = ("at", "by", "file_name", "sha256", "school_code", "school_year", "draft", "result", "reason",
                "package_id")


def _log(session: Session, outcomes: Iterable[IntakeOutcome], actor: str) -> None:
    now = stored_time(datetime.now())
    rows = [(now, actor, o.file_name, o.sha256, o.school_code, o.school_year, o.draft, o.result, o.reason,
             o.package_id) for o in outcomes]
    insert_tuples(session.connection(), IntakeLog.__table__, _LOG_COLUMNS, rows)


_PACKAGE = ReceivedPackageRow.__table__
# The statements of storing a package, in the driver's SQL (values in their stored form, as
# ``db.bulk`` writes them): SQLAlchemy compiling, keying and processing each statement cost
# more than SQLite's work on it.
_KNOWN = f"SELECT received_at, file_name, state, school_code, school_year FROM {_PACKAGE.name} WHERE sha256 = ?"
_CURRENT = (f"SELECT id, file_name, generated_at, sha256, received_at, via FROM {_PACKAGE.name} "
            "WHERE school_code = ? AND school_year = ? AND state = ?")
_BLOB_COLUMNS = ("sha256", "size", "content")
_PACKAGE_COLUMNS = ("sha256", "file_name", "school_code", "school_name", "township", "school_year", "kind",
                    "generated_at", "received_at", "received_by", "signer_fingerprint", "via", "state",
                    "replaced_by", "students", "total_fen")
_REPLACED = f"UPDATE {_PACKAGE.name} SET state = ?, replaced_by = ? WHERE id = ?"


def _store(session: Session, exam: Examined, history: bool, actor: str, names: KnownNames) -> IntakeOutcome:
    """Store one examined package (under the write lock), or say why not. Plain statements
    on the tables (no ORM object, no flush): a handful per package whatever its size (its
    students stay in its stored bytes)."""
    data = exam.data
    assert data is not None
    conn = session.connection()
    known = conn.exec_driver_sql(_KNOWN, (exam.sha256,)).first()
    if known is not None:
        return _outcome(exam, DUPLICATE, already_reason(conn, known, _CURRENT), history)
    made, now = _when(data.generated_at), datetime.now()
    if made > now + CLOCK_SLACK:
        return _outcome(exam, REFUSED, (
            f"这个提交包的生成时间 {data.generated_at.replace('T', ' ')} 晚于本机现在的时间"
            f" {now:%Y-%m-%d %H:%M}：学校电脑（或本机）的日期不对。请改正日期后，由学校重新导出上报包"
            "（日期错误的提交包一旦接收，学校改正日期后导出的新版本会被当作旧版本）。"), history)
    current = conn.exec_driver_sql(_CURRENT, (data.school_code, data.school_year, CURRENT)).first()
    if current is not None and (kept_made := _when(current.generated_at)) >= made:
        if kept_made > made and superseded(exam, kept_made):
            return _outcome(exam, SUPERSEDED, superseded_reason(exam, data.generated_at, current), history)
        return _outcome(exam, REFUSED, older_reason(exam, data.generated_at, current, kept_made == made), history)
    changes = None
    old_items: dict[str, str] = {}
    shrank: tuple[int, ...] = ()
    if current is not None:
        from core.package_changes import package_changes  # a replacement only
        replaced = package_bytes(session, current.sha256)
        old = data_member(replaced, f"已接收的提交包 {current.file_name} ")
        changes = package_changes(old, exam.with_students())
        old_items = dict(old.items)        # an item the newer policy dropped is still named in the changes
        before = _most_audit_entries(session, data.school_code, data.school_year)
        now_entries = audit_entries(exam.content)
        if before is not None and now_entries is not None and now_entries < before:
            shrank = (before, now_entries)     # the school's log lost entries since (a restored backup, or worse)
    insert_one(conn, PackageBlob.__table__, _BLOB_COLUMNS, (exam.sha256, len(exam.content), exam.content))
    total = exam.total_fen
    received = first_received(exam, made, now)     # a forwarded package's: when its station received it
    package_id = insert_one(conn, _PACKAGE, _PACKAGE_COLUMNS, (
        exam.sha256, exam.path.name, data.school_code, data.school_name, data.township, data.school_year,
        data.kind, data.generated_at, stored_time(received), actor, exam.fingerprint, exam.via, CURRENT, None,
        exam.students, total))
    if current is not None:
        conn.exec_driver_sql(_REPLACED, (REPLACED, package_id, current.id))
    note = (f"接收{'往年' if history else ''}提交包 {exam.path.name}：学校代码 {data.school_code}"
            f"（{data.school_name}），{data.school_year} 学年，学生 {exam.students} 人，"
            f"合计 {format_fen(total)} 元，SHA-256 {exam.sha256}")
    if current is not None:
        note += f"；替换 {current.file_name}"
    if shrank:
        note += f"；审计日志 {shrank[1]} 条，少于此前接收的版本的 {shrank[0]} 条"
    listed = names.differing(data.school_code, data.school_name)
    if listed[0]:
        note += f"；包中自报的学校名称与{listed[1]}中的“{listed[0]}”不同"
    if exam.via:
        note += (f"；由 {exam.via} 在汇总包 {exam.path.parent.name} 中转报"
                 + (f"，{exam.via} 接收于 {received:%Y-%m-%d %H:%M}" if received != now else ""))
    audit.record(session, actor, "package", package_id, {"*": (None, note)}, now)
    return replace(_outcome(exam, ACCEPTED, "", history, current.file_name if current else "", changes, package_id),
                   audit_shrank=shrank, known_name=listed, items={**old_items, **data.items})


_VERSIONS = f"SELECT sha256 FROM {_PACKAGE.name} WHERE school_code = ? AND school_year = ?"


def _most_audit_entries(session: Session, code: str, year: int) -> int | None:
    """The most audit entries any package of this school and year taken in here counted (a replacement
    is compared with all of them: v1 100, v2 50, v3 60 is still short of 100); None when none says."""
    counts = [n for (sha,) in session.connection().exec_driver_sql(_VERSIONS, (code, year))
              if (n := audit_entries(package_bytes(session, str(sha)))) is not None]
    return max(counts, default=None)


@dataclass(frozen=True)
class PackageView:
    """A package looked at without storing it (``consolidate view``; drafts too)."""

    path: Path
    check: VerifyResult
    data: PackageData | None        # None when unreadable (then ``problem`` says why)
    problem: str = ""
    inner: tuple[PackageView, ...] = ()     # a station's 汇总包: each school package in it, looked at alike


# What one ``consolidate view`` unpacks of packages whose signer this database does not trust (each is
# intact: its members are what its own manifest says, whoever signed it), all together: a station's
# 汇总包 and every package inside it draw on the same allowance. A school's package is a few MB; a
# station's holds its schools' packages. Of it, what their ``data.json`` members may hold together:
# parsing one takes up to ten times its bytes (its students stay in memory to be shown).
VIEW_UNTRUSTED_MAX = MAX_PACKAGE
VIEW_UNTRUSTED_DATA_MAX = 32 << 20


@dataclass
class _Allowance:
    """What a view may still unpack, and parse as ``data.json``, of untrusted signers' packages."""

    unpacked: int
    data: int
    spent: bool = False             # some of it went to another package of the same view

    def refusal(self, check: VerifyResult) -> str:
        """Why ``check``'s package (intact, signer not trusted) is not unpacked; "" when it may be,
        and then what it unpacks is taken off the allowance."""
        files = (check.manifest or {}).get("files", {})
        unpacked = sum(e.get("size", 0) for e in files.values() if isinstance(e, dict))
        member = files.get(DATA_MEMBER)
        data = member.get("size", 0) if isinstance(member, dict) else 0
        over = (f"提交包解压后有 {unpacked / 2**20:.0f} MB" if unpacked > self.unpacked else
                f"其中的数据文件 {DATA_MEMBER} 有 {data / 2**20:.0f} MB" if data > self.data else "")
        if over:
            also = "（连同本次查看中已解压的其他签名人未登记的提交包）" if self.spent else ""
            return (f"签名人未登记，且{over}{also}，超过未登记签名人的查看上限，不显示其中的数据。"
                    "请先通过电话与报送单位核对签名人指纹，登记后（trust add）再查看。")
        self.unpacked, self.data, self.spent = self.unpacked - unpacked, self.data - data, True
        return ""


def view_package(db: Database, path: Path) -> PackageView:
    """Verify ``path`` against this database's trusted signers and read its data member."""
    with db.session() as s:
        trusted = trusted_signers(s)
    path = Path(path)
    content = read_offered(path)
    if isinstance(content, str):
        raise InputFileError(content, "请确认文件路径正确。")
    return _view(path, content, trusted, _Allowance(VIEW_UNTRUSTED_MAX, VIEW_UNTRUSTED_DATA_MAX))


def _view(path: Path, content: bytes, trusted: Sequence[TrustedSigner], allowance: _Allowance) -> PackageView:
    from core.intake import read_data_member
    from core.package import verify_package
    check = verify_package(path, trusted, content=content)
    if not check.intact:
        return PackageView(path, check, None, "提交包已被改动或损坏，不显示其中的数据。")
    if not check.ok:                # (a zip bomb signed with any key is "intact")
        refusal = allowance.refusal(check)
        if refusal:
            return PackageView(path, check, None, refusal)
    try:
        data = read_data_member(path, content, check.manifest or {}, untrusted=not check.ok)
        inner, problem = inner_contents(path, content) if data.kind != KIND_SCHOOL else ([], "")
        return PackageView(path, check, data, problem, tuple(_view(p, c, trusted, allowance) for p, c in inner))
    except ValidationError as exc:
        return PackageView(path, check, None, exc.message)
    except MemoryError:
        return PackageView(path, check, None, f"提交包 {path.name} 的数据太多，本机内存不足，无法显示。"
                                              "请关闭其他程序后重试；签名人未登记的，请先核实并登记签名人。")


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
