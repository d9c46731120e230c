"""Writing workbooks safely: a temporary file in the target folder, then os.replace,
so a crash or a full disk never leaves a half-written file under the real name."""
from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

from core.errors import OutputFileError
from core.paths import atomic_path


def save_atomic(workbook: Any, path: str | os.PathLike[str]) -> Path:
    """Save an openpyxl workbook to ``path`` atomically. Raises OutputFileError
    (Chinese) when the folder is missing or not writable, or the file is open elsewhere."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputFileError(f"无法保存“{target.name}”：文件夹“{folder}”不存在",
                              "请选择一个已存在的文件夹后重试")
    try:
        with atomic_path(target) as tmp:
            workbook.save(tmp)
            os.chmod(tmp, 0o644)   # mkstemp makes it private; a saved sheet is not
    except PermissionError:
        raise OutputFileError(f"无法保存“{target.name}”：文件正被其他程序打开，或没有写入权限",
                              "请先在Excel/WPS中关闭这个文件，然后重试") from None
    except OSError as exc:
        raise OutputFileError(f"无法保存“{target.name}”：{exc.strerror or exc}",
                              "请检查磁盘空间是否已满，或换一个文件夹后重试") from None
    return target


def display_width(text: str) -> int:
    """Width in Excel column units: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
