"""The GUI probe runs the import and the export once (its first run), and the gui_* figures still
include their stalls: a frozen window during the export is never lost from the median."""
import argparse
import json
from pathlib import Path

from benchmarks import gui_results
from benchmarks.measure import Proc
from benchmarks.run import Bench


def _run(stalls: dict[str, float], start: float = 1.0) -> dict:
    out = {"start_rows_s": start, "window_s": 0.5, "rows_s": 2.0, "idle_s": 4.0, "pages": {"students": 0.1, "roster": 0.4},
           "search_ms": {"students": {"type": 60.0, "clear": 70.0}}, "stall_ms": stalls, "rss_mb": 300.0}
    if "export" in stalls:
        out.update(import_s=3.0, export_s=9.0)
    return out


FULL = _run({"launch": 900.0, "start": 40.0, "pages": 80.0, "import": 700.0, "export": 2000.0})
SHORT = [_run({"start": 50.0, "pages": 90.0}, 1.1), _run({"start": 30.0, "pages": 60.0}, 0.9)]


def test_stall_of_a_phase_run_once_counts_in_every_run():
    runs = [FULL, *SHORT]
    assert gui_results.stall_per_run(runs) == [2.0, 2.0, 2.0]
    assert gui_results.phase_stalls(runs) == {"launch": 900.0, "start": 40.0, "pages": 80.0, "import": 700.0,
                                              "export": 2000.0}
    assert gui_results.details("gui_start_rows", runs) == {"window_shown_s": 0.5, "rows_in_model_s": 2.0,
                                                           "idle_s": 4.0, "import_s": 3.0, "export_s": 9.0}
    assert "1 of the 3 probe runs" in gui_results.note("gui_stall", runs)
    assert gui_results.note("gui_stall", [FULL]) == "" and gui_results.note("gui_start_rows", runs) == ""


def test_longest_own_stall_wins_over_the_phases_run_once():
    slow_pages = _run({"start": 50.0, "pages": 2500.0})
    assert gui_results.stall_per_run([FULL, slow_pages, SHORT[0]]) == [2.0, 2.5, 2.0]


def test_probe_runs_import_and_export_in_its_first_run_only(tmp_path, monkeypatch):
    calls: list[list[str]] = []

    def fake_run_process(argv, env=None, timeout=None):
        calls.append(argv)
        result = FULL if "--without-import-export" not in argv else SHORT[len(calls) % 2]
        return Proc(5.0, 300.0, 0, json.dumps(result) + "\n", "", cpu=4.0)

    monkeypatch.setattr("benchmarks.run.run_process", fake_run_process)
    args = argparse.Namespace(repeat=3, in_process=False)
    bench = Bench(args, Path(tmp_path), Path(tmp_path))
    bench.run_gui(["gui_start_rows", "gui_stall"])
    assert ["--without-import-export" in argv for argv in calls] == [False, True, True]
    assert all("benchmarks.gui_probe" in argv for argv in calls)
    stall = bench.results["gui_stall"]
    assert stall["ours_s"] == 2.0 and stall["met"] is False and stall["ours_runs"] == [2.0, 2.0, 2.0]
    assert "1 of the 3 probe runs" in stall["note"]
    assert bench.results["gui_start_rows"]["details"]["export_s"] == 9.0


def test_the_probe_times_the_first_paint_showing_rows(qtbot):
    """``start_rows_s`` is the end of the list view's first paint with rows, not a poll of the model."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    from benchmarks.gui_probe import PaintWatch
    model = QStandardItemModel(0, 1)
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    seen: list[float] = []
    watch = PaintWatch(view, seen.append)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)
    assert seen == [] and not watch.seen          # painted, but no rows yet
    model.appendRow(QStandardItem("张三"))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    qtbot.wait(50)
    assert len(seen) == 1                         # the first such paint only


def test_the_probe_times_a_page_by_its_paint_once_its_load_is_done(qtbot):
    """A page is shown at its table's first paint once its load is done, not at an earlier paint."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    from benchmarks.gui_probe import PaintWatch
    model = QStandardItemModel(0, 1)
    model.appendRow(QStandardItem("旧行"))
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    state = {"loading": True}
    seen: list[float] = []
    PaintWatch(view, seen.append, lambda: not state["loading"])
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)
    assert seen == []                             # painted with rows, but still loading
    state["loading"] = False
    view.viewport().update()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)


def test_the_stall_details_name_each_runs_longest_stall():
    runs = [dict(FULL, stalls=[["start", 1.2, 45.0, 30.0, 40.0], ["import", 9.5, 61.0, 2.0, 20.0],
                             ["search", 12.0, 90.0, 80.0, 85.0]]), SHORT[0]]   # search: not a stall phase
    details = gui_results.details("gui_stall", runs)
    assert details["longest_per_run"] == [["import", 9.5, 61.0, 2.0, 20.0]]
    assert details["start"] == gui_results.phase_stalls(runs)["start"]


def test_a_page_shown_from_a_read_ahead_reports_that_load_from_every_run():
    """The roster page shown from its load read ahead: the page's figure is a show from memory, so the
    load's own cost is reported apart, from every run that used it (not only if the first did)."""
    loaded = dict(FULL, pages_idle_s={"roster": 0.5})
    ahead = [dict(SHORT[0], pages_read_ahead={"roster": [0.9, 0.8, 0]}),
             dict(SHORT[1], pages_read_ahead={"roster": [1.1, 1.0, 2]})]
    details = gui_results.details("gui_page_shown", [loaded, *ahead])
    assert details["roster.read_ahead_s"] == 1.0 and details["roster.read_ahead_cpu_s"] == 0.9
    assert details["roster.read_ahead_runs"] == 2 and details["roster.read_ahead_gave_way"] == 2
    assert "roster.read_ahead_s" not in gui_results.details("gui_page_shown", [loaded])
