"""A policy version stored by an earlier release may hold a key the program does not read (a
county file's typo, accepted silently then). It is still read as it was stored, so the school keeps
computing; a new version made from it (``policy set``, an edit, an import) is refused, naming the key,
and nothing is stored."""
from __future__ import annotations

import pytest
from conftest import two_student_school

from core.errors import PolicyError
from core.policy import default_policy_text
from db import store
from db.compute import compute_school
from db.policy_versions import add_version, list_versions
from db.session import open_database

TYPO = default_policy_text().replace('stages = ["学前教育"]\nlocations = ["外地"]',
                                     'stages = ["学前教育"]\nlocation = ["外地"]', 1)


@pytest.fixture
def db(tmp_path):
    assert "location = [" in TYPO
    d = open_database(two_student_school(tmp_path / "school.sqlite"))
    with d.session() as s:                      # as an earlier release stored an imported file
        add_version(s, TYPO, "imported", "县文件（旧版本导入）")
    yield d
    d.close()


def test_the_stored_version_is_still_read_and_computed(db):
    with db.session() as s:
        assert store.get_policy_text(s) == TYPO
        store.get_policy(s)
    results, totals = compute_school(db)
    assert len(results) == 2 and totals.total > 0


def test_a_new_version_from_it_is_refused_naming_the_key(db):
    before = list_versions(db)
    with pytest.raises(PolicyError) as err, db.session() as s:
        store.change_policy_values(s, {"tuition_standard.普通高中": "1300"})
    assert "不认识的设置“location”（是否想写 locations？）" in err.value.message
    assert "OUTSIDE_PRESCHOOL" in err.value.message
    assert list_versions(db) == before
