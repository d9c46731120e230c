"""Where Zizhu keeps its files (platformdirs), atomic file writes, and temporary files
that never outlive the program.

Every temporary file or folder that may hold personal data is registered in
``<data dir>/tmp`` while it exists: the atomic-write temporaries beside a
target (a partial export zip, a half-written letters PDF) and the working
folders (``temp_folder``). A process killed mid-write leaves its registration
behind, and the next start (``sweep_stale_temp``) deletes what it names.
"""
from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir, user_log_dir

APP = "Zizhu"


def data_dir() -> Path:
    return Path(os.environ.get("ZIZHU_HOME") or user_data_dir(APP, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "zizhu.sqlite"


def demo_db_path() -> Path:
    return data_dir() / "demo.sqlite"


def log_dir() -> Path:
    base = os.environ.get("ZIZHU_HOME")
    return Path(base) / "logs" if base else Path(user_log_dir(APP, appauthor=False))


log = logging.getLogger(__name__)
_serial = itertools.count()
STALE_AFTER_S = 24 * 3600          # a registration this old is stale even if its PID was reused


def temp_root() -> Path:
    """``<data dir>/tmp``: private to the user (0700), swept at start."""
    root = data_dir() / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # e.g. a FAT-formatted USB stick
        os.chmod(root, 0o700)
    return root


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes
        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)   # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259                                          # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def registered_temp(path: Path) -> Iterator[None]:
    """Record ``path`` in the temp registry while the block runs: a kill inside it leaves the file to
    the next start's sweep (``sweep_stale_temp``). ``path`` must be named ``.~….tmp`` (or that with
    ``-journal``), the only names the sweep deletes."""
    marker = temp_root() / f"pending-{os.getpid()}-{next(_serial)}-{os.urandom(4).hex()}.path"
    marker.write_text(str(path), encoding="utf-8")
    try:
        yield
    finally:
        if not os.path.lexists(path):
            marker.unlink(missing_ok=True)
        else:       # not removed (Windows: held by an antivirus scan): left to the next start's sweep
            log.warning("temporary %s could not be removed; the next start removes it", path.name)


# A file just written may be held for a moment on Windows by an antivirus scan, the search indexer or
# a sync client: renaming or deleting it then fails with a sharing violation (PermissionError). Tried
# again this long apart before the failure stands (as pip does); a file open in Excel stays refused.
REPLACE_WAITS = (0.05, 0.1, 0.2)


def _again_while_held(act: Callable[[], object]) -> None:
    """``act()``, tried again on PermissionError after each of ``REPLACE_WAITS``; the last one raised."""
    for wait in (*REPLACE_WAITS, None):
        try:
            act()
            return
        except PermissionError:
            if wait is None:
                raise
            time.sleep(wait)


def replace_file(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """``os.replace``, tried again on PermissionError (``REPLACE_WAITS``)."""
    _again_while_held(lambda: os.replace(source, target))


def discard(path: Path) -> None:
    """Remove a temporary (gone already: nothing), tried again on PermissionError as ``replace_file``
    does; a failure is logged, never raised over the error being told (its registration keeps it for
    the next start's sweep: ``registered_temp``)."""
    try:
        _again_while_held(lambda: path.unlink(missing_ok=True))
    except OSError as exc:
        log.warning("could not remove the temporary %s: %s", path.name, exc)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _registered_temp(marker: Path) -> Path | None:
    """The atomic-write temporary a registration names, or None when the registration
    is damaged (a kill while writing it leaves it empty or zero-filled) or names anything
    but one of our own ``.~NAME.HEX.tmp`` files: the sweep never deletes a clerk's file."""
    try:
        text = marker.read_text(encoding="utf-8").strip()
        path = Path(text)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not text or "\0" in text or not path.is_absolute():
        return None
    if not (path.name.startswith(".~") and path.name.endswith((".tmp", ".tmp-journal"))) or path.is_dir() \
            or path.is_symlink():
        return None
    return path


def sweep_stale_temp() -> int:
    """Delete temporaries left by killed processes (their PID is gone, or the
    registration is older than a day). Returns how many were removed.

    A running process's private ``tempfile`` folder (``proc-PID-…``, ``use_private_tempdir``) is
    never removed, however old: its time only moves when something is made in it, so a window left
    open overnight would lose it to the next start of any other Zizhu process. The PID a killed
    process left may be running something else after a reboot; its folder is then kept until a
    start finds that PID gone. The machine's boot time would tell such a folder apart, but it is
    not portable and moves with the clock (an old PC whose clock is corrected after start would
    see its live folders as older than the boot), so it is not used: a stale folder kept a while
    in the user's private data folder is the lesser harm than a live one removed under a save.
    The other registrations (an atomic write's, a ``temp_folder``) live only while one piece of
    work runs, so a day-old one is stale even if its PID is running (reused)."""
    root = data_dir() / "tmp"
    if not root.is_dir():
        return 0
    removed = 0
    now = time.time()
    for entry in root.iterdir():
        try:
            pid = int(entry.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        try:
            old = now - entry.stat().st_mtime > STALE_AFTER_S
        except OSError:
            continue
        if _pid_alive(pid) and (not old or entry.name.startswith("proc-")):
            continue
        if entry.name.startswith("pending-") and entry.suffix == ".path":
            victim = _registered_temp(entry)
            if victim is not None:
                try:
                    victim.unlink(missing_ok=True)
                except OSError:
                    continue
        _remove(entry)
        removed += 1
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run", removed)
    return removed


_process_tmp: Path | None = None


def use_private_tempdir() -> Path:
    """Point this process's ``tempfile`` at a private folder in the temp registry, so the
    temporaries libraries make for us (openpyxl writes each sheet through one while
    saving) are swept after a kill too. Called once at start; removed at exit.

    Called again, it makes the folder again under the same name if it is gone."""
    global _process_tmp
    if _process_tmp is not None:
        _make_again(_process_tmp)
        return _process_tmp
    import atexit
    import tempfile
    folder = temp_root() / f"proc-{os.getpid()}-{os.urandom(6).hex()}"
    folder.mkdir(mode=0o700)
    tempfile.tempdir = str(folder)
    atexit.register(shutil.rmtree, folder, True)
    _process_tmp = folder
    return folder


def _make_again(folder: Path) -> None:
    if folder.is_dir():
        return
    temp_root()
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    log.warning("the private temporary folder %s was missing: made again", folder)


def ensure_private_tempdir() -> Path | None:
    """The private folder ``tempfile`` writes to, made again under the same name when it is gone
    (a person clearing the data folder, an older Zizhu's sweep). It is the folder
    ``tempfile.tempdir`` names when that is one of ours (a ``proc-…`` folder in the temp registry:
    ``use_private_tempdir``'s, or the parent's in a child process that was handed it,
    core.exports.notice_child); None (nothing done) otherwise.

    Called by ``temp_folder`` (``use_private_tempdir`` makes its own again). (``tempfile`` itself is not wrapped: the
    sweep no longer removes a running process's folder, which was how it went missing.)"""
    import tempfile
    named = tempfile.tempdir
    if not named or not isinstance(named, str):
        return None
    folder = Path(named)
    if not folder.name.startswith("proc-") or folder.parent != data_dir() / "tmp":
        return None
    _make_again(folder)
    return folder


@contextmanager
def temp_folder(prefix: str) -> Iterator[Path]:
    """A private working folder, removed on exit (and by the next start's sweep
    if the process is killed)."""
    ensure_private_tempdir()
    folder = temp_root() / f"{prefix}-{os.getpid()}-{os.urandom(6).hex()}"
    folder.mkdir(mode=0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Files no output of this process may replace (``protect``): the database it opened and its side
# files, the spreadsheets it imported. Keyed as the file system names them (``_file_key``).
_protected: dict[str, str] = {}
DATABASE_FILE = "这是正在使用的数据库文件，保存到这里会毁掉其中的数据"
IMPORTED_FILE = "这是本次运行中导入过的原始名单文件，保存到这里会覆盖它"


def _file_key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.realpath(path))


def protect(paths: Iterable[str | Path], why: str) -> None:
    """Never let an output of this process replace ``paths`` (``why``: the refusal's reason, Chinese)."""
    for path in paths:
        _protected[_file_key(path)] = why


def check_replaceable(target: str | os.PathLike[str]) -> None:
    """OutputFileError when ``target`` is a file this process protects (``protect``)."""
    why = _protected.get(_file_key(target)) if _protected else None
    if why is not None:
        from core.errors import OutputFileError
        raise OutputFileError(f"不能保存为“{Path(target).name}”：{why}", "请换一个文件名（或文件夹）后重新保存")


def require_suffix(target: str | os.PathLike[str], suffixes: tuple[str, ...], what: str) -> Path:
    """``target`` when its extension is one of ``suffixes``; else ValidationError naming what may be
    saved (a file of one format under another's name: Excel refuses it or warns, a clerk sends it on).
    A protected file (``check_replaceable``) is refused first."""
    p = Path(target)
    check_replaceable(p)         # (the open database or an imported list named: that refusal says more)
    if p.suffix.lower() not in suffixes:
        from core.errors import ValidationError
        raise ValidationError(f"不支持的文件类型“{p.suffix or '（无扩展名）'}”：{p.name}",
                              f"{what}请保存为 {' 或 '.join(suffixes)} 文件")
    return p


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces
    ``target`` in one step, on failure it is removed and ``target`` untouched.
    The temporary is registered, so a kill mid-write leaves nothing after the next start.
    A protected file (``protect``: the open database, an imported list) is never the target."""
    target = Path(target)
    check_replaceable(target)
    tmp_path = (target.parent / f".~{target.stem[:40]}.{os.urandom(6).hex()}.tmp").absolute()
    with registered_temp(tmp_path):        # registered before it exists: no window for a kill
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        os.close(fd)
        try:
            yield tmp_path
            replace_file(tmp_path, target)
        finally:
            discard(tmp_path)


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Run ``write(tmp)`` and move the result onto ``path`` in one step.

    Any file-system failure becomes an OutputFileError with a Chinese hint;
    the target is left untouched."""
    from core.errors import OutputFileError, os_reason

    target = Path(path)
    if not target.parent.is_dir():
        raise OutputFileError(f"无法保存“{target.name}”：文件夹“{target.parent}”不存在",
                              "请选择一个已存在的文件夹")
    try:
        with atomic_path(target) as tmp:
            write(tmp)
            os.chmod(tmp, 0o644)   # mkstemp makes it private; a saved document is not
    except PermissionError:
        raise OutputFileError(f"无法保存“{target.name}”：文件被占用或没有写入权限",
                              "如果该文件已在 Excel/WPS 或 PDF 阅读器中打开，请先关闭，然后重试") from None
    except OSError as exc:
        raise OutputFileError(f"无法保存“{target.name}”：{os_reason(exc)}", _save_hint(exc, target)) from None
    return target


def _save_hint(exc: OSError, target: Path) -> str:
    """What to do when saving ``target`` failed with ``exc`` (a full disk, a folder of that name, a name
    too long, a read-only disk), naming the folder."""
    import errno
    code = errno.errorcode.get(exc.errno or 0, "") if isinstance(exc.errno, int) else ""
    win = getattr(exc, "winerror", None)
    if code in ("ENOSPC", "EDQUOT") or win == 112:
        return f"磁盘空间不足：请清理“{target.parent}”所在的磁盘（删除不需要的文件、清空回收站），或换一个保存位置"
    if code == "EISDIR":
        return f"“{target.parent}”中已有一个名为“{target.name}”的文件夹：请换一个文件名"
    if code == "ENAMETOOLONG" or win == 206:
        return "文件名或文件夹路径太长：请用短一些的文件名，或保存到层级较浅的文件夹（例如桌面）"
    if code == "EROFS":
        return f"“{target.parent}”所在的磁盘是只读的（例如光盘或写保护的U盘）：请换一个保存位置"
    return f"请换一个保存位置（现在是“{target.parent}”）后重试"


_BAD_FILE_CHARS = '<>:"/\\|?*'


def safe_file_name(parts: Iterable[str | None], suffix: str) -> str:
    """The non-empty ``parts`` joined with "-", plus ``suffix``, with the characters Windows
    forbids in file names replaced by "_"."""
    name = "-".join(p.strip() for p in parts if p and p.strip()) + suffix
    return "".join("_" if c in _BAD_FILE_CHARS or ord(c) < 32 else c for c in name)
