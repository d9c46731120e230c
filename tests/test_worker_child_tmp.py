"""The GUI's worker process writes its temporary files (openpyxl's sheets while a package is
saved: every student's ID) to a private folder the next start sweeps after a kill, not %TEMP%."""
from __future__ import annotations

import os
import pickle
import tempfile

from core.paths import data_dir
from gui import worker_child


def test_the_worker_process_writes_its_temporaries_to_a_swept_private_folder():
    conn, process, _ = worker_child.spawn()
    try:
        conn.send((tempfile.gettempdir, (), {}, False))
        assert conn.poll(60)
        state, folder = pickle.loads(conn.recv_bytes())
        assert state == "ok"
        swept = (data_dir() / "tmp").resolve()
        assert str(folder).startswith(str(swept)), folder
        assert os.path.basename(folder).startswith(f"proc-{process.pid}-")
    finally:
        conn.send(None)
        process.join(30)
        conn.close()
    assert not process.is_alive()
