"""Running the sides of a case in fresh processes, and what is kept of each run.

Every run is its own process (``benchmarks.worker``, or the real ``main.py`` for a whole
command), so runs start cold and do not share caches. The peak resident memory of a run is
the process's own high-water mark, read with ``os.wait4`` when the process ends (the
kernel's ``ru_maxrss``: no sampling, no slow-down; tracemalloc would slow big cases down
severalfold and miss C allocations). ``RUSAGE_CHILDREN`` would only give the maximum over all
children so far, never one run's own.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.cases import Case, Ctx
from benchmarks.data import ROOT


@dataclass
class Proc:
    wall: float
    peak_mb: float | None
    rc: int
    out: str
    err: str
    cpu: float | None = None        # user + system seconds of the process and its waited-for children


def run_process(argv: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Proc:
    """Run ``argv``; its wall time, peak RSS (MB), exit code and output."""
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out_f, stderr=err_f, stdin=subprocess.DEVNULL, cwd=ROOT,
                             env={**os.environ, **(env or {})})
        timer = threading.Timer(timeout, p.kill) if timeout else None
        if timer:
            timer.start()
        peak: float | None = None
        cpu: float | None = None
        if hasattr(os, "wait4"):
            _pid, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)   # bytes / KiB
            cpu = usage.ru_utime + usage.ru_stime
        else:
            p.wait()
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
        out_f.seek(0)
        err_f.seek(0)
        return Proc(wall, peak, p.returncode, out_f.read().decode(errors="replace"),
                    err_f.read().decode(errors="replace"), cpu)


class RunFailed(RuntimeError):
    pass


@dataclass
class Run:
    seconds: float
    peak_mb: float | None
    lower_bound: bool = False       # stopped at a time limit: the real time is longer
    cpu_s: float | None = None      # the whole process's CPU seconds (start-up and set-up too): the budget
    work_cpu_s: float | None = None  # the timed part's CPU seconds (a whole command: all of it)


@dataclass
class Side:
    runs: list[Run] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        return [r.seconds for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def peak_mb(self) -> float | None:
        peaks = [r.peak_mb for r in self.runs if r.peak_mb is not None]
        return max(peaks) if peaks else None

    @property
    def cpu_median(self) -> float | None:
        cpu = [r.work_cpu_s for r in self.runs if r.work_cpu_s is not None]
        return statistics.median(cpu) if cpu and len(cpu) == len(self.runs) else None

    @property
    def lower_bound(self) -> bool:
        return any(r.lower_bound for r in self.runs)


class Runner:
    """Runs sides of cases on one data folder, each run in a fresh work folder."""

    def __init__(self, data: Path, work: Path, python: str = sys.executable, in_process: bool = False) -> None:
        self.data, self.work, self.python = data, work, python
        self.in_process = in_process       # the smoke test's quick mode: no fresh process, no peak memory
        self._n = 0

    def _folders(self, case: Case, side: str) -> tuple[Path, Path]:
        self._n += 1
        work = self.work / case.name / f"{side}-{self._n}"
        shared = self.work / case.name / "shared"
        work.mkdir(parents=True)
        shared.mkdir(parents=True, exist_ok=True)
        return work, shared

    def run(self, case: Case, side: str, timeout: float | None = None) -> Run:
        work, shared = self._folders(case, side)
        try:
            if case.whole and side == "ours":
                return self._command(case, Ctx.load(self.data, work, shared))
            env = {"BENCH_TIMEOUT": f"{timeout:.1f}"} if timeout else {}
            if self.in_process and not case.whole:
                from benchmarks.worker import timed
                os.environ.update(env)
                try:
                    quick = timed(case.name, side, self.data, work, shared)
                finally:
                    os.environ.pop("BENCH_TIMEOUT", None)
                return Run(quick.get("seconds", quick.get("timeout", 0.0)), None, "timeout" in quick,
                           work_cpu_s=quick.get("cpu_s"))
            proc = run_process([self.python, "-m", "benchmarks.worker", case.name, side, str(self.data), str(work),
                                str(shared)], env)
            if proc.rc != 0:
                raise RunFailed(f"{case.name} {side}: exit {proc.rc}\n{proc.err[-3000:]}")
            result: dict[str, Any] = json.loads(proc.out.strip().splitlines()[-1])
            if "timeout" in result:
                return Run(result["timeout"], proc.peak_mb, lower_bound=True, cpu_s=proc.cpu)
            seconds = proc.wall - result["prep_s"] if case.whole else result["seconds"]
            work_cpu = (proc.cpu or 0.0) - result["prep_cpu_s"] if case.whole else result["cpu_s"]
            return Run(seconds, proc.peak_mb, cpu_s=proc.cpu, work_cpu_s=work_cpu)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _command(self, case: Case, ctx: Ctx) -> Run:
        """The whole command line(s), each a fresh ``python main.py …`` timed from outside."""
        from benchmarks import sides_data, sides_docs
        base = case.name.removeprefix("cli_").replace("compute_json", "compute")
        argv_of = getattr(sides_data, f"argv_{base}", None) or getattr(sides_docs, f"argv_{base}")
        total, peak, cpu = 0.0, 0.0, 0.0
        for argv in argv_of(ctx):
            proc = run_process([self.python, str(ROOT / "main.py"), *argv])
            if proc.rc not in (0, 1):          # 1: `check` found errors (planted on purpose)
                raise RunFailed(f"{case.name}: main.py {' '.join(argv[2:])} exit {proc.rc}\n{proc.err[-3000:]}")
            total += proc.wall
            peak = max(peak, proc.peak_mb or 0.0)
            cpu += proc.cpu or 0.0
        return Run(total, peak or None, cpu_s=cpu or None, work_cpu_s=cpu or None)
