"""The GUI's worker process logs to a file of its own, ID numbers masked as in the window's log. Until
session 15 it set no logging up: its warnings went to the standard error with the children's full ID
numbers, and never reached a log file (found by review)."""
from __future__ import annotations

import logging
import pickle
from datetime import date

from core.idnumber import make_id
from core.paths import log_dir
from gui import worker_child

CHILD_ID = make_id("110101", date(2012, 5, 6), 123)


def warn_about_a_child() -> str:
    """Run in the worker process (spawned: importable by name)."""
    logging.getLogger("zizhu.test").warning("student %s could not be matched", CHILD_ID)
    return "done"


def test_the_worker_process_logs_to_its_file_with_ids_masked():
    conn, process, _task = worker_child.spawn()
    try:
        conn.send((warn_about_a_child, (), {}, False))
        status, result = pickle.loads(conn.recv_bytes())
        assert (status, result) == ("ok", "done")
    finally:
        worker_child.stop(conn, process)
    text = (log_dir() / worker_child.WORKER_LOG).read_text(encoding="utf-8")
    assert "could not be matched" in text
    assert CHILD_ID not in text and CHILD_ID[:6] in text          # masked, as the window's log masks it
