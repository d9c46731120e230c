"""Habits: export checks readiness before asking anything, asks the passphrase once (twice
only when the key is made), proposes a telling file name; file dialogs remember the last
folder; Qt's own texts are Chinese; 帮助 → 关于 and 打开日志文件夹."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import open_main_window
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog

from gui import dialogs
from gui.main_window import EXPORT

PASS = "school-secret-1"


@pytest.fixture
def win(qtbot, shown, demo_db):
    return open_main_window(qtbot, demo_db, EXPORT)


@pytest.fixture
def asked(win, tmp_path):
    """Record what the export page asks; answer with a target in tmp_path and PASS."""
    record: list[tuple[str, object]] = []
    page = win.export

    def target() -> Path:
        record.append(("target", page.state.package_name(page.draft.isChecked(), date.today())))
        return tmp_path / f"p{len(record)}.zip"

    def passphrase(first: bool) -> str:
        record.append(("passphrase", first))
        return PASS
    page.ask_target = target
    page.ask_passphrase = passphrase
    return record


def test_a_refused_final_export_asks_nothing(win, asked, shown):
    win.export.draft.setChecked(False)
    win.export.export()
    assert len(shown) == 1 and "还不能正式导出上报" in shown[0][0] and "未核准" in shown[0][0]
    shown.clear()
    assert asked == []                                       # neither a path nor a passphrase


def test_the_passphrase_is_asked_twice_only_when_the_key_is_made(win, asked, tmp_path):
    page = win.export
    page.draft.setChecked(True)
    page.export()
    assert [kind for kind, _ in asked] == ["target", "passphrase"] and asked[1] == ("passphrase", True)
    assert (tmp_path / "p1.zip").exists()
    asked.clear()
    page.export()                                            # the key exists now: asked once
    assert asked[1] == ("passphrase", False)


def test_the_package_name_tells_school_year_and_date(win, asked, tmp_path):
    win.export.draft.setChecked(True)
    win.export.export()
    name = asked[0][1]
    school = win.export.state
    assert name == (f"{school.school_code}-{school.school_name}-{school.school_year}–{school.school_year + 1}学年"
                    f"-上报包（草稿）-{date.today():%Y%m%d}.zip")
    assert school.school_code and school.school_name


def test_the_first_passphrase_is_typed_twice_and_checked(win, qtbot, monkeypatch):
    """The real question: a new key gets the two-field dialog, an existing key one field."""
    from PySide6.QtWidgets import QDialog, QInputDialog

    from gui.settings_view import NewPassphraseDialog
    seen: list[str] = []

    def new_exec(dialog):
        seen.append("twice")
        dialog.first.setText(PASS)
        dialog.again.setText(PASS)
        dialog.accept()
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(NewPassphraseDialog, "exec", new_exec)
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (seen.append("once") or PASS, True)))
    assert win.export.ask_passphrase(first=True) == PASS
    assert win.export.ask_passphrase(first=False) == PASS
    assert seen == ["twice", "once"]


def test_file_dialogs_remember_the_last_folder(qtbot, tmp_path, monkeypatch, shown):
    from core.recent import last_folder
    folders: list[str] = []
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    answers = iter([str(first / "名单.xlsx"), str(second / "公钥")])
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, title, folder, filters: (folders.append(folder) or next(answers), "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, title, folder, filters: (folders.append(folder) or next(answers), "")))
    monkeypatch.setattr(dialogs, "_last_folder", None)
    documents = tmp_path / "文档"
    documents.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", staticmethod(lambda _where: str(documents)))
    assert dialogs.ask_open_path(None, "选择文件") == first / "名单.xlsx"
    assert folders[0] == str(documents)           # nothing chosen yet: the Documents folder
    assert dialogs.ask_save_path(None, "导出公钥", "x-公钥.txt", "文本文件 (*.txt)") == second / "公钥.txt"
    assert folders[1] == str(first / "x-公钥.txt")          # opened where the last file was chosen
    assert last_folder() == second                           # kept for the next start
    dialogs.set_last_folder(last_folder())
    assert dialogs.start_folder() == second


@pytest.fixture
def chinese_qt(qapp):
    """Qt's own translations, as the program installs them at start."""
    from PySide6.QtCore import QCoreApplication

    from gui import app
    app.install_translations(qapp)
    yield
    while app._translators:
        QCoreApplication.removeTranslator(app._translators.pop())


def test_qt_standard_texts_are_chinese(chinese_qt, qtbot):
    from PySide6.QtWidgets import QDialogButtonBox, QLabel
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel | QDialogButtonBox.StandardButton.Open)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    dialog = QFileDialog(None, "打开")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)   # Qt's own dialog: its texts are Qt's
    qtbot.addWidget(dialog)
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("查找范围" in t for t in texts), texts
    assert any("文件类型" in t for t in texts) and not any("Look in" in t for t in texts)


def test_help_menu_about_and_log_folder(win, qtbot, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    from core.paths import data_dir, log_dir
    from core.version import program_version
    from gui import help as help_module
    menus = {a.text(): [b.text() for b in a.menu().actions() if b.text()] for a in win.menuBar().actions()}
    assert menus["帮助(&H)"] == ["用户手册", "打开日志文件夹", "关于资助助手"]
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    win.action_collection.open_logs.trigger()
    assert opened == [str(log_dir())] and log_dir().is_dir()
    about = help_module.show_about(win, modal=False)
    qtbot.addWidget(about)
    text = about.text.text()
    assert f"版本 {program_version()}" in text and "许可：" in text and "LGPL-3.0" in text
    assert str(data_dir()) in text and str(log_dir()) in text
    about.logs_button.click()
    assert opened == [str(log_dir())] * 2
    assert "第三方许可声明" in text
    about.notices_button.click()                   # (the worker runs inline in tests)
    notices = about.notices.view.toPlainText()
    assert about.notices.isVisible() and about.notices_button.isEnabled()
    assert "SQLAlchemy" in notices and "Permission is hereby granted" in notices and "olefile" in notices
    shown = about.notices
    about.notices_button.click()                   # again: the same window, not a second one
    assert about.notices is shown and len(about.findChildren(type(shown))) == 1


def test_without_a_documents_folder_file_dialogs_start_at_home(monkeypatch, tmp_path):
    monkeypatch.setattr(dialogs, "_last_folder", None)
    monkeypatch.setattr(QStandardPaths, "writableLocation", staticmethod(lambda _where: str(tmp_path / "无")))
    assert dialogs.start_folder() == Path.home()
    monkeypatch.setattr(QStandardPaths, "writableLocation", staticmethod(lambda _where: ""))
    assert dialogs.start_folder() == Path.home()
