"""Writing use cases of the verification workflow, shared by the CLI and the GUI.

Each runs in one transaction and returns what it changed (``db.changes``):
re-check (``check``), accept findings, verify students ("re-check, then
verify", the one implementation), record printed letters and returned
receipts, edit a student (re-checked at once).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from db.changes import Changes
from db.session import Database


@dataclass(frozen=True)
class Done:
    """How many rows a use case changed, and which kinds of data."""
    count: int
    changes: Changes = Changes.NONE
    note: str = ""                 # what the clerk must still do (db.students.told_before_removal)


@dataclass(frozen=True)
class StudentDone:
    """A use case on one student named by its ID number (the CLI's way): its name."""
    name: str
    changes: Changes = Changes.NONE
    note: str = ""                 # what the clerk must still do (db.students.told_before_removal)


class Verified(NamedTuple):
    """The outcome of ``verify``: (done, skipped), and what it changed."""
    done: int
    skipped: int

    @property
    def changes(self) -> Changes:
        # the checks ran first, so the findings are fresh even when nobody was verified
        return Changes.FINDINGS | (Changes.STUDENTS if self.done else Changes.NONE)


@dataclass(frozen=True)
class Edited:
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def changes(self) -> Changes:
        # the edit re-checked the findings in its transaction (edit_student)
        return Changes.STUDENTS | Changes.FINDINGS if self.diff else Changes.NONE


def check(db: Database, actor: str | None = None) -> Any:
    """Run every check and store the findings; the ``CheckRun`` carries ``changes``."""
    from db.findings import run_and_store
    with db.session() as s:
        return run_and_store(s, actor=actor)


def recheck(db: Database) -> Changes:
    """Re-run the checks after their inputs changed (nothing to check before a school exists)."""
    with db.session() as s:
        return _recheck(s)


def startup_check(db: Database) -> Changes:
    """The check at start-up, run after the stored state is shown: FINDINGS only when it opened,
    fixed or reopened a finding (or no check had run before), so the pages refresh only then.
    Not run again while the stored check is current (``db.check_state``: nothing the checks read
    changed since, whoever wrote — the schema's triggers count outside writers too —, same day,
    policy, schema and program): its findings are what the check would find."""
    from db.check_state import current_check
    from db.findings import CHECKED_AT_KEY, run_and_store
    from db.store import find_school, get_setting
    with db.session() as s:
        if find_school(s) is None or current_check(s) is not None:
            return Changes.NONE
        first = not get_setting(s, CHECKED_AT_KEY)
        run = run_and_store(s)
        return Changes.FINDINGS if first or run.opened or run.fixed or run.reopened else Changes.NONE


def _recheck(s: Any, actor: str | None = None) -> Changes:
    from db.findings import run_and_store
    from db.store import find_school
    if find_school(s) is None:
        return Changes.NONE
    return run_and_store(s, actor=actor).changes


def verify(db: Database, student_ids: list[int], skip_blocked: bool = False,
           actor: str | None = None) -> Verified:
    """Re-check, then mark the students 已核准. Refused (nothing changes) while any has an
    open error, unless ``skip_blocked``: then the others are verified and the blocked counted."""
    from db.findings import blocked_students, run_and_store, verify_students
    with db.session() as s:
        run_and_store(s, actor=actor)
        skipped = len(blocked_students(s, student_ids)) if skip_blocked else 0
        return Verified(verify_students(s, student_ids, actor=actor, skip_blocked=skip_blocked), skipped)


def verification_plan(db: Database, student_ids: list[int]) -> tuple[int, dict[int, str]]:
    """Re-check, then (how many of these students ``verify`` would mark 已核准, the blocked ones
    with why): what 核准筛选出的学生 asks the clerk to confirm."""
    from db.findings import run_and_store
    from db.findings import verification_plan as plan
    with db.session() as s:
        run_and_store(s)
        return plan(s, student_ids)


def accept_findings(db: Database, finding_ids: list[int], reason: str, actor: str | None = None) -> Done:
    """Accept the stored findings ``finding_ids`` with a written reason."""
    from sqlalchemy import select

    from db.findings import accept_rows
    from db.models import FindingRow
    with db.session() as s:
        rows = list(s.scalars(select(FindingRow).where(FindingRow.id.in_(finding_ids))))
        n = accept_rows(s, rows, reason, actor)
    return Done(n, Changes.FINDINGS if n else Changes.NONE)


def accept_code(db: Database, code: str, id_number: str, reason: str, actor: str | None = None) -> Done:
    """Accept the findings of ``code`` for the person with this ID number (the CLI's way)."""
    from db.findings import accept
    with db.session() as s:
        n = accept(s, code, id_number, reason, actor)
    return Done(n, Changes.FINDINGS if n else Changes.NONE)


def record_printed(db: Database, keys: list[int], told: Mapping[int, str] | None = None) -> Done:
    """The letters of ``keys`` were printed (告知书 已打印); ``told``: what each told (core.told), when
    the caller has the letters' results (else the students' results now)."""
    from db.exports import mark_letters_printed
    with db.session() as s:
        n = mark_letters_printed(s, keys, told=told)
    return Done(n, Changes.LETTERS if n else Changes.NONE)


def record_receipts(db: Database, keys: list[int], returned: bool) -> Done:
    """The receipts (回执) of ``keys`` came back, or not."""
    from db.exports import mark_receipts
    with db.session() as s:
        n = mark_receipts(s, keys, returned)
    return Done(n, Changes.LETTERS if n else Changes.NONE)


def edit_student(db: Database, student_id: int, values: dict[str, Any]) -> Edited:
    """One transaction: apply ``values`` (audited, un-verifying) and re-check the findings at
    once — this student's and the school-wide ones that depend on it (duplicates, roster
    comparisons) — so no list shows a fixed problem as open. The diff says what changed.
    (The whole check runs: about 0.35 s of CPU for 10,000 students, see run_and_store.)"""
    from db.students import update_student
    with db.session() as s:
        diff = update_student(s, student_id, values)
        if diff:
            _recheck(s)
        return Edited(diff)


def remove(db: Database, student_ids: int | list[int], reason: str, actor: str | None = None) -> Done:
    """移出名单 (with the clerk's reason; one student or several, all or none); the findings
    are re-checked at once."""
    from db.students import remove_students, told_before_removal
    ids = [student_ids] if isinstance(student_ids, int) else list(student_ids)
    with db.session() as s:
        note = told_before_removal(remove_students(s, ids, reason, actor))
    return Done(len(ids), Changes.STUDENTS | Changes.FINDINGS, note)


def restore(db: Database, student_ids: int | list[int], actor: str | None = None) -> Done:
    """移回名单 (one student or several); the findings are re-checked at once."""
    from db.students import restore_students
    ids = [student_ids] if isinstance(student_ids, int) else list(student_ids)
    with db.session() as s:
        restore_students(s, ids, actor)
    return Done(len(ids), Changes.STUDENTS | Changes.FINDINGS)


def unverify(db: Database, student_ids: list[int], actor: str | None = None) -> Done:
    """取消核准: verified students back to 待核准."""
    from db.findings import unverify_student_ids
    with db.session() as s:
        n = unverify_student_ids(s, student_ids, actor)
    return Done(n, Changes.STUDENTS)


def revoke_findings(db: Database, finding_ids: list[int], actor: str | None = None) -> Done:
    """撤销接受: accepted findings back to open."""
    from sqlalchemy import select

    from db.findings import revoke_rows
    from db.models import FindingRow
    with db.session() as s:
        n = revoke_rows(s, list(s.scalars(select(FindingRow).where(FindingRow.id.in_(finding_ids)))), actor)
    return Done(n, Changes.FINDINGS)


# -- the CLI's way: one student (or finding) named by its ID number -------------------

def remove_id_number(db: Database, id_number: str, reason: str, actor: str | None = None) -> StudentDone:
    """移出名单 for the one listed student with this ID number."""
    from db.students import one_student, remove_students, told_before_removal
    with db.session() as s:
        st = one_student(s, id_number, removed=False)
        note = told_before_removal(remove_students(s, [st.id], reason, actor))
        return StudentDone(st.name or "（无姓名）", Changes.STUDENTS | Changes.FINDINGS, note)


def restore_id_number(db: Database, id_number: str, actor: str | None = None) -> StudentDone:
    """移回名单 for the one removed student with this ID number."""
    from db.students import one_student, restore_students
    with db.session() as s:
        st = one_student(s, id_number, removed=True)
        restore_students(s, [st.id], actor)
        return StudentDone(st.name or "（无姓名）", Changes.STUDENTS | Changes.FINDINGS)


def unverify_id_number(db: Database, id_number: str, actor: str | None = None) -> Done:
    """取消核准 for the students with this ID number."""
    from db.findings import find_student_ids, unverify_student_ids
    with db.session() as s:
        ids = find_student_ids(s, id_number)
        if not ids:
            from db.students import no_student
            raise no_student(id_number)
        return Done(unverify_student_ids(s, ids, actor), Changes.STUDENTS)


def revoke_code(db: Database, code: str, id_number: str, actor: str | None = None) -> Done:
    """撤销接受 of the findings of ``code`` for the person with this ID number."""
    from db.findings import revoke_accept
    with db.session() as s:
        return Done(revoke_accept(s, code, id_number, actor), Changes.FINDINGS)
