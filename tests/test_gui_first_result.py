"""The first start leads to the first result (issue 9): the first-start wizard asks for
the unset policy parameters, parameters are named in Chinese, a policy finding opens 设置
at its parameter, and the 工作台 shows the campaign's next step as a checklist."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWizard
from test_export_flow import clean_db, pw  # noqa: F401  (fixtures: a database ready for a final export)

from core.domain import Stage
from db import store
from db.views import unset_parameters
from gui.first_start import FirstStartWizard

pytestmark = pytest.mark.usefixtures("shown")


def _to_policy_page(wiz):
    wiz.school_page.name.setText("城关第二中学")
    wiz.school_page.code.setText("4211")
    wiz.button(QWizard.WizardButton.NextButton).click()
    wiz.official_page.form.edits["county"].setText("建始县")
    wiz.button(QWizard.WizardButton.NextButton).click()
    assert wiz.currentPage() is wiz.policy_page


def _texts(widget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def test_first_start_asks_for_the_unset_parameters_in_chinese(db, qtbot):
    wiz = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wiz)
    wiz.show()
    _to_policy_page(wiz)
    page = wiz.policy_page
    assert set(page.edits) == {"tuition_standard.普通高中", "tuition_standard.中职"}
    text = _texts(page)
    # what each is, its unit and where to find it; never the key
    assert "公办普通高中学费标准" in text and "公办中职学费标准" in text and "元/年" in text
    assert "物价局" in text and "收费文件" in text and "免学费" in text
    assert "tuition_standard" not in text + page.subTitle()
    page.edits["tuition_standard.普通高中"].setText("1200")
    wiz.button(QWizard.WizardButton.FinishButton).click()
    assert wiz.result() == QWizard.DialogCode.Accepted
    with db.session() as s:
        standard = store.get_policy(s).parameters["tuition_standard"]
    assert standard == {Stage.HIGH_SCHOOL: 120000}        # the blank one stays unset


def test_a_bad_parameter_keeps_the_wizard_open_and_changes_nothing(db, qtbot, shown):
    wiz = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wiz)
    wiz.show()
    _to_policy_page(wiz)
    wiz.policy_page.edits["tuition_standard.普通高中"].setText("1200")
    wiz.policy_page.edits["tuition_standard.中职"].setText("两千")
    wiz.button(QWizard.WizardButton.FinishButton).click()
    assert wiz.result() != QWizard.DialogCode.Accepted and wiz.currentPage() is wiz.policy_page
    assert len(shown) == 1 and "公办中职学费标准无效" in shown[0][0] and "tuition_standard" not in shown[0][0]
    shown.clear()
    with db.session() as s:
        assert store.get_policy(s).parameters["tuition_standard"] == {}    # all or nothing
    assert wiz.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_no_parameter_page_when_every_parameter_is_set(db, qtbot):
    with db.session() as s:
        store.set_policy_value(s, "tuition_standard.普通高中", "1200")
        store.set_policy_value(s, "tuition_standard.中职", "2000")
    wiz = FirstStartWizard(db, unset_parameters(db))
    qtbot.addWidget(wiz)
    assert wiz.policy_page is None


@pytest.fixture
def unset_db(demo_db):
    """The demo school (a county 高中) with its tuition standard unset, checked."""
    from db.usecases import check
    with demo_db.session() as s:
        store.set_policy_value(s, "tuition_standard.普通高中", "")
    check(demo_db)
    return demo_db


def test_double_clicking_a_policy_finding_opens_the_policy_page_at_the_parameter(unset_db, qtbot):
    from conftest import open_main_window

    from gui.main_window import FINDINGS, POLICY
    win = open_main_window(qtbot, unset_db, FINDINGS)
    page = win.findings
    rows = [r for r in page.model.rows() if r.code == "MISSING_POLICY_PARAM"]
    assert [r.setting for r in rows] == ["tuition_standard.普通高中"]
    row = rows[0]
    # the message and the tooltip name the parameter in Chinese, never its key or the code
    index = next(page.proxy.index(i, 0) for i in range(page.proxy.rowCount())
                 if page.source_row(page.proxy.index(i, 0)).id == row.id)
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    for text in (row.message, tip):
        assert "公办普通高中学费标准" in text and "tuition_standard" not in text and "MISSING_POLICY_PARAM" not in text
    page.view.doubleClicked.emit(index)
    assert win.current_page() == POLICY
    assert win.focusWidget() is win.policy.parameters.edits["tuition_standard.普通高中"]


def test_the_policy_page_names_and_explains_each_parameter(unset_db, qtbot):
    from conftest import open_main_window

    from gui.main_window import POLICY
    win = open_main_window(qtbot, unset_db, POLICY)
    panel = win.policy.parameters
    edit = panel.edits["tuition_standard.普通高中"]
    label = panel.form.labelForField(edit.parentWidget())
    assert label.text() == "公办普通高中学费标准"
    help_text = panel.helps["tuition_standard.普通高中"].text()
    assert "物价局" in help_text and "tuition_standard" not in help_text


def test_engine_and_cli_name_the_parameter(unset_db, capsys):
    from cli.commands import run
    unset_db.close()
    assert run(["--db", str(unset_db.path), "check"]) == 1
    out = capsys.readouterr().out
    assert "未设置公办普通高中学费标准" in out and "tuition_standard" not in out and "MISSING_POLICY_PARAM" not in out
    assert run(["--db", str(unset_db.path), "compute", "--json"]) == 0
    out = capsys.readouterr().out
    assert "未设置公办普通高中学费标准" in out and "tuition_standard" not in out


# -- 工作台: the campaign's next step ------------------------------------------------

STEP_TITLES = ["设置政策", "导入学生名单", "导入建档立卡名单", "运行核查", "处理问题", "核准", "告知书", "导出上报"]


def test_checklist_on_an_empty_database_says_what_to_do_first(db, qtbot):
    from conftest import open_main_window

    from db.store import init_school
    with db.session() as s:
        init_school(s, "城关第二中学", "4211", 2025)
    win = open_main_window(qtbot, db)
    page = win.dashboard
    steps = page.checklist.steps
    assert [s.title for s in steps] == STEP_TITLES
    assert [s.state for s in steps] == ["next"] + ["todo"] * 7
    assert "未设置公办普通高中学费标准" in page.checklist.details["policy"].text()
    assert page.checklist.details["students"].text() == "尚未导入"
    # no "未处理错误 0 / 1" or "0 / 0": nothing is measured before there is something to measure
    assert page.progress_box.isHidden()
    text = _texts(page)
    assert "0 / 1" not in text and "0 / 0" not in text
    for key in ("policy", "students", "roster", "check", "findings", "verify", "letters", "export"):
        assert page.checklist.buttons[key].isVisible() and page.checklist.buttons[key].isEnabled()


def test_each_step_is_one_click_away(unset_db, qtbot, monkeypatch):
    from conftest import open_main_window

    from gui.main_window import DASHBOARD, FINDINGS, LETTERS, POLICY, STUDENTS
    win = open_main_window(qtbot, unset_db)
    buttons = win.dashboard.checklist.buttons
    states = {s.key: s.state for s in win.dashboard.checklist.steps}
    assert states["policy"] == "next" and states["students"] == states["roster"] == "done"
    buttons["policy"].click()                    # 政策 at the parameter the students need
    assert win.current_page() == POLICY
    assert win.focusWidget() is win.policy.parameters.edits["tuition_standard.普通高中"]
    opened = []
    monkeypatch.setattr(win, "open_import", lambda kind, modal=True: opened.append(kind))
    buttons["students"].click()
    buttons["roster"].click()
    assert opened == ["students", "roster"]
    for key, page in (("findings", FINDINGS), ("verify", STUDENTS), ("letters", LETTERS)):
        win.show_page(DASHBOARD)
        buttons[key].click()
        assert win.current_page() == page, key
    ran = []
    monkeypatch.setattr(win.findings, "run", lambda: ran.append(True))
    win.show_page(DASHBOARD)
    buttons["check"].click()
    assert ran == [True] and win.current_page() == FINDINGS
    triggered = []
    win.action_collection.export.triggered.connect(lambda: triggered.append(True))
    win.show_page(DASHBOARD)
    buttons["export"].click()
    assert triggered == [True]


def test_checklist_follows_the_work(unset_db, qtbot, monkeypatch):
    """Setting the parameter on the 政策 page completes 设置政策; the next step moves on."""
    from conftest import open_main_window
    from test_gui_policy import save_parameter

    from gui.main_window import POLICY
    win = open_main_window(qtbot, unset_db, POLICY)
    save_parameter(win.policy, monkeypatch, "tuition_standard.普通高中", "1200")
    steps = {s.key: s for s in win.dashboard.checklist.steps}
    assert steps["policy"].done and steps["check"].done
    assert "上次核查" in steps["check"].detail
    nxt = win.dashboard.checklist.next_step()
    assert nxt is not None and nxt.key in ("findings", "verify")


def test_export_step_is_done_by_a_final_export_not_a_draft(clean_db, pw, tmp_path, capsys):  # noqa: F811
    from test_export_flow import HS, PRE

    from cli.commands import run
    from db.session import open_database
    from db.views import snapshot

    def export_step():
        d = open_database(clean_db)
        try:
            return next(s for s in snapshot(d).summary.steps if s.key == "export")
        finally:
            d.close()
    for idn in (HS, PRE):
        assert run(["--db", str(clean_db), "verify-student", idn]) == 0
    assert run(["--db", str(clean_db), "export", str(tmp_path / "d.zip"), "--draft",
                "--passphrase-file", str(pw)]) == 0
    assert not export_step().done and export_step().detail == "尚未正式导出"
    assert run(["--db", str(clean_db), "export", str(tmp_path / "f.zip"), "--passphrase-file", str(pw)]) == 0
    step = export_step()
    assert step.done and step.detail.startswith("已正式导出（")
    # letters printed and receipts back (weeks after the export, nothing the package says): still done
    assert run(["--db", str(clean_db), "letters", str(tmp_path / "l.pdf"), "--mark-printed"]) == 0
    d = open_database(clean_db)
    try:
        from db.usecases import record_receipts
        from db.views import students_with_id
        record_receipts(d, students_with_id(d, HS), True)
    finally:
        d.close()
    assert run(["--db", str(clean_db), "check"]) in (0, 1)
    assert export_step().done
    # a change after the export: the county's package no longer matches, the step says so
    assert run(["--db", str(clean_db), "unverify-student", HS]) == 0
    step = export_step()
    assert not step.done and step.detail.endswith("之后数据有改动：核准后请重新导出")
    assert run(["--db", str(clean_db), "verify-student", HS]) == 0
    assert not export_step().done                       # verified again, the package still the old one
    assert run(["--db", str(clean_db), "export", str(tmp_path / "g.zip"), "--passphrase-file", str(pw)]) == 0
    assert export_step().done
    capsys.readouterr()
