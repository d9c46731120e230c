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

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.errors import ZizhuError
from core.intake import INTAKE_KINDS, Examined, examine_package
from core.package import name_problem
from core.package_data import DATA_MEMBER, KIND_SCHOOL, local_time
from core.trust import TrustedSigner
from db.receiving_models import IntakeLog

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


def expand(exam: Examined, trusted: Sequence[TrustedSigner], receiver_year: int,
           history: bool = False) -> tuple[list[Examined], StationPackage | None]:
    """The packages an examined file stands for: itself (a school package, or any refused
    file), or, for a proved station package, each school package inside it examined with its
    school's key (``via`` the station's code) and the station package's description."""
    if not exam.ok or exam.data is None or exam.data.kind == KIND_SCHOOL:
        return [exam], None
    station = exam.data
    inner, problem = inner_contents(exam.path, exam.content)
    if problem:
        return [replace(exam, data=None, content=b"", reason=problem)], None
    times = _received_times(exam.content)
    out = [replace(e, via=station.school_code, relayed_at=times.get(e.sha256))
           for e in (examine_package(path, content, trusted, receiver_year, history) for path, content in inner)]
    if not out:
        return [replace(exam, data=None, content=b"", reason="汇总包中没有学校的提交包。")], None
    return out, StationPackage(exam.path.name, exam.sha256, station.school_code, station.school_name,
                        station.school_year, len(out))


def _received_times(content: bytes) -> dict[str, datetime]:
    """When the station received each school package its 汇总包 holds, by SHA-256: the ``received_at``
    its ``data.json`` lists (signed by the station, verified before this is read; the station's
    local time, ``core.exports.consolidated``). A time missing or unreadable is left out."""
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
                out[sha.lower()] = local_time(at)
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


def via_note(exam: Examined) -> str:
    """What a refusal (or an already-received note) of a school package adds when a station forwarded it."""
    return f"（汇总包 {exam.path.parent.name}，{exam.via} 转报）" if exam.via else ""


def log_stations(session: Session, stations: Iterable[StationPackage], actor: str) -> None:
    """A line in the intake log for each station package opened (its school packages get their own)."""
    now = datetime.now()
    rows = [{"at": now, "by": actor, "file_name": p.file_name, "sha256": p.sha256, "school_code": p.station_code,
             "school_year": p.school_year, "draft": False, "result": OPENED, "package_id": None,
             "reason": f"汇总包：{p.label()}签名核验通过，其中 {p.packages} 个学校提交包逐个核验"} for p in stations]
    if rows:
        session.execute(insert(IntakeLog.__table__), rows)
