"""One side of one case in a fresh process: ``python -m benchmarks.worker CASE SIDE DATA WORK SHARED``.

Set-up first, then the work timed with ``perf_counter``; prints one JSON line:
``{"seconds": …, "cpu_s": …, "prep_s": …, "prep_cpu_s": …}`` (or ``"timeout"``: the work was stopped
at that many seconds). ``cpu_s`` is the work's CPU seconds: on a loaded machine, about its wall time
on a quiet one.
The parent reads the process's peak resident memory from ``os.wait4``.
"""
from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(name: str, side: str, data: Path, work: Path, shared: Path) -> dict[str, float]:
    """Set up one side of a case, then time its work."""
    from benchmarks.cases import Ctx, cpu_seconds, sides
    from benchmarks.libreoffice import Timeout
    ctx = Ctx.load(data, work, shared)
    fn = sides(name)[side](ctx)
    gc.collect()
    t0, cpu = time.perf_counter(), cpu_seconds()
    try:
        fn()
    except Timeout as exc:
        return {"timeout": exc.seconds, "prep_s": ctx.prep_s, "prep_cpu_s": ctx.prep_cpu_s}
    return {"seconds": time.perf_counter() - t0, "cpu_s": cpu_seconds() - cpu, "prep_s": ctx.prep_s,
            "prep_cpu_s": ctx.prep_cpu_s}


def main(argv: list[str]) -> int:
    name, side, data, work, shared = argv
    print(json.dumps(timed(name, side, Path(data), Path(work), Path(shared))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
