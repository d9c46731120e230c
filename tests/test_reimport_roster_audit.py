"""Roster imports are audited (review of re-imports, 4).

A roster import wrote no audit entry for the people it added or changed, and a replace recorded
only a count. Now the people added are named in one entry (a county's first roster is 200,000
people: one entry, not 200,000), every update is audited with its old and new values as a
student's is, and a replace names every person it removed (id, name, masked ID).
"""
from __future__ import annotations

import json

from reimport_fixtures import HS, HS2, HS3, audit_since, audit_top, sheet
from sqlalchemy import select

from core.idnumber import mask_id
from core.records import ParsedRow
from db.audit import audit_chain_status
from db.importing import apply_plan, plan_import
from db.models import RosterPerson
from db.workflows import run_import

HEADER = ["姓名", "证件号码", "户编号"]


def _people(db) -> dict[str, int]:
    with db.session() as s:
        return {p.name: p.id for p in s.scalars(select(RosterPerson))}


def test_added_changed_and_removed_people_are_audited(db, tmp_path):
    last = audit_top(db)
    run_import(db, "roster", sheet(tmp_path / "r1.xlsx", HEADER, ["张丽", HS, "4228220001"],
                                   ["李四", HS2, "4228220002"]), actor="clerk")
    ids = _people(db)
    assert audit_since(db, last) == [
        ("roster", None, "*", None,
         f"导入建档立卡名单新增 2 人（编号 {ids['张丽']}–{ids['李四']}，姓名按编号顺序）：[\"张丽\",\"李四\"]")]

    last = audit_top(db)
    run_import(db, "roster", sheet(tmp_path / "r2.xlsx", HEADER, ["张丽", HS, "4228220009"],
                                   ["李四", HS2, "4228220002"]), actor="clerk")
    assert audit_since(db, last) == [("roster", ids["张丽"], "household_no", "4228220001", "4228220009")]

    last = audit_top(db)
    run_import(db, "roster", sheet(tmp_path / "r3.xlsx", HEADER, ["张丽", HS, "4228220009"]), actor="clerk")
    assert audit_since(db, last) == []                   # nothing changed, nothing added: nothing audited

    run_import(db, "roster", sheet(tmp_path / "r4.xlsx", HEADER, ["王五", HS3, "4228220003"]), actor="clerk")
    ids = _people(db)
    last = audit_top(db)
    run_import(db, "roster", sheet(tmp_path / "r5.xlsx", HEADER, ["张丽", HS, "4228220009"]), actor="clerk",
               replace=True, confirm_removal=True)
    (entry,) = audit_since(db, last)
    assert entry[:4] == ("roster", None, "*", None)
    prefix = "替换名单：删除 2 人："
    assert entry[4].startswith(prefix)
    assert json.loads(entry[4][len(prefix):]) == [[ids["李四"], "李四", mask_id(HS2)], [ids["王五"], "王五", mask_id(HS3)]]
    assert HS2 not in entry[4] and HS3 not in entry[4]
    with db.session() as s:
        assert audit_chain_status(s).intact


def test_a_first_roster_import_is_one_entry_however_many_people(db):
    n = 20_000
    rows = [ParsedRow(i + 2, {"name": f"人{i}", "id_number": f"4228221980{i:08d}", "id_raw": f"4228221980{i:08d}"})
            for i in range(n)]
    last = audit_top(db)
    with db.write_session() as s:
        apply_plan(s, plan_import(s, "roster", rows, [], ["name", "id_number"]), actor="clerk")
    (entry,) = audit_since(db, last)
    head, names = entry[4].split("：", 1)
    assert head == f"导入建档立卡名单新增 {n} 人（编号 1–{n}，姓名按编号顺序）"
    assert json.loads(names) == [f"人{i}" for i in range(n)]
