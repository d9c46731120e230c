"""db.exports.gather reads each student's category label as the policy names it, parsing each
spelling of a category once (not once per student), with the cyclic collector paused."""
from __future__ import annotations

import gc

from sqlalchemy import select

from core.policy import Policy
from db import store
from db.exports import gather
from db.models import ON_LIST, Student


def test_category_labels_parsed_once_per_spelling(demo_db, monkeypatch):
    with demo_db.session() as s:
        s.execute(Student.__table__.update().where(Student.id == s.scalar(select(Student.id).limit(1)))
                  .values(category=" 建档立卡 "))                     # another spelling of a category
        stored = dict(s.execute(select(Student.id, Student.category).where(ON_LIST)).all())
        policy = store.get_policy(s)
    parse = Policy.parse_category
    seen: list[str] = []
    collector: list[bool] = []

    def counting(self, text):
        seen.append(text)
        collector.append(gc.isenabled())
        return parse(self, text)

    monkeypatch.setattr(Policy, "parse_category", counting)
    with demo_db.session() as s:
        data = gather(s)
    assert len(data.students) == len(stored) > 100
    assert sorted(seen) == sorted(set(stored.values()))               # each spelling once
    assert not any(collector)
    for st in data.students:
        cat = parse(policy, stored[st.key])
        assert st.category_label == (policy.category_label(cat) if cat else stored[st.key])
    assert len({st.category_label for st in data.students}) >= 2
