"""The 建档立卡名单 read as columns: one tuple per field, not one object per person.

A county's roster is 200,000 people. As row objects (16 fields each) they cost about 1 KB a
person and seconds to build; as columns they are tuples straight from SQLite (transposed in
C), every repeating text (township, village, relation, school…) one shared string object,
and what the page derives per person — the masked ID, the 在册 text — is made only for the
rows on screen (``row``). The search texts and pinyin initials are made per distinct name
and column-wise (``core.text.haystacks``), never per row in Python.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import and_, methodcaller
from typing import Any

from core.bulk import gc_paused
from core.idnumber import mask_id
from core.pinyin import initials_key
from core.slicesort import SLICE, check_stop, distinct_in_slices, map_in_slices
from core.text import haystacks
from db.session import Database

# The IDs of the students on the list (db.models.ON_LIST): a removed one is not 在册, as the check says.
_STUDENT_IDS = "SELECT id_number FROM student WHERE removed_at IS NULL AND id_number != ''"
# The stored columns, in the order of ``RosterColumns``' text fields (SQL stays here).
_FIELDS = f"""
SELECT r.id, coalesce(r.name, ''), coalesce(nullif(r.id_number, ''), r.id_raw, ''),
       coalesce(r.relation, ''), coalesce(r.county, ''), coalesce(r.township, ''), coalesce(r.village, ''),
       coalesce(r.household_no, ''), coalesce(r.schooling_status, ''), coalesce(r.school_name, ''),
       coalesce(r.import_problems, ''),
       r.id_number != '' AND r.id_number IN ({_STUDENT_IDS})
FROM roster_person AS r"""
_SQL = _FIELDS + " ORDER BY r.id"
_BY_IDS = _FIELDS + " WHERE r.id IN ({}) ORDER BY r.id"
_IDS_PER_QUERY = 500
# What the 建档立卡名单 page reads first (``read_roster_names``), then for its search and filters
# (``read_roster_index``); a column it sorts by is read on its own (``read_roster_column``).
# A part of the names (after the id ``?``, at most ``?`` people): one text of ids and one of names
# joined by SQLite (in C, without Python's lock: no tuple and no string object per person until split).
# The subquery's ORDER BY orders the aggregate in every SQLite known (checked: ``read_names``).
_NAMES_PART = """
SELECT count(*), max(id), group_concat(id), group_concat(name, char(31)) FROM
  (SELECT id, coalesce(name, '') AS name FROM roster_person WHERE id > ? ORDER BY id LIMIT ?)"""
_NAMES_ROWS = "SELECT id, coalesce(name, '') FROM roster_person WHERE id > ? ORDER BY id LIMIT ?"
_SEPARATOR = "\x1f"           # a name holding it is read row by row (its part: see read_names)
_INDEX = """
SELECT r.id, coalesce(nullif(r.id_number, ''), r.id_raw, ''), coalesce(r.township, ''), coalesce(r.id_number, '') != ''
FROM roster_person AS r ORDER BY r.id"""
_SORT_COLUMNS = {"relation": "r.relation", "county": "r.county", "village": "r.village",
                 "household_no": "r.household_no", "schooling_status": "r.schooling_status",
                 "school_name": "r.school_name", "problems": "r.import_problems"}
_CHUNK = 5000
_MARKERS = 0xF0000                # private use: the markers of ``initials_of``


@dataclass(frozen=True, slots=True)
class RosterColumns:
    """The roster in id order, one sequence per field (position ``i`` is one person)."""
    ids: Sequence[int]
    names: Sequence[str]
    id_numbers: Sequence[str]      # full (the ID as it stood in the file when not valid): search only
    relation: Sequence[str]
    county: Sequence[str]
    township: Sequence[str]
    village: Sequence[str]
    household_no: Sequence[str]
    schooling_status: Sequence[str]
    school_name: Sequence[str]
    problems: Sequence[str]
    enrolled: bytes                # 1: the student list holds the person's ID number
    initials: Sequence[str]        # "zs|cs"
    haystacks: Sequence[str]       # search texts (core.text.haystack)

    def __len__(self) -> int:
        return len(self.ids)


EMPTY = RosterColumns((), (), (), (), (), (), (), (), (), (), (), b"", (), ())


@gc_paused()
def read_roster_columns(db: Database) -> RosterColumns:
    """Worker: the whole roster as columns, each person marked whether the student list holds them.

    Read a few thousand rows at a time, every text but the ID numbers shared (one string object
    per distinct name, household, township…): what is kept is packed, and no 200,000-row
    intermediate swells the process (the resident memory would not shrink back)."""
    with db.session() as s:
        return _columns(_raw(s).execute(_SQL).fetchmany)


def read_roster_rows(db: Database, ids: Sequence[int]) -> RosterColumns:
    """Worker: the people of ``ids`` (those still stored) as columns, in id order: the rows a
    windowed list shows."""
    wanted = sorted(set(ids))
    parts = [wanted[i:i + _IDS_PER_QUERY] for i in range(0, len(wanted), _IDS_PER_QUERY)]
    with db.session() as s:
        raw = _raw(s)
        chunks = iter([raw.execute(_BY_IDS.format(",".join("?" * len(p))), p).fetchall() for p in parts])
        return _columns(lambda _n: next(chunks, []))


def read_roster_names(db: Database) -> tuple[array, list[str]]:
    """Worker: every person's id (ascending) and name, each distinct name one string object:
    what the 建档立卡名单 page needs to show its first screen in name order and its count."""
    ids, names, _distinct = read_names(db)
    return ids, names


@gc_paused()
def read_names(db: Database, stop: Callable[[], bool] | None = None) -> tuple[array, list[str], list[str]]:
    """``read_roster_names`` and the distinct names (in first-seen order, as ``dict.fromkeys``).

    Read ``SLICE`` people at a time (one snapshot: the session's transaction), each part two joined
    texts split in C; a part with a name holding the separator (or, with an SQLite that would not keep
    the subquery's order in the aggregate, ids out of order) is read row by row. ``stop`` is asked
    between the parts: true, the read ends there (``Stopped``)."""
    ids, names = array("q"), list[str]()
    shared: dict[str, str] = {}
    one = shared.setdefault
    after = -(1 << 63)
    with db.session() as s:
        raw = _raw(s)
        while True:
            n, last, joined_ids, joined_names = raw.execute(_NAMES_PART, (after, SLICE)).fetchone()
            if not n:
                break
            got_ids: Sequence[int] = list(map(int, joined_ids.split(",")))
            got: Sequence[str] = joined_names.split(_SEPARATOR)
            if len(got) != n or got_ids != sorted(got_ids):   # a name with the separator; the order kept
                got_ids, got = zip(*raw.execute(_NAMES_ROWS, (after, SLICE)).fetchall(), strict=True)
            ids.extend(got_ids)
            names.extend(map(one, got, got))
            after = last
            check_stop(stop)
    return ids, names, list(shared)


@dataclass(frozen=True, slots=True)
class RosterIndex:
    """What the page searches and filters by, in id order."""
    id_numbers: Sequence[str]
    township: Sequence[str]
    enrolled: bytes
    haystacks: Sequence[str]


@gc_paused()
def read_roster_index(db: Database, ids: Sequence[int], names: Sequence[str]) -> RosterIndex | None:
    """Worker: the search texts (``ids``, ``names`` from ``read_roster_names``, with the stored ID
    numbers and the names' pinyin initials), the townships and the 在册 flags, in id order; None
    when the roster changed since ``ids`` were read (the caller reads it again)."""
    read_ids = array("q")
    id_numbers: list[str] = []
    township: list[str] = []
    enrolled = bytearray()                       # 在册: a stored ID number the student list holds
    one = _sharer()
    with db.session() as s:
        raw = _raw(s)
        students = {idn for (idn,) in raw.execute(_STUDENT_IDS)}
        cursor = raw.execute(_INDEX)
        while chunk := cursor.fetchmany(_CHUNK):
            got_ids, got_numbers, got_towns, stored = zip(*chunk, strict=True)
            read_ids.extend(got_ids)
            id_numbers.extend(got_numbers)
            township.extend(map(one, got_towns, got_towns))
            enrolled.extend(map(and_, stored, map(students.__contains__, got_numbers)))
    if read_ids != array("q", ids):
        return None
    return RosterIndex(id_numbers, township, bytes(enrolled), search_texts(names, id_numbers)[1])


def read_roster_column(db: Database, field: str) -> tuple[array, list[str]]:
    """Worker: one text column of ``RosterColumns`` (a sort key) with the ids, in id order."""
    ids, values = array("q"), list[str]()
    one = _sharer()
    with db.session() as s:
        cursor = _raw(s).execute(f"SELECT r.id, coalesce({_SORT_COLUMNS[field]}, '') FROM roster_person AS r "
                                 "ORDER BY r.id")
        while chunk := cursor.fetchmany(_CHUNK):
            got_ids, got = zip(*chunk, strict=True)
            ids.extend(got_ids)
            values.extend(map(one, got, got))
    return ids, values


def _sharer() -> Callable[[str, str], str]:
    """``one(text, text)``: the one string object of each distinct text (repeating texts shared)."""
    shared: dict[str, str] = {}
    return shared.setdefault


def _raw(session: Any) -> Any:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    return raw


def _columns(fetch: Callable[[int], list[Any]]) -> RosterColumns:
    ids = array("q")                             # machine integers: no int object per person
    texts: list[list[str]] = [[] for _ in range(10)]
    enrolled = bytearray()
    shared: dict[str, str] = {}
    one = shared.setdefault
    while chunk := fetch(_CHUNK):
        cols = list(zip(*chunk, strict=True))
        ids.extend(cols[0])
        for i, values in enumerate(cols[1:11]):
            texts[i].extend(values if i == 1 else map(one, values, values))   # i == 1: the ID numbers
        enrolled.extend(cols[11])
    del shared
    if not ids:
        return EMPTY
    names, id_numbers, relation, county, township, village, household_no, schooling, school, problems = texts
    initials, hays = search_texts(names, id_numbers)
    return RosterColumns(ids, names, id_numbers, relation, county, township, village, household_no, schooling,
                         school, problems, bytes(enrolled), initials, hays)


def search_texts(names: Sequence[str], id_numbers: Sequence[str]) -> tuple[list[str], list[str]]:
    """The people's pinyin initials (made once per distinct name) and search texts."""
    by_name = initials_of(distinct_in_slices(names))
    initials = map_in_slices(by_name.__getitem__, names)
    hays: list[str] = []
    for start in range(0, len(names), SLICE):          # 200,000 in one call held the GIL for 0.1 s
        end = start + SLICE
        hays += haystacks(names[start:end], id_numbers[start:end], initials[start:end])
    return initials, hays


def initials_of(names: Iterable[str]) -> dict[str, str]:
    """``initials_key`` of many names: a name whose every character has one reading is mapped
    in C through a per-character table (``str.translate``: most names); a name with one character
    of several readings is that mapping once per reading; the others go through ``initials_key``."""
    names = list(names)
    table: dict[int, str] = {}
    several: dict[str, list[str]] = {}           # a marker -> its character's readings
    for ch in set("".join(names)):
        if ch.isspace():
            table[ord(ch)] = ""                  # name_initials skips white space
            continue
        readings = initials_key(ch).split("|")
        if len(readings) == 1:
            table[ord(ch)] = readings[0]
        else:                                    # a marker (private use: no name keeps one)
            table[ord(ch)] = marker = chr(_MARKERS + len(several))
            several[marker] = readings
    out = dict(zip(names, map_in_slices(methodcaller("translate", table), names), strict=True))
    if several:
        pattern = re.compile("[" + "".join(several) + "]")
        for name, letters in out.items():
            found = pattern.findall(letters)
            if len(found) == 1:
                out[name] = "|".join([letters.replace(found[0], r) for r in several[found[0]]])
            elif found:
                out[name] = initials_key(name)
    return out


def masked(idn: str) -> str:
    """``mask_id`` with the fast path of a stored (normalised) 18-character number."""
    if len(idn) == 18 and idn.isascii() and idn[:17].isdigit() and idn[17] in "0123456789X":
        return idn[:6] + "********" + idn[14:]
    return mask_id(idn)
