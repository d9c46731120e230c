"""`make bench` at toy size (the smoke test of the benchmark suite itself): every case runs,
results.json has the documented shape and every case produced numbers."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.cases import CASES
from benchmarks.report import BEGIN, END, update_docs

ROOT = Path(__file__).resolve().parent.parent
# The generated toy data is kept between test runs (keyed by the generator's sources and sizes).
CACHE = Path(tempfile.gettempdir()) / "zizhu-bench-cache"


def _number(v):
    return isinstance(v, int | float) and not isinstance(v, bool) and v > 0


def test_bench_toy_runs_every_case(tmp_path):
    out = tmp_path / "results.json"
    # --only "*": the cross-check too, which make bench leaves to make bench-crosscheck
    proc = subprocess.run([sys.executable, "benchmarks/run.py", "--size", "toy", "--repeat", "1", "--short-repeat", "1", "--in-process",
                           "--only", "*", "--cache", str(CACHE), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=280)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    meta = results["meta"]
    assert meta["size"] == "toy" and meta["data"]["students"] == 300 and meta["data"]["packages"] == 3
    assert meta["machine"]["cpus"] and meta["date"] and not meta["failed"]
    assert list(results["cases"]) == [c.name for c in CASES]
    for case in CASES:
        r = results["cases"][case.name]
        assert {"ours_s", "baseline_s", "ratio", "target", "peak_mb"} <= set(r), case.name
        assert r["met"] in (True, False, None), case.name
        assert _number(r["target"]), case.name
        if case.unit == "MB":
            assert _number(r["peak_mb"]), case.name
        elif case.unit:                                    # absolute GUI time
            assert _number(r["ours_s"]) and r["target_kind"] == "absolute", case.name
        else:
            assert _number(r["ours_s"]), case.name
            if case.name == "crosscheck" and r["baseline_s"] is None:
                # no LibreOffice here, or one that failed within the smoke run's limit: said in the note
                assert r["note"].startswith(("LibreOffice (soffice) is not installed", "LibreOffice failed")), r["note"]
                continue
            assert _number(r["baseline_s"]) and _number(r["ratio"]), case.name
            assert abs(r["ratio"] - r["ours_s"] / r["baseline_s"]) < 1e-9
    for case in CASES:
        r = results["cases"][case.name]
        if case.whole:                                     # a real `python main.py …`: its own memory and CPU
            assert _number(r["peak_mb"]) and _number(r["cpu_s"]) and _number(r["cpu_ratio"]), case.name
        if not case.unit:                                  # what the case cost the run (the time budget)
            assert _number(r["wall_s"]) and r["cpu_s"] >= 0, case.name
    assert _number(meta["gui_budget"]["wall_s"]) and _number(meta["gui_budget"]["cpu_s"])
    assert meta["whole_repeat"] == 1 and meta["lo_limit"] == 20 and meta["short_repeat"] == 1
    assert "gui_start_rows" in proc.stdout and "ratio" in proc.stdout      # the table was printed
    assert "Time budget: whole run" in proc.stdout and "GUI probe (all gui_* cases)" in proc.stdout


def test_docs_table_replaced_and_other_sections_kept(tmp_path):
    docs = tmp_path / "BENCHMARKS.md"
    docs.write_text(f"# Benchmarks\n\n{BEGIN}\nold table\n{END}\n\n## The bundle: size and start time\n\nkept\n",
                    encoding="utf-8")
    meta = {"date": "2026-12-01T10:00:00", "machine": {"summary": "2 cores"}, "load_before": "0.1",
            "load_after": "0.2", "size": "toy", "repeat": 3, "total_s": 60.0, "data_cached": True,
            "data_build_s": 10.0, "data": {"students": 300, "roster": 1107, "packages": 3}}
    case = {"ours_s": 2.0, "min": 1.9, "max": 2.5, "baseline_s": 1.0, "ratio": 2.0, "target": 1.5,
            "target_kind": "ratio", "met": False, "peak_mb": 120.0}
    update_docs({"meta": meta, "cases": {"import_students": case}}, docs)
    text = docs.read_text(encoding="utf-8")
    assert "old table" not in text and "## The bundle: size and start time\n\nkept" in text
    assert "| import_students | 2.00 s | 1.90 s | 2.50 s | 1.00 s | 2.00 | — | ≤ 1.50 | **no** | 120 |" in text


def test_the_runner_builds_whole_command_lines_without_the_program(tmp_path):
    """A child's peak memory (ru_maxrss) starts from the runner's size at the fork: building the command
    lines of every whole case must leave the program, SQLAlchemy and alembic out of the runner."""
    script = f"""
import json, sys
from pathlib import Path
from benchmarks.cases import CASES, Ctx
from benchmarks.data import SIZES, ensure_data
from benchmarks.measure import Runner
folder = ensure_data(SIZES["toy"], Path({str(CACHE)!r}))
runner = Runner(folder, Path({str(tmp_path)!r}))
for case in CASES:
    if case.whole:                                      # the lines only: nothing is run
        work, shared = runner._folders(case, "ours")
        from benchmarks import sides_data, sides_docs
        base = case.name.removeprefix("cli_").replace("compute_json", "compute")
        argv_of = getattr(sides_data, f"argv_{{base}}", None) or getattr(sides_docs, f"argv_{{base}}")
        assert argv_of(Ctx.load(folder, work, shared)), case.name
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("db", "core", "gui", "cli", "sqlalchemy",
                                                                        "alembic", "PySide6"))))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
