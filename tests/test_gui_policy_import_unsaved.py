"""政策 › 导入政策文件… while the page holds unsaved changes: the clerk is asked first (保存 / 不保存 /
取消), as when leaving the page; before, the import replaced the draft without a question."""
from __future__ import annotations

import pytest
from conftest import open_main_window, two_student_school

from core.policy import set_value
from db.policy_versions import list_versions
from db.session import open_database
from db.settings import policy
from gui.main_window import POLICY

FIELD = "tuition_standard.普通高中"


@pytest.fixture
def typed(qtbot, shown, tmp_path, monkeypatch):
    """The 政策 page with 普通高中 学费标准 typed as 1300 (not saved), a plain file raising 学前 to 2500
    ready to import; the questions asked are recorded, answered by ``page.answer``."""
    db = open_database(two_student_school(tmp_path / "school.sqlite"))
    win = open_main_window(qtbot, db, POLICY)
    page = win.policy
    source = tmp_path / "plain.toml"
    source.write_text(set_value(policy(db).text, "学前教育资助标准", "2500"), encoding="utf-8")
    page.asked, page.answer, page.paths = [], "cancel", []
    monkeypatch.setattr(page, "ask_unsaved", lambda: page.asked.append(1) or page.answer)
    monkeypatch.setattr(page.files, "ask_import_path", lambda: page.paths.append(1) or source)
    monkeypatch.setattr(page.files, "confirm_unsigned", lambda check: True)
    monkeypatch.setattr(page, "confirm_preview", lambda preview: "县文件")
    edit = page.parameters.edits[FIELD]
    edit.setText("1300")
    edit.editingFinished.emit()
    assert page.has_unsaved()
    yield page
    win.close()
    db.close()


def test_cancel_keeps_the_draft_and_imports_nothing(typed):
    before = len(list_versions(typed.db))
    typed.files.import_file()
    assert typed.asked == [1] and typed.paths == []             # no file asked for
    assert typed.parameters.edits[FIELD].text() == "1300.00" and typed.has_unsaved()
    assert len(list_versions(typed.db)) == before


def test_discard_drops_the_draft_then_imports(typed):
    before = len(list_versions(typed.db))
    typed.answer = "discard"
    typed.files.import_file()
    assert typed.asked == [1] and typed.paths == [1]
    assert len(list_versions(typed.db)) == before + 1 and not typed.has_unsaved()
    assert "2500" in policy(typed.db).text and typed.parameters.edits[FIELD].text() != "1300.00"


def test_save_keeps_the_typed_value_as_a_version_then_imports(typed, qtbot):
    before = len(list_versions(typed.db))
    typed.answer = "save"
    typed.files.import_file()
    qtbot.waitUntil(lambda: typed.paths == [1])                 # the import goes on once saved
    assert typed.asked == [1]
    versions = list_versions(typed.db)
    assert len(versions) == before + 2                          # the typed change, then the file
    assert "2500" in policy(typed.db).text
