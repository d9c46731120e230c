"""The bundle's size, its self-test's wall time and the time to the first window, frozen and from source.

Run under a virtual display, after `make bundle`:

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python benchmarks/bundle_start.py [dist/Zizhu/Zizhu]

Time to first window: from starting the process to the main window being viewable on the X
display (polled with xwininfo every 20 ms), on a database that has its school (no first-start
wizard), median of five starts. The numbers are written in docs/BENCHMARKS.md by hand.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TITLE = "资助助手"
RUNS = 5


def _viewable_window() -> bool:
    tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    for wid in re.findall(rf'^\s+(0x[0-9a-f]+) "{TITLE}[^"]*"', tree, flags=re.M):
        info = subprocess.run(["xwininfo", "-id", wid], capture_output=True, text=True).stdout
        if "IsViewable" in info:
            return True
    return False


def first_window(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while time.perf_counter() - t0 < 60:
            if _viewable_window():
                return time.perf_counter() - t0
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode} before showing a window: "
                                   f"{proc.communicate()[1][-2000:]}")
            time.sleep(0.02)
        raise RuntimeError("no window within 60 s")
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    exe = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "dist" / "Zizhu" / "Zizhu").resolve()
    size = sum(p.stat().st_size for p in exe.parent.rglob("*") if p.is_file() and not p.is_symlink())
    files = sum(1 for p in exe.parent.rglob("*") if p.is_file())
    print(f"bundle: {exe.parent}: {size / 1e6:.0f} MB in {files} files")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ZIZHU_HOME": str(Path(tmp) / "home")}
        db = Path(tmp) / "bench.sqlite"
        subprocess.run([str(exe), "--db", str(db), "init", "--school", "第一中学", "--code", "1",
                        "--school-year", "2023", "--county", "建始县"], env=env, check=True, capture_output=True)
        t0 = time.perf_counter()
        res = subprocess.run([str(exe), "--selftest", "--selftest-report", str(Path(tmp) / "r.txt")],
                             env={**env, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True)
        print(f"frozen --selftest: exit {res.returncode}, {time.perf_counter() - t0:.1f} s wall")
        for label, cmd in (("frozen", [str(exe)]), ("source", [sys.executable, str(ROOT / "main.py")])):
            times = [first_window([*cmd, "--db", str(db)], env) for _ in range(RUNS)]
            print(f"first window, {label}: median {statistics.median(times):.2f} s "
                  f"(min {min(times):.2f}, max {max(times):.2f}, {RUNS} starts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
