"""School packages built by the program itself, for the receiving side's tests (汇总).

``school_package`` makes a small school database with the ordinary use cases (init, policy,
student and roster import, check, verify) and exports its signed package with
``db.exports.export_package``; ``receiver_db`` makes the receiving database (a station or
the bureau: an ordinary Zizhu database whose school row is the receiver itself).

Every function builds its own files under the folder it is given; nothing is shared
between tests. Building a school costs its documents; its signing key is wrapped with scrypt's lowest
cost (``benchmarks.data.cheap_keys``: 2**10, not the program's 2**17; only the public key and the signatures
travel, and the key's own wrapping is tested in test_signing.py).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.data import cheap_keys  # (a school's key wrapped with scrypt's lowest cost)
from core.idnumber import make_id

PASSPHRASE = "school-secret-1"
YEAR = 2023
FIELDS = ["name", "id_number", "stage", "category", "tuition", "textbook", "lodging", "head_name", "township"]


@dataclass(frozen=True)
class Kid:
    """One student of a test school. Fees in fen (None: not entered)."""

    name: str
    id_number: str
    stage: str = "普通高中"
    category: str = "REGISTERED"
    tuition_fen: int | None = None
    textbook_fen: int | None = None
    lodging_fen: int | None = None
    on_roster: bool = True
    extra: dict[str, Any] = field(default_factory=dict)    # more student fields (stored names)

    def row(self) -> dict[str, Any]:
        return {"name": self.name, "id_number": self.id_number, "id_raw": self.id_number, "stage": self.stage,
                "category": self.category, "tuition_fen": self.tuition_fen, "textbook_fen": self.textbook_fen,
                "lodging_fen": self.lodging_fen, "head_name": f"{self.name[0]}父", **self.extra}


def kid_id(n: int, born: date = date(2008, 5, 1), region: str = "422822") -> str:
    """A valid ID number, distinct for each ``n`` (0…999)."""
    return make_id(region, born, n)


def high_school_kid(name: str, n: int, **kw: Any) -> Kid:
    """A registered 普通高中 student with tuition 1000.00 and textbooks 200.00: 免学费 1000.00
    (under the 1200.00 standard) + 免书本费 200.00, shared 5:5 by city and county."""
    return Kid(name, kid_id(n), tuition_fen=100000, textbook_fen=20000, lodging_fen=0, **kw)


@dataclass(frozen=True)
class SchoolPackage:
    path: Path              # the exported package (.zip)
    db_path: Path           # the school's database (closed)
    key_file: Path          # the school's ``key export`` (public key line with code=)
    fingerprint: str
    code: str
    name: str
    year: int = YEAR
    township: str = ""


def school_db(path: Path, *, code: str, name: str, township: str = "", year: int = YEAR,
              students: list[Kid] | tuple[Kid, ...] = (), county: str = "建始县", demo: bool = False,
              verify: bool = True, tuition_standard: str = "1200") -> Path:
    """A school database filled through the ordinary use cases; with ``verify`` every student is
    checked and verified (so a final package can be exported). Returns the closed database's path."""
    from sqlalchemy import select

    from core.records import ParsedRow
    from db import store
    from db.importing import apply_plan, plan_import
    from db.models import Student
    from db.official import set_official
    from db.session import open_database
    from db.usecases import verify as verify_students
    d = open_database(path)
    try:
        with d.session() as s:
            store.init_school(s, name, code, year, actor="t", township=township)
            if county:
                set_official(s, "county", county, actor="t")
            if tuition_standard:
                store.set_policy_value(s, "tuition_standard.普通高中", tuition_standard, actor="t")
            rows = [ParsedRow(i, k.row()) for i, k in enumerate(students)]
            extra = sorted({f for k in students for f in k.extra})
            apply_plan(s, plan_import(s, "students", rows, [], [*FIELDS, *extra]))
            people = [ParsedRow(i, {"name": k.name, "id_number": k.id_number})
                      for i, k in enumerate(students) if k.on_roster]
            apply_plan(s, plan_import(s, "roster", people, [], ["name", "id_number"]))
            if demo:
                store.mark_demo(s)
        if verify and students:
            with d.session() as s:
                ids = list(s.scalars(select(Student.id).where(Student.verified.is_(False))))
            done, _ = verify_students(d, ids)
            assert done == len(ids), "a test school's student has an open error: it cannot be verified"
    finally:
        d.close()
    return path


def export_school(db_path: Path, out: Path, *, draft: bool = False, passphrase: str = PASSPHRASE) -> SchoolPackage:
    """Export the school's signed package to ``out`` and its public key beside it."""
    from db import store
    from db.exports import export_package
    from db.keys import export_public_key
    from db.session import open_database
    d = open_database(db_path)
    try:
        with cheap_keys():
            result = export_package(d, out, passphrase, draft=draft)
        key = export_public_key(d, out.with_name(out.stem + "-公钥.txt"))
        with d.session() as s:
            school = store.get_school(s)
            code, name, year, township = school.code, school.name, school.school_year, school.township
    finally:
        d.close()
    return SchoolPackage(result.path, Path(db_path), key.path, key.fingerprint, code, name, year, township)


def school_package(folder: Path, *, code: str, name: str, township: str = "", year: int = YEAR,
                   students: list[Kid] | tuple[Kid, ...] = (), draft: bool = False, demo: bool = False,
                   county: str = "建始县", file_name: str | None = None) -> SchoolPackage:
    """A school database in ``folder``/<code>/ and its package (final unless ``draft``)."""
    home = Path(folder) / code
    home.mkdir(parents=True, exist_ok=True)
    db_path = school_db(home / "school.sqlite", code=code, name=name, township=township, year=year,
                        students=students, county=county, demo=demo, verify=not draft)
    return export_school(db_path, home / (file_name or f"{code}-{'draft' if draft else 'final'}.zip"), draft=draft)


def two_kid_school(folder: Path, code: str = "4228220101", name: str = "龙坪乡中心小学",
                   township: str = "龙坪乡", first: int = 1, **kw: Any) -> SchoolPackage:
    """A school of two registered 普通高中 students (ID numbers ``kid_id(first)``, ``kid_id(first + 1)``):
    each 1200.00 (免学费 1000.00 + 免书本费 200.00), 2400.00 in all."""
    kids = [high_school_kid(f"学生{first}", first), high_school_kid(f"学生{first + 1}", first + 1)]
    return school_package(folder, code=code, name=name, township=township, students=kids, **kw)


def receiver_db(path: Path, *, name: str = "龙坪乡扶贫工作站", code: str = "ST4228", year: int = YEAR,
                township: str = "") -> Path:
    """A receiving database (a station or the bureau): its school row is the receiver itself."""
    from db import store
    from db.session import open_database
    d = open_database(path)
    try:
        with d.session() as s:
            store.init_school(s, name, code, year, actor="t", township=township)
    finally:
        d.close()
    return Path(path)


@dataclass
class StationLoop:
    """A station (on the command line) that took in two schools' packages sharing one child."""

    a: SchoolPackage
    b: SchoolPackage
    db: str               # the station's database, as --db takes it
    secret: Path          # the station's passphrase file


def station_with_two_schools(folder: Path) -> StationLoop:
    """Schools A (``kid_id(1)``, ``kid_id(2)``) and B (``kid_id(2)``, ``kid_id(3)``) each trusted by a
    station and added there with `consolidate add`: a duplicate across the two schools."""
    from cli.commands import run
    a = two_kid_school(folder / "a", "4228220101", "龙坪乡中心小学", first=1)
    b = two_kid_school(folder / "b", "4228220102", "龙坪乡二小", first=2)          # kid_id(2) is in both
    st = str(receiver_db(folder / "station.sqlite", name="龙坪乡扶贫工作站", code="ST4228"))
    secret = folder / "pass.txt"
    secret.write_text("station-secret-1\n", encoding="utf-8")
    for school in (a, b):
        assert run(["--db", st, "trust", "add", str(school.key_file), "--school", school.name, "--yes"]) == 0
    assert run(["--db", st, "consolidate", "add", str(a.path), str(b.path)]) == 0
    return StationLoop(a, b, st, secret)


def trusting_receiver(path: Path, packages: Iterable[SchoolPackage]) -> Iterator[Any]:
    """An open receiving database at ``path`` trusting each package's school key (a fixture's body)."""
    from db import trust_store
    from db.session import open_database
    d = open_database(receiver_db(path))
    try:
        for pkg in packages:
            trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
        yield d
    finally:
        d.close()


def revise_school(pkg: SchoolPackage, out: Path, *, students: list[Kid] | tuple[Kid, ...] = (),
                  remove: tuple[str, ...] = ()) -> SchoolPackage:
    """The school's next package: ``students`` imported again (by ID number: changed fees
    update, new IDs are added), the ID numbers in ``remove`` taken off the list, everyone
    verified again, exported to ``out`` at least a second after ``pkg`` (generated_at is
    kept to the second)."""
    import json
    import time
    import zipfile
    from datetime import datetime

    from db.session import open_database
    from db.usecases import remove_id_number
    school_db(pkg.db_path, code=pkg.code, name=pkg.name, township=pkg.township, year=pkg.year, students=students)
    d = open_database(pkg.db_path)
    try:
        for number in remove:
            remove_id_number(d, number, "已转学")
    finally:
        d.close()
    with zipfile.ZipFile(pkg.path) as zf:
        before = datetime.fromisoformat(json.loads(zf.read("manifest.json"))["generated_at"])
    while datetime.now().replace(microsecond=0) <= before:
        time.sleep(0.1)
    return export_school(pkg.db_path, out)


def tampered(pkg: SchoolPackage, out: Path, member: str = "data.json") -> Path:
    """A copy of the package with one byte of ``member`` changed (the manifest left as signed)."""
    import zipfile
    with zipfile.ZipFile(pkg.path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == member:
                data = data[:100] + bytes([data[100] ^ 0x01]) + data[101:]
            dst.writestr(info, data)
    return out


def resigned_without(pkg: SchoolPackage, out: Path, member: str = "data.json") -> Path:
    """The package as an older program made it: without ``member``, signed by the school's own
    key (so only the missing member is wrong)."""
    return resigned(pkg, out, lambda files: files.pop(member))


def resigned_data(pkg: SchoolPackage, out: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """The package with its ``data.json`` parsed, ``change``d in place and written back,
    signed by the school's own key: the signature and every hash are right, only the data is
    what ``change`` made it."""
    import json

    def edit(files: dict[str, bytes]) -> None:
        data = json.loads(files["data.json"])
        change(data)
        files["data.json"] = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return resigned(pkg, out, edit)


def resigned(pkg: SchoolPackage, out: Path, change: Callable[[dict[str, bytes]], object]) -> Path:
    """The package's files ``change``d in place (member name -> bytes), signed again by the
    school's own key."""
    import json
    import zipfile

    from core.package import RESERVED, write_package
    from db.exports import ensure_key
    from db.session import open_database
    with zipfile.ZipFile(pkg.path) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n not in RESERVED}
        meta = json.loads(zf.read("manifest.json"))
    change(files)
    for key in ("format_version", "files"):
        meta.pop(key)
    d = open_database(pkg.db_path)
    try:
        with d.session() as s, cheap_keys():
            private, public_raw = ensure_key(s, PASSPHRASE)
    finally:
        d.close()
    return write_package(out, files, meta, private, public_raw)


STATION_PASSPHRASE = "station-secret-1"


@dataclass(frozen=True)
class StationPackage:
    path: Path              # the station's consolidated package (汇总包)
    db_path: Path           # the station's database (closed)
    key_file: Path          # the station's ``key export`` (code= the station's code)
    fingerprint: str
    code: str
    name: str


def holding(folder: Path, first: SchoolPackage, name: str = "r.sqlite") -> Path:
    """A receiver's database (``receiver_db``) trusting ``first``'s school and holding ``first``
    accepted: where a test offers the school's next version. Returns the closed database's path."""
    from db import trust_store
    from db.receiving import intake
    from db.session import open_database
    d = open_database(receiver_db(Path(folder) / name))
    try:
        trust_store.register(d, trust_store.read_key_file(first.key_file, first.name))
        assert intake(d, [first.path]).outcomes[0].accepted
    finally:
        d.close()
    return d.path


def station_package(folder: Path, schools: list[SchoolPackage] | tuple[SchoolPackage, ...], *,
                    code: str = "ST4228", name: str = "龙坪乡扶贫工作站", file_name: str = "station.zip",
                    db_name: str = "station.sqlite") -> StationPackage:
    """A station (receiver_db) trusting each school's key, taking in their packages and exporting
    its signed consolidated package to ``folder``/``file_name``, its public key beside it."""
    from db import trust_store
    from db.consolidation import export_consolidated
    from db.keys import export_public_key
    from db.receiving import intake
    from db.session import open_database
    d = open_database(receiver_db(Path(folder) / db_name, name=name, code=code))
    try:
        for pkg in schools:
            trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
        assert intake(d, [p.path for p in schools]).count("accepted") == len(schools)
        result = export_consolidated(d, Path(folder) / file_name, STATION_PASSPHRASE)
        key = export_public_key(d, Path(folder) / f"{Path(file_name).stem}-公钥.txt")
    finally:
        d.close()
    return StationPackage(result.path, d.path, key.path, key.fingerprint, code, name)


def stored_students(db_path: Path) -> list[tuple[int, str, Any]]:
    """(package id, file name, PackageStudent) of every stored package, current or replaced, in
    the order of the package ids and of each package's students: read straight from the bytes
    the database keeps (``package_blob``), where a package's students live (migration 0010)."""
    import io
    import sqlite3
    import zipfile

    from core.package_data import parse_package_data
    con = sqlite3.connect(db_path)
    try:
        rows = con.execute("select p.id, p.file_name, b.content from received_package p "
                           "join package_blob b on b.sha256 = p.sha256 order by p.id").fetchall()
    finally:
        con.close()
    out: list[tuple[int, str, Any]] = []
    for package_id, file_name, content in rows:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            data = parse_package_data(zf.read("data.json"))
        out += [(package_id, file_name, st) for st in data.students]
    return out


def failing_log(monkeypatch: Any, fails: Callable[[list[Any], int], bool]) -> None:
    """``db.receiving._log`` raising SQLite's disk error inside a package's transaction whenever
    ``fails(outcomes, n)`` (n: the call's number, from 1), else logging as usual."""
    import sqlite3

    import db.receiving as receiving
    real, calls = receiving._log, []

    def log(s: Any, outcomes: list[Any], actor: Any) -> None:
        calls.append(1)
        if fails(outcomes, len(calls)):
            raise sqlite3.OperationalError("disk I/O error")
        real(s, outcomes, actor)
    monkeypatch.setattr(receiving, "_log", log)
