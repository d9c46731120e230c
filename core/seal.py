"""The seal of a verified student: a SHA-256 over what the clerk verified.

Verification stores it; the check TAMPERED_AFTER_VERIFY recomputes it, so a value changed behind
Zizhu's back (``UPDATE student SET bank_card=…`` with sqlite3, an edited policy setting) shows up
before anything is exported. Pure: no database.

Two versions, told apart by the stored text:
- **Version 1** (64 hex digits, sealed before session 27): every stored field the engine and the
  checks read (``SEAL_FIELDS``) and the decision and amount of every subsidy item. Bank card, 户编号,
  村 and the other exported details were outside it.
- **Version 2** (``"2:"`` and the digest's first 62 hex digits, 248 bits; the column holds 64
  characters): the same items and every field of the student catalogue (``SEAL_FIELDS_V2``:
  core.fields.STUDENT_FIELDS and the importer's ID fields; a test holds the two together), so a
  bank card changed behind the program's back is caught too.

Verification seals with version 2. A stored version-1 seal is checked as version 1 and kept as it
is (``seal_holds``): turning it into version 2 would bless whatever the new fields hold now, which
nobody verified; the student is sealed with version 2 once it is verified anew (after an edit, or
取消核准 then 核准). A policy change reseals a student with the version it had
(db.seals.reseal_students).

The stored text alone tells the version: someone editing the database behind the program's back
can also write a version-1 seal of the data they changed, as they could write any seal (no key:
docs/SECURITY.md, tamper-evident against edits of rows, not against a forger).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from core.engine import ItemDecision

# Version 1 (kept as it is: migration 0003 seals with it, and stored seals are checked with it):
# what the checks read of a student when it was made, which includes everything the engine reads.
SEAL_FIELDS: tuple[str, ...] = (
    "name", "id_number", "id_raw", "id_numeric_cell", "gender", "birth_date", "stage", "location",
    "ownership", "full_time", "category", "tuition_fen", "textbook_fen", "lodging_fen", "has_loan",
    "loan_contract_no", "prior_grants",
)
# Version 2's fields beyond version 1's: the rest of the catalogue. Fixed here, not computed from the
# catalogue: a field added to it later must not change the seals already stored (it needs a version 3).
SEAL_EXTRA_V2: tuple[str, ...] = (
    "student_no", "grade", "class_name", "household_no", "head_name", "relation", "township", "village",
    "phone", "bank_name", "bank_card",
)
SEAL_FIELDS_V2: tuple[str, ...] = SEAL_FIELDS + SEAL_EXTRA_V2
_V2 = "2:"
_BOOL = {"id_numeric_cell", "full_time", "has_loan"}
_FEN = {"tuition_fen", "textbook_fen", "lodging_fen"}


def _canonical(name: str, value: Any) -> Any:
    if name in _BOOL:
        return bool(value)
    if name in _FEN:
        return None if value is None else int(value)
    return "" if value is None else str(value)


def _digest(fields: tuple[str, ...], values: Mapping[str, Any], decisions: Iterable[ItemDecision]) -> str:
    data = {f: _canonical(f, values[f]) for f in fields}
    items = sorted([d.code, d.status.value, int(d.amount_fen)] for d in decisions)
    body = json.dumps({"data": data, "items": items}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def seal_of(values: Mapping[str, Any], decisions: Iterable[ItemDecision], version: int = 2) -> str:
    """The seal of a student's ``values`` (stored field -> value; a mapping, a row or an object's
    ``vars``: every field of ``fields_of(version)``) and its engine ``decisions`` (code, status,
    amount), in ``version``'s form."""
    if version == 1:
        return _digest(SEAL_FIELDS, values, decisions)
    return _V2 + _digest(SEAL_FIELDS_V2, values, decisions)[:62]


def version_of(seal: str) -> int:
    """The version a stored seal was made with."""
    return 2 if seal.startswith(_V2) else 1


def fields_of(version: int) -> tuple[str, ...]:
    """The fields a seal of ``version`` covers."""
    return SEAL_FIELDS if version == 1 else SEAL_FIELDS_V2


def seal_holds(seal: str, values: Mapping[str, Any], decisions: Iterable[ItemDecision]) -> bool:
    """Whether a stored ``seal`` is the seal of ``values`` and ``decisions`` (in its own version)."""
    return seal_of(values, decisions, version_of(seal)) == seal
