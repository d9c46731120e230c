"""The GUI's start loads pypinyin before the window exists (``gui.launch.before_qt``), not in the
worker thread while the window is shown (a frozen window: its import holds Python's lock)."""
import os
import subprocess
import sys


def test_before_qt_loads_pypinyin_before_qt(tmp_path):
    code = ("import sys\n"
            "import db.integrity, gui.worker_child\n"
            "db.integrity.start = lambda path: None\n"            # no file, no child: only the imports
            "gui.worker_child.start_early = lambda task=None: None\n"
            "import gui.first_rows\n"
            "gui.first_rows.first_task = lambda path: None\n"
            "assert 'pypinyin' not in sys.modules\n"
            "from pathlib import Path\n"
            "from gui.launch import before_qt\n"
            "before_qt(Path(sys.argv[1]))\n"
            "names = list(sys.modules)\n"
            "print(names.index('pypinyin') < names.index('PySide6'))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none.sqlite")], capture_output=True,
                         text=True, check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "True"
