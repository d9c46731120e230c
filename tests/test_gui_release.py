"""A reload's previous columns are freed in the worker, a slice at a time (``gui.release``), never
taking apart what something else still holds."""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from gui import release, worker
from gui.columns_model import ColumnsModel


class Watched(list):
    """A list whose deletions are written to ``log`` as (name, its length before), without the log
    holding the list (which would make it held by something else)."""

    def __init__(self, name: str, items, log: list) -> None:
        super().__init__(items)
        self.name, self.log = name, log

    def __delitem__(self, key) -> None:
        self.log.append((self.name, len(self)))
        super().__delitem__(key)


@dataclass(frozen=True)
class Held:
    items: list
    by_name: dict


@dataclass(frozen=True)
class Cols:
    """The least a ``ColumnsModel`` needs of its columns."""
    ids: list
    haystacks: list
    payload: list

    def __len__(self) -> int:
        return len(self.ids)


def test_take_apart_empties_lists_only_the_structure_holds_a_slice_at_a_time(monkeypatch):
    monkeypatch.setattr(release, "SLICE", 10)
    log: list[tuple[str, int]] = []
    box = [Held(Watched("alone", range(95), log),
                {"inner": Watched("inner", range(30), log), "nested": [Watched("nested", range(3), log)]})]
    release.take_apart(box)
    assert box == []
    assert [n for name, n in log if name == "alone"] == [95, 85, 75, 65, 55, 45, 35, 25, 15, 5]
    assert [n for name, n in log if name == "inner"] == [30, 20, 10]
    assert [n for name, n in log if name == "nested"] == []        # an item of a list: freed whole


def test_take_apart_leaves_what_something_else_holds(monkeypatch):
    monkeypatch.setattr(release, "SLICE", 10)
    log: list[tuple[str, int]] = []
    shared = Watched("shared", range(30), log)
    watched = Held(Watched("watched", range(30), log), {})
    seen = weakref.ref(watched)                  # a weak reference: the structure is left whole
    box = [Held(Watched("alone", range(20), log), {"shared": shared}), watched]
    del watched
    release.take_apart(box)
    assert box == [] and seen() is None
    assert shared == list(range(30))
    assert {name for name, _n in log} == {"alone"}


def test_a_reload_frees_the_previous_columns_in_the_worker(qtbot):
    freed: list[int] = []

    class Tracked:
        def __del__(self) -> None:
            freed.append(threading.get_ident())

    n = 5000
    model = ColumnsModel()
    old = worker.SYNCHRONOUS
    worker.SYNCHRONOUS = False
    try:
        cols = Cols(list(range(n)), [f"h{i}" for i in range(n)], [Tracked() for _ in range(n)])
        model.set_data(ColumnsModel.prepare(cols))
        del cols
        model.set_data(ColumnsModel.prepare(Cols([], [], [])))
        assert freed == []                          # not on the window's thread
        qtbot.waitUntil(lambda: len(freed) == n, timeout=5000)
    finally:
        worker.SYNCHRONOUS = old
    assert threading.get_ident() not in freed
