"""What the letters and the notice print is read from plain column rows (issue 13): the same
students, results and totals as the ORM objects computed one by one, without loading a
`Student` object (50,000 of them cost seconds at county size)."""
from sqlalchemy import event, select, update

from core.engine import compute_student, totals_of
from db import store
from db.exports import _printed_data, gather
from db.models import Student
from db.students import remove_students, to_record


def _reference(session, keys=None):
    """The students as the ORM loads them, each computed on its own."""
    policy = store.get_policy(session)
    q = select(Student).where(Student.removed_at.is_(None)).order_by(Student.id)
    if keys is not None:
        q = q.where(Student.id.in_(keys))
    students = list(session.scalars(q))
    return students, [compute_student(to_record(st), policy) for st in students], policy


def _same(data, students, results, policy):
    assert [s.key for s in data.students] == [st.id for st in students]
    for info, st in zip(data.students, students, strict=True):
        for name in ("name", "id_number", "gender", "student_no", "stage", "grade", "class_name", "location",
                     "ownership", "category", "household_no", "head_name", "township", "village", "phone",
                     "tuition_fen", "bank_card", "verified"):
            assert getattr(info, name) == getattr(st, name), name
        cat = policy.parse_category(st.category)
        assert info.category_label == (policy.category_label(cat) if cat else st.category)
    assert [(r.student, r.decisions) for r in data.results] == [(r.student, r.decisions) for r in results]
    assert data.totals == totals_of(results, policy)


def test_printed_data_equals_the_students_computed_one_by_one_without_loading_orm_objects(demo_db):
    with demo_db.session() as s:
        ids = list(s.scalars(select(Student.id).order_by(Student.id)))
        remove_students(s, ids[:3], "转学", actor="t")                  # removed: not printed
        s.execute(update(Student).where(Student.id.in_(ids[3:10])).values(verified=True, tuition_fen=None))
    loaded = []

    def on_load(target, context):
        loaded.append(target.id)

    event.listen(Student, "load", on_load)
    try:
        with demo_db.session() as s:
            data = _printed_data(s, draft=True)
            some = _printed_data(s, draft=False, keys=ids[1:40:3])
    finally:
        event.remove(Student, "load", on_load)
    assert loaded == []
    with demo_db.session() as s:
        _same(data, *_reference(s))
        _same(some, *_reference(s, ids[1:40:3]))
    assert len(data.students) == len(ids) - 3 and sum(s.verified for s in data.students) == 7
    assert any(r.pending for r in data.results)      # the blank fees: pending, explained
    assert data.totals.students_granted > 0 and (data.draft, some.draft) == (True, False)


def test_the_package_gather_reads_the_same_students_and_totals(demo_db):
    with demo_db.session() as s:
        full, printed = gather(s, draft=True), _printed_data(s, draft=True)
        _same(full, *_reference(s))
    assert full.students == printed.students and full.totals == printed.totals


def test_student_info_fields_are_the_columns_in_their_order():
    """The rows are unpacked by position into StudentInfo: its fields are the key, the
    catalogue's exported fields, the category's label and whether verified, in that order."""
    from dataclasses import fields

    from core.exports.data import StudentInfo
    from core.fields import EXPORT_FIELDS
    from db.exports import _INFO_COLUMNS
    assert [f.name for f in fields(StudentInfo)] == ["key", *EXPORT_FIELDS, "category_label", "verified"]
    assert ("id", *EXPORT_FIELDS, "verified") == _INFO_COLUMNS


def test_the_notice_reads_the_granted_students_only_and_never_their_id_numbers_or_contacts(demo_db):
    with demo_db.session() as s:
        ids = list(s.scalars(select(Student.id).order_by(Student.id)))
        s.execute(update(Student).where(Student.id.in_(ids[3:10])).values(verified=True, tuition_fen=None))
        full, notice = _printed_data(s, draft=True), _printed_data(s, draft=True, notice=True)
    listed = [(st, r) for st, r in zip(full.students, full.results, strict=True) if r.granted]
    assert 0 < len(listed) < len(full.students)                     # some students are not listed
    assert len(notice.students) == len(notice.results) == len(listed)
    assert notice.totals == full.totals                              # every student counted, pending too
    assert full.totals.pending > 0
    for info, r, (st, ref) in zip(notice.students, notice.results, listed, strict=True):
        assert (info.key, info.name, info.stage, info.grade, info.class_name, info.category, info.category_label,
                info.verified) == (st.key, st.name, st.stage, st.grade, st.class_name, st.category,
                                   st.category_label, st.verified)
        assert r.decisions == ref.decisions and r.granted == ref.granted and r.total_fen == ref.total_fen
        assert (info.id_number, info.phone, info.bank_card, info.household_no, info.head_name, info.township,
                info.village) == ("",) * 7                          # never read for a public list
        assert r.student.id_number == ""
