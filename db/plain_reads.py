"""The SQL of reads that a command which only reads runs on a plain sqlite3 connection
(``Database.reading``), shared with the session paths that read the same: one text each.

``compute`` reads the school, the active policy and the listed students here, without
SQLAlchemy (its import is a third of the command on an old PC). Only the standard library
and light core modules here: importing this module must cost nothing.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from core.errors import NotInitialisedError
from core.records import RECORD_COLUMNS

# The active policy version (db.policy_versions.active_row): the newest of the school's year, else of
# the latest earlier year, else (a school year set back) the newest of all; no school counts as year 0.
ACTIVE_POLICY_ID = ("SELECT id FROM policy_version ORDER BY "
                    "school_year <= coalesce((SELECT school_year FROM school ORDER BY id LIMIT 1), 0) DESC, "
                    "school_year DESC, number DESC LIMIT 1")

# The verified students (``records_sql(VERIFIED)``).
VERIFIED = "verified = 1"
# Which students ``records_sql`` reads: those on the list (db.models.ON_LIST: not removed), the
# removed ones, or all.
LISTED, REMOVED, ALL = "removed_at IS NULL", "removed_at IS NOT NULL", "1"


def records_sql(where: str = "", among: str = LISTED) -> str:
    """The engine's columns (core.records.RECORD_COLUMNS) of the students ``among`` (by default
    those on the list) matching ``where``, in id order."""
    extra = f" AND {where}" if where else ""
    return f"SELECT {', '.join(RECORD_COLUMNS)} FROM student WHERE {among}{extra} ORDER BY id"


def not_initialised() -> NotInitialisedError:
    return NotInitialisedError("数据库中还没有学校信息",
                               "请先初始化：python main.py init --school 学校名称 --code 代码 --school-year 年份")


def compute_inputs(con: sqlite3.Connection) -> tuple[str | None, list[Any]]:
    """What ``compute`` reads: the active policy's text (None: no version stored yet, the bundled
    default applies) and the listed students' engine rows. Refused before a school exists."""
    if con.execute("SELECT 1 FROM school LIMIT 1").fetchone() is None:
        raise not_initialised()
    row = con.execute(f"SELECT text FROM policy_version WHERE id = ({ACTIVE_POLICY_ID})").fetchone()
    return (row[0] if row else None), con.execute(records_sql()).fetchall()
