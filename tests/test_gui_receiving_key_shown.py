# ruff: noqa: F811 - the fixtures imported from other test modules are the test functions' arguments
"""The receiver's signing key, made by its first signed export (汇总包 or 反馈包), reaches 设置 at once:
the export's result carries ``Changes.SETTINGS`` and the page passes it on (before, 设置 kept saying
尚未生成 and 导出公钥… stayed disabled until the program was restarted)."""
from __future__ import annotations

from conftest import open_main_window
from receiving_fixtures import STATION_PASSPHRASE, receiver_db, two_kid_school
from test_gui_receiving import drop, drop_twins, page, schools, station  # noqa: F401 - fixtures
from test_gui_receiving_detail import exporting  # noqa: F401 - the fixture

from db import trust_store
from db.changes import Changes
from db.session import open_database
from db.settings import load_settings
from gui.main_window import SETTINGS
from gui.receiving.feedback_dialog import FeedbackChoice


def test_the_first_consolidated_export_shows_the_new_key_in_settings(qtbot, shown, tmp_path, monkeypatch):
    a = two_kid_school(tmp_path)
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    try:
        trust_store.register(d, trust_store.read_key_file(a.key_file, a.name), "")
        win = open_main_window(qtbot, d)
        page = win.receiving
        monkeypatch.setattr(page, "show_intake_result", lambda report: None)
        monkeypatch.setattr(page, "show_done", lambda title, text: None)
        page.take_in([a.path])
        assert not win.settings.export_key_button.isEnabled()          # no key yet
        monkeypatch.setattr(page, "ask_save", lambda title, name, filters: tmp_path / "汇总包.zip")
        monkeypatch.setattr(page, "ask_passphrase", lambda first: STATION_PASSPHRASE)
        page.export_button.click()
        stored = load_settings(d).fingerprint
        win.show_page(SETTINGS)
        assert stored and win.settings.fingerprint.text() == stored
        assert win.settings.export_key_button.isEnabled()
        win.close()
    finally:
        d.close()


def test_feedback_and_consolidated_exports_report_the_key_change(exporting, station, schools, qtbot, tmp_path,
                                                                monkeypatch):
    p = exporting
    emitted: list[Changes] = []
    p.changed.connect(emitted.append)
    folder = tmp_path / "反馈"
    folder.mkdir()
    monkeypatch.setattr(p, "ask_feedback_folder", lambda: folder)
    monkeypatch.setattr(p, "ask_feedback_schools", lambda offered: FeedbackChoice())
    drop_twins(qtbot, p, station, schools, tmp_path)
    emitted.clear()
    p.feedback_button.click()
    assert list(folder.iterdir()) and any(c & Changes.SETTINGS for c in emitted)
    emitted.clear()
    p.export_button.click()
    assert p.done and any(c & Changes.SETTINGS for c in emitted)
