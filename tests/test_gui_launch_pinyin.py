"""The GUI's start loads the names' initials table before the window exists (``gui.launch.before_qt``),
not in the worker thread while the window is shown (its ``json.loads`` holds Python's lock), and does
not import pypinyin itself: nothing in the GUI process needs it at start (the start-up check runs in the
worker's child process), and its dictionaries are 0.13–0.2 s of the start."""
import os
import subprocess
import sys


def test_before_qt_loads_the_initials_table_not_pypinyin(tmp_path):
    code = ("import sys\n"
            "import db.integrity, gui.worker_child\n"
            "db.integrity.start = lambda path: None\n"            # no file, no child: only the imports
            "gui.worker_child.start_early = lambda task=None: None\n"
            "import gui.first_rows\n"
            "gui.first_rows.first_task = lambda path: None\n"
            "assert 'PySide6' not in sys.modules\n"
            "from pathlib import Path\n"
            "from gui.launch import before_qt\n"
            "before_qt(Path(sys.argv[1]))\n"
            "import core.pinyin_chars\n"
            "print('PySide6' in sys.modules, core.pinyin_chars._table.cache_info().currsize,\n"
            "      'pypinyin' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none.sqlite")], capture_output=True,
                         text=True, check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.split() == ["True", "1", "False"]
