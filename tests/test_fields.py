"""One catalogue of student fields (core.fields) from which the import columns, the form,
the list columns and every read shape of a student derive: adding a field is one entry."""
from dataclasses import fields

import pytest

from core import fields as catalogue
from core.checks import StudentFacts
from core.domain import StudentRecord
from core.exports.data import StudentInfo
from core.records import STUDENT_COLUMNS
from db.models import STUDENT_DATA_FIELDS
from db.views import LetterRow, StudentRow

# Every shape of a stored student: the catalogue flag that selects its fields, and the
# attributes it holds besides them (keys, bookkeeping, computed values).
SHAPES = {
    "engine": (StudentRecord, {"key"}),
    "checked": (StudentFacts, {"key", *catalogue.IMPORTER_FIELDS, "notified", "verified", "seal", "told"}),
    "exported": (StudentInfo, {"key", "category_label", "verified"}),
    "listed": (StudentRow, {"id", "id_masked", "total_fen", "total_text", "pending", "verified", "findings",
                            "initials", "name_key", "haystack", "removed", "removed_reason"}),
    "lettered": (LetterRow, {"id", "total_fen", "printed", "receipt", "initials", "name_key"}),
}


def shape_problems(entries: tuple[catalogue.StudentField, ...]) -> list[str]:
    """Where a shape and the catalogue disagree: each names the shape and the fields."""
    out = []
    for flag, (shape, own) in SHAPES.items():
        wanted = {f.name for f in entries if getattr(f, flag)}
        held = {f.name for f in fields(shape)} - own
        if wanted != held:
            out.append(f"{shape.__name__}: missing {sorted(wanted - held)}, not in the catalogue {sorted(held - wanted)}")
    return out


def test_every_shape_holds_exactly_its_catalogue_fields():
    assert shape_problems(catalogue.STUDENT_FIELDS) == []


def test_a_new_field_is_one_entry_or_a_loud_failure_where_a_shape_must_decide():
    nation = catalogue.StudentField("nation", "民族", group=catalogue.BASIC, engine=True, listed=True,
                                    checked=True, exported=True, lettered=True)
    problems = shape_problems((*catalogue.STUDENT_FIELDS, nation))
    assert len(problems) == len(SHAPES) and all("missing ['nation']" in p for p in problems)
    assert shape_problems((*catalogue.STUDENT_FIELDS, catalogue.StudentField("nation", "民族"))) == []


def test_the_checks_facts_are_built_positionally_in_catalogue_order():
    from db.findings import FACT_COLUMNS
    assert [f.name for f in fields(StudentFacts)] == ["key", *FACT_COLUMNS, "notified", "verified", "seal", "told"]
    assert (*catalogue.CHECK_FIELDS, *catalogue.IMPORTER_FIELDS) == FACT_COLUMNS


def test_every_stored_student_field_is_in_the_catalogue():
    names = {f.name for f in catalogue.STUDENT_FIELDS}
    assert names <= set(STUDENT_DATA_FIELDS)
    assert set(STUDENT_DATA_FIELDS) - names == set(catalogue.IMPORTER_FIELDS)


@pytest.fixture
def stored(db):
    """One student whose every stored field has a value of its own."""
    from db.models import Student
    from db.store import init_school
    values = {f: f"v-{f}" for f in STUDENT_DATA_FIELDS}
    values.update(stage="普通高中", location="外地", ownership="民办", category="REGISTERED", full_time=True,
                  has_loan=True, id_numeric_cell=True, tuition_fen=101, textbook_fen=202, lodging_fen=303,
                  prior_grants="")
    with db.session() as s:
        init_school(s, "第一中学", "4200001", 2023)
        s.add(Student(**values, notified_at=None))
    return values


def test_each_shape_reads_its_catalogue_fields_from_the_store(db, stored):
    from db.exports import gather
    from db.findings import build_context
    from db.views import category_label, snapshot
    with db.session() as s:
        facts = build_context(s).students[0]
        info = gather(s, draft=True).students[0]
    assert {f: getattr(facts, f) for f in (*catalogue.CHECK_FIELDS, *catalogue.IMPORTER_FIELDS)} == \
        {f: stored[f] for f in (*catalogue.CHECK_FIELDS, *catalogue.IMPORTER_FIELDS)}
    assert {f: getattr(info, f) for f in catalogue.EXPORT_FIELDS} == {f: stored[f] for f in catalogue.EXPORT_FIELDS}
    snap = snapshot(db)
    row, letter = snap.students[0], snap.letters[0]
    assert {f: getattr(row, f) for f in catalogue.LIST_FIELDS} == {
        **{f: stored[f] for f in catalogue.LIST_FIELDS}, "category": category_label(snap.policy, "REGISTERED")}
    assert row.category != "REGISTERED"           # the list shows the policy's label
    assert {f: getattr(letter, f) for f in catalogue.LETTER_FIELDS} == {f: stored[f] for f in catalogue.LETTER_FIELDS}


def test_import_columns_are_the_catalogue():
    assert [(c.field, c.header, c.synonyms, c.required) for c in STUDENT_COLUMNS] == [
        (f.import_field, f.import_header, f.synonyms, f.required) for f in catalogue.STUDENT_FIELDS]
    assert {c.field for c in STUDENT_COLUMNS if c.required} == {"name", "id_number", "stage"}
    assert next(c for c in STUDENT_COLUMNS if c.field == "tuition").header == "实收学费"


def test_engine_fields_are_what_the_engine_record_holds():
    assert set(catalogue.ENGINE_FIELDS) == {f.name for f in fields(StudentRecord)} - {"key"}


def test_form_and_list_derive_from_the_catalogue(monkeypatch):
    from gui.students.form_fields import GROUPS
    from gui.students.model import COLUMNS
    assert [f.name for _t, fs in GROUPS for f in fs] == [
        f.name for f in catalogue.STUDENT_FIELDS if f.group and f.edit == catalogue.CLERK]
    assert "prior_grants" not in {f.name for _t, fs in GROUPS for f in fs}   # import only
    assert [c.header for c in COLUMNS[:len(catalogue.listed_fields())]] == \
        [f.label for f in catalogue.listed_fields()]
    # a new field is one entry: it appears on the form and in the list
    extra = catalogue.StudentField("nation", "民族", group=catalogue.BASIC, listed=True)
    monkeypatch.setattr(catalogue, "STUDENT_FIELDS", (*catalogue.STUDENT_FIELDS, extra))
    assert extra in dict(catalogue.form_groups())[catalogue.BASIC]
    assert catalogue.listed_fields()[-1] is extra
