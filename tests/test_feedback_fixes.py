"""A receiver's feedback findings on the school's side: a spot check's 已改正 stands while the
station's result is unchanged, whatever package the feedback was made on (the station sends every
completed check of the year again); and a finding reaches the child it is about after the school
corrected ID numbers (swapped, mistyped) — never a child of another name."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from feedback_fixtures import STATION, STATION_PASS, station_db
from receiving_fixtures import high_school_kid, kid_id, receiver_db, revise_school, school_db, school_package

from core.checks import FindingState
from core.feedback import ORIGIN_CROSS, FeedbackFinding
from core.feedback_findings import from_spot
from core.spotcheck import SpotFinding
from db import trust_store
from db.exports import export_state
from db.feedback import carried_state, import_feedback, mark_fixed_findings
from db.feedback_send import feedback_for_school, sign_feedback, write_feedback
from db.keys import export_public_key
from db.receiving import intake
from db.session import Database, open_database
from db.spotcheck import draw_and_store, enter_results
from db.usecases import accept_findings, edit_student, verify
from db.views import finding_rows, students_with_id

CODE, NAME = "4228220101", "龙坪乡中心小学"
POINTS = ("在籍在校", "家庭类别", "实收费用", "资金到账", "告知书已收到")


def fed(db: Database) -> list:
    return [r for r in finding_rows(db) if r.origin]


def only_id(db: Database, number: str) -> int:
    [sid] = students_with_id(db, number)
    return sid


# -- 1. a spot finding's 已改正 stands while the station's result is unchanged ------------------

def check_all(station: Database, sample_id: int, seq: int, note: str) -> None:
    """Every point of student ``seq`` checked, 资金到账 不属实 with ``note``."""
    enter_results(station, sample_id, str(seq), [(p, p != "资金到账", note if p == "资金到账" else "")
                                                for p in POINTS])


def test_a_spot_finding_marked_fixed_stays_fixed_after_the_school_reexports(tmp_path):
    """The station's loop as the reviewer ran it: a 不属实 point goes back, the school marks it 已改正
    and exports its next package, the station accepts it and sends feedback again (the same
    result: every completed check of the year is sent each time). The fix stands, so the school
    can export its final package; a result the station enters again differently opens it."""
    kids = [high_school_kid(f"甲{i}", i) for i in range(1, 4)]
    a = school_package(tmp_path, code=CODE, name=NAME, township="龙坪乡", students=kids)
    st = open_database(receiver_db(tmp_path / "station.sqlite"))
    school = open_database(a.db_path)
    try:
        trust_store.register(st, trust_store.read_key_file(a.key_file, a.name))
        assert intake(st, [a.path]).count("accepted") == 1
        run_ = draw_and_store(st, tmp_path / "sample.pdf", count=3, seed=7)
        x = run_.stored.sample.students[0]
        check_all(st, run_.stored.id, x.seq, "家长称未收到")
        write_feedback(st, CODE, tmp_path / "fb1.zip", STATION_PASS)
        key = export_public_key(st, tmp_path / "station.pub").path
        trust_store.register(school, trust_store.read_key_file(key, "龙坪乡扶贫工作站"))
        import_feedback(school, tmp_path / "fb1.zip")
        [row] = fed(school)
        assert (row.origin, row.state, row.id_number) == ("专项核查", FindingState.OPEN, x.id_number)
        mark_fixed_findings(school, [row.id], "已补发资助款，家长已签收")
        school.close()
        a2 = revise_school(a, tmp_path / "a2.zip", students=kids)           # the next final package
        school = open_database(a.db_path)
        assert intake(st, [a2.path]).count("accepted") == 1
        write_feedback(st, CODE, tmp_path / "fb2.zip", STATION_PASS)        # made on a2, the result unchanged
        result = import_feedback(school, tmp_path / "fb2.zip")
        assert (result.carried, result.reopened) == (1, 0)
        [row] = fed(school)
        assert (row.state, row.reason) == (FindingState.FIXED, "已补发资助款，家长已签收")
        assert export_state(school).reasons == []            # the final package can be exported
        # the station enters the result again, differently: the school must look again
        check_all(st, run_.stored.id, x.seq, "家长称只收到 1000 元")
        write_feedback(st, CODE, tmp_path / "fb3.zip", STATION_PASS)
        assert import_feedback(school, tmp_path / "fb3.zip").reopened == 1
        [row] = fed(school)
        assert row.state == FindingState.OPEN and "只收到 1000 元" in row.message
    finally:
        school.close()
        st.close()


def test_only_spot_findings_keep_a_fix_across_packages():
    fixed, note = FindingState.FIXED, "已改正"
    for spot in (False, True):     # on the same package, any finding's fix stands; changed words reopen it
        assert carried_state(fixed, note, True, True, spot=spot) == fixed
        assert carried_state(fixed, note, False, True, spot=spot) == FindingState.OPEN
    assert carried_state(fixed, note, True, False, spot=True) == fixed
    # a cross-school finding found again on a newer package is a fix that did not work: as before
    assert carried_state(fixed, note, True, False) == FindingState.OPEN
    assert carried_state(fixed, note, False, False, spot=True) == FindingState.OPEN
    # one a newer feedback closed (no longer reported) and now reported again opens, spot or not
    assert carried_state(fixed, "新的反馈包中已没有此问题（…）", True, False, spot=True) == FindingState.OPEN
    assert carried_state(FindingState.ACCEPTED, "核实无误", True, False, spot=True) == FindingState.ACCEPTED


# -- 2. which student a finding is about, after ID corrections ----------------------------

KIDS = [high_school_kid(f"甲{i}", i) for i in range(1, 7)] + [high_school_kid("甲5", 7)]   # 甲5 twice


@pytest.fixture
def corrected(tmp_path):
    """A school of 甲1…甲6 (and a second 甲5), every one verified, trusting the station."""
    d = open_database(school_db(tmp_path / "school.sqlite", code=CODE, name=NAME, students=KIDS))
    station, key = station_db(tmp_path)
    trust_store.register(d, trust_store.read_key_file(key, STATION))
    yield d, station
    d.close()
    station.close()


def spot(number: str, name: str, point: str = "FUNDS") -> FeedbackFinding:
    return from_spot(SpotFinding(number, name, f"专项核查（抽查编号 1）：资金到账核查不属实：{name}家长称未收到",
                                 CODE, NAME, point, "家长称未收到", 1, False))


def cross(number: str, name: str) -> FeedbackFinding:
    return FeedbackFinding(f"DUP|{number}", "DUPLICATE_ACROSS_SCHOOLS", "error", "跨校重复享受资助",
                           f"{name}同时在两所学校享受资助", ORIGIN_CROSS, number, name)


def send_and_import(school: Database, station: Database, folder: Path, findings: list[FeedbackFinding],
                    name: str = "fb.zip", minutes: int = 0) -> dict[tuple[str, str], int | None]:
    """The station's feedback of ``findings`` imported: (finding's ID, name) -> the student it is about."""
    with station.session() as s:
        fb = feedback_for_school(s, CODE, NAME, findings, "", datetime.now() + timedelta(minutes=minutes))
    [written] = sign_feedback(station, [(fb, folder / name)], STATION_PASS)
    import_feedback(school, written.path)
    return {(r.id_number, r.name): r.student_id for r in fed(school)}


def test_swapped_ids_send_each_finding_to_its_own_child(corrected, tmp_path):
    school, station = corrected
    jia2, jia3 = only_id(school, kid_id(2)), only_id(school, kid_id(3))
    # the school found it had typed 甲2's and 甲3's ID numbers the wrong way round (the form's way:
    # the number only; the ID the file held stays the student's earlier ID)
    edit_student(school, jia2, {"id_number": kid_id(3)})
    edit_student(school, jia3, {"id_number": kid_id(2)})
    subject = send_and_import(school, station, tmp_path, [spot(kid_id(2), "甲2"), cross(kid_id(3), "甲3")])
    assert subject == {(kid_id(2), "甲2"): jia2, (kid_id(3), "甲3"): jia3}
    accept_findings(school, [r.id for r in fed(school) if r.name == "甲3"], "已核实：该生只在本校就读")
    # the child concerned is the one held back from verification, not the other
    assert tuple(verify(school, [jia2, jia3], skip_blocked=True)) == (1, 1)
    with school.session() as s:
        from db.models import Student
        assert (s.get(Student, jia2).verified, s.get(Student, jia3).verified) == (False, True)


def test_a_finding_on_a_corrected_id_finds_the_child_by_its_earlier_id_or_its_name(corrected, tmp_path):
    school, station = corrected
    jia1, jia4 = only_id(school, kid_id(1)), only_id(school, kid_id(4))
    edit_student(school, jia1, {"id_number": kid_id(91)})                   # the form's correction
    # a correction that left no earlier ID (as a typed ID over a number cell's text does)
    edit_student(school, jia4, {"id_number": kid_id(94), "id_raw": kid_id(94)})
    subject = send_and_import(school, station, tmp_path, [spot(kid_id(1), "甲1"), spot(kid_id(4), "甲4")])
    assert subject == {(kid_id(1), "甲1"): jia1,          # its earlier ID
                       (kid_id(4), "甲4"): jia4}          # the one 甲4 on the list; nobody has that ID now


def test_a_finding_never_goes_to_a_child_of_another_name(corrected, tmp_path):
    school, station = corrected
    jia6 = only_id(school, kid_id(6))
    edit_student(school, jia6, {"id_number": kid_id(96), "id_raw": kid_id(96)})
    subject = send_and_import(school, station, tmp_path, [
        spot(kid_id(1), "乙1"),     # 甲1's ID, another name, and no 乙1 at the school
        spot(kid_id(3), "甲2"),     # 甲3's ID under 甲2's name (甲2 kept her own ID): the ID is 甲3's
        spot(kid_id(9), "甲5"),     # nobody's ID, and two children named 甲5
        spot(kid_id(8), "甲6"),     # nobody's ID, the one 甲6 on the list — but this feedback knows her by
        cross(kid_id(96), "甲6"),   # her own ID: then the other is not taken for hers
        spot("", "甲6", "ENROLMENT"),   # no ID number at all: left as before
    ])
    assert subject == {(kid_id(1), "乙1"): None, (kid_id(3), "甲2"): None, (kid_id(9), "甲5"): None,
                       (kid_id(8), "甲6"): None, (kid_id(96), "甲6"): jia6, ("", "甲6"): None}
    with school.session() as s:
        from db.models import FindingRow
        subjects = {r.subject for r in s.query(FindingRow).filter(FindingRow.feedback_id.is_not(None))
                    if r.student_id is None}
    assert subjects == {"-"}


def test_a_finding_stays_with_its_child_when_the_ids_are_swapped_between_feedbacks(corrected, tmp_path):
    """A finding attached before the school swapped the IDs stays with its child in the next feedback."""
    school, station = corrected
    jia2, jia3 = only_id(school, kid_id(2)), only_id(school, kid_id(3))
    assert send_and_import(school, station, tmp_path, [spot(kid_id(2), "甲2")], "a.zip") == {
        (kid_id(2), "甲2"): jia2}
    edit_student(school, jia2, {"id_number": kid_id(3)})
    edit_student(school, jia3, {"id_number": kid_id(2)})
    assert send_and_import(school, station, tmp_path, [spot(kid_id(2), "甲2")], "b.zip", minutes=1) == {
        (kid_id(2), "甲2"): jia2}


def test_a_namesake_born_another_day_is_not_the_child(corrected, tmp_path):
    """A finding about someone in no package (ROSTER_NOT_ENROLLED: a roster person the school did not
    list) whose name one listed child has: the ID's date of birth tells them apart."""
    school, station = corrected
    jia3 = only_id(school, kid_id(3))
    stranger = kid_id(300, born=date(2012, 6, 1))
    same_day = kid_id(301)                         # born as the listed 甲3 (2008-05-01): a mistyped ID
    subject = send_and_import(school, station, tmp_path, [cross(stranger, "甲3")])
    assert subject == {(stranger, "甲3"): None}
    subject = send_and_import(school, station, tmp_path, [cross(same_day, "甲3")], name="fb2.zip", minutes=1)
    assert subject[(same_day, "甲3")] == jia3 and subject[(stranger, "甲3")] is None
