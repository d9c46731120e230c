# ruff: noqa: F811 - the fixtures imported from other test modules are the test functions' arguments
"""A spot-check result entered by mistake (the wrong student, the wrong point) is withdrawn — back
to 未核查, the audit log keeping what it was — in the 专项核查 tab (未核查（撤回…）) and with
``consolidate result … --withdraw``; a point never entered has nothing to withdraw."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select
from test_gui_receiving_spotcheck import FUNDS, draw, page, select_student  # noqa: F401 - fixtures
from test_spotcheck_db import bureau, county  # noqa: F401 - fixtures

from cli.commands import run
from core.errors import ValidationError
from core.spotcheck import FALSE_LABEL, TRUE_LABEL
from db.models import AuditEntry
from db.session import open_database
from db.spotcheck import draw_and_store, enter_result, results_for_school, spot_report, withdraw_result


def audit_of(db, point):
    with db.session() as s:
        return [(e.old, e.new) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "spot_result", AuditEntry.field == point).order_by(AuditEntry.id))]


def test_a_withdrawn_result_is_not_checked_again_and_audited(bureau, tmp_path):
    run_ = draw_and_store(bureau, tmp_path / "c.pdf", count=4, seed=7)
    sid = run_.stored.id
    enter_result(bureau, sid, "1", "资金到账", False, "家长称未收到")
    entry = withdraw_result(bureau, sid, "1", "资金到账")
    assert entry.changed == 1 and entry.changes
    assert spot_report(bureau, sid).stored.results == {}
    assert audit_of(bureau, "FUNDS")[-1] == ("不属实：家长称未收到", None)
    with pytest.raises(ValidationError, match="还没有登记结果，无需撤回"):
        withdraw_result(bureau, sid, "1", "资金到账")


def test_withdrawing_makes_a_complete_check_incomplete_so_it_is_not_sent_back(bureau, tmp_path):
    run_ = draw_and_store(bureau, tmp_path / "c.pdf", count=4, seed=7)
    x = run_.stored.sample.students[0]
    for point in ("在籍在校", "家庭类别", "实收费用", "资金到账", "告知书已收到"):
        enter_result(bureau, run_.stored.id, str(x.seq), point, point != "资金到账", "未到账")
    with bureau.session() as s:
        assert [c for c in results_for_school(s, x.school_code) if c.findings()]
    withdraw_result(bureau, run_.stored.id, str(x.seq), "资金到账")
    with bureau.session() as s:
        assert not [c for c in results_for_school(s, x.school_code) if c.findings()]


def test_the_tab_withdraws_an_entered_point(page, bureau):
    tab = draw(page, size="4")
    select_student(tab, 2)
    form = tab.form
    form.choices[FUNDS].setCurrentIndex(form.choices[FUNDS].findText(FALSE_LABEL))
    form.notes[FUNDS].setText("家长称只收到 1000 元")
    form.choices[0].setCurrentIndex(form.choices[0].findText(TRUE_LABEL))
    form.save_button.click()
    sid = tab._chosen_id()
    assert set(spot_report(bureau, sid).stored.results[2]) == {"ENROLMENT", "FUNDS"}
    select_student(tab, 2)
    form.choices[FUNDS].setCurrentIndex(0)               # 撤回 (back to 未核查)
    assert form.choices[FUNDS].currentText() == "撤回"
    shot(page)
    page.emitted.clear()
    form.save_button.click()
    assert set(spot_report(bureau, sid).stored.results[2]) == {"ENROLMENT"}
    assert page.emitted and "已登记第 2 号的 1 个核查项" in tab.status.text()
    assert form.choices[FUNDS].currentText() == "未核查" and form.notes[FUNDS].text() == ""


def shot(page):
    import os
    if os.environ.get("ZIZHU_SHOTS"):
        page.grab().save(os.path.join(os.environ["ZIZHU_SHOTS"], "spotcheck-withdraw.png"))


def test_the_command_line_withdraws(county, tmp_path, capsys):
    path = shutil.copy(county, tmp_path / "bureau.sqlite")

    def cli(*args):
        return run(["--db", str(path), "consolidate", *map(str, args)])
    assert cli("sample", "--count", 3, "--seed", 5, tmp_path / "c.pdf") == 0
    assert cli("result", 1, 1, "--point", "资金到账", "--false", "--note", "没有到账") == 0
    capsys.readouterr()
    assert cli("result", 1, 1, "--point", "资金到账", "--withdraw") == 0
    assert "已撤回：抽查编号 1，1，资金到账：恢复为未核查" in capsys.readouterr().out
    d = open_database(path)
    try:
        assert spot_report(d, 1).stored.results == {}
    finally:
        d.close()
    assert cli("result", 1, 1, "--point", "资金到账", "--withdraw") == 2
    assert "无需撤回" in capsys.readouterr().err
    with pytest.raises(SystemExit):                      # one of --true, --false, --withdraw
        cli("result", 1, 1, "--point", "资金到账", "--true", "--withdraw")
