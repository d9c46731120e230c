"""The shape of imported data: column specifications and parsed rows.

Both importers, the demo generator and the database layer speak in these
field names (see docs/GLOSSARY.md). A parsed row keeps every value the
clerk gave, even a bad one, with the problems found in it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypedDict

from core.domain import (
    Category,
    Location,
    Ownership,
    Stage,
    StudentRecord,
    parse_location,
    parse_ownership,
    parse_stage,
)
from core.fields import STUDENT_FIELDS


@dataclass(frozen=True)
class Column:
    field: str
    header: str                   # canonical Chinese header
    synonyms: tuple[str, ...] = ()
    required: bool = False


# The student import's columns, from the catalogue of student fields (core.fields).
STUDENT_COLUMNS: tuple[Column, ...] = tuple(
    Column(f.import_field, f.import_header, f.synonyms, required=f.required)
    for f in STUDENT_FIELDS)

ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("county", "县(市、区)", ("县", "区县")),
    Column("township", "乡(镇)", ("乡镇",)),
    Column("village", "行政村", ("村",)),
    Column("household_no", "户编号"),
    Column("name", "姓名", required=True),
    Column("id_number", "证件号码", ("身份证号", "身份证号码"), required=True),
    Column("relation", "与户主关系"),
    Column("schooling_status", "在校生状况", ("就学状况",)),
    Column("school_name", "就读学校"),
)

# Defaults for empty optional student values (documented in README).
class _StudentDefaults(TypedDict):
    location: str
    ownership: str
    full_time: bool
    category: str


STUDENT_DEFAULTS: _StudentDefaults = {"location": "本地", "ownership": "公办", "full_time": True, "category": "NONE"}


@dataclass
class ParsedRow:
    """One data row of an imported file.

    ``values`` holds database field names (see ``db.models``):
    students: name, id_number (normalised), id_raw (as in the file),
    id_numeric_cell (bool: came from a number cell or a "4.1E+17" text, so
    digits were lost), gender, birth_date (text as entered), student_no,
    stage (canonical label, or the raw text when unknown), grade, class_name,
    location / ownership (label, or raw text), full_time / has_loan (bool),
    full_time_text (the 全日制 cell as typed when it cannot be read, full_time then being the guess 是;
    "" otherwise),
    category (Category value, or the raw text when unknown), prior_grants
    (the policy's once-only item codes, Policy.once_codes, when 往年已享受就学扶助 is 是), household_no,
    head_name, relation, township, village, phone, tuition_fen /
    textbook_fen / lodging_fen (int fen or None = not entered),
    loan_contract_no, bank_name, bank_card.
    roster: county, township, village, household_no, name, id_number, id_raw,
    id_numeric_cell, relation, schooling_status, school_name.

    ``blank`` (students) names the fields whose cell was blank in a column the file has: their
    value is the column's default (非困难, 本地, 是, no fee, "" …), which a new student gets, while
    a student already stored keeps the value it has (``db.importing.plan_import``).
    """

    line: int                     # 1-based row number in the file
    values: dict[str, Any]
    problems: list[str] = field(default_factory=list)   # Chinese, one per problem
    # the row's cells as text, kept for the rows written back to the clerk: skipped rows and
    # rows with a problem (empty for a clean row)
    raw: list[str] = field(default_factory=list)
    blank: frozenset[str] = frozenset()    # stored fields whose cell was blank (see above)


def grants_of(text: str | None) -> frozenset[str]:
    """The stored comma-separated list of once-only item codes granted before (e.g. "LOAN_AID"), or
    ``core.domain.EVERY_ONCE_ONLY``."""
    return frozenset(g for g in text.split(",") if g) if text else frozenset()


@lru_cache(maxsize=256)
def parse_category(text: str | None) -> Category | None:
    """Stored/parsed category value (empty: NONE); None when unknown."""
    try:
        return Category(text or "NONE")
    except ValueError:
        return None


@lru_cache(maxsize=256)
def _stage_of(text: str | None) -> Stage | None:
    return parse_stage(text or "")


@lru_cache(maxsize=256)
def _location_of(text: str | None) -> Location:
    return parse_location(text or "") or Location.LOCAL


@lru_cache(maxsize=256)
def _ownership_of(text: str | None) -> Ownership:
    return parse_ownership(text or "") or Ownership.PUBLIC


_grants_of = lru_cache(maxsize=256)(grants_of)


def student_record(values: dict[str, Any], key: int | None = None,
                   prior_grants: frozenset[str] = frozenset()) -> StudentRecord:
    """Engine view of stored/parsed student values (unknown labels become None)."""
    return StudentRecord(
        name=values.get("name") or "",
        id_number=values.get("id_number") or "",
        stage=_stage_of(values.get("stage")),
        location=_location_of(values.get("location")),
        ownership=_ownership_of(values.get("ownership")),
        full_time=bool(values.get("full_time", True)),
        category=parse_category(values.get("category")),
        tuition_fen=values.get("tuition_fen"),
        textbook_fen=values.get("textbook_fen"),
        lodging_fen=values.get("lodging_fen"),
        has_loan=bool(values.get("has_loan", False)),
        prior_grants=prior_grants,
        key=key,
    )


# The stored columns ``stored_records`` reads, in its order: the database id, then the
# student fields the engine reads (core.fields.ENGINE_FIELDS; a test holds the two equal).
RECORD_COLUMNS: tuple[str, ...] = (
    "id", "name", "id_number", "stage", "location", "ownership", "full_time", "category",
    "tuition_fen", "textbook_fen", "lodging_fen", "has_loan", "prior_grants")


def stored_records(rows: Iterable[Sequence[Any]]) -> list[StudentRecord]:
    """``student_record`` of stored students, fast: rows of RECORD_COLUMNS values.

    For bulk passes (compute 50,000 students): values are unpacked by position, not
    looked up by name, and each distinct label is parsed once (the same cached parsers
    as ``student_record``, whose records these equal exactly). Booleans are NOT NULL
    columns; ``bool`` keeps a raw 0/1 of a driver-level row right.
    """
    return [StudentRecord(name or "", id_number or "", _stage_of(stage), _location_of(location),
                          _ownership_of(ownership), bool(full_time), parse_category(category),
                          tuition, textbook, lodging, bool(has_loan), _grants_of(grants), key)
            for (key, name, id_number, stage, location, ownership, full_time, category,
                 tuition, textbook, lodging, has_loan, grants) in rows]
