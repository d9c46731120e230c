"""Counting the calls of a function a test replaces (``monkeypatch``), still calling it."""
from __future__ import annotations

from typing import Any


def spy(monkeypatch: Any, owner: Any, name: str) -> list[tuple[tuple, dict]]:
    """Replace ``owner.name`` by a wrapper that calls the real one; returns the list of calls
    (positional and keyword arguments), which grows as they happen."""
    real = getattr(owner, name)
    calls: list[tuple[tuple, dict]] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls
