"""`main.py --selftest`: a whole campaign in a private temporary folder; a failing step is named."""
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from cli import selftest
from core.errors import OutputFileError
from core.version import program_version

ROOT = Path(__file__).resolve().parent.parent


def test_selftest_passes_from_source_in_another_folder_without_touching_the_data_folder(tmp_path):
    home = tmp_path / "user-home"            # the clerk's data folder: must stay untouched
    report = tmp_path / "report.txt"
    env = {**os.environ, "ZIZHU_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--selftest", "--selftest-report", str(report)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("自检通过 / Self-test passed: ")
    assert f"Zizhu {program_version()}" in lines[0] and "正式上报包已验证 / final package verified" in lines[0]
    assert not home.exists()
    text = report.read_text(encoding="utf-8")
    assert text.strip().splitlines()[-1] == lines[0]
    for step in selftest.STEPS:                                    # every step ran and passed
        assert f"{step.chinese} / {step.english}: ok" in text
    assert set(os.listdir(tmp_path)) == {"report.txt"}              # nothing left in the working folder


def _failing(name: str):
    def fail(ctx):
        raise OutputFileError("无法保存“package.zip”：磁盘已满 110101200805011234", "请检查磁盘空间")
    return tuple(replace(s, run=fail) if s.english == name else s for s in selftest.STEPS)


def test_a_failing_step_is_named_and_exits_non_zero(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(selftest, "STEPS", _failing("export the final package"))
    report = tmp_path / "report.txt"
    assert selftest.run_selftest(report, gui=False) == selftest.EXIT_FAILED
    out = capsys.readouterr().out.splitlines()
    n = [s.english for s in selftest.STEPS].index("export the final package") + 1
    assert out[0].startswith(f"自检失败 / Self-test FAILED: 第 {n} 步「导出正式上报包」/ step {n} "
                             "'export the final package': 无法保存")
    assert out[1] == f"详细信息 / details: {report}"
    text = report.read_text(encoding="utf-8")
    assert "Traceback" in text and "in fail" in text                  # the failure's traceback, for support
    assert "110101200805011234" not in text and "110101********1234" in text   # masked like the log
    assert "核准 / verify students: ok" in text and "验证上报包" not in text   # earlier steps ran, later did not
    kept = Path(text.split("temporary folder kept: ")[1].splitlines()[0])
    assert kept.parent == tmp_path and (kept / "selftest.sqlite").is_file()   # kept for the support person


def test_selftest_restores_the_data_folder_and_log(tmp_path, monkeypatch):
    """In-process (the frozen program's path): ZIZHU_HOME and the log file are the caller's again."""
    from core.logsetup import current_log_file, setup_logging
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    setup_logging(tmp_path / "home" / "logs")
    monkeypatch.setattr(selftest, "STEPS", _failing("create database"))
    assert selftest.run_selftest(None, gui=False) == selftest.EXIT_FAILED
    assert os.environ["ZIZHU_HOME"] == str(tmp_path / "home")
    assert current_log_file() == (tmp_path / "home" / "logs" / "zizhu.log").resolve()


def test_selftest_run_before_any_logging_closes_its_own_log(tmp_path, monkeypatch):
    """`Zizhu.exe --selftest` starts before logging is set up: the self-test's log, inside its folder, is
    closed at the end (Windows refuses to delete an open file, and the folder was left in %TEMP%)."""
    import logging

    from core.logsetup import current_log_file, stop_logging
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stop_logging()
    monkeypatch.setattr(selftest, "STEPS", _failing("create database"))
    assert selftest.run_selftest(None, gui=False) == selftest.EXIT_FAILED
    assert current_log_file() is None
    assert not [h for h in logging.getLogger().handlers if str(tmp_path) in getattr(h, "baseFilename", "")]


@pytest.fixture
def app_state(qapp, monkeypatch):
    """What the window step's ``setup_application`` changes in this process's application (the font,
    Qt's Chinese texts, the default locale), put back after the test."""
    from PySide6.QtCore import QCoreApplication, QLocale

    from gui import app, worker
    font, locale = qapp.font(), QLocale()
    monkeypatch.setattr(worker, "freeze_long_lived", lambda: None)
    yield
    while app._translators:
        QCoreApplication.removeTranslator(app._translators.pop())
    qapp.setFont(font)
    QLocale.setDefault(locale)


def test_the_window_step_ends_the_worker_process_before_the_folder_is_removed(tmp_path, monkeypatch, app_state):
    """The window step's reload starts the GUI's worker process, whose log is inside the self-test's
    folder: it is ended before the folder is removed (Windows refuses to delete a file a process holds)."""
    from gui import worker
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    events: list[str] = []
    real_stop = worker.stop_child
    monkeypatch.setattr(worker, "stop_child", lambda: events.append("stop_child") or real_stop())
    real_rmtree = selftest.shutil.rmtree
    monkeypatch.setattr(selftest.shutil, "rmtree", lambda *a, **k: events.append("rmtree") or real_rmtree(*a, **k))
    monkeypatch.setattr(selftest, "STEPS", tuple(s for s in selftest.STEPS
                                                 if s.english in ("create database", "fill demo data")
                                                 or s.run is selftest._gui))
    assert selftest.run_selftest(None, gui=True) == 0
    assert events == ["stop_child", "rmtree"] and os.listdir(tmp_path) == []
    assert worker._child is None                         # no worker process left running


def _interrupted(ctx):
    raise KeyboardInterrupt


def test_ctrl_c_during_the_selftest_says_cancelled_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    from cli.commands import run
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    steps = list(selftest.STEPS)
    steps[2] = replace(steps[2], run=_interrupted)
    monkeypatch.setattr(selftest, "STEPS", tuple(steps))
    assert run(["--selftest", "--selftest-report", str(tmp_path / "report.txt")]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "已取消" and "Traceback" not in err
    assert not any(p.name.startswith("zizhu-selftest-") for p in tmp_path.iterdir())


def test_a_report_that_cannot_be_written_is_said_and_not_pointed_at(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(selftest, "STEPS", _failing("export the final package"))
    folder = tmp_path / "报告"
    folder.mkdir()                                        # a folder given as the report's file
    assert selftest.run_selftest(folder, gui=False) == selftest.EXIT_FAILED
    out = capsys.readouterr().out
    assert f"自检报告无法写入 / the report could not be written: {folder}" in out
    assert "详细信息 / details" not in out
