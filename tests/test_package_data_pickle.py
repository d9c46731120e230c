"""A package's data sent from a child process (db.intake_ahead pickles the examination): every field
comes back equal, and the students and findings travel as MessagePack, not Struct by Struct."""
from __future__ import annotations

import pickle
from datetime import date

from core.idnumber import make_id
from core.package_data import (
    Grant,
    PackageData,
    PackageFinding,
    PackageStudent,
    PackageTotals,
    parse_package_data,
)


def _data() -> PackageData:
    students = tuple(
        PackageStudent(make_id("422822", date(2008, 1 + i % 12, 15), i % 997), f"学生{i}", verified=bool(i % 2),
                       grants=(Grant("HS_TUITION", 100000 + i, {"省级": 60000, "县级": 40000 + i}),
                               Grant("HS_TEXTBOOK", 0)),
                       gender="女", stage="普通高中", grade="高一", class_name="1班", village="王家村",
                       household_no=f"H{i}", prior_grants=("HS_AID",), pending=("HS_FOOD",) if i % 3 else ())
        for i in range(40))
    findings = tuple(PackageFinding(f"C{i}", "error" if i % 2 else "warning", s.id_number, s.name,
                                    f"第 {i} 条：=SUM(A1)", "open", "已核实" if i % 4 == 0 else "")
                     for i, s in enumerate(students))
    return PackageData("4228220101", "第一中学", 2023, township="龙坪乡", policy_name="2023 政策", policy_hash="ab" * 32,
                       policy_version=4, generated_at="2024-05-01T10:00:00", items={"HS_TUITION": "学费"},
                       sources={"省级": "省级资金"}, students=students, findings=findings,
                       totals=PackageTotals({"HS_TUITION": 5}, {"省级": 3}, 5, 40, 2))


def test_the_data_comes_back_equal_with_its_students_and_findings():
    data = _data()
    back = pickle.loads(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == data
    assert back.students[7].grants[0].shares == {"省级": 60000, "县级": 40007}
    assert type(back.students) is tuple and type(back.findings[0]) is PackageFinding


def test_a_parsed_members_data_comes_back_as_parsed():
    data = _data()
    parsed = parse_package_data(data.to_bytes())
    assert pickle.loads(pickle.dumps(parsed)) == parsed == data


def test_students_and_findings_are_not_pickled_one_struct_at_a_time():
    text = pickle.dumps(_data(), protocol=pickle.HIGHEST_PROTOCOL)
    assert b"PackageFinding" not in text and b"PackageStudent" not in text and b"Grant" not in text


def test_a_text_messagepack_cannot_hold_still_comes_back():
    """A lone surrogate (json.loads keeps "\\ud800" where msgspec refuses the member and the lenient
    re-read takes it) is pickled as it is."""
    data = _data()
    odd = PackageData(data.school_code, data.school_name, data.school_year, students=data.students[:2],
                      findings=(PackageFinding("C1", "error", "1", "\ud800张", "m", "open"),))
    assert pickle.loads(pickle.dumps(odd)) == odd
