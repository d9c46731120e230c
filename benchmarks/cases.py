"""The benchmark cases: what each measures, its baseline and its target.

A case has two sides, ``ours`` and ``baseline``: a function of a ``Ctx`` that does the set-up
(outside the timed part) and returns the work to time. Sides run in a fresh process each
(``benchmarks.worker``), so every run starts cold and its peak resident memory is its own.

``Case.whole`` cases time whole processes from the outside: ``ours`` is the real command line
(``python main.py …``, start-up included) and the baseline the worker process doing the raw
work (start-up included, its set-up time subtracted). The two long paths, the roster's import
and the package's export, are measured only so (their start-up is a few per cent of them; a library
case of the same work beside it doubled the suite's longest minutes). The short commands have both: the
library case isolates the work, the ``cli_`` case adds what a clerk waits for at the start.
``Case.separate`` cases (the cross-check: LibreOffice takes minutes) have their own make target;
``make bench`` takes their latest result from that target's file. GUI cases have an absolute target
(``unit``) and no baseline; ``benchmarks.gui_probe`` measures them all in one window.
"""
from __future__ import annotations

import gc
import json
import pickle
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.data import Sizes

Work = Callable[[], object]


def cpu_seconds() -> float:
    """User + system seconds of this process, its threads and its finished children (LibreOffice)."""
    import resource
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))
Side = Callable[["Ctx"], Work]


@dataclass
class Ctx:
    data: Path                  # the data folder (never written)
    work: Path                  # this run's own empty folder
    shared: Path                # the case's folder, kept between its runs: ours' output for the baseline
    meta: dict[str, Any] = field(default_factory=dict)
    prep_s: float = 0.0         # time spent reading the baseline's inputs (subtracted from a whole run)
    prep_cpu_s: float = 0.0     # its CPU seconds

    @property
    def sizes(self) -> Sizes:
        return Sizes(**self.meta["sizes"])

    def copy(self, name: str) -> Path:
        """A private copy of a data file (a database is written by the program)."""
        target = self.work / Path(name).name
        self.prep(shutil.copyfile, self.data / name, target)
        return target

    def opened(self, name: str) -> Any:
        """A private copy of a database, opened as the window holds it open: its engine made, so
        SQLAlchemy is loaded (the program loads it at first use since session 7; a library case
        measures the work, as F9 in the open window does it; the whole commands count the import)."""
        from db.session import open_database
        db = open_database(self.copy(name))
        _ = db.engine                     # made now, as the open window has it
        return db

    def prep(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Read an input of the work (e.g. ours' output, for the baseline); timed apart."""
        t0, cpu = time.perf_counter(), cpu_seconds()
        try:
            return fn(*args)
        finally:
            self.prep_s += time.perf_counter() - t0
            self.prep_cpu_s += cpu_seconds() - cpu

    def prep_once(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``prep`` of an input read from ours' output, once per case: ours writes the same content in
        every run (the same database and code; only timestamps and the signature differ), so the
        baseline's later runs load what the first one read, kept in the shared folder."""
        kept = self.shared / f"{name}.pickle"

        def read() -> Any:
            if kept.exists():
                gc.disable()              # a million small objects: no collection passes while loading
                try:
                    return pickle.loads(kept.read_bytes())
                finally:
                    gc.enable()
            value = fn(*args)
            kept.write_bytes(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
            return value
        return self.prep(read)

    @classmethod
    def load(cls, data: Path, work: Path, shared: Path) -> Ctx:
        meta = json.loads((data / "meta.json").read_text(encoding="utf-8"))
        return cls(data, work, shared, meta)


@dataclass(frozen=True)
class Case:
    name: str
    what: str                   # what ours does (English, for the table and the docs)
    baseline: str               # what the baseline does
    target: float               # ratio (ours / baseline), or the absolute limit in ``unit``
    unit: str = ""              # "" = a ratio target; "s", "ms", "MB" = an absolute one (GUI)
    whole: bool = False         # timed as whole processes from the outside
    once: bool = False          # the baseline runs once (LibreOffice: minutes)
    separate: bool = False      # not in the default run: its own make target measures it (results merged)

    @property
    def absolute(self) -> bool:
        return bool(self.unit)


def _c(*a: Any, **kw: Any) -> Case:
    return Case(*a, **kw)


CASES: tuple[Case, ...] = (
    _c("import_students", "run_import of the student .xlsx into a new school database",
       "python-calamine reading the file + sqlite3 executemany of the same rows", 1.5),
    _c("import_roster", "`python main.py import roster FILE` (run_import of the roster .xlsx), start-up included",
       "python-calamine reading that file + sqlite3 executemany of the same rows, in a fresh process", 1.5,
       whole=True),
    _c("crosscheck", "both imports into a new database + the first check (findings stored)",
       "LibreOffice headless recalculating a VLOOKUP column over the same two lists (run once)",
       1 / 50, once=True, separate=True),
    _c("compute", "compute every student (db.compute.compute_school)",
       "a plain SELECT of the columns the engine reads (core.fields.ENGINE_FIELDS)", 3),
    _c("check", "the check run with its findings reconciled and stored (F9 / check)",
       "a plain SELECT of the student and roster columns the checks read (db.findings.build_context)", 3),
    _c("export", "`python main.py export PKG.zip --draft`: the draft package (workbook, report, notice, "
       "data.json, signed zip), start-up included",
       "a plain SELECT of the exported columns and the findings + openpyxl write_only of the same cells + "
       "reportlab drawing the PDFs' strings + data.json serialised + hashlib/zip, in a fresh process", 1.5,
       whole=True),
    _c("letters", "letters (gather + write_letters)",
       "reportlab drawing the same strings with the same font on a canvas", 2),
    _c("letters_fifth", "a fifth as many letters (memory must stay flat in the count)",
       "the same, for those letters", 2),
    _c("notice", "the public notice as PDF and as .xlsx (export_notices, the export page's button for both)",
       "the package's baseline for these two files (the SELECT, the cells, the PDF's strings; no zip)", 1.5),
    _c("verify", "verify the county's draft package (core.package.verify_package)",
       "hashlib SHA-256 of the same bytes (the zip and every member, decompressed)", 1.2),
    _c("consolidate", "consolidate add of every school package into the receiving database",
       "reading and hashing the same zips (every member decompressed)", 3),
    _c("cli_import_students", "`python main.py import students FILE`, start-up included",
       "the raw import in a fresh python process", 1.5, whole=True),
    _c("cli_compute_json", "`python main.py compute --json`", "the plain SELECT in a fresh process", 3,
       whole=True),
    _c("cli_check", "`python main.py check`", "the plain SELECT in a fresh process", 3, whole=True),
    _c("cli_notice", "`python main.py notice OUT.pdf OUT.xlsx` (both files, one run)",
       "the notice baseline in a fresh process", 1.5, whole=True),
    _c("cli_verify", "`python main.py verify PKG.zip`", "hashing the same bytes in a fresh process", 1.2,
       whole=True),
    _c("cli_consolidate", "`python main.py consolidate add FOLDER`", "reading and hashing in a fresh process", 3,
       whole=True),
    _c("gui_start_rows", "GUI: process start to student rows shown", "absolute", 1.5, unit="s"),
    _c("gui_page_shown", "GUI: slowest page, chosen to shown (every page)", "absolute", 1.0, unit="s"),
    _c("gui_search", "GUI: slowest keystroke to filtered view, any search box, clearing included",
       "absolute", 100, unit="ms"),
    _c("gui_stall", "GUI: longest event-loop stall (start, pages, an import, an export)", "absolute", 100,
       unit="ms"),
    _c("gui_memory", "GUI: resident memory with the database open, every page shown", "absolute", 400,
       unit="MB"),
)
BY_NAME = {c.name: c for c in CASES}
GUI_CASES = tuple(c.name for c in CASES if c.name.startswith("gui_"))


def sides(name: str) -> dict[str, Side]:
    """The case's ``ours`` and ``baseline`` sides (imported lazily: each module imports the
    program only when a side runs)."""
    from benchmarks import sides_data, sides_docs
    base = name.removeprefix("cli_").replace("compute_json", "compute")
    for module in (sides_data, sides_docs):
        ours, baseline = getattr(module, f"ours_{base}", None), getattr(module, f"base_{base}", None)
        if ours is not None and baseline is not None:
            return {"ours": ours, "baseline": baseline}
    raise KeyError(name)
