"""Backups of the database file, and restoring one.

A backup is a consistent copy taken with SQLite's online backup API (the
program may keep working meanwhile), written under a temporary name, checked
(``PRAGMA integrity_check`` and the same row count in every table) and only
then renamed into place. They live in ``backups/`` beside the database, named
``<stem>-<YYYYMMDD-HHMMSS-ffffff>-<reason>.sqlite``.

When: at start (when the newest is older than ``START_INTERVAL``), before every
import, migration and policy change, and on request. Kept: the newest
``KEEP_NEWEST`` plus the newest of each day for ``KEEP_DAYS`` days.

Restoring checks the backup first, copies it (again through the backup API, from
a read-only connection: a copy with its ``-wal`` beside it is restored exactly as
it was inspected), backs up the current file (or, when it is damaged, keeps it
beside under ``<name>.damaged-<stamp>``) and replaces the database in one step.

Whose backups: those named by ``backup_key``. A .db file also lists the backups
named by its stem (taken before session 15) when no .sqlite twin is beside it,
but those may be another school's (学校.sqlite's, moved away): ``prune`` never
deletes them and ``newest_good_backup`` takes one only when the current database
is readable and its school code matches; it skips every backup of another school.

The clock: backups are ordered by the stamp in their name, but a school PC's clock
may run ahead (a backup stamped in the future) or fall back (a flat CMOS battery).
So the backups stamped at or before now come first (newest first), then those
stamped after now (newest first): a future stamp is never "the newest". Only a
backup with 0 <= now - taken < ``START_INTERVAL`` makes the start backup wait,
and the one-per-day rule keeps only days with 0 <= now - taken <= ``KEEP_DAYS``;
the ``KEEP_NEWEST`` kept follow that order, so after the clock fell back today's
backups are kept and the future-stamped ones are the first to go.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DatabaseError, ZizhuError, os_reason
from core.paths import discard, registered_temp, replace_file
from db.changes import Changes
from db.readonly import connect_read_only

if TYPE_CHECKING:
    from db.session import Database

log = logging.getLogger(__name__)

KEEP_NEWEST = 20
KEEP_DAYS = 30
START_INTERVAL = timedelta(hours=20)     # about one start backup per working day
STAMP_FORMAT = "%Y%m%d-%H%M%S-%f"
BACKUP_SUFFIXES = (".sqlite", ".db")     # what a backup chosen by the clerk may be named (what restore opens)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken: datetime
    students: int                # on the list (移出名单 not counted: the number 工作台 shows)
    school: str
    code: str = ""               # the school's code (table school), "" when it has none


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupInfo
    previous: Path | None        # the backup of the file that was replaced
    damaged: Path | None         # the damaged file, kept aside

    @property
    def changes(self) -> Changes:
        """Everything was replaced; the restored findings are re-checked (no FINDINGS: no check ran)."""
        return Changes.ALL & ~Changes.FINDINGS


def backups_dir(db_path: Path) -> Path:
    return Path(db_path).parent / "backups"


def backup_key(db_path: Path) -> str:
    """What the names of ``db_path``'s backups start with: the stem of a .sqlite file (the program's
    own files, and every backup taken before session 15), the whole name of any other, so that
    学校.db beside 学校.sqlite keeps backups of its own."""
    p = Path(db_path)
    if p.suffix.lower() == ".sqlite":
        return p.stem
    return p.name if p.suffix else p.name + "."      # 学校 and 学校.sqlite apart (no file name ends with ".")


# Windows names files without regard to case: `--db D:\数据\School.sqlite` opens school.sqlite, whose
# backups (school-….sqlite) are its own.
CASELESS_NAMES = os.name == "nt"


def _name_re(key: str) -> re.Pattern[str]:
    return re.compile(re.escape(key) + r"-(\d{8}-\d{6}-\d{6})-[\w.-]*\.sqlite",
                      re.IGNORECASE if CASELESS_NAMES else 0)


def taken_at(path: Path, stem: str | None = None) -> datetime:
    """When a backup was taken: from its name, else the file's modification time."""
    m = re.search(r"-(\d{8}-\d{6}-\d{6})-", path.name)
    if m:
        try:
            return datetime.strptime(m.group(1), STAMP_FORMAT)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime)


def _found(db_path: Path, now: datetime | None = None) -> list[tuple[Path, datetime, bool]]:
    """The backups of ``db_path`` (path, taken, named by its own key), in ``list_backups``' order."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    db_path = Path(db_path)
    patterns = [(_name_re(backup_key(db_path)), True)]
    if db_path.suffix.lower() != ".sqlite" and not db_path.with_suffix(".sqlite").exists():
        patterns.append((_name_re(db_path.stem), False))  # before session 15, when no .sqlite twin claims them
    found = [(p, taken_at(p), own) for p in folder.iterdir() for pattern, own in patterns if pattern.fullmatch(p.name)]
    now = now or datetime.now()
    # stamped at or before now first, then those stamped in the future (a clock run ahead); newest first
    return sorted(found, key=lambda f: (f[1] <= now, f[1], f[0].name), reverse=True)


def list_backups(db_path: Path, now: datetime | None = None) -> list[Path]:
    """The backups of ``db_path`` in its backups folder: those stamped at or before ``now`` (default:
    the clock) newest first, then those stamped after it, newest first."""
    return [p for p, _taken, _own in _found(db_path, now)]


def _ro(path: Path) -> sqlite3.Connection:
    return connect_read_only(path, isolation_level=None)


def _table_counts(con: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def check_copy(path: Path, expected: dict[str, int] | None = None) -> dict[str, int]:
    """Open ``path``, run ``PRAGMA integrity_check`` and compare row counts; DatabaseError if bad."""
    try:
        con = _ro(path)
        try:
            result = [r[0] for r in con.execute("PRAGMA integrity_check")]
            counts = _table_counts(con) if result == ["ok"] else {}
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.warning("backup check failed for %s: %s", path.name, exc)
        result, counts = ["unreadable"], {}
    if result != ["ok"] or (expected is not None and counts != expected):
        raise DatabaseError(f"备份文件 {path} 校验未通过（已损坏或不完整）",
                            "请换一个备份文件；如果是刚写入的备份，请检查磁盘空间和磁盘状态")
    return counts


def has_data(db_path: Path) -> bool:
    """Whether the database holds anything worth a backup (a school or any student)."""
    p = Path(db_path)
    if not p.exists() or p.stat().st_size == 0:
        return False
    try:
        con = _ro(p)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"school", "student"} <= tables:
                return bool(tables - {"alembic_version"})
            return bool(con.execute("SELECT (SELECT count(*) FROM school) + (SELECT count(*) FROM student)")
                        .fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return True     # unsure: better one backup too many


def _fsync(path: Path) -> None:
    """``path``'s data on disk. Through a handle opened for writing: Windows' ``os.fsync``
    (FlushFileBuffers) refuses a read-only one (EBADF), which failed every backup there."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC or getattr(exc, "winerror", None) == 112
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in str(exc).lower()


def _full_hint(written: Path) -> str:
    return f"请清理 {written.parent} 所在磁盘的空间（删除不需要的文件、清空回收站）后重试"


def _snapshot(src: sqlite3.Connection, tmp: Path) -> dict[str, int]:
    """Copy ``src`` (autocommit mode) to the new file ``tmp`` through the backup API, one snapshot for
    the counts and the copy (with whatever its -wal holds); the copy is a single self-contained file."""
    src.execute("BEGIN")
    counts = _table_counts(src)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
    src.execute("COMMIT")
    return counts


def _copied(src: sqlite3.Connection, tmp: Path) -> None:
    """``src`` copied to ``tmp`` (``_snapshot``) and closed; the copy on disk and checked against the
    counts read in the same snapshot (DatabaseError when it differs)."""
    try:
        counts = _snapshot(src, tmp)
    finally:
        src.close()
    _fsync(tmp)
    check_copy(tmp, counts)


def _copy_database(source: Path, target: Path, timeout: float = 15.0) -> Path:
    """Consistent copy of ``source`` to ``target`` (atomic, verified)."""
    # this process's own temporary name: two processes backing up in the same microsecond (two imports
    # started at once) would otherwise write, check and rename one file between them
    # (registered, with its journal, in the temp registry: a kill mid-copy into another folder, a USB
    # stick, leaves no copy of every child's data there after the next start's sweep)
    tmp = target.with_name(f".~{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    journal = tmp.with_name(tmp.name + "-journal")
    try:
        if not target.parent.exists():      # (the backups folder, made at the first; a file there: ENOTDIR below)
            target.parent.mkdir(parents=True, exist_ok=True)
        with registered_temp(tmp), registered_temp(journal):
            try:
                # made here first: a folder the system refuses is then an OSError about the backup, not
                # SQLite's "unable to open database file" read as the source's
                os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644))
                _copied(sqlite3.connect(source, timeout=timeout, isolation_level=None), tmp)
                replace_file(tmp, target)
            finally:        # (within the registrations: one not removed stays registered for the sweep)
                discard(tmp)
                discard(journal)
    except (sqlite3.Error, OSError) as exc:
        log.warning("backup failed: %s", exc)
        if _disk_full(exc):         # the backup's disk, not the database's
            raise DatabaseError(f"无法写入备份 {target}：磁盘空间已满，备份没有完成",
                                _full_hint(target)) from None
        from db.session import translate_error
        mapped = translate_error(exc, source) if isinstance(exc, sqlite3.Error) else None   # e.g. source damaged
        detail = mapped.message if mapped else os_reason(exc)
        raise DatabaseError(f"无法写入备份 {target}：{detail}",
                            "请检查磁盘空间和备份文件夹的写入权限，然后重试") from None
    return target


def backup(db: Database | Path, reason: str = "backup", keep: int = KEEP_NEWEST,
           target: Path | None = None) -> Path:
    """Back up the database (a ``Database`` or a path). ``target`` is a file or a folder;
    by default the backups folder, which is then pruned (``keep`` newest + one a day)."""
    path, timeout = (db, 15.0) if isinstance(db, Path) else (db.path, db.timeout)
    stamp = datetime.now().strftime(STAMP_FORMAT)
    name = f"{backup_key(path)}-{stamp}-{reason}.sqlite"
    if target is None:
        out = _copy_database(path, backups_dir(path) / name, timeout)
        prune(path, keep=keep)
    else:
        target = Path(target)
        target = target / name if target.is_dir() else target
        from core.paths import require_suffix
        from db.lock import check_not_in_use
        # never the open database itself, nor a list just imported (core.paths.check_replaceable), nor
        # a document under a database's name (notes.docx turned into SQLite), nor another program's database
        require_suffix(target, BACKUP_SUFFIXES, "备份")
        check_not_in_use(target)
        out = _copy_database(path, target, timeout)
    log.info("backup written: %s (%s)", out.name, reason)
    return out


def prune(db_path: Path, keep: int = KEEP_NEWEST, days: int = KEEP_DAYS,
          now: datetime | None = None) -> list[Path]:
    """Delete the backups beyond the newest ``keep`` (in ``list_backups``' order) and the newest of each
    of the last ``days`` days. Only those named by ``backup_key``: a stem-named one may be another's.
    One that cannot be deleted now is kept for the next prune: the backup just taken and the change it
    protects go on (Windows refuses to delete a file another program holds open)."""
    now = now or datetime.now()
    found = [(p, taken) for p, taken, own in _found(db_path, now) if own]
    keep_set = {p for p, _taken in found[:keep]}
    seen_days: set[object] = set()
    for p, taken in found:
        if timedelta(0) <= now - taken <= timedelta(days=days) and taken.date() not in seen_days:
            seen_days.add(taken.date())
            keep_set.add(p)
    removed = []
    for p, _taken in found:
        if p in keep_set:
            continue
        try:
            p.unlink(missing_ok=True)
        except OSError as exc:     # held open elsewhere (Windows: another window opened it): the next prune
            log.warning("could not delete the old backup %s: %s", p.name, exc)
            continue
        removed.append(p)
    return removed


def sweep_stale(db_path: Path) -> list[Path]:
    """Remove the temporary copies a killed backup or restore left behind (they hold personal
    data). Called with the single-instance lock held, so no other copy is writing them."""
    db_path = Path(db_path)
    found = [db_path.with_name(f".{db_path.name}.restore.tmp")]
    folder = backups_dir(db_path)
    if folder.is_dir():
        mine = re.compile(r"\.~?" + _name_re(backup_key(db_path)).pattern + r"\..*tmp.*")   # not 学校-2's
        found += [p for p in folder.iterdir() if mine.fullmatch(p.name)]
    removed = [p for p in found if p.exists()]
    for p in removed:
        p.unlink(missing_ok=True)
    if removed:
        log.info("removed %d stale backup temporary files", len(removed))
    return removed


def backup_before_change(db: Database, reason: str) -> Path | None:
    """The backup before an import, migration or policy change (none while the database is empty).
    A failed backup stops the change: DatabaseError."""
    if not has_data(db.path):
        return None
    return backup(db, reason=reason)


def backup_if_due(db: Database, now: datetime | None = None) -> Path | None:
    """The start backup: unless one of its own was taken in the last ``START_INTERVAL`` (one stamped
    in the future does not count). A failure is logged and does not stop the start."""
    now = now or datetime.now()
    if any(own and timedelta(0) <= now - taken < START_INTERVAL for _p, taken, own in _found(db.path, now)):
        return None
    if not has_data(db.path):
        return None
    try:
        return backup(db, reason="start")
    except ZizhuError as exc:
        log.warning("start backup failed: %s", exc.message)
        return None


def inspect_backup(path: Path) -> BackupInfo:
    """Check a backup (intact, a Zizhu database of a known schema) and say what it holds."""
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(f"“{path}”是一个文件夹，不是备份文件",
                            "请写出其中的备份文件名（.sqlite），或用 restore --latest 恢复最近的完好备份")
    if not path.is_file():
        raise DatabaseError(f"找不到备份文件 {path}", "请检查路径；备份在数据库旁边的 backups 文件夹中")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise DatabaseError(f"文件 {path} 不是资助助手的备份", "请选择 backups 文件夹中的 .sqlite 文件")
    check_copy(path)
    from db.migrate import known_revisions
    con = _ro(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"school", "student", "alembic_version"} <= tables:
            raise DatabaseError(f"文件 {path} 不是资助助手的备份", "请选择 backups 文件夹中的 .sqlite 文件")
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision and revision[0] not in known_revisions():
            raise DatabaseError(f"备份 {path.name} 来自更新版本的资助助手，本程序无法使用",
                                "请安装最新版本的资助助手后再恢复")
        students = on_list_count(con)
        school = con.execute("SELECT name, code FROM school LIMIT 1").fetchone()
    finally:
        con.close()
    return BackupInfo(path, taken_at(path), students, school[0] if school else "",
                      (school[1] or "") if school else "")


def on_list_count(con: sqlite3.Connection) -> int:
    """The students on the list (models.ON_LIST: not 移出名单), the number 工作台 and 学生名册 show;
    a backup from before 移出名单 existed (no ``removed_at``) has every student on it."""
    columns = {r[1] for r in con.execute("PRAGMA table_info(student)")}
    where = " WHERE removed_at IS NULL" if "removed_at" in columns else ""
    return con.execute(f"SELECT count(*) FROM student{where}").fetchone()[0]


def school_code(db_path: Path) -> str:
    """The school code in the database; "" when it has no school or cannot be read (damaged)."""
    if not is_healthy(db_path):
        return ""
    try:
        con = _ro(db_path)
        try:
            row = con.execute("SELECT code FROM school LIMIT 1").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return ""
    return (row[0] or "") if row else ""


def newest_good_backup(db_path: Path) -> Path | None:
    """The first backup of ``db_path`` (``list_backups``' order) that passes its checks and is of the
    same school: never one of another school code; a stem-named one only when the database's own
    school code is known (readable, with a school) and matches."""
    code = school_code(db_path)
    for p, _taken, own in _found(db_path):
        if not own and not code:
            continue
        try:
            info = inspect_backup(p)
        except ZizhuError:
            continue
        if code and info.code != code:
            log.info("backup %s skipped: another school's", p.name)
            continue
        return p
    return None


def is_healthy(db_path: Path) -> bool:
    try:
        con = _ro(db_path)
        try:
            return [r[0] for r in con.execute("PRAGMA quick_check")] == ["ok"]
        finally:
            con.close()
    except sqlite3.Error:
        return False


def _side_files(p: Path) -> list[Path]:
    return [p.with_name(p.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def restore(db_path: Path, backup_path: Path, db: Database | None = None) -> RestoreResult:
    """Replace the database at ``db_path`` with ``backup_path`` (checked first).

    The caller holds the single-instance lock; ``db`` (if open) has its
    connections closed first and works on the restored file afterwards."""
    db_path = Path(db_path)
    info = inspect_backup(backup_path)
    if db is not None:
        db.engine.dispose()
    previous = damaged = None
    tmp = db_path.with_name(f".{db_path.name}.restore.tmp")
    try:
        # the copy first: backing up the current file below may prune the chosen backup. Read as
        # inspected, with its -wal (a copy taken after a power cut): not the main file's bytes alone
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):   # a killed restore's
            leftover.unlink(missing_ok=True)
        _copied(_ro(info.path), tmp)
        if db_path.exists() and db_path.stat().st_size > 0:
            if is_healthy(db_path):
                previous = backup(db_path, reason="before-restore")
                con = sqlite3.connect(db_path, isolation_level=None)
                try:
                    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    con.close()
            else:
                suffix = ".damaged-" + datetime.now().strftime("%Y%m%d-%H%M%S")
                damaged = db_path.with_name(db_path.name + suffix)
                replace_file(db_path, damaged)
                for side in _side_files(db_path):   # a non-empty journal is part of the evidence
                    if side.exists() and side.stat().st_size and not side.name.endswith("-shm"):
                        replace_file(side, damaged.with_name(damaged.name + side.name[len(db_path.name):]))
                log.warning("damaged database kept aside: %s", damaged.name)
        for side in _side_files(db_path):     # they belong to the file being replaced
            side.unlink(missing_ok=True)
        replace_file(tmp, db_path)
    except (sqlite3.Error, OSError) as exc:
        log.warning("restore failed: %s", exc)
        if _disk_full(exc):
            raise DatabaseError(f"无法恢复备份到 {db_path}：磁盘空间已满，恢复没有完成",
                                _full_hint(db_path)) from None
        from db.session import translate_error
        mapped = translate_error(exc) if isinstance(exc, sqlite3.Error) else None
        raise DatabaseError(f"无法恢复备份到 {db_path}：{mapped.message if mapped else os_reason(exc)}",
                            "请检查磁盘空间和写入权限后重试") from None
    finally:        # (a copy that cannot be removed is logged, never raised over the error told above)
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            discard(leftover)
    log.info("restored %s over %s", info.path.name, db_path.name)
    return RestoreResult(info, previous, damaged)
