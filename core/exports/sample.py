"""A realistic ``ExportData`` built from the demo generator (tests, screenshots).

Deterministic for a seed: the demo school's students, the default policy with
the public tuition standards filled in from the school's own fees, the engine's
results and the checks' findings (a few of them accepted with a reason).
"""
from __future__ import annotations

from datetime import date, datetime

from core.checks import (
    RULES_BY_CODE,
    CheckContext,
    FindingState,
    RosterFacts,
    StudentFacts,
    run_checks,
)
from core.demo import MIXED, generate_demo
from core.demo_people import COUNTY
from core.domain import Category, Stage
from core.engine import compute_all
from core.exports.data import ExportData, FindingInfo, Official, SchoolInfo, StudentInfo
from core.fields import CHECK_FIELDS, EXPORT_FIELDS, IMPORTER_FIELDS
from core.money import format_fen
from core.policy import default_policy, load_policy, set_value
from core.records import student_record
from core.signing import fingerprint

# Accepted on purpose in the sample, with the clerk's reason.
_ACCEPT = {
    "FEE_ABOVE_STANDARD": "民办学校，学费差额由家庭承担，已当面告知家长",
    "AGE_STAGE": "该生因病休学两年后复学，已核对户口簿和学籍档案",
}
_FIELDS = [f for f in (*CHECK_FIELDS, *IMPORTER_FIELDS) if f != "prior_grants"]   # the demo grants nothing earlier


def _category(text: str) -> Category | None:
    try:
        return Category(text)
    except ValueError:
        return None


def sample_export_data(n: int = 40, seed: int = 1, draft: bool = False) -> ExportData:
    demo = generate_demo(n, seed=seed, school_kind=MIXED)   # every stage: letters and notices of each kind
    policy = default_policy()
    text = policy.text
    for stage in (Stage.HIGH_SCHOOL, Stage.VOCATIONAL):
        fees = [s["tuition_fen"] for s in demo.students if s["stage"] == stage.value
                and s["ownership"] == "公办" and s["location"] == "本地" and s["tuition_fen"] is not None]
        if fees:
            text = set_value(text, f"tuition_standard.{stage.value}", format_fen(max(fees)))
    policy = load_policy(text)

    sch = demo.school
    school = SchoolInfo(name=sch["name"], code=sch["code"], school_year=sch["school_year"],
                        township=sch["township"], contact_phone=sch["contact_phone"],
                        supervision_phone=sch["supervision_phone"], address=f"建始县{sch['township']}学府路1号")
    students: list[StudentInfo] = []
    records = []
    for i, s in enumerate(demo.students):
        key = i + 1
        cat = _category(s["category"])
        students.append(StudentInfo(
            key=key, category_label=policy.category_label(cat) if cat else s["category"], verified=i % 3 != 2,
            **{f: s[f] for f in EXPORT_FIELDS}))
        records.append(student_record(s, key=key))
    results, totals = compute_all(records, policy, explain=True)

    ctx = CheckContext(
        students=[StudentFacts(key=i + 1, **{f: s[f] for f in _FIELDS}) for i, s in enumerate(demo.students)],
        roster=[RosterFacts(i + 1, r["name"], r["id_number"], r["school_name"], r["schooling_status"],
                            r["household_no"]) for i, r in enumerate(demo.roster)],
        policy=policy, school_name=school.name, school_year=school.school_year, today=date(2024, 4, 20))
    findings = []
    for f in run_checks(ctx):
        reason = _ACCEPT.get(f.code, "")
        findings.append(FindingInfo(f.code, f.severity.value, RULES_BY_CODE[f.code].title, f.name,
                                    f.id_number, f.message,
                                    FindingState.ACCEPTED if reason else FindingState.OPEN, reason,
                                    roster_person=f.student_key is None and f.roster_key is not None))
    return ExportData(school=school, policy=policy, students=students, results=results, totals=totals,
                      findings=findings, generated_at=datetime(2024, 4, 20, 15, 30),
                      generated_by="zhangkj", draft=draft,
                      signer_fingerprint=fingerprint(f"{school.code}:{seed}".encode().ljust(32, b"\0")[:32]),
                      official=Official(COUNTY, "", "建教发〔2023〕5号 第二条", clerk="张会计"))
