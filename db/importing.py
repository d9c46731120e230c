"""Write parsed rows into the database: plan (dry run) and apply, in one transaction.

Students are matched by ID number (then by the raw ID text, then by name for
rows without any ID; ``db.importing_match``); a file holding the same ID twice keeps both rows as
separate students. Only the columns present in the file overwrite stored
values, so a clerk's corrections in other fields survive a re-import; a blank cell
(``ParsedRow.blank``) keeps a stored student's value too, and the ID's spelling alone
(``id_raw``: a space, a lower-case x) is no change. What a plan would change is worded for the
clerk in ``db.importing_review``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from operator import itemgetter
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.bulk import gc_paused
from core.errors import ValidationError
from core.idnumber import mask_id
from core.pinyin import initials_key
from core.records import STUDENT_DEFAULTS, ParsedRow
from db import audit, store
from db.bulk import BIG_INSERT, CHUNK, column_defaults, indexes_deferred, insert_one, insert_tuples, stored_time
from db.check_state import marker_deferred
from db.importing_match import match_key as match_key  # (its home before db.importing_match)
from db.importing_match import match_rows, same_names
from db.models import ROSTER_DATA_FIELDS, STUDENT_DATA_FIELDS, RosterPerson, Student

Progress = Callable[[int, int], None]

# A mapped column may fill several stored fields.
_FIELD_EXPANSION = {
    "id_number": ("id_number", "id_raw", "id_numeric_cell"),
    "tuition": ("tuition_fen",), "textbook": ("textbook_fen",), "lodging": ("lodging_fen",),
    "prior_loan_aid": ("prior_grants",),
    "full_time": ("full_time", "full_time_text"),   # the cell's text when it cannot be read, else ""
}
_STUDENT_BLANK: dict[str, Any] = {
    **{f: "" for f in STUDENT_DATA_FIELDS},
    "id_numeric_cell": False, "full_time": True, "has_loan": False,
    "tuition_fen": None, "textbook_fen": None, "lodging_fen": None,
    **{k: v for k, v in STUDENT_DEFAULTS.items()},
}
# Student columns an import never writes, given their defaults (``verified`` False …).
_STUDENT_UNSET = ("verified", "removed_reason")
_ROSTER_BLANK: dict[str, Any] = {**{f: "" for f in ROSTER_DATA_FIELDS}, "id_numeric_cell": False}


def stored_fields(mapped: Iterable[str]) -> set[str]:
    """Database fields written by a file whose mapped columns are ``mapped``."""
    out: set[str] = set()
    for f in mapped:
        out.update(_FIELD_EXPANSION.get(f, (f,)))
    return out


# The ID's fields: the number, the file's text, whether it came from a number cell.
_ID_FIELDS = ("id_number", "id_raw", "id_numeric_cell")


@dataclass
class ImportPlan:
    kind: str
    added: list[ParsedRow] = field(default_factory=list)
    updated: list[tuple[int, ParsedRow, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    unchanged: list[ParsedRow] = field(default_factory=list)
    skipped: list[ParsedRow] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)   # roster replace: ids not in the new file
    size_before: int = 0              # rows stored when planned
    removal_confirmed: bool = False   # the clerk confirmed a large removal (``needs_confirmation``)
    # What the clerk is shown before an import writes (db.importing_review):
    kept_blank: int = 0               # blank cells that kept a stored value (a new row gets the default)
    kept: list[tuple[int, ParsedRow, dict[str, Any]]] = field(default_factory=list)   # the rows with
    #   such cells: stored id, row, each field kept with its stored value
    unverified: list[int] = field(default_factory=list)    # 已核准 students whose data changes: 待核准
    off_list: list[tuple[int, ParsedRow]] = field(default_factory=list)    # rows matching a removed student
    corrected: list[tuple[int, ParsedRow, str]] = field(default_factory=list)   # rows matching a
    #   student by the ID the clerk corrected since, with the student's ID now (kept)
    same_name: list[tuple[ParsedRow, int, str]] = field(default_factory=list)   # added rows named as a
    #   listed student (its id and ID): possibly the same child under another ID
    removed_people: list[tuple[int, str, str]] = field(default_factory=list)   # roster replace: id, name, ID
    absent: list[tuple[int, str, str]] = field(default_factory=list)   # students: listed ones no row of the
    #   file matches (id, name, ID): left as they are, said so (graduated, moved: the clerk removes them)

    @property
    def large_removal(self) -> bool:
        """A replace that removes more than half of the stored list."""
        return len(self.removed) * 2 > self.size_before

    @property
    def needs_confirmation(self) -> bool:
        return self.large_removal and not self.removal_confirmed

    def removal_text(self) -> str:
        """Chinese: how much of the roster a replace removes."""
        keep = self.size_before - len(self.removed)
        return (f"现有建档立卡名单 {self.size_before} 人，用新文件替换后将删除 {len(self.removed)} 人、"
                f"保留 {keep} 人、新增 {len(self.added)} 人，名单变为 {keep + len(self.added)} 人")

    @property
    def problem_rows(self) -> list[ParsedRow]:
        rows = self.added + [r for _, r, _ in self.updated] + self.unchanged
        return sorted((r for r in rows if r.problems), key=lambda r: r.line)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "skipped": len(self.skipped),
                "with_problems": len(self.problem_rows), "removed": len(self.removed)}


_SPECS: dict[str, tuple[type[Student] | type[RosterPerson], tuple[str, ...], dict[str, Any]]] = {
    "students": (Student, STUDENT_DATA_FIELDS, _STUDENT_BLANK),
    "roster": (RosterPerson, ROSTER_DATA_FIELDS, _ROSTER_BLANK),
}


@gc_paused()
def plan_import(session: Session, kind: str, rows: list[ParsedRow], skipped: list[ParsedRow],
                mapped_fields: Iterable[str], replace: bool = False,
                confirm_removal: bool = False) -> ImportPlan:
    """What applying ``rows`` would do; the database is not changed. With ``replace``
    (the roster only: the poverty office's list is always the whole list) the people
    no longer in the file are removed; removing more than half of the list needs
    ``confirm_removal`` (``apply_plan`` refuses otherwise)."""
    if replace and kind != "roster":
        raise ValueError("only the roster can be replaced")
    model, data_fields, _blank = _SPECS[kind]
    students = kind == "students"
    writable = sorted(stored_fields(mapped_fields) & set(data_fields))
    # What the plan tells besides the changes: a student's state (verified, off the list); a replaced
    # roster's people, for the audit entry of the removal (name, number, raw text: positions 2-4).
    state: list[Any] = []
    if students:
        state = [Student.verified, Student.removed_at, Student.name.label("who"), Student.id_number.label("number"),
                 Student.id_raw.label("raw")]
    elif replace:
        state = [model.name.label("who"), model.id_number.label("number"), model.id_raw.label("raw")]
    cols = [model.id, model.import_problems, *state] + [getattr(model, f) for f in writable]
    stored = session.execute(select(*cols).order_by(model.id)).all()
    plan = ImportPlan(kind, skipped=list(skipped), removal_confirmed=confirm_removal)
    plan.size_before = len(stored)
    if not stored:                # nothing stored to match: every row is added
        plan.added = list(rows)
        return plan
    found, corrected = match_rows(stored, rows, students)
    for i, (row, rec) in enumerate(zip(rows, found, strict=True)):
        if rec is None:
            plan.added.append(row)
            continue
        m = rec._mapping
        sid = m["id"]
        values = row.values
        changes = {f: (m[f], values[f]) for f in writable if f in values and m[f] != values[f]}
        kept: tuple[str, ...] = ()
        if changes:
            kept = _adjust(changes, row, i in corrected)
        problems = "；".join(row.problems)
        if problems != (m["import_problems"] or ""):
            changes["import_problems"] = (m["import_problems"], problems)
        if changes:
            plan.updated.append((sid, row, changes))
            if students and m["verified"] and _data_changed(changes):
                plan.unverified.append(sid)
        else:
            plan.unchanged.append(row)
        if kept:
            plan.kept.append((sid, row, {f: m[f] for f in kept}))
            plan.kept_blank += len(kept)
        if students and m["removed_at"] is not None:
            plan.off_list.append((sid, row))
        if i in corrected:
            plan.corrected.append((sid, row, m["id_number"]))
    if students and plan.added:
        plan.same_name = same_names(stored, plan.added)
    if students:
        # (a listed student an added row is named as is said there: possibly the same child, another ID)
        matched = {rec.id for rec in found if rec is not None} | {sid for _row, sid, _number in plan.same_name}
        plan.absent = [(rec.id, rec.who or "", rec.number or rec.raw or "") for rec in stored
                       if rec.id not in matched and rec.removed_at is None]
    if replace:
        matched = {rec.id for rec in found if rec is not None}
        gone = [rec for rec in stored if rec[0] not in matched]
        plan.removed = [rec[0] for rec in gone]
        plan.removed_people = [(rec[0], rec[2] or "", rec[3] or rec[4] or "") for rec in gone]
    return plan


def _adjust(changes: dict[str, tuple[Any, Any]], row: ParsedRow, corrected: bool) -> tuple[str, ...]:
    """Drop from ``changes`` (the fields whose value differs) what is no change: a blank cell's
    default (a stored student keeps its value: the fields so kept are returned), the ID of a row
    matched by the ID the clerk corrected since, the ID's spelling alone, 是 both times."""
    kept: tuple[str, ...] = ()
    if row.blank:                 # a blank cell keeps the stored value (a new student gets the default);
        # an empty stored value has nothing to keep (性别 and 出生日期 filled from the ID, say)
        kept = tuple(f for f in changes if f in row.blank and changes[f][0] not in (None, ""))
        for f in kept:
            del changes[f]
    if corrected:                 # matched by the ID the clerk corrected since: the correction stays
        for f in _ID_FIELDS:
            changes.pop(f, None)
    elif "id_number" not in changes:     # the same number spelled otherwise (a space, a lower-case x):
        changes.pop("id_raw", None)      # no change (the first spelling stays: id_raw is sealed)
        changes.pop("id_numeric_cell", None)
    if "prior_grants" in changes and bool(changes["prior_grants"][0]) == bool(changes["prior_grants"][1]):
        del changes["prior_grants"]     # 是 both times: once-only codes an earlier version stored, kept
    return kept


@gc_paused()
def apply_plan(session: Session, plan: ImportPlan, actor: str | None = None,
               progress: Progress | None = None) -> dict[str, int]:
    """Write the plan inside the caller's transaction; audit every change."""
    model = _SPECS[plan.kind][0]
    if plan.removed and plan.needs_confirmation:
        raise ValidationError(plan.removal_text() + "，超过现有名单的一半，需要确认后才能替换",
                              "请核对新名单是否完整；确认无误请加 --yes 重新运行（图形界面中确认提示框）")
    actor = actor or audit.default_actor()
    now = datetime.now()
    total = len(plan.added) + len(plan.updated)
    step = max(1, total // 50)
    done = 0
    entity = "student" if plan.kind == "students" else "roster"
    if plan.added:
        done = _insert_added(session, plan, actor, now, progress)
    if plan.updated:
        was_verified: set[int] = set()
        if plan.kind == "students":
            ids = [sid for sid, _r, c in plan.updated if _data_changed(c)]
            for start in range(0, len(ids), 900):
                was_verified.update(session.scalars(select(Student.id).where(
                    Student.id.in_(ids[start:start + 900]), Student.verified.is_(True))))
        dicts = []
        for sid, _row, changes in plan.updated:
            d = {"id": sid, **{f: new for f, (_old, new) in changes.items()}}
            if plan.kind == "students":
                d["updated_at"] = now
                if _data_changed(changes):     # any change of data sends a verified student back to 待核准
                    d["verified"] = False      # (the file's problem notes alone are no data the clerk verified)
                    d["seal"] = None
                if "name" in changes:
                    d["name_initials"] = initials_key(changes["name"][1] or "")
            dicts.append(d)
            done += 1
            if progress and done % step == 0:
                progress(done, total)
        for start in range(0, len(dicts), 5000):
            session.execute(update(model), dicts[start:start + 5000])
        # every update audited with its old and new values (the file's problem notes are not data)
        audit.record_many(session, actor, entity,
                          ((sid, {**{k: v for k, v in ch.items() if k != "import_problems"},
                                  **({"verified": (True, False)} if sid in was_verified else {})})
                           for sid, _r, ch in plan.updated), now)
    if plan.removed:
        for start in range(0, len(plan.removed), 900):
            session.execute(delete(model).where(model.id.in_(plan.removed[start:start + 900])))
        note = removed_note(plan.removed_people) if plan.removed_people else f"替换名单：删除 {len(plan.removed)} 人"
        audit.record(session, actor, entity, None, {"*": (None, note)}, now)
    if plan.kind == "roster":
        _record_roster_size(session, plan, now)
    if progress:
        progress(total, total)
    return plan.counts()


def _insert_added(session: Session, plan: ImportPlan, actor: str, now: datetime,
                  progress: Progress | None = None) -> int:
    """Insert the plan's new rows in chunks of ``CHUNK``; one audit entry names them all.

    The rows go as plain tuples (db.bulk) with explicit ids: the first row is inserted alone,
    SQLite gives it its id under the write lock this transaction then holds, so no other writer
    can take the ids that follow. A chunk's tuples and initials are built when the chunk is
    written, not for every row first.

    The students added are audited by one entry for the import (``added_note``: each one's id and
    name, in id order), as the roster's replacement is one entry: the same facts as one
    "导入新增：姓名" entry per student, which cost 0.4 s of a 50,000-student import (issue 13).
    The roster people added are named the same way, in one entry (entity ``roster``)."""
    model, data_fields, blank = _SPECS[plan.kind]
    students = plan.kind == "students"
    table = model.__table__
    name_at = data_fields.index("name")
    # Each row's values, its problems, the bookkeeping columns (students), the id.
    columns = [*data_fields, "import_problems"]
    tail: tuple[Any, ...] = ()
    memo: dict[str, str] = {}
    if students:
        columns += ["name_initials", "created_at", "updated_at", *_STUDENT_UNSET]
        stamp = stored_time(now)
        tail = (stamp, stamp, *column_defaults(table, _STUDENT_UNSET).values())

    def stored(part: list[ParsedRow], first: int) -> list[tuple[Any, ...]]:
        if not students:
            return _stored_rows(part, data_fields, blank, [()] * len(part), first)
        names = [row.values.get("name", blank["name"]) for row in part]
        return _stored_rows(part, data_fields, blank, [(key, *tail) for key in _initials_of(names, memo)], first)

    conn = session.connection()
    first = insert_one(conn, table, columns, stored(plan.added[:1], 0)[0][:-1])
    columns.append("id")
    named: list[tuple[int, str]] = []      # students: (id, name)
    names: list[str] = []                  # roster people: the names, in id order
    name_of = itemgetter(name_at)
    done = 0
    big = len(plan.added) >= max(BIG_INSERT, plan.size_before)
    with indexes_deferred(conn, table, big), marker_deferred(conn, table.name, big):
        for start in range(0, len(plan.added), CHUNK):
            rows = stored(plan.added[start:start + CHUNK], first + start)
            insert_tuples(conn, table, columns, rows[1:] if start == 0 else rows)   # the first row is in
            if students:
                named.extend([(r[-1], r[name_at]) for r in rows])
            else:
                names.extend(map(name_of, rows))
            done += len(rows)
            if progress:
                progress(done, len(plan.added) + len(plan.updated))
    note = added_note(named) if students else roster_added_note(first, names)
    audit.record(session, actor, "student" if students else "roster", None, {"*": (None, note)}, now)
    return done


def _data_changed(changes: dict[str, Any]) -> bool:
    """A student's data changed (not only the file's problem notes, ``import_problems``)."""
    return any(f != "import_problems" for f in changes)


def added_note(named: list[tuple[int, str]]) -> str:
    """The import's audit entry for the students it added: how many, their ids, and each one's
    id and name as JSON (``[[id, "姓名"], …]``, in id order)."""
    ids = f"（编号 {named[0][0]}–{named[-1][0]}）" if len(named) > 1 else f"（编号 {named[0][0]}）"
    return (f"导入新增 {len(named)} 名学生{ids}："
            + json.dumps(named, ensure_ascii=False, separators=(",", ":")))


def roster_added_note(first: int, names: list[str]) -> str:
    """The import's audit entry for the roster people it added: how many, their ids (consecutive:
    ``_insert_added`` numbers them from ``first``) and their names in id order as JSON
    (``["姓名", …]``). The same facts as ``added_note``'s pairs at a third of their cost: a county's
    first roster of 200,000 people is one entry of 1.4 MB, written in about 0.05 s."""
    last = first + len(names) - 1
    return (f"导入建档立卡名单新增 {len(names)} 人（编号 {first}–{last}，姓名按编号顺序）："
            + json.dumps(names, ensure_ascii=False, separators=(",", ":")))


def removed_note(people: list[tuple[int, str, str]]) -> str:
    """A roster replace's audit entry: how many people it removed, and each one's id, name and
    masked ID as JSON (``[[id, "姓名", "110101********1234"], …]``, in id order)."""
    listed = [(pid, name, _masked(number)) for pid, name, number in people]
    return (f"替换名单：删除 {len(people)} 人："
            + json.dumps(listed, ensure_ascii=False, separators=(",", ":")))


def _masked(number: str) -> str:
    """``mask_id`` of a stored ID; a stored number (normalised, 18 characters) sliced at once."""
    if len(number) == 18 and number.isascii() and number.isalnum():
        return number[:6] + "********" + number[-4:]
    return mask_id(number) if number else ""


def _stored_rows(rows: list[ParsedRow], data_fields: tuple[str, ...], blank: dict[str, Any],
                 extra: list[tuple[Any, ...]], first: int) -> list[tuple[Any, ...]]:
    """The tuples inserted for ``rows``: each row's values in ``data_fields`` order, its problems,
    its ``extra`` columns, its id (from ``first``). A field the row lacks is the blank row's."""
    data = itemgetter(*data_fields)
    join = "；".join
    numbered = zip(rows, extra, count(first))
    try:
        return [(*data(row.values), join(row.problems), *more, i) for row, more, i in numbered]
    except KeyError:      # a hand-made row (demo data) lacks fields: a parser's row has every field
        return [(*data({**blank, **row.values}), join(row.problems), *more, i)
                for row, more, i in zip(rows, extra, count(first))]


def _initials_of(names: list[str], memo: dict[str, str]) -> list[str]:
    """``initials_key`` of each name, computed once per distinct name (``memo``: those known)."""
    out = []
    for name in names:
        key = memo.get(name)
        if key is None:
            key = memo[name] = initials_key(name)
        out.append(key)
    return out


def _record_roster_size(session: Session, plan: ImportPlan, now: datetime) -> None:
    """Keep the roster's size after this import and before it (settings roster.*; the
    checks ROSTER_EMPTY / ROSTER_SHRUNK and the export package read them)."""
    from db.findings import ROSTER_IMPORTED_AT, ROSTER_PREVIOUS_SIZE, ROSTER_SIZE
    size = plan.size_before + len(plan.added) - len(plan.removed)
    store.put_setting(session, ROSTER_PREVIOUS_SIZE, str(plan.size_before))
    store.put_setting(session, ROSTER_SIZE, str(size))
    store.put_setting(session, ROSTER_IMPORTED_AT, now.isoformat(timespec="seconds"))
