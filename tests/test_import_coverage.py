"""Issue 9 (a): a student list headed "家庭经济困难类别" lost every student's category.
Common header synonyms are recognised; a preview (CLI and wizard) warns when an important
optional column is missing; the 工作台's 告知书 step is not "done" on a list with no student
in hardship."""
from datetime import date

import pytest
from conftest import xlsx

from cli.commands import run
from core.campaign import CampaignFacts, campaign_steps
from core.domain import Stage
from core.idnumber import make_id
from core.importers.coverage import missing_column_warnings
from core.policy import default_policy
from core.records import STUDENT_COLUMNS
from core.text import header_key

ID_HS1 = make_id("110101", date(2007, 3, 1), 201)
ID_HS2 = make_id("110101", date(2008, 4, 2), 202)
ID_UNI = make_id("110101", date(2003, 3, 1), 203)


@pytest.fixture
def walkthrough_file(tmp_path):
    """The headers of the walkthrough's workbook."""
    return xlsx(tmp_path / "名单.xlsx",
                ["姓名", "身份证号", "学段", "家庭经济困难类别", "是否办理生源地贷款", "合同编号", "户主",
                 "实收学费", "实收书本费", "实收住宿费"],
                ["张三", ID_HS1, "普通高中", "脱贫户", "否", "", "张大", 1200, 300, 200],
                ["李四", ID_HS2, "普通高中", "非困难", "否", "", "李大", 1200, 300, 200],
                ["王五", ID_UNI, "本科", "监测户", "是", "HT-2023-01", "王大", None, None, None])


def test_common_header_synonyms_are_recognised(db, walkthrough_file):
    from db.workflows import preview_import
    parsed = preview_import(db, "students", walkthrough_file).parsed
    assert {"category", "has_loan", "loan_contract_no", "head_name"} <= parsed.mapping.columns.keys()
    assert parsed.unknown_headers == []
    # (its 本科 students may study part-time: the list without that column is said so, and only that)
    assert [w.split("：")[0] for w in parsed.warnings] == ["没有识别到“是否全日制正式学籍”列"]
    values = {r.values["name"]: r.values for r in parsed.rows}
    assert values["张三"]["category"] == "REGISTERED" and values["王五"]["category"] == "OTHER_HARDSHIP"
    assert values["王五"]["has_loan"] is True and values["王五"]["loan_contract_no"] == "HT-2023-01"
    assert values["张三"]["head_name"] == "张大"


@pytest.mark.parametrize("header, field", [
    ("家庭经济困难类别", "category"), ("困难类别", "category"), ("家庭困难类型", "category"),
    ("资助对象类别", "category"), ("是否办理生源地贷款", "has_loan"), ("是否贷款", "has_loan"),
    ("生源地贷款", "has_loan"), ("合同编号", "loan_contract_no"), ("贷款合同号", "loan_contract_no"),
    ("户主", "head_name")])
def test_each_synonym_names_its_field(header, field):
    known = {header_key(t): c.field for c in STUDENT_COLUMNS for t in (c.header, *c.synonyms)}
    assert known[header_key(header)] == field


def test_no_header_text_is_claimed_by_two_fields():
    owners: dict[str, str] = {}
    for c in STUDENT_COLUMNS:
        for text in (c.header, *c.synonyms):
            assert owners.setdefault(header_key(text), c.field) == c.field, text


def test_warnings_name_the_missing_important_columns():
    policy = default_policy()
    hs = missing_column_warnings(policy, {"name", "id_number", "stage"}, {Stage.HIGH_SCHOOL})
    assert hs[0].startswith("没有识别到“家庭类别”列：文件中的学生将全部按“非困难”处理")
    assert "请把它的表头改为“家庭类别”后重新导入" in hs[0] and "导入向导中也可以在列对应中指定它" in hs[0]
    assert any(w.startswith("没有识别到“实收学费”列：“") and "待补充" in w for w in hs)
    assert not any("生源地助学贷款" in w for w in hs)          # no loan item for 普通高中
    uni = missing_column_warnings(policy, {"name", "id_number", "stage", "category"}, {Stage.UNDERGRADUATE})
    assert len(uni) == 2 and uni[0].startswith("没有识别到“是否全日制正式学籍”列：文件中的学生将全部按“全日制正式学籍”处理")
    assert uni[1].startswith("没有识别到“生源地助学贷款”列") and "不会核定" in uni[1]
    assert not any("全日制" in w for w in hs)                 # a 普通高中's pupils are full-time
    # a primary school's list needs only the category; a complete list needs nothing
    assert len(missing_column_warnings(policy, {"stage"}, {Stage.PRIMARY})) == 1
    complete = {"category", "full_time", "has_loan", "tuition", "textbook", "lodging"}
    assert missing_column_warnings(policy, complete, set(Stage)) == []


def test_cli_preview_warns_about_a_missing_category_column(tmp_path, capsys):
    dbp = tmp_path / "c.sqlite"
    assert run(["--db", str(dbp), "init", "--school", "第一中学", "--code", "4115", "--school-year", "2023"]) == 0
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭经济情况"],
                ["张三", ID_HS1, "普通高中", "脱贫户"])
    capsys.readouterr()
    assert run(["--db", str(dbp), "import", "students", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "注意：没有识别到“家庭类别”列：文件中的学生将全部按“非困难”处理" in out
    assert "注意：没有识别到“实收学费”列" in out


def test_wizard_preview_warns_and_the_mapping_clears_it(qtbot, db, tmp_path, shown):
    from conftest import open_main_window
    from PySide6.QtWidgets import QWizard

    from db.store import init_school
    with db.session() as s:
        init_school(s, "第一中学", "4115", 2023)
    win = open_main_window(qtbot, db)
    path = xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭经济情况", "实收学费", "实收书本费", "实收住宿费"],
                ["张三", ID_HS1, "普通高中", "脱贫户", 1200, 300, 200])
    wiz = win.open_import("students", modal=False)
    qtbot.addWidget(wiz)
    wiz.file_page.path_edit.setText(str(path))
    wiz.button(QWizard.WizardButton.NextButton).click()
    page = wiz.preview_page
    assert "注意：有 1 个重要的列没有识别到" in page.status.text()
    assert page.details.toPlainText().startswith("注意：没有识别到“家庭类别”列")
    page.mapping.pick(3, "category")
    page.refresh_button.click()
    assert "注意" not in page.status.text() and "家庭类别 ← “家庭经济情况”（D列）" in page.details.toPlainText()
    wiz.close()


# ---------------------------------------------------------------- the 告知书 step

def letters(facts):
    step = next(s for s in campaign_steps(facts) if s.key == "letters")
    return step.done, step.detail


def test_letters_step_nobody_subsidised():
    base = dict(students=30, roster=10, checked_at="2026-04-01 10:00", verified=30)
    done, detail = letters(CampaignFacts(**base))                    # every student 非困难
    assert not done and "家庭类别" in detail and "不需要告知书" not in detail
    done, detail = letters(CampaignFacts(**base | {"checked_at": ""}, hardship=3))
    assert not done and "运行核查" in detail
    assert letters(CampaignFacts(**base, hardship=3)) == (True, "没有享受资助的学生，不需要告知书")
    assert letters(CampaignFacts(**base, letters_due=4, letters_printed=4)) == (True, "已打印 4 / 4 份")


def test_a_list_imported_without_its_category_column_does_not_finish_the_letters(db, tmp_path):
    from db.store import init_school
    from db.usecases import check
    from db.views import snapshot
    from db.workflows import run_import
    with db.session() as s:
        init_school(s, "第一中学", "4115", 2023)
    lost = xlsx(tmp_path / "lost.xlsx", ["姓名", "身份证号", "学段", "家庭经济情况", "实收书本费"],
                ["张三", ID_HS1, "普通高中", "脱贫户", 300], ["李四", ID_HS2, "普通高中", "非困难", 300])
    run_import(db, "students", lost)
    check(db)
    steps = {s.key: s for s in snapshot(db).summary.steps}
    assert snapshot(db).summary.granted_students == 0
    assert not steps["letters"].done and "家庭类别" in steps["letters"].detail
    # the same list with its category column recognised: somebody is subsidised
    found = xlsx(tmp_path / "found.xlsx", ["姓名", "身份证号", "学段", "家庭经济困难类别", "实收书本费"],
                 ["张三", ID_HS1, "普通高中", "脱贫户", 300], ["李四", ID_HS2, "普通高中", "非困难", 300])
    run_import(db, "students", found)
    summary = snapshot(db).summary
    assert summary.granted_students == 1
    assert next(s for s in summary.steps if s.key == "letters").detail == "已打印 0 / 1 份"


def test_letters_page_shows_a_dash_for_a_missing_head_of_household(db, tmp_path, qapp):
    """Issue 9 (b): a file without 户主 leaves 家长 "—" (with a tooltip), not an empty cell."""
    from PySide6.QtCore import Qt

    from db.store import init_school
    from db.views import snapshot
    from db.workflows import run_import
    from gui.letters_view import LettersModel
    with db.session() as s:
        init_school(s, "第一中学", "4115", 2023)
    run_import(db, "students", xlsx(tmp_path / "s.xlsx", ["姓名", "身份证号", "学段", "家庭类别", "实收书本费"],
                                    ["张三", ID_HS1, "普通高中", "脱贫户", 300]))
    model = LettersModel()
    model.set_rows(snapshot(db).letters)
    col = [c.header for c in model.COLUMNS].index("家长")
    assert model.data(model.index(0, col)) == "—"
    assert "没有填写" in model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
