"""The program's version: one source, the installed package's metadata (pyproject.toml)."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def program_version() -> str:
    # importlib.metadata (with email, zipfile's path helpers, csv: ~30 ms) only when asked: signing
    # imports this module, and `verify` or `consolidate add` never ask
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("zizhu")
    except PackageNotFoundError:  # frozen build without metadata
        return "unknown"
