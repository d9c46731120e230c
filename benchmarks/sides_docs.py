"""Sides of the document cases: the package, letters, the notice, verify, consolidation.

The baselines write the same content as ours: the cells of ours' workbooks and the text
of ours' PDFs, read (outside the timed part) from ours' output of the same run, which ours
leaves in the case's shared folder. Before ours ran once (``--only`` a baseline), the data
folder's draft package stands in.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from benchmarks import baselines
from benchmarks.cases import Ctx, Work
from benchmarks.data import ACTOR, PASSPHRASE

_DOCS = ("openpyxl", "reportlab.pdfgen.canvas", "reportlab.pdfbase.ttfonts")


def _open(ctx: Ctx):
    return ctx.opened("county.sqlite")


def _passphrase_file(ctx: Ctx) -> Path:
    path = ctx.work / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


# -- the package -----------------------------------------------------------------------------

def ours_export(ctx: Ctx) -> Work:
    from db.exports import export_package
    db = _open(ctx)
    return lambda: export_package(db, ctx.shared / "ours.zip", PASSPHRASE, draft=True, actor=ACTOR)


def _export_queries() -> list[str]:
    """What a package is made of in the database: the listed students' exported columns and
    the findings (read by a plain SELECT in the baseline)."""
    from benchmarks.sides_data import STUDENT_SQL
    from core.fields import EXPORT_FIELDS
    return [STUDENT_SQL.format(cols=", ".join(EXPORT_FIELDS)), "SELECT * FROM finding"]


def _package_content(source: Path) -> tuple[dict[str, baselines.Cells], dict[str, baselines.Lines], dict]:
    """The package's workbook cells, its PDFs' lines and its data members, parsed."""
    import json
    members = baselines.package_members(source)
    return (baselines.read_sheets(members["workbook.xlsx"]),
            {name: baselines.pdf_lines(members[name]) for name in members if name.endswith(".pdf")},
            {name: json.loads(members[name]) for name in members
             if name.endswith(".json") and not name.startswith("manifest")})


def base_export(ctx: Ctx) -> Work:
    source = ctx.shared / "ours.zip"
    sheets, pdfs, data = ctx.prep_once("package", _package_content,
                                       source if source.exists() else ctx.data / "package.zip")
    sql, db = ctx.prep(_export_queries), ctx.copy("county.sqlite")
    baselines.preload(*_DOCS)

    def work() -> None:
        baselines.select_all(db, sql)
        files: dict[str, Path | bytes] = {"workbook.xlsx": ctx.work / "workbook.xlsx",
                                          **{name: baselines.dump_json(value) for name, value in data.items()}}
        baselines.write_cells(ctx.work / "workbook.xlsx", sheets)
        for name, lines in pdfs.items():
            baselines.draw_lines(ctx.work / name, lines)
            files[name] = ctx.work / name
        baselines.hash_and_zip(ctx.work / "raw.zip", files)
    return work


def argv_export(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(ctx.copy("county.sqlite")), "export", str(ctx.shared / "ours.zip"), "--draft",
             "--passphrase-file", str(_passphrase_file(ctx))]]


# -- letters ---------------------------------------------------------------------------------

def _first_students(ctx: Ctx, n: int) -> list[tuple[int, str]]:
    with sqlite3.connect(ctx.data / "county.sqlite") as con:
        return con.execute("SELECT id, id_number FROM student WHERE removed_at IS NULL ORDER BY id LIMIT ?",
                           (n,)).fetchall()


def _letters(ctx: Ctx, n: int) -> Work:
    from core.exports.letters import write_letters
    from db.exports import gather_letters
    db = _open(ctx)
    keys = [k for k, _number in _first_students(ctx, n)]

    def work() -> None:
        letters = gather_letters(db, keys=keys, draft=True)
        write_letters(ctx.shared / "letters.pdf", letters.data, keys=keys)
    return work


def _raw_letters(ctx: Ctx) -> Work:
    lines = ctx.prep_once("letters", baselines.pdf_lines, ctx.shared / "letters.pdf")
    baselines.preload(*_DOCS)
    return lambda: baselines.draw_lines(ctx.work / "letters.pdf", lines)


def ours_letters(ctx: Ctx) -> Work:
    return _letters(ctx, ctx.sizes.letters)


def base_letters(ctx: Ctx) -> Work:
    return _raw_letters(ctx)


def ours_letters_fifth(ctx: Ctx) -> Work:
    return _letters(ctx, max(1, ctx.sizes.letters // 5))


def base_letters_fifth(ctx: Ctx) -> Work:
    return _raw_letters(ctx)


# -- the notice ------------------------------------------------------------------------------

def ours_notice(ctx: Ctx) -> Work:
    """What the export page's 导出公示名单 PDF 和 Excel runs in the worker's child process: both files
    from one reading of the database (as the baseline's one SELECT feeds both), the workbook after
    the PDF (that process starts no child of its own; ``cli_notice`` measures the command, whose
    workbook is written by a child beside the PDF)."""
    from db.exports import export_notices
    db = _open(ctx)

    def work() -> None:
        export_notices(db, [ctx.shared / "notice.pdf", ctx.shared / "notice.xlsx"], actor=ACTOR,
                       workbook_child=False)
    return work


def base_notice(ctx: Ctx) -> Work:
    lines = ctx.prep_once("notice-pdf", baselines.pdf_lines, ctx.shared / "notice.pdf")
    sheets = ctx.prep_once("notice-xlsx", baselines.read_sheets, ctx.shared / "notice.xlsx")
    sql, db = ctx.prep(_export_queries), ctx.copy("county.sqlite")
    baselines.preload(*_DOCS)

    def work() -> None:            # two files, no package: nothing hashed or zipped
        baselines.select_all(db, sql)
        baselines.draw_lines(ctx.work / "notice.pdf", lines)
        baselines.write_cells(ctx.work / "notice.xlsx", sheets)
    return work


def argv_notice(ctx: Ctx) -> list[list[str]]:
    db = str(ctx.copy("county.sqlite"))
    # one command writes both files (one gather), as the baseline's one process writes both
    return [["--db", db, "notice", str(ctx.shared / "notice.pdf"), str(ctx.shared / "notice.xlsx")]]


# -- verify ----------------------------------------------------------------------------------

def ours_verify(ctx: Ctx) -> Work:
    from core.package import verify_package
    from db.keys import read_own_signer
    signer = read_own_signer(ctx.data / "county.sqlite")

    def work() -> None:
        if not verify_package(ctx.data / "package.zip", [signer]).ok:
            raise AssertionError("the county's package does not verify")
    return work


def base_verify(ctx: Ctx) -> Work:
    return lambda: baselines.read_and_hash_zips([ctx.data / "package.zip"])


def argv_verify(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(ctx.copy("county.sqlite")), "verify", str(ctx.data / "package.zip")]]


# -- consolidation ---------------------------------------------------------------------------

def _zips(ctx: Ctx) -> list[Path]:
    return sorted((ctx.data / "schools").rglob("*.zip"))


def ours_consolidate(ctx: Ctx) -> Work:
    from db.receiving import intake
    db = ctx.opened("receiver.sqlite")
    zips = _zips(ctx)

    def work() -> None:
        report = intake(db, zips, actor=ACTOR)
        if report.count("accepted") != len(zips):
            raise AssertionError(f"{report.count('accepted')} of {len(zips)} packages accepted: "
                                 + "; ".join(o.reason for o in report.outcomes if o.reason)[:500])
    return work


def base_consolidate(ctx: Ctx) -> Work:
    zips = _zips(ctx)
    return lambda: baselines.read_and_hash_zips(zips)


def argv_consolidate(ctx: Ctx) -> list[list[str]]:
    return [["--db", str(ctx.copy("receiver.sqlite")), "consolidate", "add", str(ctx.data / "schools")]]
