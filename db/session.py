"""One engine and one sessionmaker per database file; a session per user action.

Transactions are begun by us, not by pysqlite (SQLAlchemy's documented recipe
for pysqlite): ``session()`` begins a plain (deferred) transaction, so its
reads see one consistent snapshot; ``write_session()`` begins with
``BEGIN IMMEDIATE``, taking SQLite's write lock before the first read, so a
use case that plans from the data it reads (an import) plans and applies
under one lock. Database failures (locked past the timeout, disk full,
read-only, damaged) become ``DatabaseError`` with a Chinese message; SQL
parameters (names, ID numbers) never appear in an exception text.

SQLAlchemy is imported when a session is first asked for (0.4 s of a command's start on an
old PC): a command that only reads (``compute``) reads through ``reading()``, a plain sqlite3
connection with the same settings, and never imports it.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DatabaseError, os_reason
from core.paths import DATABASE_FILE, protect

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT = 15.0   # seconds to wait for another writer before giving up
BUSY_TIMEOUT_ENV = "ZIZHU_BUSY_TIMEOUT"
ZIZHU_TABLES = {"school", "student", "roster_person", "audit_log", "setting"}


class DamagedDatabaseError(DatabaseError):
    """The file fails SQLite's integrity check; it was not written to."""

    def __init__(self, message: str, hint: str, path: Path, backup: Path | None) -> None:
        super().__init__(message, hint)
        self.path = path
        self.backup = backup      # the newest good backup, if any


class EmptyDatabaseError(DamagedDatabaseError):
    """The file is empty (0 bytes) while backups of it stand beside it: it was a database, emptied
    (a copy that failed, a full disk, another tool); it is refused, not made a new database."""


def foreign_file_error(p: Path) -> DatabaseError:
    """The refusal of another program's SQLite file (nothing was written to it)."""
    return DatabaseError(f"文件 {p} 是其他程序的 SQLite 数据库，不是资助助手的数据库，程序没有改动它",
                         "请选择资助助手的数据库文件，或指定一个新的文件名来创建数据库")


def refuse_foreign(p: Path, tables: Iterable[str]) -> None:
    """Refuse a file with tables but no ``alembic_version``: a Zizhu database has that table from its
    first table on (alembic creates it before the first migration, in the same transaction as the
    tables), in every version so far, so such a file is another program's, whatever its tables are named."""
    names = set(tables)
    if "alembic_version" not in names and any(not n.startswith("sqlite_") for n in names):
        raise foreign_file_error(p)


def busy_timeout() -> float:
    """Seconds to wait for the write lock: ``ZIZHU_BUSY_TIMEOUT`` (whole seconds) or 15."""
    text = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    return int(text) if text.isdigit() else DEFAULT_BUSY_TIMEOUT


def _error_name(exc: BaseException) -> str:
    orig = getattr(exc, "orig", exc)
    name = getattr(orig, "sqlite_errorname", "") or ""
    text = str(orig).lower()
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "is locked" in text:
        return "busy"
    if name == "SQLITE_FULL" or "disk is full" in text:
        return "full"
    if name.startswith("SQLITE_READONLY") or "readonly database" in text or "read-only" in text:
        return "readonly"
    if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB" or "malformed" in text \
            or "not a database" in text:
        return "damaged"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database" in text:
        return "cantopen"
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return "io"
    return ""


# What a failed write says of itself (``_MESSAGES``); a write that follows files already written
# (``recording_written``) or other transactions says otherwise (db.receiving).
NOTHING_WRITTEN = "，这次操作没有写入任何数据"

# What each kind of SQLite failure tells the clerk: (message with {where}/{wait}, hint).
_MESSAGES: dict[str, tuple[str, str]] = {
    "busy": ("数据库{where}正被另一个程序使用，等待 {wait:g} 秒后仍未能写入" + NOTHING_WRITTEN,
             "请等另一个资助助手窗口或命令完成（或关闭它），然后重试"),
    "full": ("磁盘空间已满，无法写入数据库{where}" + NOTHING_WRITTEN,
             "请清理磁盘空间（删除不需要的文件、清空回收站）后重试"),
    "readonly": ("数据库文件{where}是只读的，无法写入",
                 "请检查该文件及其所在文件夹的写入权限（去掉文件属性中的“只读”），"
                 "或把数据库复制到可写的文件夹（不要直接在光盘或写保护的U盘上使用）"),
    "damaged": ("数据库文件{where}已损坏，无法读取",
                "请在“设置”页点“从备份恢复…”恢复最近的完好备份（命令行：python main.py restore --latest）"),
    "cantopen": ("无法打开数据库文件{where}",
                 "请检查路径是否正确、是否有访问权限；U盘或网络盘请确认仍然连接"),
    "io": ("读写数据库文件{where}时发生磁盘错误" + NOTHING_WRITTEN,
           "请检查磁盘或U盘是否已拔出、是否有坏道，然后重试"),
}


@contextmanager
def recording_written(what: str) -> Iterator[None]:
    """Around the audit entry of files already written (``what`` names them): its failure does not say
    that nothing was written, but that the files are there and only their record is missing."""
    try:
        yield
    except DatabaseError as exc:
        told = exc.message.replace(NOTHING_WRITTEN, "")
        raise DatabaseError(f"{what}已经写好，可以使用；但没有记入操作记录（{told}）",
                            "；".join(filter(None, (exc.hint, "需要完整的操作记录时，请稍后重新生成一次")))) from None


def translate_error(exc: BaseException, path: Path | str | None = None,
                    timeout: float | None = None) -> DatabaseError | None:
    """The Chinese DatabaseError for a SQLite failure, or None when ``exc`` is none we know."""
    sa_exc = sys.modules.get("sqlalchemy.exc")     # not imported: no SQLAlchemy error can exist
    if not isinstance(exc, sqlite3.Error) and not (sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)):
        return None
    kind = _error_name(exc)
    if kind not in _MESSAGES:
        return None
    message, hint = _MESSAGES[kind]
    wait = timeout if timeout is not None else busy_timeout()
    return DatabaseError(message.format(where=f" {path}" if path else "", wait=wait), hint)


# A new database's page size: 16 KB, not SQLite's 4 KB. A receiver stores each package's bytes (a few
# hundred KB) and an import writes tens of MB: a quarter of the pages to write into the WAL and copy at
# each checkpoint, each a system call (docs/BENCHMARKS.md "Session 23"). Set before the first page is
# written; a database made earlier keeps its own (changing it needs a VACUUM of the whole file).
PAGE_SIZE = 16384
# The WAL is copied into the database (and synced: with synchronous=NORMAL, what a power cut may take
# back is what came after the last checkpoint) once it holds this many bytes, whatever the page size:
# SQLite's default (1000 pages) would let a 16 KB-page WAL grow four times as large before that.
CHECKPOINT_BYTES = 4 << 20


def _on_connect(timeout_ms: int):
    def on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None      # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={timeout_ms}")   # wait for another writer first
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA page_size={PAGE_SIZE}")      # a new, empty database's only (see PAGE_SIZE)
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        page = cur.execute("PRAGMA page_size").fetchone()[0]
        cur.execute(f"PRAGMA wal_autocheckpoint={max(1, CHECKPOINT_BYTES // int(page))}")
        cur.close()
    return on_connect


def _on_begin(conn) -> None:
    mode = conn.get_execution_options().get("zizhu_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


class Database:
    """An open database file. ``session()`` gives a transaction per user action,
    ``write_session()`` one that holds the write lock from its start."""

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        self.path = p = Path(path)
        self.timeout = busy_timeout() if timeout is None else timeout
        # no output of this process replaces the database or its side files (core.paths; the GUI's
        # worker process, which writes the exports, makes its own Database of the path)
        protect([p, *(p.with_name(p.name + side) for side in ("-wal", "-shm", "-journal", ".lock"))], DATABASE_FILE)
        self._locked = False
        self._orm: tuple[Engine, sessionmaker[Session], sessionmaker[Session]] | None = None
        self._orm_lock = threading.Lock()    # the GUI's threads may ask for the first session together

    def _sessions(self) -> tuple[Engine, sessionmaker[Session], sessionmaker[Session]]:
        """The engine and the two session factories, made (and SQLAlchemy imported) at first use."""
        with self._orm_lock:
            if self._orm is None:
                from sqlalchemy import URL, create_engine, event
                from sqlalchemy.orm import sessionmaker
                # (a URL built from its parts: one written as text is percent-decoded, so a folder
                # named "班%41" would open "班A"'s database)
                engine = create_engine(URL.create("sqlite", database=str(self.path)), hide_parameters=True)
                event.listen(engine, "connect", _on_connect(int(self.timeout * 1000)))
                event.listen(engine, "begin", _on_begin)
                self._orm = (engine, sessionmaker(engine, expire_on_commit=False),
                             sessionmaker(engine.execution_options(zizhu_begin="IMMEDIATE"), expire_on_commit=False))
            return self._orm

    @property
    def engine(self) -> Engine:
        return self._sessions()[0]

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A plain sqlite3 connection (the sessions' settings) in one read transaction: one
        consistent snapshot, never written, without SQLAlchemy. Failures as ``session()``'s."""
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout)
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path, self.timeout) or exc from None
        try:
            _on_connect(int(self.timeout * 1000))(con, None)
            con.execute("BEGIN")
            yield con
        except sqlite3.Error as exc:
            log.warning("database read failed: %s", exc)
            raise translate_error(exc, self.path, self.timeout) or exc from None
        finally:
            con.close()     # the read transaction ends with the connection (nothing was written)

    @contextmanager
    def _run(self, factory: sessionmaker) -> Iterator[Session]:
        with factory() as session:
            try:
                yield session
                session.commit()
            except Exception as exc:
                try:
                    session.rollback()
                except Exception:   # logged: the first error is the one to report
                    log.warning("rollback failed", exc_info=True)
                mapped = translate_error(exc, self.path, self.timeout)
                if mapped is None:
                    raise
                log.warning("database operation failed: %s", exc)
                raise mapped from None

    def session(self) -> AbstractContextManager[Session]:
        """Commit on success, roll back on any error: all or nothing."""
        return self._run(self._sessions()[1])

    def write_session(self) -> AbstractContextManager[Session]:
        """Like ``session()``, but takes the write lock at once (BEGIN IMMEDIATE):
        what is read inside cannot change before it is written."""
        return self._run(self._sessions()[2])

    def close(self) -> None:
        if self._orm is not None:      # made at its first use only
            self._orm[0].dispose()
        if self._locked:
            from db import lock
            lock.release(self.path)
            self._locked = False


def _refuse_folder(p: Path) -> None:
    if p.is_dir():
        raise DatabaseError(f"“{p}”是一个文件夹，不是数据库文件",
                            f"请指定数据库文件本身，例如 --db {p / 'zizhu.sqlite'}")


def _check_writable(p: Path) -> None:
    if not os.access(p.parent, os.W_OK):
        raise DatabaseError(f"数据库所在文件夹 {p.parent} 不能写入",
                            "请检查该文件夹的写入权限，或把数据库复制到可写的文件夹（资助助手要在数据库旁边写临时文件）")
    if p.exists() and not os.access(p, os.W_OK):
        raise DatabaseError(f"数据库文件 {p} 是只读的，无法写入",
                            "请去掉文件属性中的“只读”，或把数据库复制到可写的文件夹")


def _refuse_emptied(p: Path) -> None:
    """A 0-byte file is a new database, unless backups of it stand beside it: then it was one, and
    it is refused naming the newest good backup (as a damaged file is), never opened as a new one."""
    from db.backup import list_backups, newest_good_backup
    if not list_backups(p):
        return
    log.error("database file is empty but has backups: %s", p.name)
    good = newest_good_backup(p)
    message = (f"数据库文件 {p} 是空文件（0 字节），而旁边的 backups 文件夹里有它的备份："
               "它原来的数据已不在文件中，程序没有把它当作新数据库打开，也没有写入它")
    if good is None:
        raise EmptyDatabaseError(message, "没有找到可以自动恢复的完好备份；请联系技术支持人员，"
                                 "不要删除这个文件和 backups 文件夹", p, None)
    raise EmptyDatabaseError(f"{message}。最新的完好备份：{good.name}",
                             "恢复这个备份：重新打开这个数据库时程序会提出恢复"
                             "（命令行：python main.py restore --latest）", p, good)


def inspect_file(p: Path) -> None:
    """Refuse a file that is not a healthy Zizhu database, without writing to it:
    wrong header, damaged (``PRAGMA quick_check``), emptied (0 bytes, with backups), or another
    program's SQLite file."""
    if not p.exists():
        return
    if p.stat().st_size == 0:
        _refuse_emptied(p)
        return
    with open(p, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise DatabaseError(f"文件 {p} 不是资助助手的数据库", "请选择正确的数据库文件（.sqlite）")
    from db import integrity
    found = integrity.result(p)     # PRAGMA quick_check, maybe started early (db.integrity.start)
    damaged, tables = found.rows != ("ok",), set(found.tables)
    if found.error is not None and not found.opened:
        raise translate_error(found.error, p) or DatabaseError(f"无法打开数据库文件 {p}", "请检查文件") from None
    if found.error is not None:
        if _error_name(found.error) != "damaged":
            raise translate_error(found.error, p) or DatabaseError(f"无法读取数据库文件 {p}", "请检查文件") from None
        damaged, tables = True, set()
    if damaged:
        log.error("database fails quick_check: %s", p.name)
        from db.backup import newest_good_backup
        good = newest_good_backup(p)
        if good is None:
            raise DamagedDatabaseError(f"数据库文件 {p} 已损坏（完整性检查未通过），程序没有写入它",
                                       "没有找到可用的备份；请联系技术支持人员，不要删除这个文件", p, None)
        raise DamagedDatabaseError(
            f"数据库文件 {p} 已损坏（完整性检查未通过），程序没有写入它。"
            f"最新的完好备份：{good.name}",
            "恢复这个备份：重新打开这个数据库时程序会提出恢复（命令行：python main.py restore --latest）；"
            "损坏的文件会改名保留在原处", p, good)
    refuse_foreign(p, tables)


def open_database(path: str | Path, migrate: bool = True, lock: bool = True,
                  backup_on_start: bool = False, timeout: float | None = None) -> Database:
    """Open (creating if needed) the database at ``path`` and bring its schema
    to the latest version, after a backup when there was data to protect.

    ``lock`` takes the single-instance lock (another process using the same
    file is refused with its name); ``backup_on_start`` makes the daily backup."""
    from db import lock as instance_lock
    from db.migrate import upgrade

    p = Path(path)
    _refuse_folder(p)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"无法创建数据库所在文件夹 {p.parent}：{os_reason(exc)}",
                            "请检查路径和写入权限") from None
    _check_writable(p)
    if lock:
        instance_lock.acquire(p)
    db: Database | None = None
    try:
        if lock:
            from db.backup import sweep_stale
            sweep_stale(p)        # left by a killed backup or restore; we hold the lock
        inspect_file(p)
        db = Database(p, timeout=timeout)
        db._locked = lock
        try:
            if migrate:
                upgrade(db)
            if backup_on_start:
                from db.backup import backup_if_due
                backup_if_due(db)
        except BaseException as exc:
            db.close()
            mapped = translate_error(exc, p, db.timeout)
            if mapped is not None:
                log.warning("opening the database failed: %s", exc)
                raise mapped from None
            raise
    except BaseException:
        if lock and db is None:
            instance_lock.release(p)
        raise
    return db
