"""Sides of the data cases: the imports, the cross-check, compute, check.

``ours_X`` / ``base_X`` take a ``Ctx``, do the set-up and return the work to time;
``argv_X`` gives the command lines (after ``main.py``) of the whole-command case.
"""
from __future__ import annotations

from pathlib import Path

from benchmarks import baselines
from benchmarks.cases import Ctx, Work
from benchmarks.data import ACTOR, EMPTY_DB

# What the program reads of a listed student / of the roster, for the plain SELECTs.
STUDENT_SQL = "SELECT id, {cols} FROM student WHERE removed_at IS NULL"
_ROSTER_SQL = "SELECT id, {cols} FROM roster_person"
# db.findings.build_context's three extra student columns and roster_facts' columns (its SELECT of the
# fields a version-2 seal covers beyond these reads the students sealed so: none in the bench's database)
_CHECK_EXTRA = ("notified_at IS NOT NULL", "verified", "seal")
_CHECK_ROSTER = ("name", "id_number", "school_name", "schooling_status", "household_no")


def _new_db(ctx: Ctx) -> Path:
    """A new database of the county's school, empty (its standards set): a copy of the data's own, made at
    the build. Copied, not made here: the runner builds a whole command's line itself, and a runner that
    imported the program would lend its resident size to every later child's peak memory."""
    return ctx.copy(EMPTY_DB)


def _import_work(ctx: Ctx, kinds: tuple[str, ...], check: bool = False) -> Work:
    from db.session import open_database
    from db.usecases import check as run_check
    from db.workflows import run_import
    path = _new_db(ctx)
    import sqlalchemy.orm  # noqa: F401  (loaded as in the open window: see Ctx.opened)

    def work() -> None:
        db = open_database(path)
        try:
            for kind in kinds:
                run_import(db, kind, ctx.data / f"{kind}.xlsx", actor=ACTOR)
            if check:
                run_check(db, actor=ACTOR)
        finally:
            db.close()
    return work


def _layout(kind: str) -> tuple[int, int]:
    """The file's width and its ID column."""
    from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS
    fields = [c.field for c in (STUDENT_COLUMNS if kind == "students" else ROSTER_COLUMNS)]
    return len(fields), fields.index("id_number")


def _raw_import(ctx: Ctx, kind: str) -> Work:
    width, key = ctx.prep(_layout, kind)
    baselines.preload("python_calamine")

    def work() -> None:
        rows = baselines.calamine_rows(ctx.data / f"{kind}.xlsx")
        baselines.sqlite_insert(ctx.work / "raw.sqlite", rows[2:], width, key)     # title and header rows
    return work


def ours_import_students(ctx: Ctx) -> Work:
    return _import_work(ctx, ("students",))


def base_import_students(ctx: Ctx) -> Work:
    return _raw_import(ctx, "students")


def argv_import_students(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(_new_db(ctx)), "import", "students", str(ctx.data / "students.xlsx")]]


def ours_import_roster(ctx: Ctx) -> Work:
    return _import_work(ctx, ("roster",))


def base_import_roster(ctx: Ctx) -> Work:
    return _raw_import(ctx, "roster")


def argv_import_roster(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(_new_db(ctx)), "import", "roster", str(ctx.data / "roster.xlsx")]]


def ours_crosscheck(ctx: Ctx) -> Work:
    return _import_work(ctx, ("students", "roster"), check=True)


def base_crosscheck(ctx: Ctx) -> Work:
    from benchmarks import libreoffice
    return libreoffice.vlookup_work(ctx)


def _queries(what: str) -> list[str]:
    """The columns the engine reads of a listed student (``compute``: core.fields.ENGINE_FIELDS),
    or those the checks read of a listed student and of the roster (``check``: db.findings)."""
    from core.fields import ENGINE_FIELDS
    from db.findings import FACT_COLUMNS
    if what == "compute":
        return [STUDENT_SQL.format(cols=", ".join(ENGINE_FIELDS))]
    return [STUDENT_SQL.format(cols=", ".join((*FACT_COLUMNS, *_CHECK_EXTRA))),
            _ROSTER_SQL.format(cols=", ".join(_CHECK_ROSTER))]


def _select(ctx: Ctx, what: str) -> Work:
    """The plain SELECT of what ``what`` reads (the column names are knowledge, read outside the clock)."""
    sql = ctx.prep(_queries, what)
    path = ctx.copy("county.sqlite")
    return lambda: baselines.select_all(path, sql)


def ours_compute(ctx: Ctx) -> Work:
    from db.compute import compute_school
    db = ctx.opened("county.sqlite")
    return lambda: compute_school(db)


def base_compute(ctx: Ctx) -> Work:
    return _select(ctx, "compute")


def argv_compute(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(ctx.copy("county.sqlite")), "compute", "--json"]]


def ours_check(ctx: Ctx) -> Work:
    from db.usecases import check
    db = ctx.opened("county.sqlite")
    return lambda: check(db, actor=ACTOR)


def base_check(ctx: Ctx) -> Work:
    return _select(ctx, "check")


def argv_check(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(ctx.copy("county.sqlite")), "check"]]
