"""One copy of the program per database: a lock file beside it (``<db>.lock``).

The lock is an OS lock on the open file (``flock`` on POSIX, ``msvcrt.locking``
on Windows), so it goes away with the process: a crashed holder never blocks
the database. The file holds who took it (PID, machine, user, start time) so a
refused second copy can say who is using the database. The same process may
open the same database more than once (tests, the GUI's reopen after a
restore): the lock is counted per process.
"""
from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import socket
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from core.errors import DatabaseError, OutputFileError, os_reason

log = logging.getLogger(__name__)

_WIN_LOCK_OFFSET = 1 << 20     # Windows: lock a byte far past the text so others can read it
_HOLDER_WAIT_S = 0.5           # how long an empty lock file (a holder starting or leaving) is read again
_held: dict[str, tuple[int, int]] = {}     # lock path -> (fd, count)
_guard = threading.Lock()


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl
    fcntl.flock(fd, fcntl.LOCK_UN)


def _holder_info() -> dict[str, object]:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some systems
        user = ""
    return {"pid": os.getpid(), "host": socket.gethostname(), "user": user,
            "started": datetime.now().isoformat(timespec="seconds")}


def describe_holder(text: str) -> str:
    """"机器名 上的 用户（进程 1234，自 10:32 起）" from the lock file's text."""
    try:
        info = json.loads(text)
        started = datetime.fromisoformat(str(info.get("started")))
    except (ValueError, TypeError, AttributeError):
        return "另一个资助助手"
    when = started.strftime("%H:%M") if started.date() == datetime.now().date() \
        else started.strftime("%Y-%m-%d %H:%M")
    user = str(info.get("user") or "未知用户")
    return f"{info.get('host') or '未知机器'} 上的 {user}（进程 {info.get('pid')}，自 {when} 起）"


def _write_holder(fd: int, path: Path) -> None:
    """Write who holds the lock into the lock file: best effort. The OS lock is what keeps a second
    copy out; on a full disk (or any write error) the file stays empty and a second copy is told
    "另一个资助助手" instead of the holder's name, while this one goes on working."""
    data = json.dumps(_holder_info(), ensure_ascii=False).encode("utf-8")
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, data)
    except OSError as exc:
        log.warning("could not write the holder's details into %s: %s", path.name, exc)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)       # no half-written details, nor an earlier holder's


def acquire(db_path: Path) -> Path:
    """Take the single-instance lock of ``db_path`` or raise DatabaseError naming the holder."""
    path = lock_path(Path(db_path).resolve())
    key = str(path)
    with _guard:
        if key in _held:
            fd, count = _held[key]
            _held[key] = (fd, count + 1)
            return path
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DatabaseError(f"无法在数据库所在文件夹 {path.parent} 创建锁文件：{os_reason(exc)}",
                                "请检查该文件夹的写入权限，或把数据库放在可写的位置") from None
        # The holder writes its details just after taking the lock and clears them just before
        # giving it back: an empty file is read again for a moment (and the lock tried again).
        deadline = time.monotonic() + _HOLDER_WAIT_S
        while not _try_lock(fd):
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                text = os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:
                os.close(fd)
                raise
            if not text.strip() and time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            os.close(fd)
            who = describe_holder(text)
            raise DatabaseError(f"数据库 {db_path} 正由 {who}使用，不能同时打开",
                                "请先关闭另一个资助助手窗口（或等待正在运行的命令结束），然后重试；"
                                "同一个数据库一次只能由一个程序使用")
        _write_holder(fd, path)
        _held[key] = (fd, 1)
        log.info("instance lock taken: %s", path.name)
        return path


def release(db_path: Path) -> None:
    """Give back one hold on the lock; the last one clears the file and unlocks it."""
    key = str(lock_path(Path(db_path).resolve()))
    with _guard:
        if key not in _held:
            return
        fd, count = _held[key]
        if count > 1:
            _held[key] = (fd, count - 1)
            return
        del _held[key]
        try:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                log.warning("could not clear the holder's details in %s", key)
            _unlock(fd)
        except OSError:
            log.warning("could not clear the instance lock %s", key)
        finally:
            os.close(fd)


def is_held(db_path: Path) -> bool:
    """Whether this process holds the lock of ``db_path``."""
    return str(lock_path(Path(db_path).resolve())) in _held


_SIDE_SUFFIXES = ("-wal", "-shm", "-journal", ".lock")


def holder_elsewhere(db_path: Path) -> str | None:
    """The lock file's text (who holds it, maybe "") when a program holds the lock of ``db_path``,
    else None. Tried as ``acquire`` takes it and given back at once: no lock file is made, and a copy
    starting meanwhile finds it empty and tries again (``_HOLDER_WAIT_S``). This process's own hold
    counts (another open of the same lock file would fail the same way)."""
    path = lock_path(Path(db_path).resolve())
    if str(path) in _held:
        return ""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except OSError:
        return None               # no lock file (or one we may not open): no program of ours holds it
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            return os.read(fd, 4096).decode("utf-8", "replace")
        except OSError:
            return ""
    finally:
        os.close(fd)


def check_not_in_use(target: str | os.PathLike[str]) -> None:
    """OutputFileError when ``target`` is a database (or one of its side files) that another
    资助助手 window or command is using right now (its lock is held): saving over it would destroy
    that school's data under the program using it. Called before an output replaces a file that may
    be a database whatever its name (a backup, a public key, the import's rows with problems)."""
    p = Path(target)
    candidates = [p] + [p.with_name(p.name[:-len(side)]) for side in _SIDE_SUFFIXES
                        if p.name.endswith(side) and len(p.name) > len(side)]
    for db_path in candidates:
        try:
            text = holder_elsewhere(db_path)
        except OSError:           # a name the system refuses: the write itself says why
            continue
        if text is None:
            continue
        who = describe_holder(text)
        who = "" if who == describe_holder("") else who          # (no holder's details: none named)
        raise OutputFileError(f"不能保存为“{p.name}”：这是另一个资助助手窗口（或正在运行的命令）正在使用的数据库文件，"
                              "保存到这里会毁掉其中的数据" + (f"；使用者：{who}" if who else ""),
                              "请换一个文件名（或文件夹）后重新保存；不要覆盖正在使用的数据库")
