"""A station's consolidated package (汇总包) taken in by the bureau (consolidate add).

The outer package is examined first, like a school package (core.intake.examine_package):
the station's key registered here for the station's code, every hash, ``data.json`` of kind
"consolidated", the school year. Nothing inside a station package that fails this is looked
at: it is refused as a whole with the reason. Then each school package inside it
(core.exports.consolidated.inner_files: the verbatim members, each with the SHA-256 the
station's signed ``data.json`` records) is examined on its own with ITS school's key, exactly
as if the school had sent it: the station's signature proves who forwarded it, never who made
it. A school package that cannot be proved here (its school's key not registered at the
bureau, a draft, …) is refused with its reason and the station named; the others are accepted
and stored as received via the station (``via`` = the station's code). A school package
already received (directly or through another station) is the same stored row: same SHA-256.
A school package the station forwarded was received when the station received it: its stored
``received_at`` is the time the station's signed ``data.json`` lists for it (``first_received``),
so a school that reported to its station on time is not 迟报 at the bureau for the days the
station's package took to come.

The trust list has no roles, so which trusted key may sign a 汇总包 is told by what this receiver
has seen (``Roles``): a 汇总包 is refused when its signer's code is a school this receiver takes
提交包 from (on its expected-schools list, or a school package received under it, or the code of a
school package inside that very 汇总包, always), and a school package is refused when its code is
that of a station whose 汇总包 this receiver received (or a 工作站 on the expected list). A school's
key cannot pose as a station (to claim an early receipt for itself), nor a station's key as a school.
A central school (类别 中心校 on the expected list) sends both under one code and key: it may.
"""
from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from core.errors import ZizhuError
from core.intake import INTAKE_KINDS, Examined, examine_package
from core.package import name_problem
from core.package_data import DATA_MEMBER, KIND_SCHOOL, local_time
from core.text import value_key
from core.trust import TrustedSigner
from db.receiving_models import IntakeLog, ReceivedPackageRow

OPENED = "opened"           # intake_log.result of a station package whose school packages were examined


@dataclass(frozen=True)
class StationPackage:
    """A consolidated package whose station signature was proved, and what it held."""

    file_name: str
    sha256: str
    station_code: str
    station_name: str
    school_year: int
    packages: int               # school packages inside it

    def label(self) -> str:
        return f"{self.station_name}（代码 {self.station_code}）"

    def headline(self) -> str:
        return (f"汇总包 {self.file_name}：{self.label()}的签名核验通过；"
                f"其中 {self.packages} 个学校提交包逐个用各校的公钥核验：")


def intake_kinds() -> tuple[str, ...]:
    """The data-member kinds ``consolidate add`` takes: a school's package and a station's."""
    return INTAKE_KINDS


@dataclass
class Roles:
    """What this receiver has seen of each code: ``schools`` (codes it takes 提交包 from, with why)
    and ``stations`` (codes whose 汇总包 it took in). Grown as an intake goes through its files."""

    schools: dict[str, str]
    stations: set[str]
    both: frozenset[str] = frozenset()     # central schools (中心校 on the expected list): may send either

    def station_problem(self, code: str, name: str, file_name: str) -> str:
        """Why a 汇总包 signed for ``code`` is refused ("" when it is not)."""
        why = self.schools.get(code)
        if why is None or code in self.both:
            return ""
        return (f"汇总包 {file_name} 由代码 {code}（{name}）的密钥签名，但 {code} 是向本单位报送提交包的学校"
                f"（{why}）：学校的密钥不能签发汇总包，已拒收。请核对发送单位；"
                "汇总包只能由乡镇工作站或下级教育部门签发。如果它是同时接收村小上报包的中心校，"
                "请在应报学校名单中把它的类别填为“中心校”后重新接收。")

    def school_problem(self, code: str) -> str:
        """Why a school package signed for ``code`` is refused ("" when it is not)."""
        if code not in self.stations or code in self.both:
            return ""
        return (f"这个提交包由代码 {code} 的密钥签名，但本单位接收过 {code} 签发的汇总包：{code} 是工作站"
                "（或下级教育部门），它的密钥不能签发学校的提交包，已拒收。请核对发送单位；"
                "学校的提交包只能由学校自己的密钥签发。")


_EXPECTED_CODES = "SELECT code, level FROM expected_school"
# The expected-schools list's 类别 of a central school (a school that also receives its village schools'
# packages and forwards a 汇总包 under its own code) and of a station.
_BOTH_LEVELS = ("中心校", "中心学校")
_STATION_LEVELS = ("工作站",)
_RECEIVED = f"SELECT DISTINCT school_code, via FROM {ReceivedPackageRow.__table__.name}"
_OPENED_CODES = f"SELECT DISTINCT school_code FROM {IntakeLog.__table__.name} WHERE result = ?"


def seen_roles(conn: Connection) -> Roles:
    """The codes this receiver takes school packages from and the stations whose 汇总包 it took in."""
    expected: list[tuple[str, str]] = [(str(code), str(level or "")) for code, level
                                       in conn.exec_driver_sql(_EXPECTED_CODES) if code]
    both = frozenset(code for code, level in expected if any(w in level for w in _BOTH_LEVELS))
    stations = {code for code, level in expected if any(w in level for w in _STATION_LEVELS)}
    schools = {code: "在本单位的应报学校名单中" for code, _ in expected if code not in stations}
    stations |= {str(r[0]) for r in conn.exec_driver_sql(_OPENED_CODES, (OPENED,)) if r[0]}
    for code, via in conn.exec_driver_sql(_RECEIVED):
        if code:
            schools.setdefault(str(code), "本单位接收过它的提交包")
        if via:
            stations.add(str(via))
    return Roles(schools, stations, both)


_EXPECTED_NAMES = "SELECT code, name FROM expected_school"


@dataclass(frozen=True)
class KnownNames:
    """The name this receiver knows each school code by, and where from: its expected-schools list,
    else the name registered with the code's key in the trust list. A package's own school name is
    what its sender wrote (any trusted key may write any name under its code)."""

    names: dict[str, tuple[str, str]]

    def differing(self, code: str, claimed: str) -> tuple[str, str]:
        """(the known name, where from) when ``claimed`` differs from it (spaces and the width of
        brackets and letters aside), else ("", "")."""
        known = self.names.get(code)
        if known is None or value_key(known[0]) == value_key(claimed):     # (spaces, full-width brackets)
            return "", ""
        return known


def known_names(conn: Connection, trusted: Iterable[TrustedSigner]) -> KnownNames:
    names = {t.school_code: (t.school_name.strip(), "信任列表") for t in trusted
             if t.school_code and t.school_name.strip()}
    names |= {str(code): (str(name).strip(), "应报学校名单") for code, name in conn.exec_driver_sql(_EXPECTED_NAMES)
              if code and name and str(name).strip()}
    return KnownNames(names)


def _inner_path(outer: Path, file_name: str, member: str) -> Path:
    """The name an inner package is shown and stored under: its file name as the station
    received it (the member name when that is missing or unsafe), below the outer file's path."""
    name = file_name if file_name and not name_problem(file_name) else member
    return outer / name


def inner_contents(path: Path, content: bytes) -> tuple[list[tuple[Path, bytes]], str]:
    """The school packages of a consolidated package as (path to show, bytes), or ([], why not)."""
    from core.exports.consolidated import inner_files
    try:
        return [(_inner_path(path, f.file_name, f.member), f.content) for f in inner_files(path, content)], ""
    except ZizhuError as exc:
        return [], f"汇总包无法拆开：{exc.message}"


def _refuse(exam: Examined, reason: str) -> Examined:
    return replace(exam, data=None, content=b"", reason=reason)


def expand(exam: Examined, trusted: Sequence[TrustedSigner], receiver_year: int,
           history: bool = False, roles: Roles | None = None) -> tuple[list[Examined], StationPackage | None]:
    """The packages an examined file stands for: itself (a school package, or any refused
    file), or, for a proved station package, each school package inside it examined with its
    school's key (``via`` the station's code) and the station package's description.
    ``roles``: what this receiver has seen (``seen_roles``), grown by what is accepted here."""
    roles = roles if roles is not None else Roles({}, set())
    if not exam.ok or exam.data is None or exam.data.kind == KIND_SCHOOL:
        return [_as_school(exam, roles)], None
    station = exam.data
    problem = roles.station_problem(station.school_code, station.school_name, exam.path.name)
    inner: list[tuple[Path, bytes]] = []
    if not problem:
        inner, problem = inner_contents(exam.path, exam.content)
    if problem:
        return [_refuse(exam, problem)], None
    exams = [examine_package(path, content, trusted, receiver_year, history) for path, content in inner]
    own = [e for e in exams if e.ok and e.school_code == station.school_code]
    if own:            # a school's own package in a 汇总包 signed with its own key and code
        return [_refuse(exam, f"汇总包 {exam.path.name} 由代码 {station.school_code}（{station.school_name}）的密钥"
                              f"签名，其中却有 {station.school_code} 自己的学校提交包：一个单位不能为自己的提交包作"
                              "转报证明，已拒收。请核对发送单位；汇总包只能由乡镇工作站或下级教育部门签发，"
                              "学校的提交包请由学校直接报送。")], None
    roles.stations.add(station.school_code)
    times = _received_times(exam.content, _time_or_none(station.generated_at))
    out = [_as_school(replace(e, via=station.school_code, via_name=station.school_name.strip(),
                              relayed_at=times.get(e.sha256)), roles) for e in exams]
    if not out:
        return [_refuse(exam, "汇总包中没有学校的提交包。")], None
    return out, StationPackage(exam.path.name, exam.sha256, station.school_code, station.school_name,
                        station.school_year, len(out))


def _as_school(exam: Examined, roles: Roles) -> Examined:
    """``exam`` (a school package, or a refused file) refused when a station's key signed it for the
    station's code; an accepted one's code noted as a school's."""
    if not exam.ok:
        return exam
    problem = roles.school_problem(exam.school_code)
    if problem:
        return _refuse(exam, problem)
    roles.schools.setdefault(exam.school_code, "本单位接收过它的提交包")
    return exam


def _time_or_none(text: str) -> datetime | None:
    try:
        return local_time(text)
    except ValueError:
        return None


def _received_times(content: bytes, made: datetime | None = None) -> dict[str, datetime]:
    """When the station received each school package its 汇总包 holds, by SHA-256: the ``received_at``
    its ``data.json`` lists (signed by the station, verified before this is read; the station's
    local time, ``core.exports.consolidated``). A time missing or unreadable is left out, and so is
    one later than ``made``, the 汇总包's own signed ``generated_at``: no station received a package
    after it made the 汇总包 holding it, so its clock (or its list) is wrong and this receiver's own
    receipt stands (``first_received``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            listed = json.loads(zf.read(DATA_MEMBER).decode("utf-8")).get("packages")
    except (OSError, ValueError, AttributeError, KeyError, zipfile.BadZipFile, RecursionError):
        return {}
    out: dict[str, datetime] = {}
    for entry in listed if isinstance(listed, list) else ():
        sha, at = (entry.get("sha256"), entry.get("received_at")) if isinstance(entry, dict) else (None, None)
        if isinstance(sha, str) and isinstance(at, str):
            with contextlib.suppress(ValueError):
                when = local_time(at)
                if made is None or when <= made:
                    out[sha.lower()] = when
    return out


def first_received(exam: Examined, made: datetime, now: datetime) -> datetime:
    """When ``exam``'s package was first received, stored as its ``received_at`` (lateness is judged
    by it, ``db.receiving_status``): ``now`` (this receiver's own receipt) for one sent directly; for
    one a station forwarded, the time the station's signed list gives for it, never later than ``now``
    (a station's clock running ahead) nor earlier than ``made``, the package's own ``generated_at``
    (no package is received before it was made: a station's clock set back does not make a school
    early). When the station's list gives no time for it, or one that cannot be read (a station
    package made by a program that did not list it), ``now``: this receiver's own receipt, the
    latest the package can have come, as for a package sent directly."""
    if not exam.via or exam.relayed_at is None:
        return now
    return min(max(exam.relayed_at, made), now)


def via_label(exam: Examined) -> str:
    """The station that forwarded ``exam``, as the intake's other lines name it: 名称（代码 …）."""
    return f"{exam.via_name}（代码 {exam.via}）" if exam.via_name else exam.via


def via_note(exam: Examined) -> str:
    """What a refusal (or an already-received note) of a school package adds when a station forwarded it."""
    return f"（汇总包 {exam.path.parent.name}，{via_label(exam)}转报）" if exam.via else ""


def log_stations(session: Session, stations: Iterable[StationPackage], actor: str) -> None:
    """A line in the intake log for each station package opened (its school packages get their own)."""
    now = datetime.now()
    rows = [{"at": now, "by": actor, "file_name": p.file_name, "sha256": p.sha256, "school_code": p.station_code,
             "school_year": p.school_year, "draft": False, "result": OPENED, "package_id": None,
             "reason": f"汇总包：{p.label()}签名核验通过，其中 {p.packages} 个学校提交包逐个核验"} for p in stations]
    if rows:
        session.execute(insert(IntakeLog.__table__), rows)
