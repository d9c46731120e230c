"""cli.ending: a command's process ends without freeing what it made, and loses nothing on the way."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

from cli import ending

ROOT = Path(__file__).resolve().parents[1]


def _script(tmp_path: Path, body: str, arm: bool = True) -> str:
    """A child's program: markers written by an exit handler, by a kept object's ``__del__`` and
    by a log handler, then ``body``."""
    return textwrap.dedent(f"""
        import atexit, logging, sys, threading, time
        from pathlib import Path
        from cli import ending
        out = Path({str(tmp_path)!r})
        if {arm!r}:
            ending.arm()
        atexit.register(lambda: (out / "atexit").write_text("ran"))
        class Noted:
            def __del__(self):
                (out / "freed").write_text("freed")
        kept = [Noted()]
        ending.keep(kept[0])
        log = logging.getLogger("t")
        log.addHandler(logging.FileHandler(out / "log.txt", encoding="utf-8"))
        log.warning("最后一行日志")
    """) + textwrap.dedent(body)


# Standard output buffered, as a clerk's is (this machine's environment may say otherwise)
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _run(tmp_path: Path, body: str, arm: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _script(tmp_path, body, arm)], cwd=ROOT,
                          timeout=60, env=BUFFERED, **kw)


def test_armed_end_skips_freeing_but_runs_exit_handlers_and_flushes(tmp_path):
    out = tmp_path / "stdout.txt"
    with out.open("wb") as f:
        res = _run(tmp_path, """
            for i in range(20_000):
                print(f"第{i}行")                  # the last few kilobytes still in the buffer
            ending.end(7)
        """, stdout=f)
    assert res.returncode == 7
    assert out.read_text(encoding="utf-8") == "".join(f"第{i}行\n" for i in range(20_000))
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "log.txt").read_text(encoding="utf-8").strip() == "最后一行日志"
    assert not (tmp_path / "freed").exists()      # the kept object was never freed: the fast end


def test_unarmed_end_is_a_normal_exit(tmp_path):
    res = _run(tmp_path, "ending.end(5)", arm=False)
    assert res.returncode == 5
    assert (tmp_path / "atexit").exists()
    assert (tmp_path / "freed").read_text() == "freed"     # the interpreter's own finalization


def test_a_running_thread_gets_a_normal_exit(tmp_path):
    """A thread still running may be writing: the process ends as Python ends it, after the thread."""
    res = _run(tmp_path, """
        def late():
            time.sleep(0.3)
            (out / "thread").write_text("done")
        threading.Thread(target=late).start()
        ending.end(0)
    """)
    assert res.returncode == 0
    assert (tmp_path / "thread").read_text() == "done"
    assert (tmp_path / "atexit").exists()


def test_output_nobody_reads_ends_with_141(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _script(tmp_path, """
        sys.stdout.write("尚未写出的输出")       # buffered: flushed only at the end
        sys.stdin.readline()                    # the reader goes away meanwhile
        ending.end(0)
    """)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=BUFFERED)
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.close()
    proc.stdin.write(b"\n")
    proc.stdin.close()
    assert proc.wait(timeout=60) == ending.EXIT_BROKEN_PIPE
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
    assert (tmp_path / "atexit").exists()


def test_keep_holds_nothing_in_a_process_not_armed(tmp_path):
    """The tests' process (an in-process ``run``) is never armed: what a command keeps is freed."""
    from cli.commands import run
    assert run(["--db", str(tmp_path / "无.sqlite"), "compute"]) == 2    # (past the point main.py arms at)
    assert not ending._armed[0]

    class Thing:
        pass
    thing = Thing()
    ref = weakref.ref(thing)
    ending.keep(thing)
    del thing
    gc.collect()
    assert ref() is None


def test_main_py_command_output_is_whole(tmp_path):
    """``main.py``'s end: a command's whole output arrives and its exit code is kept."""
    db = tmp_path / "学校.sqlite"
    res = subprocess.run([sys.executable, "main.py", "--db", str(db), "demo", "--students", "40"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, "main.py", "--db", str(db), "compute", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    import json
    assert len(json.loads(res.stdout)["students"]) == 40
    res = subprocess.run([sys.executable, "main.py", "--db", str(tmp_path / "无.sqlite"), "compute"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "找不到数据库文件" in res.stderr
