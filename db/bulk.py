"""Bulk writes of plain tuples: the one executemany path of the imports, the audit log and the findings.

SQLAlchemy's Core ``insert()`` with a list of dicts builds every row's parameters in Python
(``construct_params`` and the type processors, per row and per column): for 200,000 roster rows
that cost more than SQLite's own work. Here the statement is written once and the rows go to the
driver as tuples through ``Connection.exec_driver_sql``, inside the caller's transaction (its
events and error translation stay). Values must already be in their stored form: text, int, None,
bool (stored as 0/1 like SQLAlchemy's ``Boolean``), a ``DateTime`` as ``stored_time`` writes it.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table

# Rows added at once from which a table's indexes are dropped and built again afterwards
# (``indexes_deferred``): SQLite builds an index by sorting, much faster than by
# inserting 200,000 random ID numbers into its B-tree one at a time.
BIG_INSERT = 10_000
# Rows per statement of an import's insert (db.importing): the audit entries of one chunk are
# written on the writer thread while the next chunk is prepared (``Writer``).
CHUNK = 5000


def stored_time(at: datetime) -> str:
    """``at`` as SQLAlchemy stores a ``DateTime`` in SQLite (always with microseconds)."""
    return at.isoformat(sep=" ", timespec="microseconds")


def column_defaults(table: Table, columns: Iterable[str]) -> dict[str, Any]:
    """The Python-side scalar default of each of ``columns`` (None where it has none), as
    ``insert()`` would have filled a value missing from a row."""
    out: dict[str, Any] = {}
    for name in columns:
        default = table.c[name].default
        arg = getattr(default, "arg", None) if default is not None and default.is_scalar else None
        out[name] = arg
    return out


def _insert_sql(table: Table, columns: Sequence[str], rows: int = 1) -> str:
    """The statement as SQLAlchemy writes it (plain names: every table and column name is one),
    for ``rows`` rows."""
    values = f'({", ".join("?" * len(columns))})'
    return f'INSERT INTO {table.name} ({", ".join(columns)}) VALUES {", ".join([values] * rows)}'


# Rows per statement of ``insert_tuples`` (a multi-row VALUES), within SQLite's oldest limit
# of 999 parameters per statement.
_MAX_PARAMS, _MAX_ROWS = 999, 50


def insert_tuples(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
    """INSERT ``rows`` (values in ``columns`` order) by executemany; how many.

    Several rows go in each statement (``VALUES (…), (…), …``): SQLite's per-statement work and
    Python's per-row step are paid once for them; the rows left over go one per statement."""
    if not rows:
        return 0
    per = max(1, min(_MAX_ROWS, _MAX_PARAMS // len(columns)))
    whole = len(rows) - len(rows) % per if len(rows) >= per > 1 else 0
    if whole:
        joined = chain.from_iterable
        conn.exec_driver_sql(_insert_sql(table, columns, per),
                             [tuple(joined(rows[i:i + per])) for i in range(0, whole, per)])
    if whole < len(rows):
        conn.exec_driver_sql(_insert_sql(table, columns), rows[whole:])
    return len(rows)


def insert_one(conn: Connection, table: Table, columns: Sequence[str], row: tuple[Any, ...]) -> int:
    """INSERT one row; the id SQLite gave it."""
    return int(conn.exec_driver_sql(_insert_sql(table, columns), row).lastrowid)


@contextmanager
def indexes_deferred(conn: Connection, table: Table, defer: bool = True) -> Iterator[None]:
    """Drop ``table``'s indexes for a bulk insert and create them again after it (in the caller's
    transaction: a failure rolls back the drop too); nothing when not ``defer``."""
    indexes = sorted(table.indexes, key=lambda ix: str(ix.name)) if defer else []
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


# json.dumps with ensure_ascii=False, compact, no NaN (SQLite's JSON refuses it): made once.
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False, allow_nan=False, separators=(",", ":")).encode


def json_insert(table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]],
                fixed: Mapping[str, Any]) -> tuple[str, Any]:
    """``(sql, parameters)`` for ``Connection.exec_driver_sql`` inserting ``rows`` (values in
    ``columns`` order) and ``fixed`` (column: the one value of every row) as ONE statement:
    the rows go as a JSON array of arrays read by ``json_each``, which SQLite runs as a single
    step without Python's lock (``Writer``; an ``executemany`` takes the lock at every row).

    The stored values and types are those of binding the values (text, integer, NULL; True and
    False are 1 and 0, as sqlite3 binds them). A text holding a NUL character would end at it in
    SQLite's JSON: such rows go as an ``executemany`` of the same statement's values instead."""
    payload = _JSON(rows)
    if "\\u0000" in payload:
        names = [*columns, *fixed]
        values = tuple(fixed.values())
        return _insert_sql(table, names), [(*row, *values) for row in rows]
    picks = [f"value->>{i}" for i in range(len(columns))]
    picks += [f"?{i}" for i in range(2, len(fixed) + 2)]
    sql = (f'INSERT INTO {table.name} ({", ".join([*columns, *fixed])}) '
           f'SELECT {", ".join(picks)} FROM json_each(?1)')
    return sql, (payload, *fixed.values())


class Writer:
    """Statements run one at a time on a helper thread while the caller prepares the next.

    The caller's connection has one user at a time: the caller submits a statement, does work
    that does not touch the connection (the next rows' tuples, hashes, JSON), and calls
    ``idle()`` before it uses the connection again. A statement's error is raised, as itself,
    by the next ``submit``/``idle``/``close`` in the caller's thread, where the caller's
    transaction rolls everything back as with a statement run there. Not ``threaded``: each
    statement runs in ``submit``, in the caller's thread."""

    def __init__(self, conn: Connection, threaded: bool = True) -> None:
        self._conn = conn
        self.threaded = threaded
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="zizhu-writer") if threaded else None
        self._pending: Future[Any] | None = None

    def submit(self, sql: str, params: Any) -> None:
        self.idle()
        if self._pool is None:
            self._conn.exec_driver_sql(sql, params)
        else:
            self._pending = self._pool.submit(self._conn.exec_driver_sql, sql, params)

    def idle(self) -> None:
        """Wait for the statement submitted last; raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the last statement (raising its error) and end the thread."""
        try:
            self.idle()
        finally:
            self.abandon()

    def abandon(self) -> None:
        """End the thread after the statement running, whose error is dropped (the caller's own
        failure is the one to report; the connection is free for the rollback afterwards)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)


@contextmanager
def writer(conn: Connection, threaded: bool = True) -> Iterator[Writer]:
    """A ``Writer`` on ``conn`` for the body; at its end the last statement is waited for (its
    error raised). When the body fails, its own error is raised after the running statement
    has ended (the connection is free for the rollback)."""
    w = Writer(conn, threaded)
    try:
        yield w
    except BaseException:
        w.abandon()
        raise
    w.close()
