"""A later school year starts a new campaign (db.new_year, review of session 30): the year that ended's
verification, letters, payments and findings are set aside (kept in the backup made before), and its
once-only items are recorded as received before. Before, a final package of the new year went out with
last year's verification, last year's letters counted as this year's 全部告知, and last year's payment
record raised 应发未发 errors for every new student."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from conftest import two_student_school, xlsx

from cli.commands import run
from core.idnumber import make_id
from db import store
from db.exports import mark_letters_printed, mark_receipts, readiness
from db.models import FindingRow, PaymentRecord, Student
from db.session import open_database
from db.settings import save_school
from db.usecases import check, verify
from db.views import finding_rows
from db.workflows import import_payments


@pytest.fixture
def db(tmp_path):
    d = open_database(two_student_school(tmp_path / "school.sqlite"))     # 2023: 张丽 普通高中, 李四 学前教育
    yield d
    d.close()


def _finished_year(db, tmp_path) -> dict[str, int]:
    """2023 done: both verified, letters printed, a receipt back, payments imported, checked."""
    with db.session() as s:
        ids = {st.name: st.id for st in s.query(Student)}
        numbers = {st.name: st.id_number for st in s.query(Student)}
    assert verify(db, list(ids.values())).done == 2
    with db.session() as s:
        assert mark_letters_printed(s, list(ids.values())) == 2
        assert mark_receipts(s, [ids["张丽"]]) == 1
    pay = xlsx(tmp_path / "pay.xlsx", ["身份证号", "项目", "金额"], [numbers["张丽"], "HS_TUITION", "1000"])
    import_payments(db, pay)
    check(db)
    with db.session() as s:
        assert s.query(PaymentRecord).count() == 1 and s.query(FindingRow).count() > 0
    return ids


def test_a_later_year_sets_the_year_that_ended_aside_and_the_backup_keeps_it(db, tmp_path):
    _finished_year(db, tmp_path)
    saved = save_school(db, "第一中学", "1", 2024)
    started = saved.started
    assert started is not None and (started.unverified, started.letters, started.payments) == (2, 2, 1)
    assert started.findings > 0 and started.backup is not None and started.backup.exists()
    text = started.text()
    assert "已进入2024–2025学年（新学年）" in text and started.backup.name in text and "恢复这个备份" in text
    with db.session() as s:
        rows = [(st.verified, st.seal, st.notified_at, st.notified_told, st.receipt_at) for st in s.query(Student)]
        assert rows == [(False, None, None, None, None)] * 2
        assert s.query(PaymentRecord).count() == 0 and s.query(FindingRow).count() == 0
        assert "还有 2 名学生未核准" in "；".join(readiness(s))       # no final package on last year's work
    run_ = check(db)
    codes = {r.code for r in finding_rows(db)}
    assert "NOT_NOTIFIED" in codes                         # this year's families are to be told again
    assert not codes & {"PAYMENT_MISSING", "PAYMENT_MISMATCH", "PAYMENT_UNDUE"}, codes   # no record yet
    assert run_.counts["error"] == 0
    con = sqlite3.connect(started.backup)                  # the year that ended, whole
    try:
        assert con.execute("select count(*) from student where verified and notified_at is not null"
                           ).fetchone() == (2,)
        assert con.execute("select count(*) from payment").fetchone() == (1,)
        assert con.execute("select school_year from school").fetchone() == (2023,)
    finally:
        con.close()


def test_setting_the_year_back_clears_nothing_and_says_where_the_old_year_is(db, tmp_path):
    ids = _finished_year(db, tmp_path)
    save_school(db, "第一中学", "1", 2024)
    assert verify(db, list(ids.values())).done == 2
    back = save_school(db, "第一中学", "1", 2023)
    assert back.started is None
    with db.session() as s:
        assert all(st.verified for st in s.query(Student))


def test_a_once_only_item_granted_in_the_year_that_ended_is_not_granted_again(tmp_path):
    from db.compute import compute_school
    from db.workflows import run_import
    path = tmp_path / "u.sqlite"
    d = open_database(path)
    try:
        with d.session() as s:
            store.init_school(s, "职业技术学院", "9", 2023, actor="t")
        uni = make_id("422822", date(2003, 3, 11), 321)
        book = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "年级", "就读地", "家庭类别", "生源地助学贷款",
                                          "贷款合同号"],
                    ["钱多", uni, "本科", "大一", "外地", "建档立卡", "是", "HT2023001"])
        run_import(d, "students", book)
        results, _t = compute_school(d)
        assert "LOAN_AID" in {g.code for g in results[0].granted}
        with d.session() as s:
            assert verify(d, [st.id for st in s.query(Student)]).done == 1
        started = save_school(d, "职业技术学院", "9", 2024).started
        assert started is not None and started.once_only == 1 and "往年已享受" in started.text()
        results, _t = compute_school(d)
        assert "LOAN_AID" not in {g.code for g in results[0].granted}
        assert "HIGHER_GRANT" in {g.code for g in results[0].granted}      # a yearly item stays
    finally:
        d.close()


def test_init_says_the_new_year_started_and_names_the_backup(db, tmp_path, capsys):
    _finished_year(db, tmp_path)
    path = str(db.path)
    db.close()
    capsys.readouterr()
    assert run(["--db", path, "init", "--school", "第一中学", "--code", "1", "--school-year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "已进入2024–2025学年（新学年）：2 名已核准学生改回待核准" in out
    assert "1 条发放记录已清空" in out and "before-school-year" in out
    # no policy of 2024 yet: the letters and the package will cite the 2023 one, and the clerk is told
    assert "本学年暂沿用2023–2024学年" in out and "县里发布本学年的政策后，请在“政策”页导入" in out



def test_init_for_the_next_year_keeps_the_name_and_code_when_not_given(db, tmp_path, capsys):
    """`init --school-year 2024` alone was refused (--school, --code required): the README says what
    is not given keeps its stored value. A new school still needs both, and nothing is created."""
    _finished_year(db, tmp_path)
    path = str(db.path)
    db.close()
    capsys.readouterr()
    assert run(["--db", path, "init", "--school-year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "学校信息已保存：第一中学（代码 1），2024–2025学年" in out and "已进入2024–2025学年（新学年）" in out
    new = tmp_path / "new" / "x.sqlite"
    new.parent.mkdir()
    assert run(["--db", str(new), "init", "--school-year", "2024"]) == 2
    assert "新建学校时必须写明学校名称和学校代码" in capsys.readouterr().err and not any(new.parent.iterdir())
