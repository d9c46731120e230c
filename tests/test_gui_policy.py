"""GUI: the 政策 page — items (add, copy, edit, retire) through the form checked while typed,
parameters with their explanation, the 变更预览 before a new version, the versions."""
from __future__ import annotations

import pytest
from conftest import open_main_window, two_student_school
from sqlalchemy import select
from test_gui_screen import small_screen  # noqa: F401 - the fixture

from core.engine import Status
from db.models import Student
from db.session import open_database
from gui.main_window import POLICY, STUDENTS
from gui.policy_model import ITEM_COLUMNS

pytestmark = pytest.mark.usefixtures("shown")
NAME_COL = [c.header for c in ITEM_COLUMNS].index("名称")


@pytest.fixture
def school(tmp_path):
    d = open_database(two_student_school(tmp_path / "school.sqlite"))
    yield d
    d.close()


@pytest.fixture
def win(qtbot, school):
    return open_main_window(qtbot, school, POLICY)


@pytest.fixture
def page(win):
    return win.policy


@pytest.fixture
def confirm(page, monkeypatch):
    """The 变更预览 the page showed (the dialog is built, then confirmed with a note)."""
    from gui.policy_preview import PreviewDialog
    shown = []

    def answer(preview):
        dialog = PreviewDialog(preview, page)
        shown.append(dialog)
        return None if getattr(answer, "cancel", False) else "测试版本"
    monkeypatch.setattr(page, "confirm_preview", answer)
    answer.dialogs = shown
    return answer


def row_of(page, code):
    return page.model.position(code)


def select_item(page, code):
    assert page.select_code(code)


def names(page):
    return [page.model.row_at(r).name for r in range(page.model.rowCount())]


def student_id(db, name):
    with db.session() as s:
        return s.scalar(select(Student.id).where(Student.name == name))


def fill_transport(form):
    form.code.setText("TRANSPORT")
    form.name.setText("交通补助")
    form.stage_boxes["普通高中"].setChecked(True)
    form.kind.setCurrentIndex(form.kind.findData("fixed"))
    form.amount.setText("500")
    form.share_edits["city"].setText("30")
    form.share_edits["county"].setText("70")


# -- the table ----------------------------------------------------------------------

def test_the_page_lists_the_items_with_rule_shares_and_the_source_note(page, qtmodeltester):
    qtmodeltester.check(page.model)
    assert "学前教育资助" in names(page) and "免学费" in names(page)
    m = page.model
    pre = row_of(page, "PRESCHOOL")
    cols = {c.header: i for i, c in enumerate(ITEM_COLUMNS)}
    assert m.index(pre, cols["学段"]).data() == "学前教育"
    assert m.index(pre, cols["就读地"]).data() == "本地"
    assert "2022.00" in m.index(pre, cols["金额规则"]).data() and "※" in m.index(pre, cols["金额规则"]).data()
    assert m.index(pre, cols["市级"]).data() == "50%" and m.index(pre, cols["县级"]).data() == "50%"
    assert m.index(pre, cols["状态"]).data() == "在用"
    higher = row_of(page, "HIGHER_GRANT")
    assert m.index(higher, cols["市级"]).data() == "" and m.index(higher, cols["县级"]).data() == "100%"
    assert m.index(higher, cols["就读地"]).data() == "不限"
    assert m.index(row_of(page, "LOAN_AID"), cols["仅一次"]).data() == "是"
    # the seed's "2022" amounts: a note beside them, saying the source reads so
    assert "原文" in m.index(pre, cols["金额规则"]).data(0x0003)      # ToolTipRole
    assert page.notes.isVisibleTo(page) and "学前教育资助" in page.notes.text() and "原文" in page.notes.text()
    assert "HS_TUITION" not in page.notes.text() and "免学费" not in page.notes.text()
    assert not page.save_button.isEnabled() and page.pending.text() == "没有未保存的改动"


# -- the item form --------------------------------------------------------------------

def test_an_invalid_item_is_shown_under_its_field_and_ok_stays_disabled(page):
    form = page.add_item(modal=False)
    assert not form.ok_button.isEnabled()          # a blank name, no stage, no amount
    fill_transport(form)
    assert form.problems == [] and form.ok_button.isEnabled()
    form.code.setText("PRESCHOOL")                 # taken
    assert "已被“学前教育资助”使用" in form.problem_text("code") and not form.ok_button.isEnabled()
    form.code.setText("TRANSPORT")
    form.share_edits["county"].setText("60")       # 30 + 60
    assert "合计应为100%" in form.problem_text("shares") and not form.ok_button.isEnabled()
    assert form.share_total.text() == "合计 90%"
    form.share_edits["county"].setText("70")
    form.amount.setText("12.345")                  # not exact to the fen
    assert "两位小数" in form.problem_text("amount") and not form.ok_button.isEnabled()
    form.amount.setText("500")
    form.stage_boxes["普通高中"].setChecked(False)
    assert "至少选择一个学段" in form.problem_text("stages")
    form.stage_boxes["普通高中"].setChecked(True)
    form.amount.setText("abc")
    form.accept()                                  # refused: nothing reaches the draft
    assert form.result() == 0 and "TRANSPORT" not in [r.code for r in page.model.rows()]
    assert not page.is_modified()


def test_every_rule_kind_is_a_form(page):
    form = page.add_item(modal=False)
    fill_transport(form)
    form.kind.setCurrentIndex(form.kind.findData("per_stage"))
    form.stage_boxes["初中"].setChecked(True)
    assert form.rule_pages.currentIndex() == form.kind.currentIndex()
    assert form.stage_amounts["初中"].isVisibleTo(form) and not form.stage_amounts["小学"].isVisibleTo(form)
    assert "初中标准未填写" in form.problem_text("stage_amounts")
    form.stage_amounts["初中"].setText("1250")
    form.stage_amounts["普通高中"].setText("1500")
    assert form.problems == []
    assert form.draft().stage_amounts == (("初中", "1250"), ("普通高中", "1500"))
    form.kind.setCurrentIndex(form.kind.findData("fee_capped"))
    assert form.problems == [] and form.draft().cap == "tuition_standard" and form.draft().fee == "tuition"
    form.kind.setCurrentIndex(form.kind.findData("fee"))
    form.fee.setCurrentIndex(form.fee.findData("lodging"))
    assert form.draft().fee == "lodging" and form.draft().amount == ""
    # editing an item shows it as it is: the fee_capped 免学费
    form.reject()
    select_item(page, "HS_TUITION")
    edit = page.edit_item(modal=False)
    assert edit.kind.currentData() == "fee_capped" and edit.capped_fee.currentData() == "tuition"
    assert edit.stage_boxes["普通高中"].isChecked() and edit.stage_boxes["中职"].isChecked()
    assert edit.location_boxes["本地"].isChecked() and not edit.location_boxes["外地"].isChecked()
    assert edit.problems == []


def test_an_item_added_in_the_form_goes_into_the_draft_only(page, school):
    form = page.add_item(modal=False)
    fill_transport(form)
    form.ok_button.click()
    row = row_of(page, "TRANSPORT")
    assert row is not None and "未保存" in page.model.index(row, NAME_COL).data()
    assert page.is_modified() and page.save_button.isEnabled()
    assert "新增项目：交通补助" in page.pending.text()
    from db.settings import policy
    assert "TRANSPORT" not in [i.code for i in policy(school).all_items]     # nothing saved yet
    page.discard_button.click()
    assert row_of(page, "TRANSPORT") is None and not page.is_modified()


def test_retire_restore_and_copy(page):
    select_item(page, "HIGHER_GRANT")
    assert page.retire_button.text() == "停用"
    page.retire_button.click()
    assert page.draft.item("HIGHER_GRANT").retired and "HIGHER_GRANT" not in [i.code for i in page.draft.items]
    assert page.model.row_at(row_of(page, "HIGHER_GRANT")).status == "已停用"
    assert page.retire_button.text() == "恢复" and "停用项目" in page.pending.text()
    page.show_retired.setChecked(False)
    assert page.proxy.rowCount() == page.model.rowCount() - 1
    page.show_retired.setChecked(True)
    select_item(page, "HIGHER_GRANT")
    page.retire_button.click()
    assert not page.draft.item("HIGHER_GRANT").retired and not page.is_modified()
    form = page.copy_item(modal=False)
    assert form.code.text() != "HIGHER_GRANT" and "副本" in form.name.text() and form.problems == []
    form.ok_button.click()
    assert len(page.draft.items) == len(page.saved.items) + 1


def test_a_bad_parameter_is_shown_under_it_and_not_saved(page, win, shown):
    page.tabs.setCurrentIndex(1)
    edit = page.parameters.edits["tuition_standard.普通高中"]
    assert edit.text() == "1200.00"
    assert "学费标准见本县发改局" in page.parameters.helps["tuition_standard.普通高中"].text()
    note = page.parameters.notes["items.PRESCHOOL.amount"]
    assert note.isVisibleTo(page) and "原文" in note.text()
    assert not page.parameters.notes["items.HIGHER_GRANT.amount"].isVisibleTo(page)
    edit.setText("12.345")
    assert "两位小数" in page.parameters.problems["tuition_standard.普通高中"].text()
    page.save_button.setEnabled(True)
    page.save()
    assert page.tabs.currentIndex() == 1 and not page.is_modified()


# -- saving: 变更预览, then a new version -------------------------------------------------

def set_parameter(page, key, text):
    edit = page.parameters.edits[key]
    edit.setText(text)
    edit.editingFinished.emit()


def test_editing_an_amount_shows_the_preview_and_saves_a_new_version(page, win, school, confirm):
    from db.policy_versions import list_versions
    before = list_versions(school)
    select_item(page, "PRESCHOOL")
    form = page.edit_item(modal=False)
    form.amount.setText("2500")
    form.ok_button.click()
    assert "学前教育资助" in page.pending.text() and "2022.00" in page.pending.text()
    page.save_button.click()
    preview = confirm.dialogs[-1]
    # 李四 (学前教育) gains 478 yuan; IDs masked; totals per item and per source before/after
    rows = preview.students.rows()
    assert [(r.name, r.old_total, r.new_total) for r in rows] == [("李四", 202200, 250000)]
    assert "*" in rows[0].id_masked and len(rows[0].id_masked) == 18
    assert "学前教育资助：2022.00 元 → 2500.00 元" in rows[0].changes
    assert preview.students.index(0, 4).data() == "+478.00"
    items = {r.name: (r.old, r.new) for r in preview.items.rows()}
    assert items["学前教育资助"] == (202200, 250000) and items["免书本费"] == (20000, 20000)
    sources = {r.name: (r.old, r.new) for r in preview.sources.rows()}
    assert sources["市级"] == (sources["市级"][0], sources["市级"][0] + 23900)
    assert sources["县级"][1] - sources["县级"][0] == 23900
    assert sources["合计"][1] - sources["合计"][0] == 47800
    assert "1 名学生的资助结果会改变" in preview.summary.text() and "+478.00" in preview.summary.text()
    assert "学前教育资助" in preview.changes.toPlainText()
    # confirmed: a new version, active, with the note; the page shows it saved
    after = list_versions(school)
    assert len(after) == len(before) + 1 and after[0].active and after[0].note == "测试版本"
    assert not page.is_modified() and page.draft.item("PRESCHOOL").amount_fen == 250000
    assert after[0].label in page.title.text()
    assert page.versions.model.row_at(0).label == after[0].label
    assert "已保存为新版本" in page.pending.text()
    # the students page computed it
    win.show_page(STUDENTS)
    form = win.students.open_student(student_id(school, "李四"), modal=False)
    assert form.decisions.status_of("PRESCHOOL") is Status.GRANTED
    assert "标准 2500.00 元" in form.decisions.table.item(
        [d.code for d in form.decisions.decisions].index("PRESCHOOL"), 3).text()
    form.close()


def test_cancelling_the_preview_changes_nothing(page, school, confirm):
    from db.policy_versions import list_versions
    from db.settings import policy
    before, text = list_versions(school), policy(school).text
    set_parameter(page, "tuition_standard.普通高中", "800")
    assert page.is_modified()
    confirm.cancel = True
    page.save_button.click()
    assert confirm.dialogs and list_versions(school) == before and policy(school).text == text
    assert page.is_modified() and page.save_button.isEnabled()       # the draft is still there


def test_an_item_added_in_the_form_is_computed_with_its_explanation(page, win, school, confirm):
    form = page.add_item(modal=False)
    fill_transport(form)
    form.needs_application.setChecked(True)
    form.ok_button.click()
    page.save_button.click()
    preview = confirm.dialogs[-1]
    gained = [(r.name, r.new_total - r.old_total) for r in preview.students.rows() if r.new_total != r.old_total]
    assert gained == [("张丽", 50000)]
    assert {r.name: r.new - r.old for r in preview.sources.rows()} == {"市级": 15000, "县级": 35000, "合计": 50000}
    from db.settings import policy
    assert policy(school).item("TRANSPORT").amount_fen == 50000
    win.show_page(STUDENTS)
    form = win.students.open_student(student_id(school, "张丽"), modal=False)
    d = form.decisions
    assert d.status_of("TRANSPORT") is Status.GRANTED
    text = d.table.item([x.code for x in d.decisions].index("TRANSPORT"), 3).text()
    assert "标准 500.00 元" in text and "申请" in text and "学段为普通高中" in text
    form.close()


def test_a_change_says_who_goes_back_to_unverified(page, school, confirm):
    from db.usecases import verify
    from db.views import snapshot
    ids = [r.id for r in snapshot(school).students]
    verify(school, ids)
    set_parameter(page, "tuition_standard.普通高中", "800")        # 张丽's tuition 1000 -> capped at 800
    changed = []
    page.changed.connect(changed.append)
    page.save()
    preview = confirm.dialogs[-1]
    assert [r.name for r in preview.students.rows() if r.unverified] == ["张丽"]
    assert preview.students.index(0, 5).data() == "将改回待核准"
    assert "1 名已核准的学生将改回“待核准”" in preview.summary.text()
    assert "1 名已核准学生的资助结果因此改变，已改回待核准" in page.pending.text()
    from db.changes import Changes
    assert changed and changed[0] & Changes.POLICY and changed[0] & Changes.STUDENTS
    rows = {r.name: r for r in snapshot(school).students}
    assert not rows["张丽"].verified and rows["李四"].verified


def test_versions_are_readable_with_their_difference_to_the_current(page, school, confirm, qtmodeltester):
    panel = page.versions
    before = panel.model.rowCount()
    set_parameter(page, "items.HIGHER_GRANT.amount", "3500")
    page.save()
    page.tabs.setCurrentIndex(2)
    qtmodeltester.check(panel.model)
    assert panel.model.rowCount() == before + 1                 # the newest first
    old = panel.model.row_at(1)
    assert not old.active and panel.model.row_at(0).active
    assert panel.select((old.school_year, old.number))
    assert panel.shown is not None and panel.shown.item("HIGHER_GRANT").amount_fen == 300000
    diff = panel.diff.toPlainText()
    assert diff.startswith("从这个版本到当前版本") and "3000.00" in diff and "3500.00" in diff
    assert "本科生、硕士研究生资助" in diff
    assert panel.items_model.rowCount() == len(panel.shown.all_items)
    qtmodeltester.check(panel.items_model)
    current = panel.model.row_at(0)                            # the current one: what it changed
    assert panel.select((current.school_year, current.number))
    assert panel.shown.item("HIGHER_GRANT").amount_fen == 350000 and "当前使用的版本" in panel.heading.text()
    diff = panel.diff.toPlainText()
    assert f"与上一版（{old.label}）相比" in diff and "3000.00" in diff and "3500.00" in diff


def test_the_preview_models_pass_the_model_tester(page, confirm, qtmodeltester):
    set_parameter(page, "tuition_standard.普通高中", "800")
    page.save()
    preview = confirm.dialogs[-1]
    for model in (preview.students, preview.items, preview.sources):
        qtmodeltester.check(model)


def save_parameter(page, monkeypatch, key, text, note="测试"):
    """Type a parameter on the 政策 page and save it, confirming the 变更预览 (other tests use it)."""
    monkeypatch.setattr(page, "confirm_preview", lambda preview: note)
    set_parameter(page, key, text)
    page.save()


# -- 1024×768: the page, the form and the preview fit; the screenshots of the docs -----------

def test_the_policy_page_form_and_preview_fit_1024x768(small_screen, qtbot, demo_db, monkeypatch):  # noqa: F811
    import os
    from pathlib import Path

    from test_gui_screen import assert_fits

    from db.usecases import verify
    from db.views import snapshot
    verify(demo_db, [r.id for r in snapshot(demo_db).students], skip_blocked=True)   # some go back to 待核准
    win = open_main_window(qtbot, demo_db, POLICY)
    page = win.policy
    for tab in range(page.tabs.count()):
        page.tabs.setCurrentIndex(tab)
        assert_fits(win, qtbot, f"policy-tab-{tab}")
    page.tabs.setCurrentIndex(0)
    shots = os.environ.get("ZIZHU_DOC_SHOTS")       # docs/screenshots: policy-view.png, policy-preview.png
    if shots:
        win.resize(1024, 768)
        qtbot.wait(30)
        win.grab().save(str(Path(shots) / "policy-view.png"))
    form = page.add_item(modal=False)
    assert_fits(form, qtbot, "policy-item-form")
    form.kind.setCurrentIndex(form.kind.findData("per_stage"))
    for box in form.stage_boxes.values():
        box.setChecked(True)
    assert_fits(form, qtbot, "policy-item-form-per-stage")
    form.reject()
    dialogs = []

    def keep(preview):
        from gui.policy_preview import PreviewDialog
        dialog = PreviewDialog(preview, page)
        qtbot.addWidget(dialog)
        dialog.show()
        dialogs.append(dialog)
        return None
    monkeypatch.setattr(page, "confirm_preview", keep)
    set_parameter(page, "tuition_standard.普通高中", "1000")
    set_parameter(page, "items.PRESCHOOL.amount", "2500")
    page.save()
    assert dialogs and dialogs[0].students.rowCount() > 0 and "改回“待核准”" in dialogs[0].summary.text()
    assert_fits(dialogs[0], qtbot, "policy-preview")
    if shots:
        dialogs[0].grab().save(str(Path(shots) / "policy-preview.png"))


# -- 导入政策文件… / 导出政策文件… --------------------------------------------------------------

def answer_files(files, monkeypatch, path, kind="signed"):
    monkeypatch.setattr(files, "ask_export_kind", lambda: kind)
    monkeypatch.setattr(files, "ask_export_path", lambda signed: path)
    monkeypatch.setattr(files, "ask_import_path", lambda: path)
    monkeypatch.setattr(files, "ask_passphrase", lambda first: "bureau-secret-1")


def test_a_signed_policy_file_of_the_bureau_is_imported_at_a_school(qtbot, tmp_path, school, page, confirm,
                                                                     monkeypatch):
    from db.keys import export_public_key
    from db.policy_versions import list_versions
    from db.trust_store import read_key_file, register
    bureau_db = open_database(two_student_school(tmp_path / "bureau.sqlite"))
    try:
        bureau = open_main_window(qtbot, bureau_db, POLICY).policy
        save_parameter(bureau, monkeypatch, "tuition_standard.普通高中", "1100")
        answer_files(bureau.files, monkeypatch, tmp_path / "policy.zip")
        bureau.files.export_file()
        assert (tmp_path / "policy.zip").exists() and "已签名" in bureau.pending.text()
        export_public_key(bureau_db, tmp_path / "bureau.pub")
    finally:
        bureau_db.close()
    register(school, read_key_file(tmp_path / "bureau.pub", "建始县教育局"))
    before = list_versions(school)
    answer_files(page.files, monkeypatch, tmp_path / "policy.zip")
    monkeypatch.setattr(page.files, "confirm_unsigned", lambda check: pytest.fail("a signed file needs no question"))
    page.files.import_file()
    preview = confirm.dialogs[-1]
    assert "公办普通高中学费标准：1200.00 → 1100.00" in preview.changes.toPlainText()
    assert preview.students.rowCount() == 0        # 张丽 pays 1000 of tuition: under both standards
    after = list_versions(school)
    assert len(after) == len(before) + 1 and after[0].origin == "imported" and after[0].signer_fingerprint
    assert page.saved.parameters["tuition_standard"] and "已保存为新版本" in page.pending.text()


def test_an_unsigned_policy_file_needs_the_clerks_confirmation(tmp_path, school, page, confirm, monkeypatch):
    from core.policy import set_value
    from db.policy_versions import list_versions
    from db.settings import policy
    answer_files(page.files, monkeypatch, tmp_path / "plain.toml", kind="unsigned")
    page.files.export_file()                                            # 不签名导出: the TOML as stored
    assert (tmp_path / "plain.toml").read_text(encoding="utf-8") == policy(school).text
    (tmp_path / "plain.toml").write_text(set_value(policy(school).text, "学前教育资助标准", "2500"), encoding="utf-8")
    before, asked = list_versions(school), []
    monkeypatch.setattr(page.files, "confirm_unsigned", lambda check: asked.append(check.file.signed) or False)
    page.files.import_file()
    assert asked == [False] and not confirm.dialogs and list_versions(school) == before     # 取消: nothing
    monkeypatch.setattr(page.files, "confirm_unsigned", lambda check: True)
    page.files.import_file()
    assert confirm.dialogs and [r.name for r in confirm.dialogs[-1].students.rows()] == ["李四"]
    assert list_versions(school)[0].origin == "imported" and policy(school).item("PRESCHOOL").amount_fen == 250000


def test_a_tampered_policy_file_is_refused_with_its_reason(tmp_path, school, page, confirm, monkeypatch, shown):
    import zipfile

    from db.policy_versions import list_versions
    answer_files(page.files, monkeypatch, tmp_path / "own.zip")
    page.files.export_file()                                            # signed with the school's own key
    with zipfile.ZipFile(tmp_path / "own.zip") as zin, zipfile.ZipFile(tmp_path / "bad.zip", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data.replace(b'"2022.00"', b'"9022.00"') if info.filename == "policy.toml" else data)
    before = list_versions(school)
    answer_files(page.files, monkeypatch, tmp_path / "bad.zip")
    page.files.import_file()
    assert len(shown) == 1 and "校验失败" in shown[0][0]
    shown.clear()
    assert not confirm.dialogs and list_versions(school) == before


def test_the_title_is_the_policy_as_the_documents_print_it(page):
    """Not the bundled file's own name ("（程序自带的默认参数）", untrue once a parameter changed): the
    title 设置 shows and the letters print (two_student_school's county is 建始县)."""
    text = page.title.text()
    assert text.startswith("当前政策：建始县教育扶贫“百日攻坚”资助政策（") and "程序自带" not in text
