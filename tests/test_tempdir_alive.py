"""A running process keeps its private temporary folder however long it runs: the start of
another Zizhu process does not sweep it, and if something removed it anyway it is made again
before the next save needs it."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core import paths
from core.importers.problems import write_problem_rows
from core.records import ParsedRow

ROOT = Path(__file__).resolve().parent.parent
DAY_AND_MORE = 25 * 3600




def _age(path: Path, seconds: float = DAY_AND_MORE) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _save_problems(tmp_path: Path) -> Path:
    """What 保存有问题的行 does: openpyxl saves through tempfile."""
    return write_problem_rows(tmp_path / "problems.xlsx", ["姓名", "身份证号"], [ParsedRow(2, {"name": "张三"}, ["错"])])


def test_a_day_old_folder_of_this_running_process_is_kept(home):
    folder = paths.use_private_tempdir()
    _age(folder)
    assert paths.sweep_stale_temp() == 0
    assert folder.is_dir()


def test_another_process_starting_keeps_a_day_old_folder_of_a_running_one(home, tmp_path):
    folder = paths.use_private_tempdir()
    _age(folder)
    code = "import sys; sys.path.insert(0, sys.argv[1]); from core.paths import sweep_stale_temp; sweep_stale_temp()"
    subprocess.run([sys.executable, "-c", code, str(ROOT)], env={**os.environ, "ZIZHU_HOME": str(home)},
                   check=True, timeout=60)
    assert folder.is_dir()
    with tempfile.TemporaryFile() as fh:      # the libraries' temporaries still work
        fh.write(b"x")
    assert _save_problems(tmp_path).is_file()


def test_a_folder_of_a_process_that_is_gone_is_still_swept(home):
    folder = paths.temp_root() / f"proc-{_dead_pid()}-abcdef"
    folder.mkdir()
    (folder / "openpyxl.tmp").write_text("张三 110101200805011234", encoding="utf-8")
    assert paths.sweep_stale_temp() == 1
    assert not folder.exists()


def test_a_day_old_work_folder_of_a_running_pid_is_still_swept(home):
    """Only the process-long folder is kept by a live PID; a work folder lives for one piece of
    work, so a day-old one is a killed run's whose PID was reused."""
    folder = paths.temp_root() / f"export-{os.getpid()}-abcdef"
    folder.mkdir()
    _age(folder)
    assert paths.sweep_stale_temp() == 1
    assert not folder.exists()


def test_a_removed_private_folder_is_made_again_for_a_work_folder(home):
    folder = paths.use_private_tempdir()
    shutil.rmtree(paths.temp_root())
    with paths.temp_folder("letters") as work:
        assert work.is_dir()
        assert folder.is_dir()
        with tempfile.NamedTemporaryFile(dir=None) as fh:
            assert Path(fh.name).parent == folder


def test_use_private_tempdir_again_keeps_the_same_folder(home):
    folder = paths.use_private_tempdir()
    shutil.rmtree(folder)
    assert paths.use_private_tempdir() == folder and folder.is_dir()
    assert tempfile.tempdir == str(folder)
