"""The databases opened last (文件 → 最近打开, 返回正式数据库): a small JSON list in the data folder.

A JSON file beside the default database rather than QSettings: it follows ``ZIZHU_HOME``
(tests, a portable install on a USB stick), needs no Qt, and a damaged file simply
means an empty list. Only real databases are remembered; the demo database has its own
menu entry.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from core.paths import data_dir, write_atomic

log = logging.getLogger(__name__)

LIMIT = 8


def recent_file() -> Path:
    return data_dir() / "recent.json"


def recent_databases() -> list[Path]:
    """The remembered databases that still exist, most recent first."""
    try:
        raw = json.loads(recent_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        log.warning("recent database list unreadable, starting a new one")
        return []
    if not isinstance(raw, list):
        return []
    paths = [Path(p) for p in raw if isinstance(p, str) and p]
    return [p for p in dict.fromkeys(paths) if p.is_file()][:LIMIT]


def remember_database(path: str | Path) -> list[Path]:
    """Put ``path`` first in the list (kept to LIMIT entries); returns the new list."""
    first = Path(path).resolve()
    paths = [first, *(p for p in recent_databases() if p != first)][:LIMIT]
    data_dir().mkdir(parents=True, exist_ok=True)
    text = json.dumps([str(p) for p in paths], ensure_ascii=False, indent=1)
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
    write_atomic(recent_file(), write)
    return paths


# -- the folder of the last file chosen in a file dialog --------------------------
def folder_file() -> Path:
    return data_dir() / "last-folder.json"


def last_folder() -> Path | None:
    """The folder the clerk last chose a file in (None: unknown, or it is gone)."""
    try:
        raw = json.loads(folder_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    folder = Path(raw["folder"]) if isinstance(raw, dict) and isinstance(raw.get("folder"), str) else None
    return folder if folder is not None and folder.is_dir() else None


def remember_folder(folder: str | Path) -> None:
    data_dir().mkdir(parents=True, exist_ok=True)
    text = json.dumps({"folder": str(folder)}, ensure_ascii=False)
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
    write_atomic(folder_file(), write)
