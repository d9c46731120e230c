"""The GUI probe's runs turned into the ``gui_*`` cases' figures.

Every probe run measures start-up, the pages, the searches and memory. Only the first run also
imports the student list and exports the draft package (``--without-import-export`` for the
others): the import and export cases measure that work ``--repeat`` times already, and the
probe only needs the event loop's stalls while the window does it. A phase's stall is the median
over the runs that measured it; a run's ``gui_stall`` is its longest stall, a phase it did not
run counted at that phase's median, so the case's median, minimum and maximum all include the
import's and the export's stalls.
"""
from __future__ import annotations

import statistics
from typing import Any

STALL_PHASES = ("start", "pages", "import", "export")
ONCE_PHASES = ("import", "export")        # measured in the first probe run only


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def phase_stalls(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Each phase's longest stall (ms), the median over the runs that measured it."""
    phases = [p for r in runs for p in r["stall_ms"]]
    return {p: _median([r["stall_ms"][p] for r in runs if p in r["stall_ms"]]) for p in dict.fromkeys(phases)}


def stall_per_run(runs: list[dict[str, Any]]) -> list[float]:
    """Each run's longest stall (s) over start, pages, import and export."""
    medians = phase_stalls(runs)
    return [max(r["stall_ms"].get(p, medians.get(p, 0.0)) for p in STALL_PHASES) / 1000 for r in runs]


def metrics(runs: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Each GUI case's value per run."""
    return {
        "gui_start_rows": [r["start_rows_s"] for r in runs],
        "gui_page_shown": [max(r["pages"].values()) for r in runs],
        "gui_search": [max(v for page in r["search_ms"].values() for v in page.values()) / 1000 for r in runs],
        "gui_stall": stall_per_run(runs),
        "gui_memory": [r["rss_mb"] for r in runs],
    }


def details(name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-page / per-phase figures behind a GUI case (medians over the runs that have them)."""
    if name == "gui_page_shown":
        out = {p: _median([r["pages"][p] for r in runs]) for p in runs[0]["pages"]}
        idle = runs[0].get("pages_idle_s", {})
        out.update({f"{p}.then_idle_s": _median([r["pages_idle_s"][p] for r in runs if "pages_idle_s" in r])
                    for p in idle})
        # a page shown from a load read ahead (in any run): that load's cost, and in how many runs
        for p in dict.fromkeys(p for r in runs for p in r.get("pages_read_ahead", {})):
            ahead = [r["pages_read_ahead"][p] for r in runs if p in r.get("pages_read_ahead", {})]
            out[f"{p}.read_ahead_s"] = _median([a[0] for a in ahead])
            out[f"{p}.read_ahead_cpu_s"] = _median([a[1] for a in ahead])
            out[f"{p}.read_ahead_runs"] = len(ahead)
            tries = [a[2] for a in ahead if len(a) > 2]
            if tries:                                    # the attempts that gave way to another task first
                out[f"{p}.read_ahead_gave_way"] = max(tries)
        return out
    if name == "gui_search":
        return {f"{p}.{w}": _median([r["search_ms"][p][w] for r in runs]) for p in runs[0]["search_ms"]
                for w in runs[0]["search_ms"][p]}
    if name == "gui_stall":
        stall: dict[str, Any] = dict(phase_stalls(runs))
        counted = [[st for st in r.get("stalls", ()) if st[0] in STALL_PHASES] for r in runs]
        worst = [max(stalls, key=lambda st: st[2]) for stalls in counted if stalls]
        if worst:       # each run's longest (benchmarks.gui_probe: phase, s since start, ms, window / process CPU ms)
            stall["longest_per_run"] = worst
        return stall
    if name == "gui_start_rows":
        out = {"window_shown_s": _median([r["window_s"] for r in runs])}
        for key, name in (("rows_s", "rows_in_model_s"), ("idle_s", "idle_s"), ("import_s", "import_s"),
                          ("export_s", "export_s")):
            values = [r[key] for r in runs if key in r]
            if values:
                out[name] = _median(values)
        return out
    return {}


def note(name: str, runs: list[dict[str, Any]]) -> str:
    """What the case's figure rests on, where not every run measured everything."""
    once = sum(1 for r in runs if all(p in r["stall_ms"] for p in ONCE_PHASES))
    if name != "gui_stall" or once == len(runs):
        return ""
    return (f"the import and the export ran in {once} of the {len(runs)} probe runs (the import and export "
            f"cases measure that work {len(runs)} times); start and pages in every run")
