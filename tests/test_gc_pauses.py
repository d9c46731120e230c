# ruff: noqa: F811 - the fixture imported from test_cli is the test functions' argument
"""The collector's pauses are counted across threads (core.bulk.gc_paused): a pause that ends on one
thread while another thread's goes on leaves the collector off, so that the CLI's read ahead, ending
its read in the middle of the import's pause, does not turn the collector on for the import's parse
and write (the young collection of the whole table, then collections among the parsed rows)."""
import gc
import threading
import weakref

import pytest
from conftest import xlsx
from test_cli import dbp  # noqa: F401 - the fixture: an initialised school database
from test_import_prefetch import IDS

import core.pinyin
import db.workflows
from cli import commands
from core import bulk
from core.bulk import FREEZE, LEAVE, PROMOTE, after_pauses, gc_paused
from db import store


@pytest.fixture
def mode(monkeypatch):
    """The ends of the pauses as the test sets them, the process's own mode back afterwards."""
    monkeypatch.setattr(bulk, "_after", list(bulk._after))
    return after_pauses


def _paused_on_a_thread() -> tuple[threading.Thread, threading.Event]:
    """A pause held on another thread until the returned event is set."""
    started, end = threading.Event(), threading.Event()

    def hold() -> None:
        with gc_paused():
            started.set()
            end.wait(10)
    thread = threading.Thread(target=hold)
    thread.start()
    assert started.wait(10)
    return thread, end


def test_a_pause_ending_on_another_thread_leaves_this_ones_on():
    assert gc.isenabled()
    thread, end = _paused_on_a_thread()
    with gc_paused():
        end.set()
        thread.join()
        assert not gc.isenabled()           # the other thread's pause ended, this one goes on
    assert gc.isenabled()                   # the last pause ended


def test_this_pause_ending_while_another_threads_goes_on():
    thread, end = _paused_on_a_thread()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        end.set()
        thread.join()
    assert gc.isenabled()


def test_a_collector_found_off_stays_off():
    gc.disable()
    try:
        thread, end = _paused_on_a_thread()
        with gc_paused():
            end.set()
            thread.join()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_commands_preload_is_one_of_the_pauses(mode):
    """``_preload`` of a whole process (freezing what its imports made) does not turn the collector on
    while a read ahead's pause goes on."""
    thread, end = _paused_on_a_thread()
    try:
        commands._preload("import", whole_process=True)
        assert not gc.isenabled()
    finally:
        end.set()
        thread.join()
        gc.unfreeze()                       # (the whole process's imports, and the pauses' ends, froze)
    assert gc.isenabled()


def test_the_read_ahead_ending_during_the_import_leaves_the_collector_off(dbp, tmp_path, monkeypatch):
    """The read ahead's read ends after the import's pause began (its warm-up waits for the import to
    read its mapping): the import's parse and write still run without the collector."""
    in_import = threading.Event()
    seen: dict[str, bool] = {}
    real_mapping, real_apply = store.get_mapping, db.workflows.apply_plan

    def mapping(session, kind):
        in_import.set()
        return real_mapping(session, kind)

    def apply(*args, **kwargs):
        seen["apply_plan"] = gc.isenabled()
        return real_apply(*args, **kwargs)
    monkeypatch.setattr(core.pinyin, "warm_name_initials", lambda: in_import.wait(10))
    monkeypatch.setattr(store, "get_mapping", mapping)
    monkeypatch.setattr(db.workflows, "apply_plan", apply)
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别"],
                *([f"学生{i}", IDS[i], "高中", "建档立卡"] for i in range(5)), title="学生名单")
    assert gc.isenabled()
    assert commands.run(["--db", str(dbp), "import", "students", str(path)]) == 0
    assert in_import.is_set() and seen == {"apply_plan": False}
    assert gc.isenabled()


class _Marker:
    """A container the collector tracks (instances with a ``__dict__``)."""


def _generation_of(obj: object) -> int | None:
    for generation in (0, 1, 2):
        if any(o is obj for o in gc.get_objects(generation)):
            return generation
    return None


def test_what_a_pause_leaves_alive_is_moved_to_the_oldest_generation_unscanned(mode):
    """The end of the process's pauses moves what the pass left alive to the oldest generation, so the
    young collections that follow do not walk it (0.35 s after a roster's import); cyclic garbage made
    in the pause is still collected by a full collection."""
    mode(PROMOTE)
    with gc_paused():
        kept = _Marker()
        cycle = _Marker()
        cycle.me = cycle                    # garbage once dropped: only the collector frees it
        assert _generation_of(kept) == 0
        assert gc.get_count()[0] > 0
    assert _generation_of(kept) == 2
    assert gc.get_count()[0] < 50           # the young generation starts empty
    gone = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert gone() is None                   # the cycle is collected by a full collection


def test_a_process_that_keeps_frozen_objects_has_them_left_frozen(mode):
    """The GUI freezes its start and the rows its pages keep (``LEAVE``): a pause's end must not hand
    them back to the collector."""
    mode(LEAVE)
    frozen = _Marker()
    gc.freeze()
    try:
        with gc_paused():
            young = _Marker()
        assert _generation_of(frozen) is None and _generation_of(young) == 0
    finally:
        gc.unfreeze()


def test_the_gui_says_it_keeps_frozen_objects(mode):
    from gui import worker
    mode(PROMOTE)
    worker.freeze_long_lived()
    try:
        assert bulk._after == [LEAVE]
    finally:
        gc.unfreeze()


def test_a_one_command_process_freezes_what_its_passes_leave(mode):
    mode(FREEZE)
    try:
        with gc_paused():
            kept = _Marker()
        assert _generation_of(kept) is None and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert _generation_of(kept) == 2


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        after_pauses("sometimes")
