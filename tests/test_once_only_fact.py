"""往年已享受就学扶助 是 is stored as the fact (``*``: every once-only item); a list imported again over
the codes an earlier version stored changes nothing (money review, session 17)."""
from __future__ import annotations

from datetime import date

from conftest import xlsx
from sqlalchemy import select, update

from core.idnumber import make_id
from db import store
from db.models import Student
from db.workflows import run_import

A, B = make_id("422822", date(2003, 1, 1), 11), make_id("422822", date(2003, 2, 2), 21)


def _prior(db) -> dict[str, str]:
    with db.session() as s:
        return dict(s.execute(select(Student.name, Student.prior_grants)).all())


def test_an_import_stores_the_fact_and_keeps_codes_stored_before(db, tmp_path):
    with db.session() as s:
        store.init_school(s, "第二中学", "4228", 2023, actor="t")
    f = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "往年已享受就学扶助"],
             ["张一", A, "本科", "是"], ["李二", B, "本科", "否"])
    run_import(db, "students", f, actor="t")
    assert _prior(db) == {"张一": "*", "李二": ""}
    with db.session() as s:          # as an earlier version stored it: the policy's once-only codes
        s.execute(update(Student).where(Student.name == "张一").values(prior_grants="LOAN_AID"))
    again = run_import(db, "students", f, actor="t")
    assert again.counts["updated"] == 0 and _prior(db) == {"张一": "LOAN_AID", "李二": ""}
    g = xlsx(tmp_path / "t.xlsx", ["姓名", "身份证号", "学段", "往年已享受就学扶助"],
             ["张一", A, "本科", "否"], ["李二", B, "本科", "是"])
    run_import(db, "students", g, actor="t")
    assert _prior(db) == {"张一": "", "李二": "*"}
