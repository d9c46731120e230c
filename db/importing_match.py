"""Which stored row each row of an imported file updates (``db.importing.plan_import``).

A row is matched by its key (``match_key``: the ID number, else the raw ID text with the name,
else the name). For students:

* a student on the list is matched before one taken off it (移出名单), whatever their ids: a row
  updates a removed student only when no listed one has its key (it then stays removed);
* a row no stored student has the key of may be the student whose ID the clerk corrected since:
  the student's ``id_raw`` keeps the ID as the file held it (``db.students.update_student``), and
  a row with that ID and the same name is matched to it (its corrected ID is kept). Only rows left
  without a match by their own key are matched so, and each student once.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping

from core.idnumber import looks_scientific, normalize_id
from core.records import ParsedRow


def match_key(values: Mapping[str, Any] | RowMapping) -> str:
    if values.get("id_number"):
        return "id:" + values["id_number"]
    if values.get("id_raw"):
        # A number that lost digits ("4.22822E+17") is shared by many people: never match on it alone.
        return "raw:" + str(values["id_raw"]).strip() + "|" + (values.get("name") or "")
    return "name:" + (values.get("name") or "")


def original_key(m: Mapping[str, Any] | RowMapping) -> str | None:
    """The key of the ID the file held for a student whose ID number the clerk changed since (the
    file's ``id_raw`` differs from the stored number beyond its spelling), or None."""
    number, raw = m.get("id_number"), m.get("id_raw")
    if not number or raw == number:
        return None
    if not raw:                   # the file had no ID: the row was matched by its name
        return match_key({"name": m.get("name")})
    held = normalize_id(raw)
    if held == number or looks_scientific(str(raw)):
        return None               # the same number spelled otherwise; a number cell's text names no one
    return "id:" + held


def match_rows(stored: Sequence[Any], rows: Sequence[ParsedRow],
               students: bool) -> tuple[list[Any | None], set[int]]:
    """For each row, the stored record (a row of ``stored``) it updates or None (added); and the
    indexes of the rows matched by a corrected student's original ID (``original_key``).

    A row whose ID a listed student has under another name, while the student whose ID was corrected
    from it has the row's name, updates that student (the ID was given to another child since). A
    name alone (a file without IDs) finds a corrected student only when that name is one stored
    student's and one row's: two children of one name are never told apart by it."""
    existing: dict[str, list[Any]] = defaultdict(list)
    off_list: list[Any] = []
    for rec in stored:
        if students and rec.removed_at is not None:
            off_list.append(rec)            # matched only after every listed student with its key
        else:
            existing[match_key(rec._mapping)].append(rec)
    for rec in off_list:
        existing[match_key(rec._mapping)].append(rec)
    aliases = corrected_aliases(stored, rows) if students else {}
    found: list[Any | None] = []
    taken: set[int] = set()
    corrected: set[int] = set()
    for i, row in enumerate(rows):
        key, name = match_key(row.values), row.values.get("name")
        candidates = existing.get(key)
        while candidates and candidates[0].id in taken:      # (taken by its original ID already)
            candidates.pop(0)
        if candidates and name and candidates[0]._mapping.get("name") != name:
            alias = alias_of(aliases, key, name, taken)
            if alias is not None:           # the ID is another child's now: the corrected student's row
                found.append(alias)
                corrected.add(i)
                continue
        if candidates:
            rec = candidates.pop(0)
            taken.add(rec.id)
            found.append(rec)
        else:
            found.append(None)
    if len(taken) == len(rows):
        return found, corrected
    for i, row in enumerate(rows):
        if found[i] is None and aliases:
            alias = alias_of(aliases, match_key(row.values), row.values.get("name"), taken)
            if alias is not None:
                found[i] = alias
                corrected.add(i)
    if students:
        _lost_digits(stored, rows, found, taken)
    return found, corrected


def _lost_digits(stored: Sequence[Any], rows: Sequence[ParsedRow], found: list[Any | None], taken: set[int]) -> None:
    """A row with a whole ID finds the listed student of its name whose ID came from a number cell
    (its last digits lost: no ID number stored, the cell's text in ``id_raw``) when what is left of that
    number agrees with the row's: the file imported again with the ID column as text, as the finding
    asks (ID_NUMERIC_CELL), corrects that student instead of adding the child a second time. Only when
    one such student and one such row have the name (two children of one name are never told apart)."""
    lost: dict[str, list[Any]] = defaultdict(list)
    for rec in stored:
        m = rec._mapping
        if rec.id not in taken and m.get("removed_at") is None and not m.get("id_number") and m.get("id_raw") \
                and m.get("id_numeric_cell"):
            lost[m.get("name") or ""].append(rec)
    if not lost:
        return
    open_rows = Counter(row.values.get("name") for i, row in enumerate(rows)
                        if found[i] is None and row.values.get("id_number"))
    for i, row in enumerate(rows):
        name, number = row.values.get("name") or "", row.values.get("id_number") or ""
        if found[i] is not None or not number or open_rows[name] != 1 or len(lost.get(name, ())) != 1:
            continue
        rec = lost[name][0]
        if rec.id not in taken and _digits_agree(str(rec._mapping["id_raw"]), number):
            taken.add(rec.id)
            found[i] = rec


def _digits_agree(raw: str, number: str) -> bool:
    """Whether a number cell's text, its digits as the double kept them ("422822200611300032", or
    rounded to 16 digits, "422822201007289000"), can be ``number``: within a thousand of it (what
    15 kept digits leave open: the last three of the sequence and check digit; a rounding may have
    carried into the kept ones, so the digits are not compared one by one). Excel's own text of it
    ("4.22822E+17") keeps too few digits to tell one child of the county from another: never matched."""
    text = raw.strip()
    if not (text.isdigit() and number.isdigit() and len(text) == len(number)) or looks_scientific(text):
        return False
    return abs(int(text) - int(number)) < 1000


def corrected_aliases(stored: Sequence[Any], rows: Sequence[ParsedRow]) -> dict[str, list[Any]]:
    """The students whose ID was corrected, by the key of the ID the file held (listed ones first);
    a name key only when the name is one stored student's and one row's (none without ``rows``).
    ``stored``: rows with ``id``, ``removed_at`` and the mapping ``original_key`` reads (also
    ``db.feedback``'s: a receiver's finding about the ID a student had before the correction)."""
    held = [(rec, key) for rec in stored if (key := original_key(rec._mapping)) is not None]
    if not held:
        return {}
    if any(key.startswith("name:") for _rec, key in held):
        stored_names = Counter(rec._mapping.get("name") for rec in stored)
        row_names = Counter(row.values.get("name") for row in rows)
        held = [(rec, key) for rec, key in held if not key.startswith("name:")
                or stored_names[rec._mapping.get("name")] == row_names[rec._mapping.get("name")] == 1]
    aliases: dict[str, list[Any]] = defaultdict(list)
    for rec, key in sorted(held, key=lambda pair: (pair[0].removed_at is not None, pair[0].id)):
        aliases[key].append(rec)
    return aliases


def alias_of(aliases: Mapping[str, list[Any]], key: str, name: Any, taken: set[int]) -> Any | None:
    """The corrected student whose original ID is ``key`` and whose name is ``name``, not taken yet
    (then taken)."""
    for rec in aliases.get(key, ()):
        if rec.id not in taken and name and rec._mapping.get("name") == name:
            taken.add(rec.id)
            return rec
    return None


def same_names(stored: Sequence[Any], added: Sequence[ParsedRow]) -> list[tuple[ParsedRow, int, str]]:
    """The added rows whose name a listed student already has (under another ID): each with that
    student's id and ID (number, else the file's text). Possibly one child under a corrected ID."""
    wanted = {row.values.get("name") for row in added} - {"", None}
    if not wanted:
        return []
    listed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for rec in stored:
        m = rec._mapping
        if m.get("name") in wanted and m.get("removed_at") is None:
            listed[m["name"]].append((m["id"], m.get("id_number") or m.get("id_raw") or ""))
    return [(row, sid, number) for row in added for sid, number in listed.get(row.values.get("name") or "", ())]
