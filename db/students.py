"""Reading and editing students; every edit is audited and un-verifies the student."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.bulk import gc_paused
from core.domain import StudentRecord
from core.errors import ValidationError
from core.fields import ENGINE_FIELDS
from core.pinyin import initials_key
from core.records import grants_of, stored_records, student_record
from db import audit
from db.models import STUDENT_DATA_FIELDS, Student
from db.plain_reads import ALL, LISTED, VERIFIED, records_sql


def get_student(session: Session, student_id: int) -> Student:
    st = session.get(Student, student_id)
    if st is None:
        raise ValidationError(f"找不到编号为 {student_id} 的学生", "该学生可能已被删除，请刷新列表")
    return st


def no_student(id_number: str) -> ValidationError:
    """The refusal for an ID number no listed student has (the number masked, as every listing shows it;
    a text that is no ID number, a name typed instead, is quoted: there is nothing to mask)."""
    from core.idnumber import mask_id
    if sum(c.isdigit() for c in id_number) < 10:
        return ValidationError(f"“{id_number.strip()}”不是身份证号：这里要写学生的身份证号，不是姓名",
                               "学生的身份证号可以在学生名册中查到（或用 compute --json 列出）")
    return ValidationError(f"学生名单中没有身份证号为 {mask_id(id_number)} 的学生",
                           "请对照原始证件逐位核对身份证号（这里中间几位不显示，输错的位可能正在其中）")


def one_student(session: Session, id_number: str, removed: bool) -> Student:
    """The one student with this ID number that is (``removed``) or is not off the list."""
    from core.idnumber import mask_id
    from db.findings import find_student_ids
    students = [get_student(session, i) for i in find_student_ids(session, id_number)]
    if not students:
        raise no_student(id_number)
    matching = [st for st in students if (st.removed_at is not None) == removed]
    if not matching:
        state = "没有被移出名单" if removed else "已经移出名单"
        raise ValidationError(f"身份证号为 {mask_id(id_number)} 的学生{state}",
                              "如需恢复，请用 restore-student" if not removed else "不需要移回")
    if len(matching) > 1:
        names = "、".join(st.name or "（无姓名）" for st in matching)
        raise ValidationError(f"身份证号 {mask_id(id_number)} 对应 {len(matching)} 名学生（{names}），无法确定是哪一名",
                              "请在图形界面的“学生名单”中选中要处理的那一名")
    return matching[0]


def student_values(st: Student) -> dict[str, Any]:
    return {f: getattr(st, f) for f in STUDENT_DATA_FIELDS}


def to_record(st: Student | Any) -> StudentRecord:
    """Engine view of a stored student (an ORM object or a row mapping)."""
    get = st.__getitem__ if hasattr(st, "__getitem__") else lambda k: getattr(st, k)
    values = {f: get(f) for f in _ENGINE_FIELDS}
    return student_record(values, key=get("id"), prior_grants=grants_of(values.get("prior_grants")))


# What the engine reads of a student (the catalogue, core.fields; see core.records.student_record).
_ENGINE_FIELDS = ENGINE_FIELDS


def _records(session: Session, where: str = "", among: str = LISTED) -> list[StudentRecord]:
    """Engine records of the students ``among`` (those on the list) matching ``where``, in id order: one SELECT
    of the columns the engine reads (db.plain_reads.records_sql, also ``compute``'s), built
    by the fast constructor (the stored data passed validation when it was stored)."""
    with gc_paused():
        # on the session's connection: driver rows, without the ORM's row loading
        rows = session.connection().exec_driver_sql(records_sql(where, among)).fetchall()
        return stored_records(rows)


def iter_records(session: Session) -> list[StudentRecord]:
    """Engine view of the students on the list."""
    return _records(session)


def records_of(session: Session, keys: list[int]) -> list[StudentRecord]:
    """Engine view of these students, those on the list (a few hundred ids a query)."""
    out: list[StudentRecord] = []
    for i in range(0, len(keys), 500):
        ids = ", ".join(str(int(k)) for k in keys[i:i + 500])
        out += _records(session, f"id IN ({ids})")
    return out


def verified_records(session: Session, among: str = ALL) -> list[StudentRecord]:
    """Engine view of the verified students: all of them, those removed from the list too (a policy
    change sends back to 待核准 every one whose result it changes: a removed student put back on the
    list must not come back 已核准 with amounts nobody checked), or only ``among`` (db.plain_reads)."""
    return _records(session, VERIFIED, among)


def update_student(session: Session, student_id: int, changes: dict[str, Any],
                   actor: str | None = None) -> dict[str, tuple[Any, Any]]:
    """Apply ``changes`` (stored field -> new value); returns what really changed.

    Unknown fields are refused. A change un-verifies the student (待核准).
    """
    bad = set(changes) - set(STUDENT_DATA_FIELDS)
    if bad:
        raise ValidationError(f"不能修改字段：{'、'.join(sorted(bad))}")
    st = get_student(session, student_id)
    changes = dict(changes)
    if "id_number" in changes and "id_raw" not in changes and (st.id_numeric_cell or not changes["id_number"]):
        # A typed ID replaces a number cell's text, which named no one ("4.22822E+17"), and an ID cleared
        # clears the file's too (the checks read id_raw when there is no number); undo passes
        # id_raw/id_numeric_cell back explicitly. Any other file's ID stays in id_raw: the next import
        # of that file finds this student by it (db.importing_match.original_key) instead of adding
        # the child again under the old ID.
        changes["id_raw"] = changes["id_number"]
        changes.setdefault("id_numeric_cell", False)
    if "full_time" in changes:
        # 是 or 否 given: the file's unreadable 全日制 text (VALUE_UNREADABLE) is answered; the form
        # clears it itself when the clerk picks the value stored already, undo passes it back explicitly.
        changes.setdefault("full_time_text", "")
    diff = {f: (getattr(st, f), v) for f, v in changes.items() if getattr(st, f) != v}
    if not diff:
        return {}
    for f, (_old, new) in diff.items():
        setattr(st, f, new)
    if "name" in diff:
        st.name_initials = initials_key(st.name)
    if st.verified:
        diff["verified"] = (True, False)
        st.verified = False
    st.seal = None            # a student is sealed only while verified (core.seal)
    st.updated_at = datetime.now()
    audit.record(session, actor or audit.default_actor(), "student", st.id, diff)
    return diff


REMOVE_REASON_EXAMPLE = "例如：表尾的签名行被误导入；该生已转学"


def remove_student(session: Session, student_id: int, reason: str, actor: str | None = None) -> Student:
    """移出名单: take a student off the list with the clerk's reason. The student is kept
    (``restore_student`` brings it back as it was, verification included) and is left
    out of the checks, counts, exports and letters; the findings are re-checked at once."""
    return remove_students(session, [student_id], reason, actor)[0]


def remove_students(session: Session, student_ids: list[int], reason: str,
                    actor: str | None = None) -> list[Student]:
    """``remove_student`` for several students: all or none, one re-check."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("移出名单必须写明原因", REMOVE_REASON_EXAMPLE)
    students = [get_student(session, i) for i in student_ids]
    for st in students:
        if st.removed_at is not None:
            raise ValidationError(f"学生“{st.name or '（无姓名）'}”已经移出名单", "如需恢复，请用“移回名单”")
    now = datetime.now()
    audit.record_many(session, actor or audit.default_actor(), "student",
                      [(st.id, {"removed_at": (None, now.isoformat(timespec="seconds")),
                                "removed_reason": ("", reason)}) for st in students], now)
    for st in students:
        st.removed_at, st.removed_reason = now, reason
    _recheck(session, actor)
    return students


def told_before_removal(students: Sequence[Student]) -> str:
    """What to say when students taken off the list had been sent a letter (告知书): their families were
    told a result that no longer stands here, and nothing reminds the clerk later (a removed student is
    left out of the checks and the letters): "" when none had been."""
    told = [st for st in students if st.notified_at is not None]
    if not told:
        return ""
    names = "、".join(st.name or "（无姓名）" for st in told[:5]) + (f" 等 {len(told)} 人" if len(told) > 5 else "")
    return (f"注意：{names}的家庭已收到告知书，移出名单后那份告知书的资助结果不再有效，"
            "请另行告知家庭（例如已转学的，请家长到新学校办理资助）。")


def restore_student(session: Session, student_id: int, actor: str | None = None) -> Student:
    """移回名单: put a removed student back on the list, as it was; re-checked at once."""
    return restore_students(session, [student_id], actor)[0]


def restore_students(session: Session, student_ids: list[int], actor: str | None = None) -> list[Student]:
    """``restore_student`` for several students: all or none, one re-check."""
    students = [get_student(session, i) for i in student_ids]
    changes: list[tuple[int, dict[str, tuple[Any, Any]]]] = []
    for st in students:
        if st.removed_at is None:
            raise ValidationError(f"学生“{st.name or '（无姓名）'}”在名单中，没有被移出", "不需要移回")
        changes.append((st.id, {"removed_at": (st.removed_at.isoformat(timespec="seconds"), None),
                                "removed_reason": (st.removed_reason, "")}))
    audit.record_many(session, actor or audit.default_actor(), "student", changes)
    for st in students:
        st.removed_at, st.removed_reason = None, ""
    _recheck(session, actor)
    return students


def _recheck(session: Session, actor: str | None) -> None:
    """A removal changes what every school-wide check sees (duplicates, households):
    the findings are reconciled now, so the lists and the export readiness are true."""
    from db.findings import run_and_store
    run_and_store(session, actor=actor)
