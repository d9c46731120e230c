"""Sides of the data cases: the imports, the cross-check, compute, check.

``ours_X`` / ``base_X`` take a ``Ctx``, do the set-up and return the work to time;
``argv_X`` gives the command lines (after ``main.py``) of the whole-command case.
"""
from __future__ import annotations

from pathlib import Path

from benchmarks import baselines
from benchmarks.cases import Ctx, Work
from benchmarks.data import ACTOR, new_school_db

_STUDENT_SQL = "SELECT id, {cols} FROM student WHERE removed_at IS NULL"
_ROSTER_SQL = "SELECT id, {cols} FROM roster_person"


def _new_db(ctx: Ctx) -> Path:
    db = new_school_db(ctx.work / "new.sqlite", ctx.meta["school"], ctx.meta["policy"])
    db.close()
    return db.path


def _import_work(ctx: Ctx, kinds: tuple[str, ...], check: bool = False) -> Work:
    from db.session import open_database
    from db.usecases import check as run_check
    from db.workflows import run_import
    path = _new_db(ctx)

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


def _width(kind: str) -> int:
    from core.records import ROSTER_COLUMNS, STUDENT_COLUMNS
    return len(STUDENT_COLUMNS if kind == "students" else ROSTER_COLUMNS)


def _raw_import(ctx: Ctx, kind: str) -> Work:
    width = ctx.prep(_width, kind)
    baselines.preload("python_calamine")

    def work() -> None:
        rows = baselines.calamine_rows(ctx.data / f"{kind}.xlsx")
        baselines.sqlite_insert(ctx.work / "raw.sqlite", rows[2:], width)     # title and header rows
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


def _columns(kind: str) -> str:
    from db.models import ROSTER_DATA_FIELDS, STUDENT_DATA_FIELDS
    return ", ".join(STUDENT_DATA_FIELDS if kind == "students" else ROSTER_DATA_FIELDS)


def _select(ctx: Ctx, *kinds: str) -> Work:
    """The plain SELECT of ``kinds`` (the column names are knowledge, read outside the clock)."""
    sql = [ctx.prep(lambda k=k: (_STUDENT_SQL if k == "students" else _ROSTER_SQL).format(cols=_columns(k)))
           for k in kinds]
    path = ctx.copy("county.sqlite")
    return lambda: baselines.select_all(path, sql)


def ours_compute(ctx: Ctx) -> Work:
    from db.compute import compute_school
    from db.session import open_database
    db = open_database(ctx.copy("county.sqlite"))
    return lambda: compute_school(db)


def base_compute(ctx: Ctx) -> Work:
    return _select(ctx, "students")


def argv_compute(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(ctx.copy("county.sqlite")), "compute", "--json"]]


def ours_check(ctx: Ctx) -> Work:
    from db.session import open_database
    from db.usecases import check
    db = open_database(ctx.copy("county.sqlite"))
    return lambda: check(db, actor=ACTOR)


def base_check(ctx: Ctx) -> Work:
    return _select(ctx, "students", "roster")


def argv_check(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(ctx.copy("county.sqlite")), "check"]]
