"""results.json → the console table and the table in docs/BENCHMARKS.md.

``python -m benchmarks.report [results.json] [--docs]`` prints the table (Markdown with
``--markdown``) or, with ``--docs``, replaces the part of docs/BENCHMARKS.md between
``<!-- results:begin -->`` and ``<!-- results:end -->`` with it (the rest of the file, other
sections included, is kept as it is).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data import ROOT

DOCS = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
HEADERS = ("case", "ours median", "min", "max", "baseline median", "ratio", "CPU ratio", "target", "met",
           "peak MB")


def _num(v: float | None, unit: str = "s") -> str:
    if v is None:
        return "—"
    if unit == "ms":
        return f"{v * 1000:.0f} ms"
    if unit == "MB":
        return f"{v:.0f} MB"
    return f"{v:.3f} s" if v < 1 else f"{v:.2f} s"


def _ratio(r: float | None) -> str:
    if r is None:
        return "—"
    return f"1/{1 / r:.0f}" if 0 < r < 0.1 else f"{r:.2f}"


def row(name: str, c: dict[str, Any]) -> tuple[str, ...]:
    unit = c.get("unit") or "s"
    met = {True: "yes", False: "**no**", None: "?"}[c.get("met")]
    if c.get("skipped"):
        return (name, *(["—"] * 7), "skipped", "—")
    if unit == "MB":
        value: list[str] = [_num(c["peak_mb"], "MB"), _num(c["min"], "MB"), _num(c["max"], "MB")]
    else:
        value = [_num(c["ours_s"], unit), _num(c["min"], unit), _num(c["max"], unit)]
    base = _num(c.get("baseline_s"))
    if c.get("baseline_lower_bound"):
        base = "≥ " + base
    if c.get("target_kind") == "absolute":
        target = f"≤ {_num(c['target'], unit)} (absolute)"
    else:
        target = f"≤ {_ratio(c['target'])}"
    ratio = ("≤ " if c.get("baseline_lower_bound") else "") + _ratio(c.get("ratio"))
    peak = "—" if c.get("peak_mb") is None else f"{c['peak_mb']:.0f}"
    return (name, *value, base, ratio, _ratio(c.get("cpu_ratio")), target, met, peak)


def table_lines(results: dict[str, Any], markdown: bool) -> list[str]:
    rows = [HEADERS, *(row(n, c) for n, c in results["cases"].items())]
    if markdown:
        return ["| " + " | ".join(r) + " |" for r in rows[:1]] + ["|" + "---|" * len(HEADERS)] + \
               ["| " + " | ".join(r) + " |" for r in rows[1:]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def notes_lines(results: dict[str, Any]) -> list[str]:
    """What each case and its baseline do, and each case's note."""
    out = []
    for name, c in results["cases"].items():
        line = f"* `{name}`: {c.get('what', '')}"
        if c.get("target_kind") == "ratio":
            line += f"; baseline: {c.get('baseline_what', '')}"
        if c.get("note"):
            line += f". **Note:** {c['note']}"
        out.append(line)
    return out


def budget_rows(results: dict[str, Any]) -> list[tuple[str, float, float | None]]:
    """Where the run's time went: (what, wall seconds, CPU seconds), the longest first; the data
    build (when it ran) and the GUI probe included. CPU seconds are about the wall time of the
    same work on a quiet machine (every side runs single-threaded), whatever the load was."""
    m = results["meta"]
    rows: list[tuple[str, float, float | None]] = []
    if not m.get("data_cached") and m.get("data_build_s") is not None:
        rows.append(("data build", m["data_build_s"], m.get("data_build_cpu_s")))
    rows += [(name, c["wall_s"], c.get("cpu_s")) for name, c in results["cases"].items()
             if c.get("wall_s") is not None]
    if m.get("gui_budget"):
        rows.append(("GUI probe (all gui_* cases)", m["gui_budget"]["wall_s"], m["gui_budget"].get("cpu_s")))
    return sorted(rows, key=lambda r: -r[1])


def _runs(m: dict[str, Any]) -> str:
    """How often each side ran: --repeat, and more for a short case (--short-repeat, --short-budget)."""
    more = m.get("short_repeat", 0)
    if more <= m["repeat"]:
        return f"{m['repeat']} run(s) of each side"
    return f"{m['repeat']} run(s) of each side, up to {more} while a case has taken under {m['short_budget']:g} s"


def _whole_runs(m: dict[str, Any]) -> str:
    """How often a whole command's sides ran, when not as any case: a fixed count (``--whole-repeat``), or up
    to a count within a time budget (``--whole-budget``, sessions 13–24)."""
    runs = m.get("whole_repeat", m["repeat"])
    budget = m.get("whole_budget")
    if budget is None or runs <= 1:
        return "" if runs == m["repeat"] else f", {runs} of a whole command"
    return f", up to {runs} of a whole command (while its case has taken under {budget:g} s)"


def budget_lines(results: dict[str, Any], markdown: bool = False) -> list[str]:
    m = results["meta"]
    rows = budget_rows(results)
    total_cpu = sum(r[2] or 0.0 for r in rows)
    head = (f"Time budget: whole run {m['total_s']:.0f} s (the CPU seconds of its processes: {total_cpu:.0f} s; "
            f"{_runs(m)}{_whole_runs(m)})")
    if markdown:
        return [head + ".", "", "| what | wall | CPU | share of the wall |", "|---|---|---|---|",
                *(f"| {w} | {s:.0f} s | {'—' if c is None else f'{c:.0f} s'} | {s / m['total_s']:.0%} |"
                  for w, s, c in rows)]
    return [head, *(f"  {w:<28} {s:7.0f} s  {'' if c is None else f'{c:7.0f} s CPU'}" for w, s, c in rows)]


def markdown(results: dict[str, Any]) -> str:
    m = results["meta"]
    data = "from the cache" if m["data_cached"] else f"generated in {m['data_build_s']:.0f} s"
    head = (f"Measured {m['date']} on {m['machine']['summary']} (load average {m['load_before']} before, "
            f"{m['load_after']} after), size `{m['size']}`: {m['data']['students']:,} students, "
            f"{m['data']['roster']:,} roster rows, {m['data']['packages']} school packages; "
            f"{_runs(m)}, median; whole run {m['total_s']:.0f} s "
            f"(data {data}).")
    return "\n".join([head, "", *table_lines(results, True), "", *notes_lines(results), "",
                      *budget_lines(results, markdown=True)]).rstrip() + "\n"


def update_docs(results: dict[str, Any], docs: Path = DOCS) -> None:
    text = docs.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{markdown(results)}{END}"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## Latest results\n\n" + block + "\n"
    docs.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", type=Path, default=ROOT / "benchmarks" / "results.json")
    ap.add_argument("--docs", action="store_true", help="write the table into docs/BENCHMARKS.md")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--budget", action="store_true", help="where the run's time went, case by case")
    args = ap.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    if args.budget:
        print("\n".join(budget_lines(results, args.markdown)))
    elif args.docs:
        update_docs(results)
    else:
        print(markdown(results) if args.markdown else "\n".join(table_lines(results, False)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
