"""db.integrity.ReadAhead, the one way a command reads ahead: a refusal of the kinds it hands over is
raised by ``take``, any other failure makes the caller read itself (no traceback printed), ``waits``
makes ``start`` return once the read says the caller may go on, and ``forget`` joins the thread of a
read that must not outlive the command (``joins``), and only that."""
import threading
import time

import pytest

from core.errors import InputFileError
from db.integrity import ReadAhead


@pytest.fixture
def f(tmp_path):
    p = tmp_path / "a.bin"
    p.write_bytes(b"x")
    return p


def _threads(name):
    return [t for t in threading.enumerate() if t.name == name]


def test_a_refusal_of_the_handed_kinds_is_raised_by_take(f):
    def read(path):
        raise InputFileError("文件有问题", "请换一个")
    ahead = ReadAhead("t-raise", read, raises=(InputFileError,))
    ahead.start(f)
    with pytest.raises(InputFileError) as err:
        ahead.take(f)
    assert err.value.message == "文件有问题"
    assert ahead.take(f) is None          # taken once


def test_any_other_failure_makes_the_caller_read_itself(f, capsys):
    def read(path):
        raise RuntimeError("boom")
    for raises in ((), (InputFileError,)):
        ahead = ReadAhead("t-other", read, raises=raises)
        ahead.start(f)
        assert ahead.take(f) is None
    assert "Traceback" not in capsys.readouterr().err


def test_a_refusal_of_a_file_changed_since_is_not_raised(f):
    def read(path):
        time.sleep(0.05)
        raise InputFileError("旧文件的问题", "")
    ahead = ReadAhead("t-changed", read, raises=(InputFileError,))
    ahead.start(f)
    f.write_bytes(b"longer now")
    assert ahead.take(f) is None


def test_waits_returns_once_the_read_says_so(f):
    steps = []

    def read(path, ready):
        steps.append("first step")
        ready.set()
        time.sleep(0.2)
        steps.append("rest")
        return "table"
    ahead = ReadAhead("t-wait", read, waits=True)
    ahead.start(f)
    steps.append("started")
    assert ahead.take(f) == "table"
    assert steps == ["first step", "started", "rest"]


def test_waits_does_not_hang_on_a_read_that_fails_first(f):
    def read(path, ready):
        raise InputFileError("打不开", "")
    ahead = ReadAhead("t-wait-fail", read, raises=(InputFileError,), waits=True)
    ahead.start(f)                       # returns: the read ended
    with pytest.raises(InputFileError):
        ahead.take(f)


def test_forget_joins_the_reads_nothing_took_when_told_to(f, tmp_path):
    g = tmp_path / "b.bin"
    g.write_bytes(b"y")
    release = {f: threading.Event(), g: threading.Event()}

    def read(path):
        release[path].wait(5)
        return path.name
    ahead = ReadAhead("t-forget", read, joins=True)
    ahead.start(f)
    ahead.start(g)
    assert len(_threads("t-forget")) == 2
    release[f].set()
    ahead.forget(f)                      # returns once f's thread ended; g's still waits
    assert len(_threads("t-forget")) == 1 and ahead.take(f) is None
    release[g].set()
    ahead.forget()                       # every read
    assert not _threads("t-forget") and ahead.take(g) is None


def test_forget_does_not_wait_for_a_read_it_need_not_join(f):
    release = threading.Event()
    ahead = ReadAhead("t-nojoin", lambda path: release.wait(5))
    ahead.start(f)
    ahead.forget(f)                      # a refused command says so at once
    assert len(_threads("t-nojoin")) == 1 and ahead.take(f) is None
    release.set()


def test_a_child_read_cannot_wait():
    with pytest.raises(ValueError):
        ReadAhead("t-child", print, in_child=True, waits=True)


def test_a_missing_or_empty_file_starts_nothing(tmp_path):
    calls = []
    ahead = ReadAhead("t-missing", lambda path: calls.append(path))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    ahead.start(tmp_path / "gone")
    ahead.start(empty)
    assert ahead.take(tmp_path / "gone") is None and ahead.take(empty) is None and calls == []
