"""`make bench`: Zizhu's heavy paths against the raw library doing the same unavoidable work.

Each line gives our time, the raw baseline's time in the same run, and the ratio.
Data: the synthetic county (50,000 students, a 200,000-person roster).
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from core.checks import run_checks
from core.demo import MIXED, generate_demo
from core.importers import parse_roster, read_table
from core.records import ROSTER_COLUMNS, ParsedRow
from db import store
from db.compute import compute_store
from db.findings import build_context
from db.importing import apply_plan, plan_import
from db.models import ROSTER_DATA_FIELDS, STUDENT_DATA_FIELDS
from db.session import open_database


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def write_roster_xlsx(path: Path, roster: list[dict]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("建档立卡名单")
    ws.append(["XX县建档立卡人员名单"])
    ws.append([c.header for c in ROSTER_COLUMNS])
    fields = [c.field for c in ROSTER_COLUMNS]
    for r in roster:
        ws.append([r.get(f, "") for f in fields])
    wb.save(path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=50_000)
    ap.add_argument("--roster", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="zizhu-bench-"))
    t0 = time.perf_counter()
    data = generate_demo(n_students=args.students, seed=7, roster_extra=0, school_kind=MIXED)
    extra = max(0, args.roster - len(data.roster))
    data = generate_demo(n_students=args.students, seed=7, roster_extra=extra, school_kind=MIXED)
    xlsx = tmp / "roster.xlsx"
    write_roster_xlsx(xlsx, data.roster)
    print(f"data: {len(data.students)} students, {len(data.roster)} roster rows "
          f"(set-up {time.perf_counter() - t0:.1f} s)\n")
    rows: list[tuple[str, float, float]] = []

    # 1. Reading and parsing the roster workbook vs python-calamine reading it.
    raw = best(lambda: CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python(), args.repeat)
    ours = best(lambda: parse_roster(read_table(xlsx)), args.repeat)
    rows.append(("read+parse roster .xlsx", ours, raw))

    # 2. Writing the roster to the database vs sqlite3 executemany of the same rows.
    def ours_import() -> None:
        db = open_database(tmp / f"imp-{time.perf_counter_ns()}.sqlite")
        with db.session() as s:
            rws = [ParsedRow(i, v) for i, v in enumerate(data.roster)]
            apply_plan(s, plan_import(s, "roster", rws, [], ROSTER_DATA_FIELDS), actor="bench")
        db.close()

    def raw_import() -> None:
        con = sqlite3.connect(tmp / f"raw-{time.perf_counter_ns()}.sqlite")
        con.execute("PRAGMA journal_mode=WAL")
        cols = ", ".join(ROSTER_DATA_FIELDS)
        con.execute(f"CREATE TABLE r (id INTEGER PRIMARY KEY, {cols}, import_problems)")
        con.execute("CREATE INDEX ix ON r(id_number)")
        marks = ", ".join("?" * (len(ROSTER_DATA_FIELDS) + 1))
        con.executemany(f"INSERT INTO r ({cols}, import_problems) VALUES ({marks})",
                        [[v.get(f, "") for f in ROSTER_DATA_FIELDS] + [""] for v in data.roster])
        con.commit()
        con.close()

    rows.append(("import roster into SQLite", best(ours_import, 1), best(raw_import, 1)))

    # 3. Computing every student's subsidies vs reading the same rows with sqlite3.
    db = open_database(tmp / "county.sqlite")
    with db.session() as s:
        store.init_school(s, "基准学校", "0", 2023, actor="bench")
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="bench")
        store.set_policy_value(s, "tuition_standard.中职", "2000", actor="bench")
        rws = [ParsedRow(i, v) for i, v in enumerate(data.students)]
        apply_plan(s, plan_import(s, "students", rws, [], STUDENT_DATA_FIELDS), actor="bench")

    def ours_compute() -> None:
        with db.session() as s:
            compute_store(s)

    def raw_select() -> None:
        con = sqlite3.connect(db.path)
        con.execute(f"SELECT id, {', '.join(STUDENT_DATA_FIELDS)} FROM student ORDER BY id").fetchall()
        con.close()

    rows.append(("compute all students", best(ours_compute, args.repeat), best(raw_select, args.repeat)))

    # 4. The full check run (students x roster) vs reading both tables with sqlite3.
    with db.session() as s:
        rws = [ParsedRow(i, v) for i, v in enumerate(data.roster)]
        apply_plan(s, plan_import(s, "roster", rws, [], ROSTER_DATA_FIELDS), actor="bench")

    def ours_check() -> None:
        with db.session() as s:
            build = build_context(s)
            run_checks(build)
            s.rollback()

    def raw_read_both() -> None:
        con = sqlite3.connect(db.path)
        con.execute(f"SELECT id, {', '.join(STUDENT_DATA_FIELDS)} FROM student").fetchall()
        con.execute("SELECT id, name, id_number, school_name, schooling_status, household_no "
                    "FROM roster_person").fetchall()
        con.close()

    rows.append(("check students x roster", best(ours_check, args.repeat), best(raw_read_both, args.repeat)))
    db.close()

    print(f"{'benchmark':<28}{'ours (s)':>10}{'raw (s)':>10}{'ratio':>8}")
    for name, o, r in rows:
        print(f"{name:<28}{o:>10.2f}{r:>10.2f}{o / r:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
