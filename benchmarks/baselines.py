"""The raw libraries doing the unavoidable part of a case's work: the baselines.

Each function is what a programmer who only had to get the same bytes out would write:
python-calamine reading a sheet, sqlite3 ``executemany``/``SELECT``, openpyxl ``write_only``
without any style, reportlab drawing strings straight on a canvas with the program's font,
hashlib and zipfile. The inputs (cells, strings) are taken from the program's own output
of the same run, outside the timed part, so both sides produce the same content.
"""
from __future__ import annotations

import hashlib
import sqlite3
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

Cells = list[list[Any]]
Lines = list[list[str]]          # the text lines of every page


# -- reading inputs (outside the timed part) -------------------------------------------------

def read_sheets(source: Path | bytes) -> dict[str, Cells]:
    """Every sheet's cell values (python-calamine)."""
    import io

    from python_calamine import CalamineWorkbook
    wb = (CalamineWorkbook.from_filelike(io.BytesIO(source)) if isinstance(source, bytes)
          else CalamineWorkbook.from_path(str(source)))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def pdf_lines(source: Path | bytes) -> Lines:
    """The text of every page of a PDF, line by line (pypdfium2)."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
    try:
        return [doc[i].get_textpage().get_text_range().splitlines() for i in range(len(doc))]
    finally:
        doc.close()


def package_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


# -- the timed raw work ----------------------------------------------------------------------

def calamine_rows(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook
    return list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())


def sqlite_insert(db_path: Path, rows: Sequence[Sequence[Any]], width: int, key: int) -> None:
    """sqlite3 ``executemany`` of ``rows`` (cut or padded to ``width`` text columns) into a new
    table with an index on the ID column (``key``), as the program keeps it; WAL, one transaction."""
    con = sqlite3.connect(db_path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        cols = ", ".join(f"c{i}" for i in range(width))
        con.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {cols})")
        con.execute(f"CREATE INDEX ix_t ON t(c{key})")
        marks = ", ".join("?" * width)
        pad = [""] * width
        con.executemany(f"INSERT INTO t ({cols}) VALUES ({marks})",
                        ([*("" if v is None else str(v) for v in r[:width]), *pad][:width] for r in rows))
        con.commit()
    finally:
        con.close()


def select_all(db_path: Path, queries: Iterable[str]) -> int:
    con = sqlite3.connect(db_path)
    try:
        return sum(len(con.execute(q).fetchall()) for q in queries)
    finally:
        con.close()


def dump_json(value: Any) -> bytes:
    """A JSON member written from its data (compact, as the program writes its data member)."""
    import json
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def write_cells(path: Path, sheets: dict[str, Cells]) -> None:
    """openpyxl ``write_only``: the same cell values, no style."""
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name[:31])
        for row in rows:
            ws.append(row)
    wb.save(path)


def draw_lines(path: Path, pages: Lines, size: float = 10.5) -> None:
    """reportlab: every page's lines drawn as strings on an A4 canvas with the program's font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    from core.resources import FONT_FILE
    if "BenchHei" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("BenchHei", str(FONT_FILE), subfontIndex=0))
    c = Canvas(str(path), pagesize=A4)
    _w, h = A4
    for lines in pages:
        c.setFont("BenchHei", size)
        y = h - 50
        for line in lines:
            c.drawString(40, y, line)
            y -= size * 1.4
        c.showPage()
    c.save()


def hash_and_zip(target: Path, files: dict[str, Path | bytes]) -> str:
    """SHA-256 of every file and a deflated zip of them: a package's unavoidable bookkeeping."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.read_bytes()
            digest.update(hashlib.sha256(data).digest())
            zf.writestr(name, data)
    return digest.hexdigest()


def sha256_files(paths: Iterable[Path]) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def read_and_hash_zips(paths: Iterable[Path]) -> int:
    """Read every zip, decompress every member and hash it: what checking a package must do."""
    n = 0
    for p in paths:
        data = p.read_bytes()
        hashlib.sha256(data).hexdigest()
        with zipfile.ZipFile(p) as zf:
            for name in zf.namelist():
                hashlib.sha256(zf.read(name)).hexdigest()
                n += 1
    return n


def preload(*modules: str) -> None:
    """Import the raw libraries before the clock starts (the program's side is imported too)."""
    import importlib
    for name in modules:
        importlib.import_module(name)
