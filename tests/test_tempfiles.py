"""Nothing with personal data is left behind: temporaries are registered while they
exist, removed when the work ends, and swept at the next start after a kill."""
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pdftext import page_count as pdf_pages

from core import paths
from core.errors import OutputFileError

ROOT = Path(__file__).resolve().parent.parent
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")




def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _killed_while(tmp_path: Path, home: Path, body: str) -> None:
    """Run ``body`` in a child that signals readiness by creating ``ready``, then SIGKILL it."""
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from core import paths
        ready = Path({str(ready)!r})
    """) + textwrap.dedent(body)
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "ZIZHU_HOME": str(home)})
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, "the child ended early"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


@posix_only
def test_atomic_write_killed_midway_is_swept_at_next_start(tmp_path, home):
    target = tmp_path / "out" / "上报包.zip"
    target.parent.mkdir()
    _killed_while(tmp_path, home, f"""
        with paths.atomic_path(Path({str(target)!r})) as tmp:
            tmp.write_text("张三 110101200805011234", encoding="utf-8")
            ready.touch()
            time.sleep(60)
    """)
    left = [p for p in target.parent.iterdir()]
    assert len(left) == 1 and left[0].name.endswith(".tmp")    # the kill left the partial file
    assert not target.exists()
    assert paths.sweep_stale_temp() == 1
    assert list(target.parent.iterdir()) == []
    assert list(paths.temp_root().iterdir()) == []


@posix_only
def test_working_folder_of_a_killed_export_is_swept(tmp_path, home):
    _killed_while(tmp_path, home, """
        with paths.temp_folder("export") as folder:
            (folder / "workbook.xlsx").write_text("personal data", encoding="utf-8")
            ready.touch()
            time.sleep(60)
    """)
    assert [p.name.split("-")[0] for p in paths.temp_root().iterdir()] == ["export"]
    assert paths.sweep_stale_temp() == 1
    assert list(paths.temp_root().iterdir()) == []


def test_sweep_keeps_the_temporaries_of_living_processes(tmp_path, home):
    target = tmp_path / "x.pdf"
    with paths.atomic_path(target) as tmp:
        tmp.write_bytes(b"%PDF")
        with paths.temp_folder("letters") as folder:
            assert paths.sweep_stale_temp() == 0
            assert tmp.exists() and folder.exists()
    assert target.read_bytes() == b"%PDF"
    assert list(paths.temp_root().iterdir()) == []


def test_sweep_removes_registrations_of_dead_processes_and_old_ones(tmp_path, home):
    victim = tmp_path / ".~report.abc.tmp"
    victim.write_text("data", encoding="utf-8")
    (paths.temp_root() / f"pending-{_dead_pid()}-0-aa.path").write_text(str(victim), encoding="utf-8")
    old_victim = tmp_path / ".~old.1234.tmp"
    old_victim.write_text("data", encoding="utf-8")
    old = paths.temp_root() / f"pending-{os.getpid()}-1-bb.path"     # our own PID, but a day old
    old.write_text(str(old_victim), encoding="utf-8")
    os.utime(old, (time.time() - 2 * paths.STALE_AFTER_S,) * 2)
    (paths.temp_root() / "unrelated.txt").write_text("kept", encoding="utf-8")
    assert paths.sweep_stale_temp() == 2
    assert not victim.exists() and not old_victim.exists()
    assert [p.name for p in paths.temp_root().iterdir()] == ["unrelated.txt"]


def test_a_failed_atomic_write_leaves_nothing(tmp_path, home):
    target = tmp_path / "t.xlsx"
    with pytest.raises(RuntimeError), paths.atomic_path(target):
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == [home] and list(paths.temp_root().iterdir()) == []


def test_a_failed_atomic_write_over_a_file_keeps_that_file_whole(tmp_path, home):
    """The file a failed save was to replace is left byte for byte (test review, session 30: the test
    above saves to a new name only)."""
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"the clerk's workbook")
    with pytest.raises(RuntimeError), paths.atomic_path(target) as tmp:
        Path(tmp).write_bytes(b"half of a new one")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"the clerk's workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([home.name, "t.xlsx"])
    assert list(paths.temp_root().iterdir()) == []


def test_export_and_letters_preview_leave_no_temporary_files(tmp_path, home, demo_db, monkeypatch):
    import tempfile

    from db.exports import export_package
    from db.views import snapshot
    from gui.letters_view import make_letters
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "systmp"))
    (tmp_path / "systmp").mkdir()
    export_package(demo_db, tmp_path / "pkg.zip", "a good passphrase", draft=True, letters=True)
    keys = [r.id for r in snapshot(demo_db).letters[:3]]
    made = make_letters(demo_db, keys)
    assert made.target is None and made.pdf.startswith(b"%PDF") and pdf_pages(made.pdf) == 3
    assert pickle.loads(pickle.dumps(made)) == made        # it crosses from the worker's child process
    assert list(paths.temp_root().iterdir()) == []
    assert list((tmp_path / "systmp").iterdir()) == []
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.pdf"))


def test_sweep_never_deletes_what_is_not_one_of_our_temporaries(tmp_path, home):
    clerk = tmp_path / "学生名单.xlsx"
    clerk.write_bytes(b"the clerk's file")
    folder = tmp_path / ".~folder.tmp"
    folder.mkdir()
    dead = _dead_pid()
    for n, named in enumerate([str(clerk), str(folder), "", ".~relative.tmp", "\0" * 8]):
        (paths.temp_root() / f"pending-{dead}-{n}-cc.path").write_text(named, encoding="utf-8")
    assert paths.sweep_stale_temp() == 5                  # the registrations go, nothing else
    assert clerk.read_bytes() == b"the clerk's file" and folder.is_dir()


def test_every_start_of_the_program_sweeps(tmp_path, home, capsys):
    from cli.commands import run
    victim = tmp_path / ".~letters.9f.tmp"
    victim.write_bytes(b"%PDF partial")
    (paths.temp_root() / f"pending-{_dead_pid()}-0-dd.path").write_text(str(victim), encoding="utf-8")
    assert run(["--db", str(tmp_path / "x.sqlite"), "compute"]) == 2     # no school yet: still swept
    assert not victim.exists()
    assert [p.name.split("-")[0] for p in paths.temp_root().iterdir()] == ["proc"]   # this process's own


@posix_only
def test_library_temporaries_of_a_killed_run_are_swept(tmp_path, home):
    """openpyxl writes each sheet through a NamedTemporaryFile(delete=False) while saving;
    in Zizhu that file lives in the process's private temp folder, swept after a kill."""
    _killed_while(tmp_path, home, """
        import tempfile
        paths.use_private_tempdir()
        with tempfile.NamedTemporaryFile("w", prefix="openpyxl.", delete=False) as fh:
            fh.write("张三 110101200805011234")
        ready.touch()
        time.sleep(60)
    """)
    left = list(paths.temp_root().iterdir())
    assert [p.name.split("-")[0] for p in left] == ["proc"] and list(left[0].iterdir())
    assert paths.sweep_stale_temp() == 1
    assert list(paths.temp_root().iterdir()) == []


def test_the_cli_uses_the_private_temp_folder(tmp_path, home):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(tmp_path / "x.sqlite"), "compute"],
                          env={**os.environ, "ZIZHU_HOME": str(home)}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2                      # no school: but the start ran
    assert not [p for p in paths.temp_root().iterdir() if p.name.startswith("proc-")]   # removed at exit


def _raise(exc: BaseException) -> None:
    raise exc


def _registered() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in paths.temp_root().iterdir() if p.name.startswith("pending-")]


def test_a_temporary_windows_will_not_let_go_of_stays_registered_and_its_error_is_the_one_told(
        tmp_path, home, monkeypatch):
    """Windows: the temporary is held (an antivirus scan) when the save fails and when it is removed.
    The save's own error is raised, not the removal's, and the temporary — a whole package of
    children's data — stays registered, so the next start's sweep removes it."""
    target = tmp_path / "上报包.zip"
    monkeypatch.setattr(paths, "REPLACE_WAITS", ())
    monkeypatch.setattr(paths.os, "replace", lambda *_a: _raise(PermissionError(32, "in use")))
    real_unlink = Path.unlink

    def held(self, missing_ok=False):
        if self.name.startswith(".~"):
            raise PermissionError(32, "being scanned")
        return real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, "unlink", held)
    with pytest.raises(OutputFileError) as err:
        paths.write_atomic(target, lambda tmp: tmp.write_bytes(b"PK data"))
    assert "文件被占用" in err.value.message and not target.exists()
    [left] = [p for p in tmp_path.iterdir() if p.name.startswith(".~")]
    assert _registered() == [str(left)]
    monkeypatch.setattr(Path, "unlink", real_unlink)
    marker = next(paths.temp_root().glob("pending-*"))
    marker.rename(marker.with_name(f"pending-{_dead_pid()}-0-aa.path"))      # as the next start finds it
    assert paths.sweep_stale_temp() == 1 and not left.exists()


def test_a_removed_temporary_ends_its_registration(tmp_path, home):
    made = tmp_path / ".~x.1.tmp"
    with paths.registered_temp(made):
        made.write_bytes(b"x")
        assert _registered() == [str(made)]
        made.unlink()
    assert _registered() == []
    with paths.registered_temp(tmp_path / ".~never.2.tmp"):     # never made: nothing left either
        pass
    assert _registered() == []


def test_replacing_a_file_held_for_a_moment_is_tried_again(tmp_path, monkeypatch):
    source, target = tmp_path / "a.tmp", tmp_path / "b.pdf"
    source.write_bytes(b"new")
    calls, slept = [], []
    real = os.replace

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) < 3:
            raise PermissionError(32, "sharing violation")
        real(src, dst)
    monkeypatch.setattr(paths.os, "replace", flaky)
    monkeypatch.setattr(paths.time, "sleep", slept.append)
    paths.replace_file(source, target)
    assert target.read_bytes() == b"new" and len(calls) == 3 and slept == list(paths.REPLACE_WAITS[:2])
    calls.clear(), slept.clear()
    monkeypatch.setattr(paths.os, "replace", lambda *_a: calls.append(1) or _raise(PermissionError(5, "denied")))
    with pytest.raises(PermissionError):            # held for good (open in Excel): refused in the end
        paths.replace_file(source, target)
    assert len(calls) == len(paths.REPLACE_WAITS) + 1 and slept == list(paths.REPLACE_WAITS)
    calls.clear()
    monkeypatch.setattr(paths.os, "replace", lambda *_a: calls.append(1) or _raise(OSError(28, "full")))
    with pytest.raises(OSError):                     # any other failure: told at once
        paths.replace_file(source, target)
    assert len(calls) == 1


def test_a_temporary_held_for_a_moment_is_removed_when_let_go(tmp_path, monkeypatch):
    made = tmp_path / ".~x.3.tmp"
    made.write_bytes(b"x")
    real_unlink, tries, slept = Path.unlink, [], []

    def held_twice(self, missing_ok=False):
        tries.append(self)
        if len(tries) < 3:
            raise PermissionError(32, "being scanned")
        return real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, "unlink", held_twice)
    monkeypatch.setattr(paths.time, "sleep", slept.append)
    paths.discard(made)
    assert not made.exists() and len(tries) == 3 and slept == list(paths.REPLACE_WAITS[:2])
    tries.clear()
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: tries.append(self) or _raise(OSError(5, "x")))
    paths.discard(made)                          # any other failure: logged at once, never raised
    assert len(tries) == 1
