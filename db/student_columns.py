"""The snapshot's students held as columns: one sequence per field, not one object per student.

A county's list is 50,000 students. As ``StudentRow`` objects (20 fields, a masked ID, a money
text and a Qt collation key each) they cost about 1 KB a student, and freeing them when a reload
replaced the list held the GUI thread for most of a second. As columns, every repeating text
(gender, stage, grade, class, category, the reason for a removal…) is one shared string object,
ids and amounts are machine integers (``array``), flags are bytes, and the name's pinyin order
is a rank per student (an ``array``) instead of a ``QCollatorSortKey`` per student.

What a row shows but does not store — the masked ID, the amount as text, the status — is made
only for a row on screen: ``StudentColumns[i]`` (and ``row(i)``) builds the ``StudentRow``.
``LetterColumns`` are the 告知书 page's students: positions into the same columns (one copy of
the students for the three pages of the snapshot) plus what only a letter has.
"""
from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from core.fields import LETTER_FIELDS, LIST_FIELDS
from core.money import format_fen
from core.slicesort import distinct_in_slices, map_in_slices, sorted_positions
from core.text import haystacks
from db.roster_columns import masked

if TYPE_CHECKING:
    from db.views import LetterRow, OpenFindings, StudentRow

NameKey = Callable[[str], Any]

T = TypeVar("T")
_COLLATED_SLICE = 4000        # Qt's collation keys compare in ~0.15 µs: a sort of 16,000 took 30-37 ms


class RowsByIndex(Sequence[T]):
    """A sequence of row objects made on demand by ``row(i)`` (columns underneath)."""
    __slots__ = ()

    def row(self, i: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self.row(j) for j in range(*i.indices(len(self)))]
        return self.row(i if i >= 0 else i + len(self))

    def __iter__(self) -> Iterator[T]:
        return map(self.row, range(len(self)))


@dataclass(frozen=True, slots=True, weakref_slot=True)
class StudentColumns(RowsByIndex["StudentRow"]):
    """The students in id order, one sequence per field (position ``i`` is one student).
    Indexing gives a ``StudentRow`` made on demand (for the rows on screen, tests, small uses)."""
    ids: Sequence[int]
    listed: Mapping[str, Sequence[str]]        # core.fields.LIST_FIELDS (category: the policy's label)
    total_fen: Sequence[int]
    pending: Sequence[int]                     # items waiting for missing data
    verified: bytes
    removed: bytes
    removed_reason: Sequence[str]
    initials: Sequence[str]
    findings: Sequence[OpenFindings]           # one shared object for every student without any
    haystacks: Sequence[str]                   # search texts (core.text.haystack)
    name_ranks: Sequence[int] | None = None    # pinyin order of the names (None: no collation key given)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> Sequence[str]:
        """A listed field's values by position."""
        return self.listed[name]

    def row(self, i: int) -> StudentRow:
        from db.views import StudentRow
        listed = {f: values[i] for f, values in self.listed.items()}
        total, ranks = self.total_fen[i], self.name_ranks
        return StudentRow(
            id=self.ids[i], **listed, id_masked=masked(listed["id_number"]), total_fen=total,
            total_text=format_fen(total), pending=self.pending[i], verified=bool(self.verified[i]),
            initials=self.initials[i], name_key=None if ranks is None else ranks[i], haystack=self.haystacks[i],
            removed=bool(self.removed[i]), removed_reason=self.removed_reason[i], findings=self.findings[i])


@dataclass(frozen=True, slots=True)
class LetterColumns(RowsByIndex["LetterRow"]):
    """The students with a granted item, or told before their result changed (告知书, db.views.snapshot;
    such a one shows as not printed: a second letter is due): positions into ``students`` (ascending, so ids
    ascend too), with what only the letters show. Indexing gives a ``LetterRow``."""
    students: StudentColumns
    positions: Sequence[int]
    head_name: Sequence[str]
    printed: bytes
    receipt: bytes
    ids: Sequence[int]             # the students' ids at ``positions``
    haystacks: Sequence[str]       # the students' search texts at ``positions`` (the same strings)

    def __len__(self) -> int:
        return len(self.positions)

    def row(self, i: int) -> LetterRow:
        from db.views import LetterRow
        st, p = self.students, self.positions[i]
        ranks = st.name_ranks
        return LetterRow(id=st.ids[p], name=st.listed["name"][p], id_number=st.listed["id_number"][p],
                         head_name=self.head_name[i], grade=st.listed["grade"][p], total_fen=st.total_fen[p],
                         printed=bool(self.printed[i]), receipt=bool(self.receipt[i]), initials=st.initials[p],
                         name_key=None if ranks is None else ranks[p])


assert set(LETTER_FIELDS) <= {*LIST_FIELDS, "head_name"}, "a lettered field the columns do not hold"


class ColumnsBuilder:
    """Collects the students one by one as the snapshot reads them (``add``), then ``finish``es
    the columns: repeated texts shared, numbers packed, search texts and name ranks made
    column-wise."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.listed: dict[str, list[str]] = {f: [] for f in LIST_FIELDS}
        self.total_fen, self.pending = array("q"), array("l")
        self.verified, self.removed = bytearray(), bytearray()
        self.removed_reason: list[str] = []
        self.initials: list[str] = []
        self.findings: list[OpenFindings] = []
        self.letter_positions = array("l")
        self.head_name: list[str] = []
        self.printed, self.receipt = bytearray(), bytearray()
        self._shared: dict[str, str] = {}

    def add(self, sid: int, listed: Mapping[str, str], total_fen: int, pending: int, verified: bool,
            removed: bool, removed_reason: str, initials: str, findings: OpenFindings) -> None:
        one = self._shared.setdefault
        self.ids.append(sid)
        for f, values in self.listed.items():
            value = listed[f]
            values.append(value if f == "id_number" else one(value, value))    # ID numbers: unique
        self.total_fen.append(total_fen)
        self.pending.append(pending)
        self.verified.append(verified)
        self.removed.append(removed)
        self.removed_reason.append(one(removed_reason, removed_reason))
        self.initials.append(one(initials, initials))
        self.findings.append(findings)

    def add_letter(self, head_name: str, printed: bool, receipt: bool) -> None:
        """The student added last gets a letter."""
        self.letter_positions.append(len(self.ids) - 1)
        self.head_name.append(self._shared.setdefault(head_name, head_name))
        self.printed.append(printed)
        self.receipt.append(receipt)

    def finish(self, name_key: NameKey | None = None) -> tuple[StudentColumns, LetterColumns]:
        names = self.listed["name"]
        self._shared.clear()
        students = StudentColumns(
            self.ids, self.listed, self.total_fen, self.pending, bytes(self.verified), bytes(self.removed),
            self.removed_reason, self.initials, self.findings,
            haystacks(names, self.listed["id_number"], self.initials),
            None if name_key is None else name_ranks(names, name_key))
        at = self.letter_positions
        return students, LetterColumns(students, at, self.head_name, bytes(self.printed), bytes(self.receipt),
                                       array("q", map(self.ids.__getitem__, at)),
                                       list(map(students.haystacks.__getitem__, at)))


def name_ranks(names: Sequence[str], name_key: NameKey) -> array:
    """Each name's rank in the order of ``name_key`` (a collation key: a ``QCollator.sortKey``),
    equal ranks exactly for names the key finds equal: sorting by the ranks is sorting by the keys
    (the same order, ties in the same places), with one key per distinct name made and let go here
    instead of one kept per student."""
    distinct = distinct_in_slices(names)
    keys = [name_key(n) for n in distinct]
    rank, previous, ranks = -1, None, {}
    for i in sorted_positions(range(len(distinct)), keys, part=_COLLATED_SLICE):    # never a long hold of the GIL
        key = keys[i]
        if previous is None or previous < key:
            rank += 1
        ranks[distinct[i]], previous = rank, key
    del keys, previous
    return map_in_slices(ranks.__getitem__, names, into=array("l"))


EMPTY_STUDENTS = StudentColumns((), {f: () for f in LIST_FIELDS}, (), (), b"", b"", (), (), (), ())
EMPTY_LETTERS = LetterColumns(EMPTY_STUDENTS, (), (), b"", b"", (), ())
