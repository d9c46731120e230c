"""The cross-check's LibreOffice baseline: a LibreOffice that gives no result is said so with its own
words, and the case keeps ours' figure with the ratio unknown (never a made-up ratio)."""
import argparse
import json
from pathlib import Path

import pytest

from benchmarks import libreoffice
from benchmarks.cases import BY_NAME, Ctx
from benchmarks.measure import Run, RunFailed
from benchmarks.report import row
from benchmarks.run import Bench, select, separate_result
from benchmarks.xlsx_fast import write_sheet


def _fake_soffice(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "soffice"
    exe.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    exe.chmod(0o755)
    return str(exe)


def test_an_aborted_libreoffice_is_an_error_with_its_message(tmp_path, monkeypatch):
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    work.mkdir()
    write_sheet(data / "students.xlsx", "学生", [["学生名单"], ["姓名", "身份证号"], ["甲", "1"]])
    write_sheet(data / "roster.xlsx", "名单", [["名单"], ["证件号码", "姓名"], ["1", "甲"]])
    monkeypatch.setattr(libreoffice, "soffice",
                        lambda: _fake_soffice(tmp_path, "echo 'terminate called' >&2\necho 'std::bad_alloc' >&2\n"
                                                        "exit 134"))
    work_fn = libreoffice.vlookup_work(Ctx(data, work, work))
    with pytest.raises(RuntimeError, match=r"exit 134 after \d+ s without a result: terminate called \| std::bad"):
        work_fn()


def test_crosscheck_keeps_ours_when_libreoffice_fails(tmp_path, monkeypatch):
    def fake_run(self, case, side, timeout=None):
        if side == "baseline":
            raise RunFailed("crosscheck baseline: exit 1\nTraceback …\nRuntimeError: LibreOffice stopped with exit 134")
        return Run(10.0, 500.0, cpu_s=11.0, work_cpu_s=10.0)

    monkeypatch.setattr("benchmarks.run.Runner.run", fake_run)
    monkeypatch.setattr(libreoffice, "soffice", lambda: "/usr/bin/soffice")
    args = argparse.Namespace(repeat=3, whole_repeat=1, lo_limit=900.0, in_process=False,
                              whole_repeat_given=False, short_repeat=7, short_budget=5.0)
    bench = Bench(args, tmp_path, tmp_path)
    bench.run_case(BY_NAME["crosscheck"])
    r = bench.results["crosscheck"]
    assert r["ours_s"] == 10.0 and r["baseline_s"] is None and r["ratio"] is None and r["met"] is None
    assert r["note"] == "LibreOffice failed, no baseline: RuntimeError: LibreOffice stopped with exit 134"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_libreoffice_stopped_at_the_limit_leaves_no_process_calculating(tmp_path, monkeypatch):
    """soffice is a launcher: stopping only it would leave soffice.bin calculating on, taking a core
    from the cases measured next."""
    import time
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    work.mkdir()
    write_sheet(data / "students.xlsx", "学生", [["学生名单"], ["姓名", "身份证号"], ["甲", "1"]])
    write_sheet(data / "roster.xlsx", "名单", [["名单"], ["证件号码", "姓名"], ["1", "甲"]])
    child = tmp_path / "child.pid"
    monkeypatch.setattr(libreoffice, "soffice", lambda: _fake_soffice(tmp_path, f"sleep 60 &\necho $! > {child}\nwait"))
    monkeypatch.setenv("BENCH_TIMEOUT", "1")
    work_fn = libreoffice.vlookup_work(Ctx(data, work, work))
    with pytest.raises(libreoffice.Timeout):
        work_fn()
    pid = int(child.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _clocked_bench(tmp_path, monkeypatch, pair_s: float, whole_repeat: int = 3, short_repeat: int = 3,
                   given: bool = False):
    """A bench whose runner takes ``pair_s`` seconds of a fake clock per pair of runs; ours and the
    baseline alternate ratios 1.4 / 1.6 / 1.4 so that stopping early would change the figure."""
    clock = [0.0]
    ratios = iter([1.4, 1.6, 1.4, 1.6, 1.2, 1.6, 1.2])
    sides: list[str] = []

    def fake_run(self, case, side, timeout=None):
        sides.append(side)
        clock[0] += pair_s / 2
        return Run(1.0 if side == "baseline" else next(ratios), 100.0, cpu_s=1.0, work_cpu_s=1.0)

    monkeypatch.setattr("benchmarks.run.Runner.run", fake_run)
    monkeypatch.setattr("benchmarks.run.time.perf_counter", lambda: clock[0])
    args = argparse.Namespace(repeat=3, whole_repeat=whole_repeat, lo_limit=20.0,
                              in_process=False, whole_repeat_given=given, short_repeat=short_repeat, short_budget=5.0)
    return Bench(args, tmp_path, tmp_path), sides


@pytest.mark.parametrize("name", ["export", "verify", "cli_verify"])
def test_a_long_case_runs_its_repeat_pairs_whatever_they_take(tmp_path, monkeypatch, name):
    """Every case, a whole command too, runs --repeat pairs (the package's export: 35 s a pair)."""
    bench, sides = _clocked_bench(tmp_path, monkeypatch, 35.0)
    bench.run_case(BY_NAME[name])
    r = bench.results[name]
    assert sides == ["ours", "baseline"] * 3 and len(r["ours_runs"]) == 3 and r["ours_s"] == 1.4
    assert r["note"] == ""


def test_a_whole_command_run_fewer_times_by_choice_says_so(tmp_path, monkeypatch):
    bench, sides = _clocked_bench(tmp_path, monkeypatch, 0.5, whole_repeat=1, short_repeat=7, given=True)
    bench.run_case(BY_NAME["cli_verify"])
    assert sides == ["ours", "baseline"] and bench.results["cli_verify"]["note"] == "1 run(s) of each side (--whole-repeat)"


@pytest.mark.parametrize(("pair_s", "pairs", "median"), [(0.5, 7, 1.4), (1.5, 4, 1.5), (1.7, 3, 1.4)])
@pytest.mark.parametrize("name", ["verify", "cli_verify"])
def test_a_short_case_runs_again_while_it_has_taken_under_the_short_budget(tmp_path, monkeypatch, name, pair_s, pairs,
                                                                            median):
    """--short-repeat 7, --short-budget 5 s: a case's --repeat runs are made whatever they take; more pairs
    follow while the case has taken under 5 s (0.5 s a pair: 7; 1.5 s: a 4th at 4.5 s; 1.7 s: none)."""
    bench, sides = _clocked_bench(tmp_path, monkeypatch, pair_s, short_repeat=7)
    bench.run_case(BY_NAME[name])
    r = bench.results[name]
    assert sides == ["ours", "baseline"] * pairs and len(r["ours_runs"]) == len(r["baseline_runs"]) == pairs
    assert r["ours_s"] == median
    assert (f"{pairs} runs of each side (a case runs again, up to 7 times" in r["note"]) == (pairs > 3)


def _crosscheck_file(path: Path, size: str) -> Path:
    path.write_text(json.dumps({"meta": {"date": "2026-12-04T15:00:00", "size": size}, "cases": {"crosscheck": {
        "ours_s": 12.0, "baseline_s": 440.0, "ratio": 12 / 440, "met": False, "target": 0.02, "wall_s": 480.0,
        "cpu_s": 470.0, "note": "LibreOffice run once (minutes per run)"}}}), encoding="utf-8")
    return path


def test_make_bench_leaves_the_crosscheck_to_its_own_target():
    assert "crosscheck" not in [c.name for c in select(None)]
    assert [c.name for c in select(["cross*"])] == ["crosscheck"]


def test_the_crosscheck_taken_from_its_file_says_so_and_costs_this_run_nothing(tmp_path):
    r = separate_result(BY_NAME["crosscheck"], _crosscheck_file(tmp_path / "c.json", "county"), "county")
    assert r["ours_s"] == 12.0 and r["baseline_s"] == 440.0 and r["met"] is False
    assert r["separate_run"] == "2026-12-04T15:00:00" and "wall_s" not in r and "cpu_s" not in r
    assert r["note"].startswith("from `make bench-crosscheck` (2026-12-04T15:00:00, not this run")
    assert r["note"].endswith("LibreOffice run once (minutes per run)")


@pytest.mark.parametrize(("size", "why"), [("toy", "its file is of size toy"), (None, "no result in c.json")])
def test_a_crosscheck_of_another_size_or_none_is_listed_as_not_run(tmp_path, size, why):
    path = _crosscheck_file(tmp_path / "c.json", size) if size else tmp_path / "c.json"
    r = separate_result(BY_NAME["crosscheck"], path, "county")
    assert r["skipped"] and r["ours_s"] is None and r["met"] is None
    assert r["note"] == f"not run by make bench (minutes of LibreOffice): `make bench-crosscheck` measures it; {why}"
    assert row("crosscheck", r)[8] == "skipped"


@pytest.mark.parametrize(("only", "merged"), [(None, True), ([], True), (["cross*"], False), (["export"], False)])
def test_only_a_run_of_every_case_takes_the_crosscheck_from_its_file(tmp_path, only, merged):
    from benchmarks.run import add_separate
    results: dict = {}
    add_separate(results, only, "county", {"crosscheck": _crosscheck_file(tmp_path / "c.json", "county")})
    assert ("crosscheck" in results) == merged
    if merged:
        assert results["crosscheck"]["separate_run"] == "2026-12-04T15:00:00"


@pytest.mark.parametrize("text", ["null", "[]", '{"meta": {"size": "county"}, "cases": {"crosscheck": {}}}', "{"])
def test_a_crosscheck_file_of_another_shape_is_listed_as_not_run(tmp_path, text):
    """A file that is not a run's results (no date, not an object, cut short) never stops the run at its end."""
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    r = separate_result(BY_NAME["crosscheck"], path, "county")
    assert r["skipped"] and r["note"].endswith("no result in c.json")
