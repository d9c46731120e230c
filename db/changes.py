"""What a use case changed, so each page can decide whether it must refresh.

Every use case that writes returns (or carries, as ``.changes``) a ``Changes``
value, as Anki's operations return ``OpChanges``. The GUI's main window routes
it through one slot; each page declares the kinds it shows (``DEPENDS_ON``) and
refreshes itself when they intersect. Undo and redo produce ``Changes`` too.
"""
from __future__ import annotations

from enum import Flag, auto
from typing import Any


class Changes(Flag):
    NONE = 0
    STUDENTS = auto()    # student data (edits, imports, verification)
    FINDINGS = auto()    # stored findings (a check run, acceptance)
    ROSTER = auto()      # the poverty roster
    POLICY = auto()      # the active policy (items, parameters)
    LETTERS = auto()     # letters printed, receipts returned
    PAYMENTS = auto()    # the disbursement record
    SETTINGS = auto()    # settings (signer key, remembered mappings, …)
    SCHOOL = auto()      # the school's name, code, school year
    RECEIVING = auto()   # the receiving side (汇总): trusted signers, received packages, feedback
    SPOTCHECK = auto()   # 专项核查 samples and their results (the receiving side's spot check)
    ALL = STUDENTS | FINDINGS | ROSTER | POLICY | LETTERS | PAYMENTS | SETTINGS | SCHOOL | RECEIVING | SPOTCHECK


# What a computed snapshot (db.views.Snapshot: every student's subsidies) depends on.
SNAPSHOT_INPUTS = Changes.STUDENTS | Changes.FINDINGS | Changes.ROSTER | Changes.POLICY | Changes.LETTERS \
    | Changes.SCHOOL


# What the checks read: after such a change the stored findings are re-checked.
CHECK_INPUTS = Changes.STUDENTS | Changes.ROSTER | Changes.POLICY | Changes.LETTERS | Changes.PAYMENTS \
    | Changes.SCHOOL


def changes_of(result: Any) -> Changes:
    """The ``Changes`` a use case's result carries (``NONE`` for a read)."""
    if isinstance(result, Changes):
        return result
    value = getattr(result, "changes", Changes.NONE)
    return value if isinstance(value, Changes) else Changes.NONE
