"""The one way to find a file shipped with the program (policy, font, icons, migrations).

From source the files sit in the checkout (``resources/``, ``db/migrations``); in the
PyInstaller bundle they sit in the bundle's data folder (``sys._MEIPASS``, laid out the
same way by pyinstaller.spec). Nothing is ever looked up relative to the working directory.
"""
from __future__ import annotations

import sys
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def is_frozen() -> bool:
    """True inside the PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resource_root() -> Path:
    """The folder holding ``resources/`` and ``db/migrations``: the bundle's data folder
    when frozen, the checkout otherwise."""
    return Path(sys._MEIPASS) if is_frozen() else _SOURCE_ROOT  # type: ignore[attr-defined]  # PyInstaller sets it


def resource_path(*parts: str) -> Path:
    """An absolute path to a shipped file, e.g. ``resource_path("resources", "fonts", "x.ttc")``."""
    return resource_root().joinpath(*parts)


FONT_FILE = resource_path("resources", "fonts", "wqy-microhei.ttc")
DEFAULT_POLICY_FILE = resource_path("resources", "policies", "default.toml")
MIGRATIONS_DIR = resource_path("db", "migrations")
ICON_PNG = resource_path("resources", "icons", "zizhu.png")
ICON_ICO = resource_path("resources", "icons", "zizhu.ico")
LICENCES_DIR = resource_path("resources", "licences")   # licence texts a component's wheel lacks (core.notices)
MANUAL_FILE = resource_path("docs", "用户手册.md")      # 帮助 → 用户手册; its pictures in docs/manual/
