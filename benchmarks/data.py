"""The benchmark data: a synthetic county, generated once and cached by its parameters.

``core.demo.generate_demo`` makes the people (realistic names, valid GB 11643 IDs whose
birth date and gender agree, whole registered households on the roster); on top of its
few planted problems per kind, ``plant_problems`` spoils a few percent of the rows the
way real files are spoilt (a wrong check digit, an ID shown as 4.22822E+17, a homophone
in the roster's name, a blank fee, an ID given twice). Everything is written by the
program's own import column specifications, so the files read like a clerk's.

A data folder holds, for one ``Sizes``:

* ``students.xlsx`` and ``roster.xlsx``: the two import files;
* ``county.sqlite``: a school database with both imported and checked (cases copy it);
* ``package.zip``: that school's draft package (the verify case);
* ``empty.sqlite``: a new database of the same school, nothing imported (the import cases copy it);
* ``schools/NNN/*.zip`` and ``receiver.sqlite``: the consolidation case's school packages
  (final, signed, each by its own key) and a receiving database trusting every key.

The folder's name is a hash of the sizes, the seed and the generator's sources (and the
schema revision), so a changed generator or schema never reuses stale files.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "benchmarks" / ".data"
PASSPHRASE = "bench-secret-1"
EMPTY_DB = "empty.sqlite"
ACTOR = "bench"
_SOURCES = ("core/demo.py", "core/demo_people.py", "core/package.py", "core/package_data.py",
            "db/session.py", "benchmarks/data.py")      # (db.session: a new database's page size)


@dataclass(frozen=True)
class Sizes:
    students: int        # the school list (one file, one database)
    roster: int          # roster rows (the county's registered people)
    letters: int         # letters in the letters case
    schools: int         # packages in the consolidation case
    per_school: int      # students in each of them
    seed: int = 7
    spoilt_percent: float = 3.0

    @property
    def name(self) -> str:
        return next((name for name, sizes in SIZES.items() if sizes == self), "custom")


SIZES = {
    "county": Sizes(students=50_000, roster=200_000, letters=5_000, schools=50, per_school=1_000),
    "medium": Sizes(students=5_000, roster=20_000, letters=500, schools=10, per_school=200),
    "toy": Sizes(students=300, roster=1_200, letters=60, schools=3, per_school=40),
}


def cache_key(sizes: Sizes) -> str:
    """Sizes, generator sources and migrations (the schema) hashed: stdlib only, so the parent
    process stays small (its resident high-water is the floor of every child's ``ru_maxrss``)."""
    h = hashlib.sha256(json.dumps(asdict(sizes), sort_keys=True).encode())
    for path in [*(ROOT / rel for rel in _SOURCES), *sorted((ROOT / "db" / "migrations" / "versions").glob("*.py"))]:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# -- the import files -----------------------------------------------------------------------

_FEES = {"tuition": "tuition_fen", "textbook": "textbook_fen", "lodging": "lodging_fen"}
_CATEGORY = {"REGISTERED": "建档立卡", "OTHER_HARDSHIP": "其他经济困难", "NONE": "非困难"}


def cell(values: dict[str, Any], field: str) -> Any:
    """One cell of an import file as a clerk's workbook holds it (yuan text, 是/否, Chinese
    categories; the ID as it was typed, e.g. 4.22822E+17)."""
    from core.money import format_fen
    if field == "id_number":
        return values.get("id_raw") or values.get("id_number")
    v = values.get(_FEES.get(field, field))
    if field in _FEES:
        return None if v is None else format_fen(v)
    if isinstance(v, bool):
        return "是" if v else "否"
    if field == "category":
        return _CATEGORY[str(v)]
    return v


def write_list(path: Path, columns: Sequence[Any], rows: Sequence[dict[str, Any]], title: str = "县域名单") -> Path:
    """An import workbook: a title row, the columns' headers, one row per dict (what openpyxl's
    ``write_only`` mode writes, five times faster: ``benchmarks.xlsx_fast``)."""
    from benchmarks.xlsx_fast import write_sheet
    cells = [[title], [c.header for c in columns], *([cell(r, c.field) for c in columns] for r in rows)]
    return write_sheet(path, "名单", cells)


def plant_problems(students: list[dict[str, Any]], roster: list[dict[str, Any]], percent: float,
                   seed: int) -> dict[str, int]:
    """Spoil ``percent`` % of the students (in place, reproducibly); returns the count per kind."""
    from core.demo_people import HOMOPHONES, excel_scientific
    rng = random.Random(seed)
    by_id = {p["id_number"]: p for p in roster}
    kinds = ("BAD_CHECK", "NUMERIC_CELL", "HOMOPHONE", "FEE_BLANK", "DUPLICATE_ID")
    counts = dict.fromkeys(kinds, 0)
    for i in rng.sample(range(len(students)), int(len(students) * percent / 100)):
        st, kind = students[i], kinds[i % len(kinds)]
        number = st["id_number"]
        if kind == "BAD_CHECK" and len(number) == 18:
            wrong = "0123456789X"[("0123456789X".index(number[-1]) + 1) % 11]
            st["id_number"] = st["id_raw"] = number[:-1] + wrong
        elif kind == "NUMERIC_CELL" and number.isdigit():
            st["id_raw"], st["id_numeric_cell"] = excel_scientific(number), True
        elif kind == "HOMOPHONE" and number in by_id:
            table = dict(HOMOPHONES["男" if st.get("gender") == "男" else "女"])
            last = st["name"][-1]
            by_id[number]["name"] = st["name"][:-1] + table.get(last, "晓")
        elif kind == "FEE_BLANK" and st.get("tuition_fen") is not None:
            st["tuition_fen"] = None
        elif kind == "DUPLICATE_ID":
            other = students[rng.randrange(len(students))]
            st["id_number"], st["id_raw"] = other["id_number"], other["id_raw"]
        else:
            continue
        counts[kind] += 1
    return counts


# -- building a data folder ------------------------------------------------------------------

def _county(sizes: Sizes) -> Any:
    """The school list and a roster of exactly ``sizes.roster`` rows: the roster holds the
    listed students' households plus ``roster_extra`` others, so a second try with the
    difference added lands on the size (when it is reachable at all)."""
    from core.demo import MIXED, generate_demo
    extra = max(0, sizes.roster - sizes.students)
    for _ in range(3):
        data = generate_demo(n_students=sizes.students, seed=sizes.seed, roster_extra=extra, school_kind=MIXED)
        if len(data.roster) == sizes.roster or extra + sizes.roster - len(data.roster) < 0:
            break
        extra += sizes.roster - len(data.roster)
    data.notes[:] = [json.dumps(plant_problems(data.students, data.roster, sizes.spoilt_percent, sizes.seed))]
    return data


_EMPTY: list[bytes] = []       # this process's empty database, migrated once


def _empty_database(path: Path) -> None:
    """An empty database at the schema's head, as ``open_database`` makes it: migrated once per process
    and copied for every other school (alembic took a quarter of a second a school)."""
    import tempfile

    from db.session import open_database
    if path.exists():
        raise FileExistsError(path)
    if not _EMPTY:
        with tempfile.TemporaryDirectory() as tmp:
            open_database(Path(tmp) / "empty.sqlite").close()
            _EMPTY.append((Path(tmp) / "empty.sqlite").read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_EMPTY[0])


def new_school_db(path: Path, school: dict[str, Any], policy: dict[str, str]) -> Any:
    """An empty database of ``school`` with the county and the policy's standards set."""
    from core.demo_people import COUNTY
    from db import store
    from db.official import set_official
    from db.session import open_database
    _empty_database(path)
    db = open_database(path)
    with db.session() as s:
        store.init_school(s, school["name"], school["code"], school["school_year"], actor=ACTOR,
                          township=school.get("township", ""))
        set_official(s, "county", COUNTY, actor=ACTOR)
        for key, value in policy.items():
            store.set_policy_value(s, key, value, actor=ACTOR)
    return db


def _fill(db: Any, kind: str, rows: list[dict[str, Any]]) -> None:
    from core.records import ParsedRow
    from db.importing import apply_plan, plan_import
    with db.write_session() as s:
        parsed = [ParsedRow(i + 3, v) for i, v in enumerate(rows)]
        apply_plan(s, plan_import(s, kind, parsed, [], {f for v in rows for f in v}), actor=ACTOR)


class Steps:
    """Wall and CPU seconds of the build's steps (each process times its own)."""

    def __init__(self) -> None:
        self.times: dict[str, tuple[float, float]] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.times[name] = (time.perf_counter() - wall, time.process_time() - cpu)


def _write_file(path: Path, kind: str, rows: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS
    steps = Steps()
    with steps.step(path.name):
        write_list(path, STUDENT_COLUMNS if kind == "students" else ROSTER_COLUMNS, rows,
                   "学生名单" if kind == "students" else "建档立卡人员名单")
    return steps.times


def _county_db(folder: Path, school: dict[str, Any], policy: dict[str, str], students: list[dict[str, Any]],
               roster: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, tuple[float, float]]]:
    """``county.sqlite`` (both lists in, checked, findings stored) and its draft package. The
    export's own check stores the findings (a ``check`` before it would do the same work twice)."""
    from collections import Counter

    from core.checks import FindingState
    from db.exports import export_package
    from db.views import finding_rows
    steps = Steps()
    db = new_school_db(folder / "county.sqlite", school, policy)
    try:
        with steps.step("county: lists stored"):
            _fill(db, "students", students)
            _fill(db, "roster", roster)
        with steps.step("county: checked, draft package"):
            export_package(db, folder / "package.zip", PASSPHRASE, draft=True, actor=ACTOR)
        findings = Counter(f.severity for f in finding_rows(db, include_fixed=False) if f.state == FindingState.OPEN)
    finally:
        db.close()
    return dict(findings), steps.times


@contextmanager
def cheap_keys() -> Iterator[None]:
    """A school's signing key wrapped with scrypt's lowest cost (the tests' schools use this too): its database
    is thrown away once the package is signed, so only the public key and the signature are
    kept, and those do not depend on the wrapping. Saves two derivations of 128 MiB a school."""
    import core.signing
    cost = core.signing.SCRYPT_N
    core.signing.SCRYPT_N = 2 ** 10
    try:
        yield
    finally:
        core.signing.SCRYPT_N = cost


def build_school_package(folder: Path, index: int, n: int, seed: int) -> tuple[str, str, str, float, float]:
    """One school of the consolidation case: ``n`` students, checked, students with an open
    error taken off the list, the rest verified, its final package exported. Returns the
    package's path, its key file, the school's name and the wall and CPU seconds it took."""
    from core.checks import FindingState
    from core.demo import MIXED, SchoolKind, generate_demo
    from core.demo_people import TOWNSHIPS
    from db import usecases
    from db.exports import export_package
    from db.keys import export_public_key
    from db.views import finding_rows, snapshot
    wall, cpu = time.perf_counter(), time.process_time()
    clean = SchoolKind(f"第{index + 1}中学", MIXED.stages, frozenset())
    data = generate_demo(n_students=n, seed=seed * 1000 + index, roster_extra=n // 4, school_kind=clean)
    school = {**data.school, "code": f"42282201{index:02d}", "township": TOWNSHIPS[index % len(TOWNSHIPS)]}
    folder.mkdir(parents=True, exist_ok=True)
    db = new_school_db(folder / "school.sqlite", school, data.policy_params)
    try:
        _fill(db, "students", data.students)
        _fill(db, "roster", data.roster)
        usecases.check(db, actor=ACTOR)
        errors = [f for f in finding_rows(db, include_fixed=False)
                  if f.severity == "error" and f.state == FindingState.OPEN]
        if removed := sorted({f.student_id for f in errors if f.student_id is not None}):
            usecases.remove(db, removed, "基准测试：有问题的学生移出名单", actor=ACTOR)
        if rest := [f.id for f in finding_rows(db, include_fixed=False)
                    if f.severity == "error" and f.state == FindingState.OPEN]:
            usecases.accept_findings(db, rest, "基准测试", actor=ACTOR)
        ids = [r.id for r in snapshot(db).students if not r.removed]
        _n, blocked = usecases.verification_plan(db, ids)     # e.g. an item whose standard is unset
        if blocked:
            usecases.remove(db, sorted(blocked), "基准测试：有问题的学生移出名单", actor=ACTOR)
        usecases.verify(db, [i for i in ids if i not in blocked], actor=ACTOR)
        with cheap_keys():
            pkg = export_package(db, folder / f"{school['code']}.zip", PASSPHRASE, actor=ACTOR)
        key = export_public_key(db, folder / "key.txt")
    finally:
        db.close()
    (folder / "school.sqlite").unlink()
    return str(pkg.path), str(key.path), school["name"], time.perf_counter() - wall, time.process_time() - cpu


def _receiver(folder: Path, school_year: int, built: list[tuple[str, str, str, float, float]]) -> None:
    """The receiving database (the consolidation case's), trusting every school's key."""
    from db import store
    from db.session import open_database
    from db.trust_store import add_signer, read_key_file
    db = open_database(folder / "receiver.sqlite")
    try:
        with db.session() as s:
            store.init_school(s, "建始县教育局", "4228220000", school_year, actor=ACTOR)
            for _pkg, key, name, *_t in built:
                add_signer(s, read_key_file(Path(key), name), actor=ACTOR)
    finally:
        db.close()


def _county_chain(folder: Path, sizes: Sizes) -> dict[str, Any]:
    """The county in one process (its lists are never pickled to another): generated, the two import
    files written, then ``county.sqlite`` and its draft package. Returns the meta data's county part."""
    steps = Steps()
    with steps.step("generate the county"):
        data = _county(sizes)
    for kind, rows in (("students", data.students), ("roster", data.roster)):
        steps.times.update(_write_file(folder / f"{kind}.xlsx", kind, rows))
    new_school_db(folder / EMPTY_DB, data.school, data.policy_params).close()
    findings, county_times = _county_db(folder, data.school, data.policy_params, data.students, data.roster)
    steps.times.update(county_times)
    return {"school": data.school, "policy": data.policy_params, "students": len(data.students),
            "roster": len(data.roster), "spoilt": json.loads(data.notes[0]), "findings": findings,
            "times": steps.times}


def _build(folder: Path, sizes: Sizes, say: Any) -> dict[str, Any]:
    """Everything, on two processes: the county (the longest chain) in one, the schools' packages in
    the other, which then shares the county's last minutes; then the receiving database.
    Returns the meta data, the build's steps timed (wall and CPU seconds) in ``build``."""
    steps = Steps()
    schools = folder / "schools"
    with ProcessPoolExecutor(max_workers=2) as pool:       # the work is independent: one process a core
        chain = pool.submit(_county_chain, folder, sizes)
        jobs = [pool.submit(build_school_package, schools / f"{i:03d}", i, sizes.per_school, sizes.seed)
                for i in range(sizes.schools)]
        built = [job.result() for job in jobs]
        county = chain.result()
    steps.times.update(county.pop("times"))
    steps.times[f"{len(built)} school packages"] = (sum(b[3] for b in built), sum(b[4] for b in built))
    say(f"  county: {county['students']:,} students, {county['roster']:,} roster rows")
    with steps.step("receiving database"):
        _receiver(folder, county["school"]["school_year"], built)
    return {**county, "packages": len(built),
            "build": {k: [round(w, 1), round(c, 1)] for k, (w, c) in steps.times.items()}}


def data_folder(sizes: Sizes, cache: Path = DEFAULT_CACHE) -> Path:
    return cache / f"{sizes.name}-{cache_key(sizes)}"


def ensure_data(sizes: Sizes, cache: Path = DEFAULT_CACHE) -> Path:
    """The data folder for ``sizes``: built when missing (or half built) in a child process
    (the program's imports and the data stay out of the measuring parent), reused otherwise.
    Two runs sharing a cache build it once: the second waits for the first's lock."""
    import subprocess
    import sys
    folder = data_folder(sizes, cache)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{folder.name}.lock", "w") as lock:
        try:
            import fcntl
            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:             # not POSIX: one run at a time, as before
            pass
        if not (folder / "meta.json").exists():
            subprocess.run([sys.executable, "-m", "benchmarks.data", json.dumps(asdict(sizes)), str(cache)],
                           cwd=ROOT, check=True)
        else:       # built earlier: its stored check may be of another day or program (see refresh_check)
            subprocess.run([sys.executable, "-m", "benchmarks.data", "--refresh-check", str(folder)],
                           cwd=ROOT, check=True)
    return folder


def refresh_check(folder: Path) -> bool:
    """The county database's stored check made current, as the open window has it (True: it was).
    A check holds for its day and program (``db.check_state.current_check``): on data built on an
    earlier day, or by an earlier commit, every case that reuses the stored check (the notice, the
    package, the letters) would run the whole check inside ours, which the window never does twice."""
    from db.check_state import check_unless_current
    from db.session import open_database
    db = open_database(folder / "county.sqlite")
    try:
        with db.session() as s:
            current = check_unless_current(s, actor=ACTOR)
        return current
    finally:
        db.close()


def build_data(sizes: Sizes, cache: Path = DEFAULT_CACHE, say: Any = print) -> Path:
    import resource
    folder = data_folder(sizes, cache)
    shutil.rmtree(folder, ignore_errors=True)
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    say(f"生成基准数据 (generating data: {sizes}) → {folder}")
    meta = _build(tmp, sizes, say)
    cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    meta["build_s"], meta["build_cpu_s"] = round(time.perf_counter() - t0, 1), round(cpu, 1)
    meta["sizes"] = asdict(sizes)
    for name, (wall, cpu_s) in meta["build"].items():
        say(f"  {name}: {wall:.1f} s ({cpu_s:.1f} s CPU)")
    say(f"  data built in {meta['build_s']} s ({meta['build_cpu_s']} s CPU on {os.cpu_count()} cores)")
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.rename(folder)
    return folder


def load_meta(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "meta.json").read_text(encoding="utf-8")))


if __name__ == "__main__":
    import sys
    if sys.argv[1] == "--refresh-check":
        if not refresh_check(Path(sys.argv[2])):
            print("基准数据的核查结果已按今天重新生成 (the stored check was of another day or program: checked again)")
    else:
        build_data(Sizes(**json.loads(sys.argv[1])), Path(sys.argv[2]))
