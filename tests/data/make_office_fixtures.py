"""Regenerate the import fixtures saved by a real office program (LibreOffice Calc).

    python tests/data/make_office_fixtures.py        # needs LibreOffice Calc: soffice on PATH

Not run by the test suite: the files it writes are committed in tests/data and read by
tests/test_importers.py (test_files_saved_by_libreoffice). Run it again only to change
their content (then update the test) or to refresh them with a newer LibreOffice.

A source workbook is written with openpyxl, with the cell types a clerk's list has: ID
numbers as text, one ID typed as a number (its last digits are lost), a fee computed by a
formula (=0.1*3000: Calc stores the computed value), an empty fee and a zero fee, a merged
title row. LibreOffice opens it, computes the formula, and saves it in each format
(``soffice --headless --convert-to``) as office-students.xlsx, .ods and .xls.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
STEM = "office-students"
# suffix -> LibreOffice export filter
FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "ods": "calc8", "xls": "MS Excel 97"}

TITLE = "XX县第一中学2023年学生名单"
HEADER = ["姓名", "身份证号", "学段", "实收学费", "实收住宿费", "往年已享受就学扶助"]
ROWS = [
    ["张三", "110101200805010112", "普高", 1200.5, "=0.1*3000", "否"],
    ["李四", 411521200001011234, "中职", None, 0, "是"],
    ["王五", "110101201009300228", "初中", None, None, None],
]


def source_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学生名单"
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    for cell in ws["B"][2:]:
        if isinstance(cell.value, str):
            cell.number_format = "@"        # text, as a careful clerk sets the ID column
    wb.save(path)


def main() -> int:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = work / "source" / f"{STEM}.xlsx"
        src.parent.mkdir()
        source_workbook(src)
        profile = (work / "profile").as_uri()      # a throw-away LibreOffice user profile
        for suffix, filter_name in FILTERS.items():
            out = work / suffix
            subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                            "--convert-to", f"{suffix}:{filter_name}", "--outdir", str(out), str(src)],
                           check=True, capture_output=True, timeout=300)
            shutil.copyfile(out / f"{STEM}.{suffix}", HERE / f"{STEM}.{suffix}")
            print(f"wrote {HERE / f'{STEM}.{suffix}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
