# ruff: noqa: F811 - the fixture imported from another test module is the test functions' argument
"""政策 › 导入政策文件… and 政策参数, as a reviewer found them: the 变更预览 of an imported file says
who signed it, for which school year, which version; a parameter value being typed is an unsaved
change at once (保存为新版本… and 放弃改动 enabled, the pending line says it), a bad one is never
saved silently; a file identical to the policy in use is said so, with no preview and nothing saved."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_main_window, two_student_school
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLabel
from test_gui_screen import assert_fits, small_screen  # noqa: F401 - the fixture

from core.domain import school_year_label
from core.policy import parameters_of, set_value
from db.keys import export_public_key
from db.policy_files import export_policy
from db.policy_versions import list_versions, save_version
from db.session import open_database
from db.settings import policy
from db.trust_store import read_key_file, register
from gui.main_window import POLICY
from gui.policy_view import PARAMETERS_TAB

pytestmark = pytest.mark.usefixtures("shown")
KEY = "tuition_standard.普通高中"
BUREAU = "建始县教育局"


@pytest.fixture
def school(tmp_path):
    d = open_database(two_student_school(tmp_path / "school.sqlite"))
    yield d
    d.close()


@pytest.fixture
def page(qtbot, school):
    return open_main_window(qtbot, school, POLICY).policy


def bureau_file(tmp_path, school) -> tuple[Path, int]:
    """A signed policy file of the bureau (普通高中 学费标准 1100) whose key ``school`` trusts, and
    the number of the bureau's version it carries."""
    bureau = open_database(two_student_school(tmp_path / "bureau.sqlite"))
    try:
        save_version(bureau, set_value(policy(bureau).text, KEY, "1100"), "县文件")
        exported = export_policy(bureau, tmp_path / "policy.zip", True, "bureau-secret-1")
        export_public_key(bureau, tmp_path / "bureau.pub")
    finally:
        bureau.close()
    register(school, read_key_file(tmp_path / "bureau.pub", BUREAU))
    assert exported.version is not None
    return exported.path, exported.version.number


def shown_previews(monkeypatch, qtbot, accept=False):
    """The 变更预览 dialogs the page really builds (``PolicyPage.confirm_preview``), checked to fit
    1024×768 while shown, then answered 取消 (or 确认保存 with ``accept``)."""
    from gui.policy_preview import PreviewDialog
    dialogs = []

    def run(dialog):
        qtbot.addWidget(dialog)
        dialog.show()
        assert_fits(dialog, qtbot, "policy-import-preview")
        dialogs.append([label.text() for label in dialog.findChildren(QLabel) if label.isVisible()])
        return QDialog.DialogCode.Accepted if accept else QDialog.DialogCode.Rejected
    monkeypatch.setattr(PreviewDialog, "exec", run)
    return dialogs


def import_file(page, monkeypatch, path, unsigned=True):
    monkeypatch.setattr(page.files, "ask_import_path", lambda: path)
    monkeypatch.setattr(page.files, "confirm_unsigned", lambda check: unsigned)


# -- 1: the preview of an imported file says where it comes from ---------------------------------

def test_the_preview_of_a_signed_file_says_who_signed_it_for_which_year_and_version(
        small_screen, qtbot, tmp_path, school, page, monkeypatch):
    path, number = bureau_file(tmp_path, school)
    dialogs = shown_previews(monkeypatch, qtbot)
    import_file(page, monkeypatch, path, unsigned=False)
    before = list_versions(school)
    page.files.import_file()
    assert len(dialogs) == 1
    first = dialogs[0][0]                                   # the top line of the dialog
    assert first.startswith("文件来源：") and "签名有效" in first and BUREAU in first
    assert f"{school_year_label(2023)} 第{number}版" in first
    assert list_versions(school) == before                  # 取消: nothing saved


def test_the_preview_of_an_unsigned_file_says_it_is_not_signed(small_screen, qtbot, tmp_path, school, page,
                                                               monkeypatch):
    plain = tmp_path / "plain.toml"
    plain.write_text(set_value(policy(school).text, "学前教育资助标准", "2500"), encoding="utf-8")
    dialogs = shown_previews(monkeypatch, qtbot, accept=True)
    import_file(page, monkeypatch, plain)
    page.files.import_file()
    assert len(dialogs) == 1 and dialogs[0][0].startswith("文件来源：未签名的政策文件")
    assert list_versions(school)[0].origin == "imported"


# -- 2: a value being typed is an unsaved change ---------------------------------------------------

def type_value(page, text):
    page.tabs.setCurrentIndex(PARAMETERS_TAB)
    edit = page.parameters.edits[KEY]
    edit.selectAll()
    QTest.keyClicks(edit, text)                             # typed: no Enter, no Tab
    return edit


def test_a_typed_value_enables_save_and_discard_before_enter(school, page, monkeypatch):
    monkeypatch.setattr(page, "confirm_preview", lambda preview: "输入中保存")
    assert not page.save_button.isEnabled() and not page.discard_button.isEnabled()
    type_value(page, "2000")
    assert page.has_unsaved() and not page.is_modified()
    assert page.save_button.isEnabled() and page.discard_button.isEnabled()
    pending = page.pending.text()
    assert pending.startswith("未保存的改动：") and "1200.00 → 2000.00" in pending
    page.discard()                                          # 放弃改动: back to the saved value
    assert not page.has_unsaved() and page.pending.text() == "没有未保存的改动"
    assert not page.save_button.isEnabled() and not page.discard_button.isEnabled()
    type_value(page, "2000")
    QTest.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert list_versions(school)[0].note == "输入中保存"
    assert {p.key: p.fen for p in parameters_of(policy(school))}[KEY] == 200000
    assert not page.has_unsaved() and not page.save_button.isEnabled()


def test_a_bad_typed_value_is_shown_and_never_saved(school, page, monkeypatch):
    monkeypatch.setattr(page, "confirm_preview", lambda preview: pytest.fail("a bad value has no preview"))
    before = list_versions(school)
    edit = type_value(page, "12.345")
    assert page.has_unsaved() and page.discard_button.isEnabled()
    assert "填写有误" in page.pending.text()
    page.save()                                             # refused: the problem under the field
    problem = page.parameters.problems[KEY]
    assert not problem.isHidden() and "两位小数" in problem.text()
    assert page.tabs.currentIndex() == PARAMETERS_TAB and list_versions(school) == before
    assert edit.text() == "12.345" and page.has_unsaved()


# -- 3: a file identical to the policy in use ---------------------------------------------------------

def test_the_policy_in_use_imported_again_is_said_to_be_the_same_and_nothing_is_saved(tmp_path, school, page,
                                                                                     monkeypatch):
    monkeypatch.setattr(page, "confirm_preview", lambda preview: pytest.fail("no preview: nothing changes"))
    before = list_versions(school)
    plain = export_policy(school, tmp_path / "same.toml").path
    signed = export_policy(school, tmp_path / "same.zip", True, "school-secret-1").path
    for path in (plain, signed):
        import_file(page, monkeypatch, path, unsigned=False)   # an unsigned one is not even asked about
        page.files.import_file()
        text = page.pending.text()
        assert "与当前使用的政策" in text and "完全相同" in text and "没有保存新版本" in text
        assert "注释或格式" not in text
    assert list_versions(school) == before


def test_a_file_differing_only_in_a_comment_still_shows_its_preview(tmp_path, school, page, monkeypatch):
    previews = []
    monkeypatch.setattr(page, "confirm_preview", lambda preview: previews.append(preview))
    commented = tmp_path / "commented.toml"
    commented.write_text(policy(school).text + "\n# 县文件附注\n", encoding="utf-8")
    import_file(page, monkeypatch, commented)
    page.files.import_file()
    from gui.policy_preview import changes_text
    assert len(previews) == 1 and previews[0].changed and changes_text(previews[0]) == "只有注释或格式不同。"
