"""The 核查问题 detail pane's read model: one stored finding with the data behind it (the
student's fields as stored now, other students with the same ID, the roster people, the
amounts, the payments). Plain frozen data, ID numbers masked; read in the worker."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.checks import RULES_BY_CODE
from core.checks.dates import birth_matches
from core.engine import STATUS_LABELS, Calculator, Status
from core.fields import CATEGORY, CHECK, FEE, FIELDS, GRANTS, ID, StudentField
from core.idnumber import birth_date_of, mask_id
from core.money import format_fen
from core.policy import Policy
from db import store
from db.feedback import FEEDBACK_HINT, details_of, feedback_sources
from db.models import ON_LIST, FindingRow, PaymentRecord, RosterPerson, Student
from db.session import Database
from db.students import to_record
from db.views import (
    STATUS_PENDING,
    STATUS_REMOVED,
    STATUS_VERIFIED,
    FindingView,
    category_label,
    finding_view,
)

# The student's fields the 核查问题 detail pane always shows (the finding's own field is added).
DETAIL_FIELDS = ("name", "id_number", "gender", "birth_date", "stage", "grade", "class_name", "category",
                 "location", "ownership", "full_time", "household_no", "head_name", "relation")
ROSTER_DETAIL = (("姓名", "name"), ("证件号码", "id_number"), ("与户主关系", "relation"),
                 ("户编号", "household_no"), ("乡镇", "township"), ("村", "village"),
                 ("在校生状况", "schooling_status"), ("就读学校", "school_name"))


@dataclass(frozen=True)
class FindingDetail:
    """One finding with everything behind it: what the 核查问题 detail pane shows.
    Each data part is (label, text) pairs; ID numbers are masked."""
    finding: FindingView
    hint: str
    field_label: str                              # the offending field's label ("" when none)
    student: tuple[tuple[str, str], ...] = ()     # the student's relevant fields as stored now
    student_status: str = ""                      # 已核准 / 待核准 / 已移出名单
    roster: tuple[tuple[tuple[str, str], ...], ...] = ()   # roster people with the same ID number
    amounts: tuple[tuple[str, str, str], ...] = ()         # (item, 享受/待补充, yuan or why pending)
    total: str = ""
    payments: tuple[tuple[str, str, str], ...] = ()        # (line, item, yuan) paid to this ID
    others: tuple[tuple[str, str, str, str], ...] = ()     # other students with this ID (name, stage, grade, class)
    details: tuple[tuple[str, str], ...] = ()     # a receiver's finding (反馈包): what it sent (the other school, …)


def _birth_text(value: str | None, id_number: str) -> str:
    """出生日期 said against the ID number, never as digits: beside a masked number they would give
    back the digits the mask hides (mask_id keeps 6 + 4 of 18, the middle 8 are the birth date). The
    student's form shows the value itself."""
    if not (value or "").strip():
        return "未填写"
    born = birth_date_of(id_number) if id_number else None
    agrees = birth_matches(value or "", born) if born is not None else None
    if agrees is None:
        return "已填写"
    return "与身份证号一致" if agrees else "与身份证号不一致"


def _field_text(f: StudentField, value: Any, policy: Policy, id_number: str = "") -> str:
    """A stored value as the clerk reads it (``id_number``: the student's, for 出生日期)."""
    if f.kind == FEE:
        return "未填写" if value is None else format_fen(value)
    if f.kind == CHECK:
        return "是" if value else "否"
    if f.kind == CATEGORY:
        return category_label(policy, value or "")
    if f.kind == ID:
        return mask_id(value) if value else ""
    if f.name == "birth_date":
        return _birth_text(value, id_number)
    if f.kind == GRANTS:
        return "是" if value else "否"
    return "" if value is None else str(value)


def finding_detail(db: Database, finding_id: int) -> FindingDetail | None:
    """Worker: one stored finding with the data behind it (None when it no longer exists)."""
    with db.session() as s:
        r = s.get(FindingRow, finding_id)
        if r is None:
            return None
        source = feedback_sources(s).get(r.feedback_id) if r.feedback_id is not None else None
        view = finding_view(r, source)
        rule = RULES_BY_CODE.get(r.code)
        policy = store.get_policy(s)
        st = s.get(Student, r.student_id) if r.student_id is not None else None
        fields = [FIELDS[f] for f in DETAIL_FIELDS]
        if r.field in FIELDS and FIELDS[r.field] not in fields:
            fields.append(FIELDS[r.field])
        out: dict[str, Any] = {}
        number = r.id_number
        if st is not None:
            out["student"] = tuple((f.label, _field_text(f, getattr(st, f.name), policy, st.id_number))
                                   for f in fields)
            if st.full_time_text:        # the guess 是 is no answer: the file's text, as the finding says
                out["student"] = tuple((label, f"“{st.full_time_text}”无法识别（暂按“是”计算）"
                                        if label == FIELDS["full_time"].label else text)
                                       for label, text in out["student"])
            out["student_status"] = (STATUS_REMOVED if st.removed_at is not None
                                     else STATUS_VERIFIED if st.verified else STATUS_PENDING)
            result = Calculator(policy)(to_record(st))
            out["amounts"] = tuple((d.name, STATUS_LABELS[d.status],
                                    format_fen(d.amount_fen) if d.status is Status.GRANTED else d.reason_text)
                                   for d in result.decisions if d.status is not Status.NOT_ELIGIBLE)
            out["total"] = format_fen(result.total_fen)
            number = st.id_number or number
            if number:
                out["others"] = tuple((o.name or "（无姓名）", o.stage, o.grade, o.class_name) for o in s.scalars(
                    select(Student).where(Student.id_number == number, Student.id != st.id, ON_LIST)))
        people = [s.get(RosterPerson, r.roster_id)] if r.roster_id is not None else (
            list(s.scalars(select(RosterPerson).where(RosterPerson.id_number == number))) if number else [])
        out["roster"] = tuple(tuple((label, mask_id(getattr(p, a)) if a == "id_number" else getattr(p, a) or "")
                                    for label, a in ROSTER_DETAIL) for p in people if p is not None)
        if r.code.startswith("PAYMENT_") and number:
            names = {i.code: i.name for i in policy.items}
            out["payments"] = tuple((str(p.line), names.get(p.item_code, p.item_code), format_fen(p.amount_fen))
                                    for p in s.scalars(select(PaymentRecord).where(PaymentRecord.id_number == number)
                                                       .order_by(PaymentRecord.line)))
        if r.feedback_id is not None:
            out["details"] = details_of(r.details)
            hint = FEEDBACK_HINT.format(receiver=source[0] if source else "上级单位")
        else:
            hint = rule.hint if rule else ""
        return FindingDetail(view, hint, FIELDS[r.field].label if r.field in FIELDS else "", **out)
