"""One catalogue of student fields (core.fields) from which the import columns, the form,
the list columns and the engine's fields derive: adding a field is one entry."""
from dataclasses import fields

from core import fields as catalogue
from core.domain import StudentRecord
from core.records import STUDENT_COLUMNS
from db.models import STUDENT_DATA_FIELDS


def test_every_stored_student_field_is_in_the_catalogue():
    names = {f.name for f in catalogue.STUDENT_FIELDS}
    assert names <= set(STUDENT_DATA_FIELDS)
    assert set(STUDENT_DATA_FIELDS) - names == {"id_raw", "id_numeric_cell"}   # the importer's own


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
