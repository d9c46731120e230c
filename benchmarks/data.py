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
* ``schools/NNN/*.zip`` and ``receiver.sqlite``: the consolidation case's school packages
  (final, signed, each by its own key) and a receiving database trusting every key.

The folder's name is a hash of the sizes, the seed and the generator's sources (and the
schema revision), so a changed generator or schema never reuses stale files.
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "benchmarks" / ".data"
PASSPHRASE = "bench-secret-1"
ACTOR = "bench"
_SOURCES = ("core/demo.py", "core/demo_people.py", "core/package.py", "core/package_data.py",
            "benchmarks/data.py")


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
    """An import workbook: a title row, the columns' headers, one row per dict."""
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    ws.append([title])
    ws.append([c.header for c in columns])
    for r in rows:
        ws.append([cell(r, c.field) for c in columns])
    wb.save(path)
    return path


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


def new_school_db(path: Path, school: dict[str, Any], policy: dict[str, str]) -> Any:
    """An empty database of ``school`` with the county and the policy's standards set."""
    from core.demo_people import COUNTY
    from db import store
    from db.official import set_official
    from db.session import open_database
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


def _build_county(folder: Path, sizes: Sizes) -> dict[str, Any]:
    from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS
    from db.exports import export_package
    from db.usecases import check
    data = _county(sizes)
    write_list(folder / "students.xlsx", STUDENT_COLUMNS, data.students, "学生名单")
    write_list(folder / "roster.xlsx", ROSTER_COLUMNS, data.roster, "建档立卡人员名单")
    db = new_school_db(folder / "county.sqlite", data.school, data.policy_params)
    try:
        _fill(db, "students", data.students)
        _fill(db, "roster", data.roster)
        run = check(db, actor=ACTOR)
        export_package(db, folder / "package.zip", PASSPHRASE, draft=True, actor=ACTOR)
    finally:
        db.close()
    return {"school": data.school, "policy": data.policy_params, "students": len(data.students),
            "roster": len(data.roster), "spoilt": json.loads(data.notes[0]), "findings": dict(run.counts)}


def build_school_package(folder: Path, index: int, n: int, seed: int) -> tuple[str, str, str]:
    """One school of the consolidation case: ``n`` students, checked, students with an open
    error taken off the list, the rest verified, its final package exported. Returns the
    package's path, its key file and the school's name."""
    from core.checks import FindingState
    from core.demo import MIXED, SchoolKind, generate_demo
    from core.demo_people import TOWNSHIPS
    from db import usecases
    from db.exports import export_package
    from db.keys import export_public_key
    from db.views import finding_rows, snapshot
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
        pkg = export_package(db, folder / f"{school['code']}.zip", PASSPHRASE, actor=ACTOR)
        key = export_public_key(db, folder / "key.txt")
    finally:
        db.close()
    (folder / "school.sqlite").unlink()
    return str(pkg.path), str(key.path), school["name"]


def _build_schools(folder: Path, sizes: Sizes, receiver: dict[str, Any]) -> int:
    from db import store
    from db.session import open_database
    from db.trust_store import add_signer, read_key_file
    schools = folder / "schools"
    jobs = [(schools / f"{i:03d}", i, sizes.per_school, sizes.seed) for i in range(sizes.schools)]
    with ProcessPoolExecutor(max_workers=2) as pool:       # each school is independent
        built = list(pool.map(build_school_package, *zip(*jobs, strict=True)))
    db = open_database(folder / "receiver.sqlite")
    try:
        with db.session() as s:
            store.init_school(s, "建始县教育局", "4228220000", receiver["school_year"], actor=ACTOR)
            for _pkg, key, name in built:
                add_signer(s, read_key_file(Path(key), name), actor=ACTOR)
    finally:
        db.close()
    return len(built)


def data_folder(sizes: Sizes, cache: Path = DEFAULT_CACHE) -> Path:
    return cache / f"{sizes.name}-{cache_key(sizes)}"


def ensure_data(sizes: Sizes, cache: Path = DEFAULT_CACHE) -> Path:
    """The data folder for ``sizes``: built when missing (or half built) in a child process
    (the program's imports and the data stay out of the measuring parent), reused otherwise."""
    import subprocess
    import sys
    folder = data_folder(sizes, cache)
    if not (folder / "meta.json").exists():
        subprocess.run([sys.executable, "-m", "benchmarks.data", json.dumps(asdict(sizes)), str(cache)],
                       cwd=ROOT, check=True)
    return folder


def build_data(sizes: Sizes, cache: Path = DEFAULT_CACHE, say: Any = print) -> Path:
    folder = data_folder(sizes, cache)
    shutil.rmtree(folder, ignore_errors=True)
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    say(f"生成基准数据 (generating data: {sizes}) → {folder}")
    meta = _build_county(tmp, sizes)
    say(f"  county: {meta['students']} students, {meta['roster']} roster rows, "
        f"{time.perf_counter() - t0:.0f} s")
    meta["packages"] = _build_schools(tmp, sizes, meta["school"])
    meta["build_s"] = round(time.perf_counter() - t0, 1)
    meta["sizes"] = asdict(sizes)
    say(f"  {meta['packages']} school packages; data built in {meta['build_s']} s")
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.rename(folder)
    return folder


def load_meta(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "meta.json").read_text(encoding="utf-8")))


if __name__ == "__main__":
    import sys
    build_data(Sizes(**json.loads(sys.argv[1])), Path(sys.argv[2]))
