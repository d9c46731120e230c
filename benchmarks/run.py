"""`make bench`: Zizhu's heavy paths against the raw libraries doing the same unavoidable work.

    python benchmarks/run.py [--size toy|county] [--only CASE …] [--repeat N]

Generates (or reuses from the cache) the synthetic county, runs every case's two sides
``--repeat`` times each (alternately, each run a fresh process), runs the instrumented GUI as
often, prints the table and writes ``benchmarks/results.json``:
``{"meta": {…}, "cases": {NAME: {"ours_s", "baseline_s", "ratio", "target", "peak_mb", …}}}``.
``python -m benchmarks.report --docs`` puts that table into docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import gui_results
from benchmarks.cases import BY_NAME, CASES, GUI_CASES, Case
from benchmarks.data import DEFAULT_CACHE, ROOT, SIZES, data_folder, ensure_data, load_meta
from benchmarks.measure import RunFailed, Runner, Side, run_process
from benchmarks.report import budget_lines, row, table_lines

LETTERS_GROWTH = 1.25     # "memory flat in the count": 5× the letters, at most 25 % more peak memory
# LibreOffice's VLOOKUP takes minutes at county size: a run of the cross-check that is not
# make bench-crosscheck's stops it here (a lower bound)
LO_LIMIT = 20.0
# The separate cases' own results (make bench-crosscheck), which make bench takes into its table
SEPARATE_RESULTS = {"crosscheck": ROOT / "benchmarks" / "crosscheck.json"}
# A case whose pairs of runs take a second or less (verify, consolidate and their commands) runs up to
# this many pairs while it has taken under SHORT_BUDGET seconds: at that size one busy moment of the
# machine moves a median of three by a tenth; seven cost a few seconds in all.
SHORT_REPEAT = 7
SHORT_BUDGET = 5.0


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    mem = ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        cpu = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), cpu)
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    summary = f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, " \
              f"Python {platform.python_version()}"
    return {"summary": summary, "cpus": os.cpu_count(), "cpu": cpu, "platform": platform.platform(),
            "python": platform.python_version()}


def load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _stats(side: Side) -> dict[str, Any]:
    return {"median": side.median, "min": min(side.times), "max": max(side.times), "runs": side.times}


def ratio_result(case: Case, ours: Side, base: Side | None, note: str = "") -> dict[str, Any]:
    o = _stats(ours)
    out: dict[str, Any] = {"what": case.what, "baseline_what": case.baseline, "target": case.target,
                           "target_kind": "ratio", "ours_s": o["median"], "min": o["min"], "max": o["max"],
                           "ours_runs": o["runs"], "ours_cpu_s": ours.cpu_median, "peak_mb": ours.peak_mb,
                           "baseline_s": None, "ratio": None,
                           "met": None, "note": note}
    if base is not None and base.runs:
        b = _stats(base)
        ratio = o["median"] / b["median"] if b["median"] > 0 else None
        out.update(baseline_s=b["median"], baseline_runs=b["runs"], baseline_peak_mb=base.peak_mb, ratio=ratio,
                   baseline_lower_bound=base.lower_bound)
        bc = base.cpu_median
        if out["ours_cpu_s"] is not None and bc and not base.lower_bound:
            out.update(baseline_cpu_s=bc, cpu_ratio=out["ours_cpu_s"] / bc)
        if ratio is not None and ratio <= case.target:
            out["met"] = True
        elif ratio is not None:      # a stopped baseline gives an upper bound of the ratio: undecided
            out["met"] = None if base.lower_bound else False
    return out


class Bench:
    def __init__(self, args: argparse.Namespace, data: Path, work: Path) -> None:
        self.args, self.data = args, data
        self.runner = Runner(data, work, in_process=args.in_process)
        self.work = work
        self.results: dict[str, Any] = {}
        self.gui_budget: dict[str, float] = {}

    def say(self, text: str) -> None:
        print(text, flush=True)

    def run_case(self, case: Case) -> None:
        asked = self.args.whole_repeat if case.whole else self.args.repeat
        # (a whole command's --whole-repeat given on the command line is its most; else a short case runs
        # again up to --short-repeat pairs while it has taken under --short-budget seconds)
        most = asked if case.whole and self.args.whole_repeat_given else max(asked, self.args.short_repeat)
        ours, base = Side(), Side()
        note = ""
        with_baseline = True
        if case.name == "crosscheck":
            from benchmarks.libreoffice import soffice
            if soffice() is None:
                with_baseline, note = False, "LibreOffice (soffice) is not installed here: baseline skipped"
        t0 = time.perf_counter()
        for i in range(most):
            ours.runs.append(self.runner.run(case, "ours"))
            if with_baseline and not case.once:
                base.runs.append(self.runner.run(case, "baseline"))
            # (decided by the time the case has taken, never by its figures)
            if i + 1 >= asked and time.perf_counter() - t0 >= self.args.short_budget:
                break
        if case.whole and len(ours.runs) < self.args.repeat:
            note = f"{len(ours.runs)} run(s) of each side (--whole-repeat)"
        elif len(ours.runs) > asked:
            which = "each side" if with_baseline and not case.once else "ours"
            note = "; ".join(filter(None, (note, (
                f"{len(ours.runs)} runs of {which} (a case runs again, up to {self.args.short_repeat} times, "
                f"while it has taken under {self.args.short_budget:g} s: --short-repeat, --short-budget)"))))
        if with_baseline and case.once:
            # Stopped once the target is decided: LibreOffice slower than ours / target = met.
            decided = ours.median / case.target * 1.02
            limit = min(decided, self.args.lo_limit)
            try:
                run = self.runner.run(case, "baseline", timeout=limit)
            except RunFailed as exc:         # LibreOffice gave no result: ours is kept, the ratio is unknown
                note = f"LibreOffice failed, no baseline: {str(exc).strip().splitlines()[-1][:600]}"
            else:
                base.runs.append(run)
                note = "LibreOffice run once (minutes per run)"
                if run.lower_bound and limit < decided:
                    note += (f", stopped at --lo-limit {limit:.0f} s before the target was decided "
                             f"(it needs {decided:.0f} s: `make bench-crosscheck` decides it)")
                elif run.lower_bound:
                    note += f", stopped at {limit:.0f} s: slower than ours / target, the target is met"
        result = ratio_result(case, ours, base if with_baseline else None, note)
        result.update(budget(time.perf_counter() - t0, [*ours.runs, *base.runs]))
        self.results[case.name] = result
        self.say(_line(row(case.name, result)) + f"  [{result['wall_s']:.0f} s]")

    def run_gui(self, names: list[str]) -> None:
        runs: list[dict[str, Any]] = []
        peaks: list[float] = []
        t0, cpu = time.perf_counter(), 0.0
        for i in range(self.args.repeat):
            work = Path(tempfile.mkdtemp(prefix="gui-", dir=self.work))
            once = [] if i == 0 else ["--without-import-export"]      # see benchmarks.gui_results
            proc = run_process([sys.executable, "-m", "benchmarks.gui_probe", str(self.data), str(work),
                                repr(time.time()), *once], env={"QT_QPA_PLATFORM": "offscreen"})
            if proc.rc != 0:
                raise RunFailed(f"gui probe: exit {proc.rc}\n{proc.err[-3000:]}")
            runs.append(json.loads(proc.out.strip().splitlines()[-1]))
            peaks.append(proc.peak_mb or 0.0)
            cpu += proc.cpu or 0.0
        self.gui_budget = {"wall_s": time.perf_counter() - t0, "cpu_s": cpu}
        values_of = gui_results.metrics(runs)
        for name in names:
            case, values = BY_NAME[name], values_of[name]
            med = statistics.median(values)
            res: dict[str, Any] = {"what": case.what, "target_kind": "absolute", "unit": case.unit,
                                   "ours_s": None if case.unit == "MB" else med, "min": min(values),
                                   "max": max(values), "ours_runs": values, "baseline_s": None, "ratio": None,
                                   "peak_mb": med if case.unit == "MB" else max(peaks),
                                   "target": case.target / 1000 if case.unit == "ms" else case.target}
            res["met"] = med <= res["target"]
            res["details"] = gui_results.details(name, runs)
            if gui_results.note(name, runs):
                res["note"] = gui_results.note(name, runs)
            self.results[name] = res
            self.say(_line(row(name, res)))

    def letters_memory(self) -> None:
        big, small = self.results.get("letters"), self.results.get("letters_fifth")
        if not (big and small and big.get("peak_mb") and small.get("peak_mb")):
            return
        growth = big["peak_mb"] / small["peak_mb"]
        big["memory_growth"] = growth
        flat = growth <= LETTERS_GROWTH
        big["note"] = (f"peak memory {big['peak_mb']:.0f} MB against {small['peak_mb']:.0f} MB for a fifth of the "
                       f"letters (×{growth:.2f}; flat means ≤ ×{LETTERS_GROWTH})")
        if big["met"] is not None:
            big["met"] = bool(big["met"] and flat)


def separate_result(case: Case, path: Path, size: str) -> dict[str, Any]:
    """A separate case's latest result from its own make target's file (the same size only), marked as
    not measured in this run; without one, the case is listed as not run, with the way to run it."""
    target = f"make bench-{case.name}"
    try:
        theirs = json.loads(path.read_text(encoding="utf-8"))
        result, date = dict(theirs["cases"][case.name]), str(theirs["meta"]["date"])
        if theirs["meta"]["size"] != size:
            raise ValueError(theirs["meta"]["size"])
    except (OSError, ValueError, KeyError, TypeError) as exc:      # (TypeError: not the results' shape)
        why = f"its file is of size {exc}" if isinstance(exc, ValueError) and str(exc) in SIZES else \
            f"no result in {path.name}"
        return {"what": case.what, "baseline_what": case.baseline, "target": case.target, "target_kind": "ratio",
                "ours_s": None, "min": None, "max": None, "baseline_s": None, "ratio": None, "peak_mb": None,
                "met": None, "skipped": True,
                "note": f"not run by make bench (minutes of LibreOffice): `{target}` measures it; {why}"}
    for key in ("wall_s", "cpu_s"):          # that run's cost, not this one's
        result.pop(key, None)
    result["separate_run"] = date
    result["note"] = (f"from `{target}` ({date}, not this run: LibreOffice takes minutes). "
                      + result.get("note", "")).rstrip()
    return result


def add_separate(results: dict[str, Any], only: list[str] | None, size: str,
                 files: dict[str, Path] = SEPARATE_RESULTS) -> None:
    """A run of every case (no ``--only``) shows the separate cases from their own files."""
    if not only:
        for case in CASES:
            if case.separate:
                results[case.name] = separate_result(case, files[case.name], size)


def budget(wall: float, runs: list[Any]) -> dict[str, float]:
    """What a case cost the suite: its wall seconds (set-up, process starts and all runs of both
    sides) and the CPU seconds of its processes (about the wall time on a quiet machine)."""
    return {"wall_s": round(wall, 2), "cpu_s": round(sum(r.cpu_s or 0.0 for r in runs), 2)}


def _line(cells: tuple[str, ...]) -> str:
    """A progress line, as wide as the usual table's columns."""
    widths = (20, 10, 10, 10, 10, 8, 8, 22, 7, 7)
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def select(patterns: list[str] | None) -> list[Case]:
    if not patterns:
        return [c for c in CASES if not c.separate]
    chosen = [c for c in CASES if any(fnmatch.fnmatch(c.name, p) for p in patterns)]
    unknown = [p for p in patterns if not any(fnmatch.fnmatch(c.name, p) for c in CASES)]
    if unknown:
        raise SystemExit(f"unknown case(s): {', '.join(unknown)}; the cases: {', '.join(c.name for c in CASES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Zizhu's benchmarks against the raw libraries", allow_abbrev=False)
    ap.add_argument("--size", choices=sorted(SIZES), default="county")
    ap.add_argument("--only", nargs="+", metavar="CASE", help="cases to run (names or patterns, e.g. 'gui_*')")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="the generated data's cache folder")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    ap.add_argument("--whole-repeat", type=int, default=None,
                    help="runs of each side of a whole-command case (cli_*, import_roster, export) at most "
                         "(default: --repeat)")
    ap.add_argument("--short-repeat", type=int, default=SHORT_REPEAT,
                    help=f"runs of each side at most of a case that has taken under --short-budget seconds after "
                         f"its --repeat runs (default {SHORT_REPEAT}: a sub-second case's median from more runs)")
    ap.add_argument("--short-budget", type=float, default=SHORT_BUDGET,
                    help=f"see --short-repeat (default {SHORT_BUDGET:g} s)")
    ap.add_argument("--lo-limit", type=float, default=LO_LIMIT,
                    help=f"stop LibreOffice after this many seconds at most (default {LO_LIMIT:.0f}; "
                         "deciding the 1/50 target needs 50 × ours)")
    ap.add_argument("--in-process", action="store_true",
                    help="run the library cases inside this process (quick smoke test: no per-run memory, "
                         "warm caches; not for figures)")
    args = ap.parse_args(argv)
    args.whole_repeat_given = args.whole_repeat is not None
    if args.whole_repeat is None:
        args.whole_repeat = args.repeat
    cases = select(args.only)
    started, t0 = datetime.now(), time.perf_counter()
    load_before = load()
    cached = (data_folder(SIZES[args.size], args.cache) / "meta.json").exists()
    folder = ensure_data(SIZES[args.size], args.cache)
    data_s = time.perf_counter() - t0
    meta = load_meta(folder)
    failed: dict[str, str] = {}

    def write(complete: bool) -> dict[str, Any]:
        """results.json, written after every case too (a stopped run keeps what it measured)."""
        results = {
            "meta": {"date": started.isoformat(timespec="seconds"), "machine": machine(), "size": args.size,
                     "sizes": meta["sizes"], "repeat": args.repeat, "in_process": args.in_process,
                     "load_before": load_before, "load_after": load(), "complete": complete,
                     "whole_repeat": args.whole_repeat, "lo_limit": args.lo_limit,
                     "short_repeat": args.short_repeat, "short_budget": args.short_budget,
                     "total_s": time.perf_counter() - t0, "data_cached": cached, "data_build_s": meta.get("build_s"),
                     "data_build_cpu_s": meta.get("build_cpu_s"), "data_s": data_s, "gui_budget": bench.gui_budget,
                     "data": {k: meta[k] for k in ("students", "roster", "packages", "spoilt", "findings")},
                     "failed": failed},
            "cases": {c.name: bench.results[c.name] for c in CASES if c.name in bench.results},
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        return results

    with tempfile.TemporaryDirectory(prefix="zizhu-bench-") as tmp:
        bench = Bench(args, folder, Path(tmp))
        print(f"data: {folder}  ({meta['students']:,} students, {meta['roster']:,} roster rows, "
              f"{meta['packages']} packages)\n")
        print(_line(("case", "ours", "min", "max", "baseline", "ratio", "CPU ratio", "target", "met", "peak MB")))
        for case in cases:
            if case.name in GUI_CASES:
                continue
            try:
                bench.run_case(case)
            except RunFailed as exc:
                failed[case.name] = str(exc)
                print(f"  {case.name}: FAILED\n{exc}", file=sys.stderr)
            write(complete=False)
        gui = [c.name for c in cases if c.name in GUI_CASES]
        if gui:
            try:
                bench.run_gui(gui)
            except RunFailed as exc:
                failed.update(dict.fromkeys(gui, str(exc)))
                print(f"  GUI: FAILED\n{exc}", file=sys.stderr)
        bench.letters_memory()
    add_separate(bench.results, args.only, args.size)
    results = write(complete=True)
    print("\n" + "\n".join(table_lines(results, markdown=False)))
    print("\n" + "\n".join(budget_lines(results)))
    print(f"\n{len(results['cases'])} cases in {results['meta']['total_s']:.0f} s; results: {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
