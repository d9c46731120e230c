"""A masked ID number (first 6 and last 4 of 18) hides exactly the birth date: nothing shown beside it
may give those 8 digits back (privacy review, session 17: the 核查问题 pane printed 出生日期 next to the
masked number, and the ID checks quoted the date they found in it)."""
from __future__ import annotations

from datetime import date

from test_findings_true import student

from core.idnumber import make_id, mask_id
from core.records import ParsedRow
from db import store
from db.finding_detail import finding_detail
from db.findings import run_and_store
from db.importing import apply_plan, plan_import
from db.models import FindingRow
from gui.finding_detail import detail_html

SAME = make_id("422822", date(2010, 3, 4), 221)
OTHER = make_id("422822", date(2009, 6, 7), 332)
BAD = "422822" + "20080230" + "1110"           # 30 February: no such day


def _school(db):
    rows = [student("万思", SAME, "REGISTERED", birth_date="2010-03-04"), student("刘倩", OTHER, birth_date="2009-06-08"),
            student("安然", BAD)]
    with db.session() as s:
        store.init_school(s, "第二中学", "4228", 2023, actor="t")
        apply_plan(s, plan_import(s, "students", [ParsedRow(i + 2, v) for i, v in enumerate(rows)], [],
                                  {f for v in rows for f in v}))
        someone = make_id("422822", date(1980, 1, 1), 111)        # a roster without 万思: a finding for 万思
        apply_plan(s, plan_import(s, "roster", [ParsedRow(2, {"name": "某人", "id_number": someone, "id_raw": someone})],
                                  [], ["name", "id_number", "id_raw"]))
        run_and_store(s, actor="t")
        return {(r.code, r.name): r.id for r in s.query(FindingRow)}


def _digits_shown(db, finding_id: int) -> str:
    d = finding_detail(db, finding_id)
    assert d is not None
    return detail_html(d) + d.finding.message


def test_no_birth_date_digits_beside_a_masked_number(db):
    found = _school(db)
    for (code, name), fid in found.items():
        shown = _digits_shown(db, fid)
        for number in (SAME, OTHER, BAD):
            assert mask_id(number) not in shown or number[6:14] not in shown.replace("-", ""), (code, name)
        assert "2010-03-04" not in shown and "2009-06-0" not in shown and "2008-02-30" not in shown, (code, name)
    mismatch = finding_detail(db, found[("ID_BIRTH_MISMATCH", "刘倩")])
    assert dict(mismatch.student)["出生日期"] == "与身份证号不一致"
    assert "日不同" in mismatch.finding.message
    same = next(fid for (code, name), fid in found.items() if name == "万思")
    assert dict(finding_detail(db, same).student)["出生日期"] == "与身份证号一致"
    invalid = finding_detail(db, found[("ID_INVALID", "安然")])
    assert "第7–14位" in invalid.finding.message and dict(invalid.student)["出生日期"] == "未填写"
