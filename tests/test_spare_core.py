"""Whether a core is free (core.in_child.spare_core): a lagging 1-minute load is looked behind by
sampling the cores' use, less this process's own, since a given moment (Linux's /proc/stat)."""
from __future__ import annotations

import sys

import pytest

from core import in_child
from core.in_child import CpuSample, cpu_sample, spare_core


@pytest.fixture(autouse=True)
def no_start_sample(monkeypatch):
    """No process-start sample unless a test takes one (main.py takes it: remember_start)."""
    monkeypatch.setattr(in_child, "_started", None)


@pytest.fixture
def two_busy_cores(monkeypatch):
    """Two cores and a high 1-minute load: the figure alone says no core is free."""
    monkeypatch.setattr(in_child.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(in_child.os, "getloadavg", lambda: (2.4, 1.8, 1.0))


def _now(monkeypatch, sample):
    monkeypatch.setattr(in_child, "cpu_sample", lambda: sample)


def test_a_low_load_is_a_free_core_without_sampling(monkeypatch):
    monkeypatch.setattr(in_child.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(in_child.os, "getloadavg", lambda: (0.7, 0.5, 0.4))
    _now(monkeypatch, None)
    assert spare_core() and spare_core(CpuSample(0.0, 0.0, 0.0))


def test_a_high_load_without_a_sample_is_no_free_core(two_busy_cores, monkeypatch):
    assert not spare_core()
    _now(monkeypatch, None)                     # (the kernel tells nothing: Windows has no load anyway)
    assert not spare_core(CpuSample(0.0, 0.0, 0.0))


@pytest.mark.parametrize(("busy", "ours", "free"), [
    (1.0, 0.95, True),       # the cores did only this process's work: the load was its own past
    (1.0, 0.60, True),       # others took 0.4 of a core
    (1.5, 0.50, False),      # others took a whole core
    (2.0, 0.0, False),       # others took both
])
def test_a_high_load_is_looked_behind_by_the_cores_use_less_our_own(two_busy_cores, monkeypatch, busy, ours, free):
    since = CpuSample(10.0, 500.0, 3.0)
    _now(monkeypatch, CpuSample(11.0, 500.0 + busy, 3.0 + ours))     # one second later
    assert spare_core(since) is free


def test_too_short_a_sample_decides_nothing(two_busy_cores, monkeypatch):
    since = CpuSample(10.0, 500.0, 3.0)
    _now(monkeypatch, CpuSample(10.05, 500.0, 3.0))
    assert not spare_core(since)


def test_one_core_is_never_spare(monkeypatch):
    monkeypatch.setattr(in_child.os, "cpu_count", lambda: 1)
    assert not spare_core() and not spare_core(CpuSample(0.0, 0.0, 0.0))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/stat is Linux's")
def test_the_sample_reads_the_kernels_figures():
    a = cpu_sample()
    sum(i * i for i in range(300_000))          # some work of this process
    b = cpu_sample()
    assert a is not None and b is not None
    assert b.at > a.at and b.busy >= a.busy > 0 and b.ours > a.ours


@pytest.mark.parametrize(("after", "busy", "ours", "free"), [
    (1.0, 1.0, 0.95, True),     # the load was the previous command's: looked behind from the start
    (1.0, 2.0, 0.5, False),     # others took a core and a half since the start
    (0.08, 0.08, 0.076, True),    # a command's reads ahead decide about a tenth of a second after its start
    (0.03, 0.0, 0.0, False),    # too short a look to decide
    (30.0, 0.0, 0.0, False),    # long after the start (a window open for minutes): the figure decides
])
def test_the_process_start_is_looked_behind_from_without_a_since(two_busy_cores, monkeypatch, after, busy, ours,
                                                                  free):
    _now(monkeypatch, CpuSample(10.0, 500.0, 3.0))
    in_child.remember_start()
    _now(monkeypatch, CpuSample(10.0 + after, 500.0 + busy, 3.0 + ours))
    assert spare_core() is free

