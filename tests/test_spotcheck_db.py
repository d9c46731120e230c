"""专项核查 kept in the receiving database: samples, results (one by one and by workbook), the report."""
import json
import shutil

import pytest
from openpyxl import load_workbook
from pdftext import fonts, page_count, pdf_text
from receiving_fixtures import kid_id, receiver_db, two_kid_school
from sqlalchemy import func, select

from core.errors import InputFileError, OutputFileError, ValidationError
from core.idnumber import mask_id
from core.spotcheck import POINTS
from db import trust_store
from db.models import AuditEntry
from db.receiving import accepted_data, intake
from db.receiving_models import ACCEPTED
from db.session import open_database
from db.spotcheck import (
    draw_and_store,
    enter_result,
    import_results,
    load_sample,
    print_checklists,
    results_for_school,
    sample_list,
    spot_report,
    write_results_sheet,
)
from db.spotcheck_models import SpotSample


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A bureau's database that accepted two schools' packages, made and taken in by the program
    itself (consolidate add); the child kid_id(2) is reported by both schools. Each test copies it."""
    folder = tmp_path_factory.mktemp("county")
    a = two_kid_school(folder, code="4228220101", name="龙坪乡中心小学", first=1)
    b = two_kid_school(folder, code="4228220102", name="花坪镇中心小学", township="花坪镇", first=2)
    path = receiver_db(folder / "bureau.sqlite", name="建始县教育体育局", code="422822")
    d = open_database(path)
    try:
        for pkg in (a, b):
            trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
        assert all(o.result == ACCEPTED for o in intake(d, [a.path, b.path]).outcomes)
    finally:
        d.close()
    return path


@pytest.fixture
def bureau(county, tmp_path):
    shutil.copy(county, tmp_path / "bureau.sqlite")
    d = open_database(tmp_path / "bureau.sqlite")
    yield d
    d.close()


def sample(bureau, tmp_path, **kw):
    kw.setdefault("count", 4)
    return draw_and_store(bureau, tmp_path / "c.pdf", seed=kw.pop("seed", 424242), **kw).stored


def test_a_sample_is_kept_as_drawn_and_its_checklists_printed(bureau, tmp_path):
    run = draw_and_store(bureau, tmp_path / "c.pdf", count=3, seed=424242, actor="李科长")
    stored = run.stored
    again = with_session(bureau, lambda s: load_sample(s, stored.id))
    assert again.sample == stored.sample and again.created_by == "李科长"
    assert len(stored.sample.students) == 3 and {x.school_code for x in stored.sample.students} == {"4228220101", "4228220102"}
    assert stored.sample.population == 4
    assert page_count(tmp_path / "c.pdf") == 1 + 3
    text = pdf_text(tmp_path / "c.pdf")
    assert "随机种子：424242" in text and "建始县教育体育局" in text
    x = stored.sample.students[0]
    with bureau.session() as s:
        assert x.package_sha256 in {p.sha256 for p in accepted_data(s)}     # traced to the signed file
    assert mask_id(x.id_number) in text and x.id_number not in text
    checklist = pdf_text(tmp_path / "c.pdf", 2)
    for words in ("在籍在校", "家庭类别", "实收费用", "资金到账", "告知书已收到", "属实", "不属实", "情况说明",
                  "核查人（签字）", "学生家长或监护人（签字）", "学校经办人（签字）", x.name, "第 1 号（共 3 份）"):
        assert words in checklist, words
    for g in x.grants:
        assert g.name in checklist
    used = fonts(tmp_path / "c.pdf")      # only the bundled CJK font, embedded: no tofu, no built-in font
    assert used and all(embedded and "WenQuanYi" in name for name, embedded in used)
    with bureau.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "spot_sample")).all()
        assert {(e.field, e.new) for e in entries} >= {("seed", "424242"), ("count", "3"), ("unannounced", "否")}
    assert [(i.id, i.count, i.checked) for i in sample_list(bureau)] == [(stored.id, 3, 0)]


def with_session(db, fn):
    with db.session() as s:
        return fn(s)


def test_the_same_seed_draws_the_same_students_again(bureau, tmp_path):
    with bureau.session() as s:
        packages = accepted_data(s)
    a = sample(bureau, tmp_path, count=2, seed=7)
    b = draw_and_store(bureau, tmp_path / "d.pdf", count=2, seed=7, packages=list(reversed(packages))).stored
    assert a.id != b.id
    assert [(x.school_code, x.id_number) for x in a.sample.students] == \
        [(x.school_code, x.id_number) for x in b.sample.students]


def test_a_pdf_that_cannot_be_written_leaves_no_sample(bureau, tmp_path):
    (tmp_path / "folder.pdf").mkdir()
    with pytest.raises(OutputFileError, match="文件夹"):     # the clerk's message, nothing kept
        draw_and_store(bureau, tmp_path / "folder.pdf", count=2, seed=1)
    with bureau.session() as s:
        assert s.scalar(select(func.count()).select_from(SpotSample)) == 0


def test_an_unannounced_sample_says_so_and_has_no_school_signature(bureau, tmp_path):
    stored = sample(bureau, tmp_path, unannounced=True, count=2)
    assert stored.sample.unannounced
    for page in range(1, page_count(tmp_path / "c.pdf") + 1):
        assert "暗访" in pdf_text(tmp_path / "c.pdf", page)
    assert "学校经办人" not in pdf_text(tmp_path / "c.pdf", 2)
    assert print_checklists(bureau, stored.id, tmp_path / "again.pdf") == []   # a lost printout, again
    assert pdf_text(tmp_path / "again.pdf", 2) == pdf_text(tmp_path / "c.pdf", 2)


def test_results_are_entered_by_number_or_id_and_a_false_one_needs_a_note(bureau, tmp_path):
    stored = sample(bureau, tmp_path)
    twice = [x for x in stored.sample.students if x.id_number == kid_id(2)]
    assert [x.seq for x in twice] == [2, 3]
    r = enter_result(bureau, stored.id, "1", "在籍在校", True)
    assert r.changed == 1 and r.stored.results[1]["ENROLMENT"].truthful
    with pytest.raises(ValidationError, match="没有填写说明"):
        enter_result(bureau, stored.id, "1", "资金到账", False)
    with pytest.raises(ValidationError, match="出现 2 次"):     # both schools reported this child
        enter_result(bureau, stored.id, kid_id(2), "资金到账", True)
    assert enter_result(bureau, stored.id, kid_id(1), "资金到账", True).changed == 1
    with pytest.raises(ValidationError, match="没有“99”"):
        enter_result(bureau, stored.id, "99", "资金到账", True)
    with pytest.raises(ValidationError, match="没有抽查编号为 42"):
        enter_result(bureau, 42, "1", "资金到账", True)
    r = enter_result(bureau, stored.id, "1", "FUNDS", False, "家长称只收到 1000 元")
    assert r.stored.results[1]["FUNDS"].note == "家长称只收到 1000 元"
    assert enter_result(bureau, stored.id, "1", "FUNDS", False, "家长称只收到 1000 元").changed == 0
    with bureau.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "spot_result",
                                                     AuditEntry.field == "FUNDS").order_by(AuditEntry.id))
        assert [(e.old, e.new) for e in entries] == [(None, "属实"), ("属实", "不属实：家长称只收到 1000 元")]


def fill(path, rows):
    """Write ``rows`` ({row number: {column letter: value}}) into the results workbook."""
    wb = load_workbook(path)
    ws = wb.active
    for r, cells in rows.items():
        for col, v in cells.items():
            ws[f"{col}{r}"] = v
    wb.save(path)


def test_results_workbook_round_trip(bureau, tmp_path):
    stored = sample(bureau, tmp_path)
    enter_result(bureau, stored.id, "2", "告知书已收到", True)
    sheet = write_results_sheet(bureau, stored.id, tmp_path / "r.xlsx")
    ws = load_workbook(sheet).active
    assert ws["A5"].value == "1" and ws["C5"].value == stored.sample.students[0].name
    assert ws["D5"].value == mask_id(stored.sample.students[0].id_number)
    assert ws["M6"].value == "属实"                       # already entered: filled in
    everything = {"E": "属实", "G": "属实", "I": "属实", "K": "不属实", "L": "银行流水只有 1000 元", "M": "属实"}
    fill(sheet, {5: everything, 6: {"E": "属实"}})
    dry = import_results(bureau, stored.id, sheet, dry_run=True)
    assert (dry.changed, dry.unchanged, dry.rows) == (6, 1, 4)   # M6 was entered before
    assert with_session(bureau, lambda s: load_sample(s, stored.id)).results.keys() == {2}
    done = import_results(bureau, stored.id, sheet)
    assert (done.changed, done.unchanged) == (6, 1)
    results = done.stored.results
    assert {p: r.truthful for p, r in results[1].items()} == {
        "ENROLMENT": True, "HOUSEHOLD": True, "FEES": True, "FUNDS": False, "LETTER": True}
    assert results[1]["FUNDS"].note == "银行流水只有 1000 元"
    assert set(results[2]) == {"ENROLMENT", "LETTER"}
    assert import_results(bureau, stored.id, sheet).changed == 0     # the same file again changes nothing


def test_a_bad_results_workbook_enters_nothing_and_names_every_problem(bureau, tmp_path):
    stored = sample(bureau, tmp_path)
    sheet = write_results_sheet(bureau, stored.id, tmp_path / "r.xlsx")
    fill(sheet, {5: {"E": "属实", "G": "是", "K": "不属实"}, 6: {"C": "别人"}, 7: {"F": "只写了说明"}})
    with pytest.raises(ValidationError) as err:
        import_results(bureau, stored.id, sheet)
    msg = err.value.message
    assert "有 4 处问题，没有导入任何结果" in msg
    assert "第 5 行 G 列（家庭类别）：“是”应为“属实”或“不属实”" in msg
    assert "第 5 行 K 列（资金到账）" in msg and "没有填写说明" in msg
    assert "第 6 行：编号 2 的学生是" in msg and "第 7 行 E 列（在籍在校）：写了说明但没有填" in msg
    assert with_session(bureau, lambda s: load_sample(s, stored.id)).results == {}
    other = sample(bureau, tmp_path)
    with pytest.raises(ValidationError, match=f"是抽查编号 {stored.id} 的登记表，不是抽查编号 {other.id} 的"):
        import_results(bureau, other.id, sheet)
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(InputFileError):
        import_results(bureau, stored.id, tmp_path / "x.txt")


def complete(bureau, stored, seq, funds_note=""):
    for p in POINTS:
        false = p.code == "FUNDS" and funds_note
        enter_result(bureau, stored.id, str(seq), p.code, not false, funds_note if false else "")


def test_the_report_sums_up_per_school(bureau, tmp_path):
    stored = sample(bureau, tmp_path)
    complete(bureau, stored, 1, "只到账 1000 元")
    complete(bureau, stored, 2)
    enter_result(bureau, stored.id, "3", "在籍在校", False, "已转学")
    rep = spot_report(bureau, stored.id, tmp_path / "report.pdf")
    doc = rep.json
    assert doc["sample"]["id"] == stored.id and doc["sample"]["seed"] == 424242
    first = next(s for s in doc["by_school"] if s["school_code"] == stored.sample.students[0].school_code)
    assert first["sampled"] == 2 and first["checked"] == 2
    assert first["points"]["FUNDS"] == {"label": "资金到账", "truthful": 1, "false": 1}
    assert first["false_notes"][0]["note"] == "只到账 1000 元"
    assert doc["totals"]["sampled"] == 4 and doc["totals"]["checked"] == 2
    assert doc["totals"]["points"]["ENROLMENT"] == {"label": "在籍在校", "truthful": 2, "false": 1}
    text = "".join(pdf_text(tmp_path / "report.pdf").split())
    for words in ("专项核查报告", "随机种子：424242", "只到账1000元", "已转学", "核查组成员（签字）", "负责人（签字）",
                  "已完成全部核查项的2名，尚未完成2名", "共发现不属实2项"):
        assert words in text, words
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc      # the report's data travels as JSON
    from core.idnumber import mask_id
    false_ones = [x for x in stored.sample.students if x.seq in (1, 3)]      # the 不属实 table's students
    for x in stored.sample.students:                   # a child's full ID is never printed in the report
        assert x.id_number and x.id_number not in text, x.seq
    for x in false_ones:
        assert "".join(mask_id(x.id_number).split()) in text, x.seq


def test_only_completed_checks_go_back_to_a_school(bureau, tmp_path):
    stored = sample(bureau, tmp_path, unannounced=True)
    code = stored.sample.students[0].school_code
    with bureau.session() as s:
        assert results_for_school(s, code) == []
    enter_result(bureau, stored.id, "1", "资金到账", False, "没有到账")
    with bureau.session() as s:
        assert results_for_school(s, code) == []          # the visit is not done: nothing may reach the school
    complete(bureau, stored, 1, "没有到账")
    others = [x.seq for x in stored.sample.students if x.school_code == code and x.seq != 1]
    assert others, "the sample holds another student of the school"
    with bureau.session() as s:         # the school's other visits are not done: nothing of the sample yet
        assert results_for_school(s, code) == []
    for seq in others:
        complete(bureau, stored, seq)
    with bureau.session() as s:
        done = results_for_school(s, code)
        assert results_for_school(s, "nobody") == []
    assert [c.student.seq for c in done] == [1, *others] and done[0].unannounced
    assert not any(c.findings() for c in done[1:])
    [finding] = done[0].findings()
    assert finding.to_json()["code"] == "SPOTCHECK_NOT_TRUE" and finding.school_code == code
    assert finding.message == f"暗访核查（抽查编号 {stored.id}）：资金到账核查不属实：没有到账"


def test_a_new_years_feedback_carries_only_that_years_checks(bureau, tmp_path):
    """A 不属实 result of last year's sample is not sent back in this year's feedback."""
    from sqlalchemy import update

    from db import store
    from db.feedback_send import _all_feedback
    stored = sample(bureau, tmp_path)
    code = stored.sample.students[0].school_code
    complete(bureau, stored, 1, "没有到账")
    with bureau.session() as s:
        year = store.get_school(s).school_year
        assert len(results_for_school(s, code, year)) == 1
        assert any(f.code == "SPOTCHECK_NOT_TRUE" for fb in _all_feedback(s) for f in fb.findings)
        s.execute(update(SpotSample).where(SpotSample.id == stored.id).values(school_year=year - 1))
    with bureau.session() as s:
        assert results_for_school(s, code, year) == [] and len(results_for_school(s, code)) == 1
        assert not any(f.code == "SPOTCHECK_NOT_TRUE" for fb in _all_feedback(s) for f in fb.findings)


def test_frozen_v0005_receiving_database_gains_the_spot_check_tables(tmp_path, bureau):
    """0006 only adds the spot-check tables: the receiver's rows and audit chain stay as they were."""
    import shutil
    import sqlite3
    from pathlib import Path

    from db.audit import audit_chain_status
    from db.migrate import current_revision, head_revision
    from db.trust_store import trusted_signers
    with bureau.session() as s:
        packages = accepted_data(s)        # another receiver's: the frozen one has none
    target = tmp_path / "old5.sqlite"
    shutil.copy(Path(__file__).parent / "data" / "schema-0005.sqlite", target)
    con = sqlite3.connect(target)
    assert con.execute("select version_num from alembic_version").fetchone()[0] == "0005"
    before = {t: con.execute(f"select * from {t} order by 1").fetchall() for t in ("school", "audit_log",
                                                                                   "trusted_signer")}
    con.close()
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            assert audit_chain_status(s).intact
            assert [t.school_code for t in trusted_signers(s) if t.school_code != "422822"] == ["4228220101"]
        stored = draw_and_store(d, tmp_path / "c.pdf", count=2, seed=3, packages=packages).stored
        with d.session() as s:
            assert audit_chain_status(s).intact
            assert load_sample(s, stored.id).sample == stored.sample
    finally:
        d.close()
    con = sqlite3.connect(target)
    try:
        for table, rows in before.items():
            assert con.execute(f"select * from {table} order by 1").fetchall()[:len(rows)] == rows
    finally:
        con.close()
