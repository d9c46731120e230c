"""The seal of a verified student: a SHA-256 over what the clerk verified.

It covers every stored field the engine and the checks read (``SEAL_FIELDS``)
and the decision and amount of every subsidy item. Verification stores it;
the check TAMPERED_AFTER_VERIFY recomputes it, so a value changed behind
Zizhu's back (``UPDATE student SET tuition_fen=…`` with sqlite3, an edited
policy setting) shows up before anything is exported. Pure: no database.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from core.engine import ItemDecision

# What the checks read of a student (core.checks.StudentFacts without key/notified),
# which includes everything the engine reads (db.students._ENGINE_FIELDS).
SEAL_FIELDS: tuple[str, ...] = (
    "name", "id_number", "id_raw", "id_numeric_cell", "gender", "birth_date", "stage", "location",
    "ownership", "full_time", "category", "tuition_fen", "textbook_fen", "lodging_fen", "has_loan",
    "loan_contract_no", "prior_grants",
)
_BOOL = {"id_numeric_cell", "full_time", "has_loan"}
_FEN = {"tuition_fen", "textbook_fen", "lodging_fen"}


def _canonical(name: str, value: Any) -> Any:
    if name in _BOOL:
        return bool(value)
    if name in _FEN:
        return None if value is None else int(value)
    return "" if value is None else str(value)


def seal_of(values: Mapping[str, Any], decisions: Iterable[ItemDecision]) -> str:
    """The seal of a student's ``values`` (stored field -> value; a mapping, a row
    or an object's ``vars``) and its engine ``decisions`` (code, status, amount)."""
    data = {f: _canonical(f, values[f]) for f in SEAL_FIELDS}
    items = sorted([d.code, d.status.value, int(d.amount_fen)] for d in decisions)
    body = json.dumps({"data": data, "items": items}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
