"""Bulk writes of plain tuples: the one executemany path of the imports, the audit log and the findings.

SQLAlchemy's Core ``insert()`` with a list of dicts builds every row's parameters in Python
(``construct_params`` and the type processors, per row and per column): for 200,000 roster rows
that cost more than SQLite's own work. Here the statement is written once and the rows go to the
driver as tuples through ``Connection.exec_driver_sql``, inside the caller's transaction (its
events and error translation stay). Values must already be in their stored form: text, int, None,
bool (stored as 0/1 like SQLAlchemy's ``Boolean``), a ``DateTime`` as ``stored_time`` writes it.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table

# Rows added at once from which a table's indexes are dropped and built again afterwards
# (``indexes_deferred``): SQLite builds an index by sorting, much faster than by
# inserting 200,000 random ID numbers into its B-tree one at a time.
BIG_INSERT = 10_000
# Rows an import inserts at a time (db.importing): their tuples and audit entries are built a
# chunk at a time, not all 200,000 first.
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
    Python's per-row step are paid once for them; the rows left over go in one more statement."""
    if not rows:
        return 0
    per = max(1, min(_MAX_ROWS, _MAX_PARAMS // len(columns)))
    whole = len(rows) - len(rows) % per
    joined = chain.from_iterable
    if whole:
        groups = rows[:whole] if per == 1 else [tuple(joined(rows[i:i + per])) for i in range(0, whole, per)]
        conn.exec_driver_sql(_insert_sql(table, columns, per), groups)
    if whole < len(rows):
        conn.exec_driver_sql(_insert_sql(table, columns, len(rows) - whole), tuple(joined(rows[whole:])))
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
