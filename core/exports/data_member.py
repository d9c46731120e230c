"""``data.json`` of a school package (core.package_data) from the export's data."""
from __future__ import annotations

from core.exports.data import ExportData
from core.package_data import Grant, PackageData, PackageFinding, PackageStudent, PackageTotals
from core.policy import SOURCE_LABELS


def package_data_of(data: ExportData) -> PackageData:
    """The machine-readable twin of the workbook: every student on the list with the
    items granted (fen, per funding source) and pending, the findings and the totals."""
    students = []
    for st, res in data.pairs():
        students.append(PackageStudent(
            id_number=st.id_number, name=st.name, gender=st.gender, stage=st.stage, grade=st.grade,
            class_name=st.class_name, location=st.location, ownership=st.ownership, category=st.category,
            township=st.township, village=st.village, household_no=st.household_no, verified=st.verified,
            prior_grants=tuple(sorted(res.student.prior_grants)),
            grants=tuple(Grant(d.code, d.amount_fen, dict(d.shares)) for d in res.granted),
            pending=tuple(d.code for d in res.pending)))
    t = data.totals
    return PackageData(
        school_code=data.school.code, school_name=data.school.name, school_year=data.school.school_year,
        township=data.school.township, policy_name=data.official.title, policy_hash=data.policy.sha256,
        policy_version=data.policy_version_number,
        draft=data.draft, demo=data.demo, generated_at=data.generated_at.isoformat(timespec="seconds"),
        items={i.code: i.name for i in data.policy.items}, sources=dict(SOURCE_LABELS),
        students=tuple(students),
        findings=tuple(PackageFinding(f.code, f.severity, f.id_number, f.name, f.message, str(f.state), f.reason)
                       for f in data.findings),
        totals=PackageTotals(dict(t.by_item), dict(t.by_source), t.total, t.students_granted, t.pending))
