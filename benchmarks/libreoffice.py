"""The clerk's status quo as the cross-check's baseline: LibreOffice recalculating a VLOOKUP.

The students' IDs and names and the roster's IDs and names go into one workbook; a third
column of the student sheet looks every ID up in the roster (``VLOOKUP(…, FALSE)``, exact
match, as a clerk writes it). ``soffice --headless --convert-to csv`` loads the workbook in a
private profile told to recalculate on load, and writes the looked-up column out. The profile
also turns LibreOffice's threaded formula-group calculation off: LibreOffice 7.4 crashes in it on
the county's VLOOKUP column (SIGSEGV in ``ScFormulaCell::InterpretTail`` on a calculation thread,
exit 134, after about 130 s of CPU), so its single-threaded calculation is the one that gives
the clerk an answer, as ours is single-threaded. Set-up
(writing the workbook) is outside the timed part; LibreOffice's start is inside, as it is for
the clerk. The run is stopped at ``BENCH_TIMEOUT`` seconds, if set: the target is then proven
met (or not) from the lower bound, without waiting minutes more.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from benchmarks.cases import Ctx, Work

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Calculation">
<prop oor:name="UseThreadedCalculationForFormulaGroups" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


class Timeout(Exception):
    """LibreOffice was stopped at the time limit; ``seconds`` is a lower bound of its time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"stopped after {seconds:.0f} s")
        self.seconds = seconds


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def write_vlookup_workbook(path: Path, students: list[list[object]], roster: list[list[object]]) -> int:
    """Sheet 学生 (ID, name, the VLOOKUP of the roster's name), sheet 名单 (ID, name); the cells as
    openpyxl ``write_only`` writes them (``benchmarks.xlsx_fast``)."""
    from benchmarks.xlsx_fast import write_sheets
    last = len(roster) + 1
    lookups = [[number, name, f"=VLOOKUP(A{i},名单!$A$2:$B${last},2,FALSE)"]
               for i, (number, name) in enumerate(students, start=2)]
    write_sheets(path, {"学生": [["身份证号", "姓名", "名单中的姓名"], *lookups],
                        "名单": [["证件号码", "姓名"], *roster]})
    return len(students)


def _pairs(path: Path, id_header: str, name_header: str) -> list[list[object]]:
    from benchmarks.baselines import calamine_rows
    rows = calamine_rows(path)
    header = [str(h) for h in rows[1]]
    i, n = header.index(id_header), header.index(name_header)
    return [[r[i], r[n]] for r in rows[2:]]


def vlookup_work(ctx: Ctx) -> Work:
    exe = soffice()
    if exe is None:
        raise RuntimeError("soffice is not installed")
    book = ctx.work / "vlookup.xlsx"
    n = ctx.prep(write_vlookup_workbook, book, _pairs(ctx.data / "students.xlsx", "身份证号", "姓名"),
                 _pairs(ctx.data / "roster.xlsx", "证件号码", "姓名"))
    profile = ctx.work / "lo-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
    out = ctx.work / "out"
    limit = float(os.environ.get("BENCH_TIMEOUT") or 0) or None

    def work() -> None:
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "csv", "--outdir", str(out), str(book)]
        t0 = time.perf_counter()
        # Its own process group: stopping it at the limit stops soffice.bin too, not only the
        # launcher (an orphaned soffice.bin would calculate on, taking a core from the next cases).
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise Timeout(limit or 0) from exc
        if proc.returncode != 0:                            # e.g. 134: LibreOffice aborted
            said = " | ".join(line.strip() for line in err.decode(errors="replace").splitlines() if line.strip())
            raise RuntimeError(f"LibreOffice stopped with exit {proc.returncode} after {time.perf_counter() - t0:.0f}"
                               f" s without a result: {said[-500:] or 'no message'}")
        lines = (out / "vlookup.csv").read_text(encoding="utf-8", errors="replace").splitlines()
        found = sum(1 for line in lines[1:] if line.rstrip().split(",")[-1] not in ("", "#N/A"))
        if len(lines) - 1 != n or not found:
            raise AssertionError(f"LibreOffice gave {len(lines) - 1} rows, {found} looked up, of {n}")
    return work
