"""``worker.run_task(..., process=True)``: the heavy jobs run in a real child process (spawned),
their results, progress and domain errors come back to the callbacks on the GUI thread, and the
one error path shows what a callback does not take."""
from __future__ import annotations

import os
from datetime import date

import pytest
from sqlalchemy import delete

from core.errors import InputFileError, MissingColumnsError
from core.idnumber import make_id
from db.changes import Changes
from db.findings import CHECKED_AT_KEY
from db.models import Setting
from db.store import get_setting
from db.usecases import startup_check
from db.workflows import run_import
from gui import worker
from gui.worker_child import pack_exception, unpack_exception


@pytest.fixture
def child(monkeypatch):
    monkeypatch.setattr(worker, "SYNCHRONOUS", False)      # the real worker thread and child process
    yield
    worker.wait_for_idle()
    worker.stop_child()


def _wait(qtbot, box, what):
    qtbot.waitUntil(lambda: what in box, timeout=60000)
    return box[what]


def test_a_child_process_task_returns_its_result_and_writes_the_database(qtbot, demo_db, child):
    with demo_db.session() as s:
        s.execute(delete(Setting).where(Setting.key == CHECKED_AT_KEY))   # as if never checked
    got: dict = {}
    worker.run_task(startup_check, demo_db, process=True, on_success=lambda r: got.setdefault("ok", r),
                    on_failure=lambda e: got.setdefault("error", e))
    result = _wait(qtbot, got, "ok")
    assert result == Changes.FINDINGS          # the first check of this database
    assert worker._child is not None and worker._child.process.pid != os.getpid()
    with demo_db.session() as s:
        assert get_setting(s, CHECKED_AT_KEY)   # the child's write is in the file the GUI has open


def test_a_domain_error_in_the_child_reaches_the_failure_callback_and_show_exception(qtbot, demo_db, child,
                                                                                     tmp_path, monkeypatch):
    got: dict = {}
    missing = tmp_path / "没有这个文件.xlsx"
    worker.run_task(run_import, demo_db, "students", missing, process=True,
                    on_success=lambda r: got.setdefault("ok", r), on_failure=lambda e: got.setdefault("error", e))
    exc = _wait(qtbot, got, "error")
    assert isinstance(exc, InputFileError) and "没有这个文件.xlsx" in exc.message and exc.hint
    assert any("在后台进程中" in note for note in exc.__notes__)     # the child's traceback, for the log

    from gui import errors
    shown: list = []
    monkeypatch.setattr(errors, "_show_box", lambda parent, msg, hint: shown.append((msg, hint)))
    worker.run_task(run_import, demo_db, "students", missing, process=True)   # no on_failure: the one dialog
    qtbot.waitUntil(lambda: bool(shown), timeout=60000)
    assert "没有这个文件.xlsx" in shown[0][0]


def test_progress_from_the_child_reaches_the_gui_thread(qtbot, demo_db, child, tmp_path):
    ids = [make_id("422822", date(2009, 1, n), n) for n in (1, 2)]
    path = tmp_path / "学生.csv"
    path.write_text("姓名,身份证号,学段,年级\n" + "".join(f"学生{n},{i},初中,七年级\n" for n, i in enumerate(ids)),
                    encoding="utf-8")
    steps: list[tuple[int, int]] = []
    got: dict = {}
    worker.run_task(run_import, demo_db, "students", path, process=True, progress=lambda d, t: steps.append((d, t)),
                    on_success=lambda r: got.setdefault("ok", r), on_failure=lambda e: got.setdefault("error", e))
    report = _wait(qtbot, got, "ok")
    assert report.counts["added"] == 2 and steps and steps[-1][0] == steps[-1][1]


def test_an_error_whose_constructor_differs_from_its_args_travels_intact():
    exc = MissingColumnsError("缺少列：姓名", "请在表头中加上“姓名”", mapping={"a": 1}, missing=["name"])
    back = unpack_exception(pack_exception(exc))
    assert type(back) is MissingColumnsError
    assert (back.message, back.hint, back.mapping, back.missing) == ("缺少列：姓名", "请在表头中加上“姓名”",
                                                                     {"a": 1}, ["name"])


def test_without_process_the_tests_synchronous_mode_runs_it_inline(demo_db, shown):
    got = []
    worker.run_task(startup_check, demo_db, process=True, on_success=got.append)
    assert got == [Changes.NONE] and worker._child is None


def test_the_start_backup_runs_after_the_window_and_before_any_write(qtbot, tmp_path, monkeypatch, shown):
    """``open_for_gui`` no longer copies the database before the window exists; the switcher queues
    the start backup once the window asked for its reads, ahead of the start-up check (a write)."""
    from db import backup, usecases
    from db.session import open_database
    from db.workflows import fill_demo
    from gui.app import open_for_gui
    from gui.databases import DatabaseSwitcher
    path = tmp_path / "学校.sqlite"
    d = open_database(path)
    fill_demo(d, n_students=30)
    d.close()
    for old in backup.list_backups(path):
        old.unlink()
    order: list[str] = []
    real_backup, real_check = backup.backup_if_due, usecases.startup_check
    monkeypatch.setattr(backup, "backup_if_due", lambda db: order.append("backup") or real_backup(db))
    monkeypatch.setattr(usecases, "startup_check", lambda db: order.append("check") or real_check(db))
    db = open_for_gui(path)
    assert db is not None and backup.list_backups(path) == []      # nothing copied before the window
    switcher = DatabaseSwitcher()
    try:
        switcher.start(db)
        assert switcher.window is not None and switcher.window.isVisible()
        assert order == ["backup", "check"]
        assert backup.list_backups(path)[0].name.endswith("-start.sqlite")
    finally:
        switcher.window.close()
        switcher.close()


def test_the_wizard_s_import_report_keeps_what_it_shows_and_not_the_clean_rows(demo_db, tmp_path):
    """What the child sends back after an import: the counts, the rows with problems, the skipped
    rows and the headers (the 保存问题行 file is the same), not the rows imported without a problem."""
    from db.workflows import import_summary, row_lines, run_import_shown, save_problem_rows
    good = [make_id("422822", date(2009, 3, n), n) for n in (3, 4)]
    path = tmp_path / "学生.csv"
    path.write_text("姓名,身份证号,学段,年级\n" + "".join(f"新生{n},{i},初中,七年级\n" for n, i in enumerate(good))
                    + "错号,420000000000000000,初中,七年级\n,,初中,\n备注,,,\n", encoding="utf-8")
    report = run_import_shown(demo_db, "students", path)
    assert report.counts["added"] == 3 and report.counts["with_problems"] == 1
    assert [r.values["name"] for r in report.plan.added] == ["错号"]      # the two clean rows stay in the child
    assert report.parsed.rows == [] and report.parsed.headers[:2] == ["姓名", "身份证号"]
    assert "已新增 3 行" in import_summary(report.counts, done=True) and row_lines(report.plan).problems
    assert save_problem_rows(tmp_path / "问题.xlsx", report.plan, list(report.parsed.headers)) == (
        1 + len(report.plan.skipped))
