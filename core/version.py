"""The program's version: one source, the installed package's metadata (pyproject.toml)."""
from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version


@lru_cache(maxsize=1)
def program_version() -> str:
    try:
        return version("zizhu")
    except PackageNotFoundError:  # frozen build without metadata
        return "unknown"
