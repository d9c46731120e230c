"""The worker's work for the lists never holds the GIL for long (a frozen window meanwhile): the
single C calls that made the GUI probe's 50–300 ms stalls at county size (the names' ranks, the
roster's order, its search texts, the students' collation sort, the snapshot's and the findings'
fetches) now run a slice at a time. Measured by ``benchmarks.ccalls``: each C call's CPU time in
the calling thread (not inflated by a loaded machine), at the county's size (200,000 people,
105,000 distinct names), against the same answers as before."""
from __future__ import annotations

import random
import threading
from array import array
from itertools import count

import pytest
from sqlalchemy.engine import CursorResult

from benchmarks.ccalls import watch


@pytest.fixture(autouse=True)
def _collector_paused():
    """As in the worker, which pauses the collector while a task runs (``gui.worker``): a collection
    of whatever other tests in this process left alive, landing inside a watched C call, would be
    counted as that call's time (seen once: 25+ ms after the roster tests in the same process)."""
    from core.bulk import gc_paused
    with gc_paused():
        yield


LONGEST_MS = 25          # each call was 40–120 ms before (one C call over the whole column), ~5–9 ms now
PEOPLE = 200_000

_CHARS = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
          "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
          "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕春菊梅琴云莲真环雪荣爱妹香月莺媛")


@pytest.fixture(scope="module")
def names() -> list[str]:
    rng = random.Random(13)
    distinct = list(dict.fromkeys("".join(rng.choices(_CHARS, k=rng.choice((2, 3, 3)))) for _ in range(110_000)))
    return [rng.choice(distinct) for _ in range(PEOPLE)]


def longest_ms(calls) -> float:
    return calls.longest().cpu_s * 1000


def in_a_worker(fn, *args):
    """``fn(*args)`` on another thread (the lists' sorts are sliced only off the GUI thread), watched."""
    out: dict = {}
    t = threading.Thread(target=lambda: out.update(got=watch(fn, *args)))
    t.start()
    t.join()
    return out["got"]


def former_name_ranks(names):
    """``gui.collation.name_ranks`` as it was (one C call over each whole column): the reference."""
    import re

    from PySide6.QtCore import QCollator, QLocale

    from gui.collation import _SURNAMES, _collator, surname_form
    compare = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China)).compare
    distinct = dict.fromkeys(names)
    table, rank, previous = {}, 0, None
    for ch in sorted(set("".join(distinct)) | set(_SURNAMES.values()), key=_collator().sortKey):
        if previous is not None and compare(previous, ch) != 0:
            rank += 1
        table[ord(ch)] = chr(0x10000 + rank)
        previous = ch
    keys = {n: n.translate(table) for n in distinct}
    for n in filter(re.compile("[" + "".join(map(chr, _SURNAMES)) + "]").match, distinct):
        keys[n] = surname_form(n).translate(table)
    order = dict(zip(sorted(distinct, key=keys.__getitem__), count(), strict=False))
    return array("l", map(order.__getitem__, names))


def test_the_roster_names_ranks_in_slices(names):
    from gui.collation import name_ranks
    ranks, calls = watch(name_ranks, names)
    assert longest_ms(calls) < LONGEST_MS, calls.longest()
    assert ranks == former_name_ranks(names)


def test_the_roster_order_in_slices_off_the_gui_thread(names):
    from PySide6.QtCore import Qt

    from gui.roster_view import RosterData, ordered
    ranks = array("l", (hash(n) % 105_000 for n in names))
    data = RosterData(array("q", range(PEOPLE)), names, ranks)
    for direction in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        got, calls = in_a_worker(ordered, data, range(PEOPLE), (0, direction))
        assert longest_ms(calls) < LONGEST_MS, calls.longest()
        assert got == array("l", sorted(range(PEOPLE), key=ranks.__getitem__,
                                        reverse=direction == Qt.SortOrder.DescendingOrder))


def test_the_roster_search_texts_in_slices(names, monkeypatch):
    """``haystacks`` over 200,000 people was one ``list(map(…))``: a type's call, which the profiler
    does not see, so the slices' size is asserted."""
    import db.roster_columns as roster_columns
    from core.slicesort import SLICE
    from core.text import haystacks
    sizes = []

    def sliced(n, i, r):
        sizes.append(len(n))
        return haystacks(n, i, r)
    monkeypatch.setattr(roster_columns, "haystacks", sliced)
    names = names[:5000] * (PEOPLE // 5000)        # few distinct names: pypinyin's part kept short
    id_numbers = [f"4228{i:014d}" for i in range(PEOPLE)]
    roster_columns.search_texts(names[:100], id_numbers[:100])   # pypinyin loaded (an import: not counted)
    (initials, hays), calls = watch(roster_columns.search_texts, names, id_numbers)
    assert longest_ms(calls) < LONGEST_MS, calls.longest()
    assert max(sizes) <= SLICE and sum(sizes[1:]) == PEOPLE
    by_name = roster_columns.initials_of(set(names))
    assert initials == [by_name[n] for n in names]
    assert hays == haystacks(names, id_numbers, initials)


def test_the_students_collation_sort_in_short_slices():
    """Qt's collation keys compare slowly: a sort of 16,000 of them took 30–37 ms."""
    from db.student_columns import _COLLATED_SLICE, name_ranks
    from gui.collation import name_key_function
    rng = random.Random(5)
    names = ["".join(rng.choices(_CHARS, k=3)) for _ in range(30_000)]
    key = name_key_function()
    ranks, calls = in_a_worker(name_ranks, names, key)
    sizes = calls.sizes("list.sort")
    assert sizes and max(sizes) <= 2 * _COLLATED_SLICE
    assert longest_ms(calls) < LONGEST_MS, calls.longest()
    by_rank = sorted(range(len(names)), key=ranks.__getitem__)      # stable: equal keys in list order
    assert [names[i] for i in by_rank] == sorted(names, key=key)


def test_the_open_findings_are_read_a_part_at_a_time(demo_db, monkeypatch):
    import db.views as views
    with demo_db.session() as s:
        expected = views.open_findings_by_student(s)
    fetched = []
    real = CursorResult._fetchmany_impl

    def spy(self, *a, **k):
        rows = real(self, *a, **k)
        if rows and len(rows[0]) == 4:             # the findings' query: student, severity, code, title
            fetched.append(len(rows))
        return rows
    monkeypatch.setattr(CursorResult, "_fetchmany_impl", spy)
    monkeypatch.setattr(views, "_SNAPSHOT_PART", 3)
    with demo_db.session() as s:
        assert views.open_findings_by_student(s) == expected
    assert len(expected) > 3 and fetched and max(fetched) <= 3


def test_the_snapshot_fetches_few_students_a_call():
    """2,000 students of 40 columns a fetch held the GIL 50–90 ms at county size."""
    import db.views as views
    assert views._SNAPSHOT_PART <= 500


def test_the_worker_hands_the_lock_over_within_a_millisecond():
    """While the worker runs Python, each call Qt makes into Python on the window's thread (a paint:
    one per cell and role) waits for the lock up to the switch interval: 50 hand-overs took ~210 ms
    at the default 5 ms, ~60 ms at 1 ms (docs/BENCHMARKS.md)."""
    import sys

    from gui import worker
    worker.pool()
    assert sys.getswitchinterval() <= 0.001
