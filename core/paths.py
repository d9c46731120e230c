"""Where Zizhu keeps its files (platformdirs), and atomic file writes."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

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


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` and move the result onto ``path`` in one step.

    Any file-system failure becomes an OutputFileError with a Chinese hint;
    the target is left untouched."""
    from core.errors import OutputFileError

    target = Path(path)
    if not target.parent.is_dir():
        raise OutputFileError(f"无法保存“{target.name}”：文件夹“{target.parent}”不存在",
                              "请选择一个已存在的文件夹")
    try:
        with atomic_path(target) as tmp:
            write(tmp)
            os.chmod(tmp, 0o644)   # mkstemp makes it private; a saved document is not
    except PermissionError:
        raise OutputFileError(f"无法保存“{target.name}”：文件被占用或没有写入权限",
                              "如果该文件已在 Excel/WPS 或 PDF 阅读器中打开，请先关闭，然后重试") from None
    except OSError as exc:
        raise OutputFileError(f"无法保存“{target.name}”：{exc.strerror or exc}",
                              "请检查磁盘空间，或换一个保存位置") from None
    return target
