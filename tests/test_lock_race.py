"""The single-instance lock names its holder even when the holder is just starting or leaving.

The holder takes the lock, then writes its details; it clears them, then gives the lock back. A second
program arriving in between used to read an empty file and name "另一个资助助手" (seen when two
commands start at the same moment); it now reads the file again for a moment, or takes the lock."""
from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from core.errors import DatabaseError
from db import lock


def _hold_empty(db_path: Path) -> int:
    """Another holder (a separate open file: flock conflicts) that has not written its details yet."""
    fd = os.open(lock.lock_path(db_path.resolve()), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def _later(seconds: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_holder_writing_its_details_late_is_still_named(tmp_path):
    db_path = tmp_path / "z.sqlite"
    fd = _hold_empty(db_path)
    details = {"pid": 4321, "host": socket.gethostname(), "user": "clerk", "started": "2026-12-01T10:32:00"}
    writer = _later(0.1, lambda: os.write(fd, json.dumps(details).encode("utf-8")))
    try:
        with pytest.raises(DatabaseError) as caught:
            lock.acquire(db_path)
    finally:
        writer.join()
        os.close(fd)
    assert socket.gethostname() in caught.value.message and "4321" in caught.value.message


def test_a_holder_leaving_gives_the_lock_to_the_one_waiting(tmp_path):
    db_path = tmp_path / "z.sqlite"
    fd = _hold_empty(db_path)
    leaver = _later(0.1, lambda: (fcntl.flock(fd, fcntl.LOCK_UN), os.close(fd)))
    try:
        path = lock.acquire(db_path)
    finally:
        leaver.join()
    try:
        assert lock.is_held(db_path)
        assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()
    finally:
        lock.release(db_path)


def test_a_holder_that_never_writes_is_refused_without_details_after_a_moment(tmp_path):
    db_path = tmp_path / "z.sqlite"
    fd = _hold_empty(db_path)
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseError) as caught:
            lock.acquire(db_path)
    finally:
        os.close(fd)
    assert "另一个资助助手" in caught.value.message
    assert time.monotonic() - started >= lock._HOLDER_WAIT_S * 0.9
