"""``core.slicesort`` gives exactly ``sorted``'s list (stable, both directions), with keys that only
know ``<`` (as Qt's collator keys), and never sorts or maps more than two slices in one C call."""
from __future__ import annotations

import operator
import random
from array import array

import pytest

from benchmarks.ccalls import watch
from core.slicesort import distinct_in_slices, map_in_slices, sorted_in_slices, sorted_positions


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


@pytest.mark.parametrize("n", [0, 1, 2, 5, 17, 100, 1000, 3001])
@pytest.mark.parametrize("part", [1, 2, 3, 16, 5000])
@pytest.mark.parametrize("reverse", [False, True])
def test_sorted_positions_is_sorted_ties_in_order(n, part, reverse):
    rng = random.Random(n * 31 + part)
    keys = array("l", (rng.randrange(max(1, n // rng.choice((1, 4, 60)))) for _ in range(n)))   # ties
    positions = list(range(n))
    rng.shuffle(positions)
    for given in (positions, array("l", positions), range(n)):
        got = sorted_positions(given, keys, reverse, part)
        assert got == sorted(given, key=keys.__getitem__, reverse=reverse)


def test_no_c_call_over_two_slices():
    """Each ``list.sort`` (a slice's, a merge chunk's) sorts at most two slices: 5,000 items in
    slices of 100 are never one C call over more than 200."""
    rng = random.Random(1)
    keys = [LtOnly(rng.randrange(300)) for _ in range(5000)]
    got, calls = watch(sorted_positions, range(5000), keys, False, 100)
    assert got == sorted(range(5000), key=keys.__getitem__)
    sizes = calls.sizes("list.sort")
    assert sizes and max(sizes) <= 200 and sum(sizes) >= 5000


def test_maps_and_distinct_in_slices():
    words = [str(i % 37) for i in range(1000)]
    assert map_in_slices(str.upper, words, part=7) == [w.upper() for w in words]
    assert map_in_slices(int, words, into=array("q"), part=7) == array("q", map(int, words))
    assert map_in_slices(operator.add, words, words, part=300) == [w + w for w in words]
    assert distinct_in_slices(words, part=7) == list(dict.fromkeys(words))
    _, calls = watch(map_in_slices, str.upper, words, part=100)
    assert max(calls.sizes("list.extend")) == len(words)          # grown 100 at a time:
    assert len(calls.sizes("list.extend")) == 10


def test_gathered_copies_are_the_texts_in_order_as_new_objects():
    from core.slicesort import gathered_copies
    texts = [f"名{i}\x1f4228{i:014d}\x1fm" for i in range(1000)]
    order = [*range(999, -1, -3), 5, 5]
    got = gathered_copies(texts, order, part=64)
    assert got == [texts[p] for p in order]
    assert not any(g is texts[p] for g, p in zip(got, order, strict=True))     # copies: laid out in this order
    assert gathered_copies(texts, [], part=64) == []


def test_gathered_copies_keep_a_slice_whose_text_holds_the_separator():
    from core.slicesort import gathered_copies
    texts = ["a", "b\nc", "", "d", "e"]
    order = [4, 3, 2, 1, 0]
    assert gathered_copies(texts, order, part=2) == ["e", "d", "", "b\nc", "a"]
