"""Unhandled errors anywhere show ONE Chinese dialog and write the traceback (masked) to the log."""
import sys
import threading

import pytest

from core.logsetup import setup_logging
from gui import crash, errors, worker

ID = "110101200805011234"


@pytest.fixture
def dialogs(monkeypatch, tmp_path):
    """The dialogs shown (message, hint, on the GUI thread?), the log file, and the hooks restored after."""
    seen: list[tuple[str, str, bool]] = []
    monkeypatch.setattr(errors, "_show_box", lambda parent, msg, hint: seen.append(
        (msg, hint, threading.current_thread() is threading.main_thread())))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    log = setup_logging(tmp_path / "logs")
    return seen, log


def _boom():
    raise RuntimeError(f"坏了：学生 {ID}")


def _assert_logged(log, where):
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and where in text and "RuntimeError" in text
    assert ID not in text and "110101********1234" in text


def _assert_the_dialog(seen, log):
    assert len(seen) == 1
    message, hint, on_gui_thread = seen[0]
    assert on_gui_thread
    assert message == f"发生内部错误，详细信息已写入日志：{errors.log_path()}"
    assert "已保存的数据不会因此丢失" in hint and "技术支持" in hint and "Traceback" not in message + hint


def test_gui_thread_error_shows_one_dialog_and_logs_the_traceback(dialogs, qapp):
    seen, log = dialogs
    crash.install()
    assert sys.excepthook is crash.excepthook
    try:
        _boom()
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    _assert_the_dialog(seen, errors.log_path())
    _assert_logged(log, "in _boom")


def test_errors_while_the_dialog_is_open_are_only_logged(dialogs, qapp, monkeypatch):
    seen, log = dialogs
    def show_and_fail_again(parent, msg, hint):    # e.g. a paint event failing behind the dialog
        seen.append((msg, hint, True))
        try:
            raise RuntimeError("second failure")
        except RuntimeError:
            crash.excepthook(*sys.exc_info())
    monkeypatch.setattr(errors, "_show_box", show_and_fail_again)
    try:
        _boom()
    except RuntimeError:
        crash.excepthook(*sys.exc_info())
    assert len(seen) == 1
    text = log.read_text(encoding="utf-8")
    assert "second failure" in text and "while the error dialog is open" in text


def test_other_thread_error_is_shown_on_the_gui_thread(dialogs, qapp, qtbot):
    seen, log = dialogs
    crash.install()
    assert threading.excepthook is crash.thread_excepthook
    t = threading.Thread(target=_boom, name="helper")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=5000)
    _assert_the_dialog(seen, log)
    _assert_logged(log, "in _boom")


def test_worker_task_error_is_shown_on_the_gui_thread(dialogs, qapp, qtbot):
    seen, log = dialogs
    worker.run_task(_boom)                      # the real background thread
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=5000)
    assert worker.wait_for_idle()
    _assert_the_dialog(seen, log)
    _assert_logged(log, "in _boom")


def test_start_up_error_before_the_window_shows_the_dialog(dialogs, qapp, tmp_path, monkeypatch):
    seen, log = dialogs
    from gui import app, databases
    monkeypatch.setattr(databases.DatabaseSwitcher, "start", lambda self, db, demo: _boom())
    assert app.run_gui(tmp_path / "z.sqlite", demo=False) == 3
    _assert_the_dialog(seen, log)
    _assert_logged(log, "in _boom")


def test_start_up_failure_without_logging_sets_it_up(monkeypatch, tmp_path):
    """main.py's guard (e.g. a module missing from a broken bundle): logging is set up first."""
    from core import logsetup
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(logsetup, "current_log_file", lambda: None)
    shown = []
    monkeypatch.setattr(crash, "report", shown.append)
    exc = ImportError("No module named 'gui.missing'")
    assert crash.startup_failure(exc) == 3
    assert shown == [exc]
    assert logsetup._handler is not None
    assert logsetup._handler.baseFilename == str((tmp_path / "home" / "logs" / "zizhu.log").resolve())
