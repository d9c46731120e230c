"""``core.slicesort.sorted_in_slices`` gives exactly ``sorted``'s list (stable, both directions), with
keys that only know ``<`` (as Qt's collator keys), and sorts slices no longer than asked."""
from __future__ import annotations

import random

import pytest

from core import slicesort
from core.slicesort import sorted_in_slices


class LtOnly:
    """A key that only compares with ``<`` (equality is identity), like ``QCollatorSortKey``."""

    def __init__(self, v: int) -> None:
        self.v = v

    def __lt__(self, other: LtOnly) -> bool:
        return self.v < other.v

    __eq__ = object.__eq__
    __hash__ = object.__hash__


@pytest.mark.parametrize("n", [0, 1, 7, 100, 1001])
@pytest.mark.parametrize("reverse", [False, True])
def test_same_list_as_sorted_ties_in_order(n, reverse):
    rng = random.Random(n)
    items = [(rng.randrange(20), i) for i in range(n)]          # many ties on the key
    keys = {it: LtOnly(it[0]) for it in items}
    got = sorted_in_slices(items, keys.__getitem__, reverse=reverse, part=16)
    assert got == sorted(items, key=keys.__getitem__, reverse=reverse)


def test_no_sort_call_longer_than_a_slice(monkeypatch):
    sizes = []
    real = list.sort

    class Watched(list):
        def sort(self, *a, **k):
            sizes.append(len(self))
            real(self, *a, **k)
    monkeypatch.setattr(slicesort, "list", Watched, raising=False)
    sorted_in_slices(list(range(1000, 0, -1)), int, part=100)
    assert sizes and max(sizes) <= 100
