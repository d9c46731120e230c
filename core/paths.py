"""Where Zizhu keeps its files (platformdirs), and atomic file writes."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from platformdirs import user_data_dir, user_log_dir

APP = "Zizhu"


def data_dir() -> Path:
    return Path(os.environ.get("ZIZHU_HOME") or user_data_dir(APP, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "zizhu.sqlite"


def demo_db_path() -> Path:
    return data_dir() / "demo.sqlite"


def log_dir() -> Path:
    base = os.environ.get("ZIZHU_HOME")
    return Path(base) / "logs" if base else Path(user_log_dir(APP, appauthor=False))


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces
    ``target`` in one step, on failure it is removed and ``target`` untouched."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".~{target.stem[:40]}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
