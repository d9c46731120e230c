"""Feedback round trips built with the program: a school that exported a final package, a
station (another database) with its own key, feedback packages the station signs."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from conftest import two_student_school

from core.feedback import ORIGIN_CROSS, FeedbackFinding
from core.idnumber import make_id
from db.exports import export_package
from db.feedback_send import feedback_for_school, sign_feedback
from db.keys import ensure_key, public_key_line
from db.session import Database, open_database
from db.usecases import verify
from db.views import students_with_id

SCHOOL_PASS, STATION_PASS = "school-secret-1", "station-secret-1"
STATION, STATION_CODE = "官店镇扶贫工作站", "S01"


@dataclass
class RoundTrip:
    school: Database
    station: Database
    package: Path                 # the school's final package
    package_sha: str
    station_key: Path             # the station's public key line (trust file)
    folder: Path


# conftest.two_student_school's ID numbers
ZHANG, LI = make_id("110101", date(2008, 5, 1), 123), make_id("110101", date(2019, 3, 1), 124)


def school_with_package(tmp_path: Path) -> tuple[Database, Path]:
    """The two-student school, verified, with its final package exported."""
    db = open_database(two_student_school(tmp_path / "school.sqlite"))
    verify(db, [i for n in (ZHANG, LI) for i in students_with_id(db, n)])
    result = export_package(db, tmp_path / "school-pkg.zip", SCHOOL_PASS)
    return db, result.path


def station_db(tmp_path: Path, name: str = STATION, code: str = STATION_CODE, year: int = 2023,
               file: str = "station.sqlite") -> tuple[Database, Path]:
    """A receiving database (the station is its school row) with its key made; its public key file."""
    from db import store
    db = open_database(tmp_path / file)
    with db.session() as s:
        store.init_school(s, name, code, year, actor="t")
        ensure_key(s, STATION_PASS)
        line = public_key_line(s)
    key = tmp_path / f"{Path(file).stem}-{code}-公钥.txt"
    key.write_text(line + "\n", encoding="utf-8")
    return db, key


def round_trip(tmp_path: Path) -> RoundTrip:
    school, package = school_with_package(tmp_path)
    station, key = station_db(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    return RoundTrip(school, station, package, hashlib.sha256(package.read_bytes()).hexdigest(), key, folder)


def duplicate(id_number: str, name: str = "张丽", other_fen: int = 120000, key: str = "") -> FeedbackFinding:
    """A cross-school duplicate as a station reports it (both schools, both amounts)."""
    return FeedbackFinding(
        key=key or f"DUPLICATE_ACROSS_SCHOOLS:{id_number}", code="DUPLICATE_ACROSS_SCHOOLS", severity="error",
        title="跨校重复享受资助", message=f"{name}同时在第一中学和第二中学享受资助（1200.00 元 / {other_fen / 100:.2f} 元）",
        origin=ORIGIN_CROSS, id_number=id_number, name=name,
        details=(("本校", "第一中学（代码 1）：1200.00 元"), ("另一所学校", f"第二中学（代码 2）：{other_fen / 100:.2f} 元")))


def send(rt: RoundTrip, findings, name: str = "fb.zip", school_code: str = "1", school_name: str = "第一中学",
         package_sha: str | None = None, now: datetime | None = None, station: Database | None = None) -> Path:
    """The station signs a feedback package for the school and writes it to ``rt.folder / name``."""
    station = station or rt.station
    with station.session() as s:
        fb = feedback_for_school(s, school_code, school_name, findings,
                                 rt.package_sha if package_sha is None else package_sha, now)
    return sign_feedback(station, [(fb, rt.folder / name)], STATION_PASS)[0].path
