"""Replacing the signing key when the passphrase is lost: the use case (db/keys.py), the
CLI (`key new`) and the 设置 buttons (导出公钥… / 更换签名密钥…)."""
import zipfile

import pytest
from sqlalchemy import select

from cli.commands import run
from core import signing
from core.errors import ValidationError
from db import store
from db.backup import list_backups
from db.keys import (
    PRIVATE_KEY,
    PUBLIC_KEY,
    REPLACE_CONSEQUENCES,
    RETIRED,
    ensure_key,
    key_file_name,
    public_key,
    public_key_line,
    replace_key,
    retired_keys,
)
from db.models import AuditEntry
from db.session import open_database

OLD = "old-口令-2025"
NEW = "new-口令-2026"


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch):
    monkeypatch.setattr(signing, "SCRYPT_N", 2 ** 10)


def pw_file(tmp_path, name, passphrase):
    path = tmp_path / name
    path.write_text(passphrase + "\n", encoding="utf-8")
    return path


def last_fingerprint(out: str) -> str:
    return [line for line in out.splitlines() if "指纹" in line][-1].split("：")[-1].strip()


@pytest.fixture
def school(tmp_path, capsys):
    """A demo school with a key, a package signed with it and its exported public key."""
    db = tmp_path / "school.sqlite"
    assert run(["--db", str(db), "demo", "--students", "12"]) == 0
    old_pkg, old_pub = tmp_path / "before.zip", tmp_path / "old-key.txt"
    assert run(["--db", str(db), "export", str(old_pkg), "--draft",
                "--passphrase-file", str(pw_file(tmp_path, "old.txt", OLD))]) == 0
    assert run(["--db", str(db), "key", "export", str(old_pub)]) == 0
    assert run(["--db", str(db), "key", "show"]) == 0
    old_fp = last_fingerprint(capsys.readouterr().out)
    return {"db": db, "old_pkg": old_pkg, "old_pub": old_pub, "old_fp": old_fp}


def key_settings(path):
    d = open_database(path)
    try:
        with d.session() as s:
            notes = [e.new for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "key"))]
            return (store.get_setting(s, PRIVATE_KEY), store.get_setting(s, PUBLIC_KEY),
                    retired_keys(s), notes)
    finally:
        d.close()


# -- the use case -------------------------------------------------------------
def test_replace_key_keeps_the_old_key_and_old_packages_still_verify(school, tmp_path, capsys):
    before_private, before_public, _, _ = key_settings(school["db"])
    d = open_database(school["db"])
    with d.session() as s:
        new_fp = replace_key(s, NEW, actor="测试")             # no old passphrase needed
        line = public_key_line(s)
    d.close()
    assert new_fp != school["old_fp"]
    private, public, retired, notes = key_settings(school["db"])
    assert private != before_private and public != before_public
    assert [r.fingerprint for r in retired] == [school["old_fp"]]
    assert retired[0].retired_at and "code=" in retired[0].public_line      # still bound to the school
    assert signing.fingerprint(signing.parse_public_key_text(retired[0].public_line)) == school["old_fp"]
    assert f"更换签名密钥：旧指纹 {school['old_fp']} → 新指纹 {new_fp}" in notes
    assert signing.fingerprint(signing.parse_public_key_text(line)) == new_fp

    # a package exported after the change carries the new key and verifies with --db
    new_pkg = tmp_path / "after.zip"
    assert run(["--db", str(school["db"]), "export", str(new_pkg), "--draft",
                "--passphrase-file", str(pw_file(tmp_path, "new.txt", NEW))]) == 0
    capsys.readouterr()
    assert run(["--db", str(school["db"]), "verify", str(new_pkg)]) == 0
    out = capsys.readouterr().out
    assert "校验通过" in out and new_fp in out and school["old_fp"] not in out
    with zipfile.ZipFile(new_pkg) as zf:
        assert signing.fingerprint(signing.parse_public_key_text(zf.read("signer.pub").decode())) == new_fp

    # the database no longer trusts its retired key, but says what it is
    assert run(["--db", str(school["db"]), "verify", str(school["old_pkg"])]) == 1
    out = capsys.readouterr().out
    assert "签名人未知" in out and "停用的旧签名密钥" in out and "--trust" in out and school["old_fp"] in out
    # a package exported before the change still verifies where the old key is registered ...
    assert run(["verify", str(school["old_pkg"]), "--trust", str(school["old_pub"])]) == 0
    assert "校验通过" in capsys.readouterr().out
    # ... but the old key line does not vouch for the new key
    assert run(["verify", str(new_pkg), "--trust", str(school["old_pub"])]) == 1
    # the old passphrase no longer signs anything
    assert run(["--db", str(school["db"]), "export", str(tmp_path / "x.zip"), "--draft",
                "--passphrase-file", str(tmp_path / "old.txt")]) == 2
    assert "口令不正确" in capsys.readouterr().err


def test_second_replacement_keeps_both_old_keys(db):
    from db.store import init_school
    with db.session() as s:
        init_school(s, "第一中学", "3601010001", 2025)
        first = signing.fingerprint(ensure_key(s, OLD)[1])
        second = replace_key(s, NEW)
        third = replace_key(s, NEW + "-3")
        assert [r.fingerprint for r in retired_keys(s)] == [first, second]
        assert signing.fingerprint(public_key(s)) == third
        assert len({first, second, third}) == 3


def test_bad_new_passphrase_changes_nothing(db):
    with db.session() as s:
        from db.store import init_school
        init_school(s, "第一中学", "3601010001", 2025)
        ensure_key(s, OLD)
        before = (store.get_setting(s, PRIVATE_KEY), store.get_setting(s, PUBLIC_KEY))
    for bad in ("   \t  ", "short"):
        with db.session() as s, pytest.raises(ValidationError) as info:
            replace_key(s, bad)
        assert "口令" in info.value.message
    with db.session() as s:
        assert (store.get_setting(s, PRIVATE_KEY), store.get_setting(s, PUBLIC_KEY)) == before
        assert store.get_setting(s, RETIRED) is None


def test_damaged_history_is_kept_not_dropped(db):
    from db.store import init_school
    with db.session() as s:
        init_school(s, "第一中学", "3601010001", 2025)
        ensure_key(s, OLD)
        store.put_setting(s, RETIRED, "not json")
        replace_key(s, NEW)
        retired = retired_keys(s)
    assert retired[0].public_line == "not json" and len(retired) == 2 and retired[1].fingerprint


def test_key_file_name_is_a_safe_file_name():
    assert key_file_name("3601010001", "第一中学") == "3601010001-第一中学-公钥.txt"
    assert key_file_name("36/01", '一中:"分校"') == "36_01-一中__分校_-公钥.txt"
    assert key_file_name(None, "") == "公钥.txt"


# -- CLI ----------------------------------------------------------------------
def test_cli_key_new_refused_without_yes(school, tmp_path, capsys):
    before = key_settings(school["db"])
    assert run(["--db", str(school["db"]), "key", "new",
                "--passphrase-file", str(pw_file(tmp_path, "new.txt", NEW))]) == 2
    err = capsys.readouterr().err
    assert "--yes" in err and "接收单位" in err and "仍然有效" in err
    assert key_settings(school["db"]) == before


def test_cli_key_new_with_yes(school, tmp_path, capsys):
    backups = len(list_backups(school["db"]))
    assert run(["--db", str(school["db"]), "key", "new", "--yes",
                "--passphrase-file", str(pw_file(tmp_path, "new.txt", NEW))]) == 0
    out = capsys.readouterr().out
    new_fp = last_fingerprint(out.splitlines()[0])
    assert new_fp != school["old_fp"] and len(new_fp) == 39
    assert "key export" in out and "接收单位" in out
    assert len(list_backups(school["db"])) == backups + 1            # the old key is in a backup too
    assert run(["--db", str(school["db"]), "key", "show"]) == 0
    shown = capsys.readouterr().out
    assert shown.splitlines()[0].endswith(new_fp) and school["old_fp"] in shown and "已停用" in shown
    assert run(["--db", str(school["db"]), "key", "export", str(tmp_path / "new-key.txt")]) == 0
    line = (tmp_path / "new-key.txt").read_text(encoding="utf-8")
    assert signing.fingerprint(signing.parse_public_key_text(line)) == new_fp


def test_cli_key_new_blank_passphrase_changes_nothing(school, tmp_path, capsys):
    before = key_settings(school["db"])
    assert run(["--db", str(school["db"]), "key", "new", "--yes",
                "--passphrase-file", str(pw_file(tmp_path, "blank.txt", "      "))]) == 2
    assert "口令" in capsys.readouterr().err
    assert key_settings(school["db"]) == before


def test_cli_key_new_without_tty_or_file_asks_for_the_file(school, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert run(["--db", str(school["db"]), "key", "new", "--yes"]) == 2
    assert "--passphrase-file" in capsys.readouterr().err


# -- GUI ----------------------------------------------------------------------
@pytest.fixture
def page(qtbot, demo_db, shown):
    from conftest import open_main_window

    from gui.main_window import SETTINGS
    win = open_main_window(qtbot, demo_db, SETTINGS)
    return win.settings


def give_key(page):
    with page.db.session() as s:
        fp = signing.fingerprint(ensure_key(s, OLD)[1])
    page.reload()
    return fp


def test_key_buttons_disabled_until_there_is_a_key(page):
    for button in (page.export_key_button, page.new_key_button):
        assert button.isVisible() and not button.isEnabled()
        assert "第一次导出" in button.toolTip()
    give_key(page)
    assert page.export_key_button.isEnabled() and page.new_key_button.isEnabled()


def test_export_public_key_button(page, tmp_path, monkeypatch):
    fp = give_key(page)
    asked = []
    target = tmp_path / "公钥.txt"
    monkeypatch.setattr(page, "ask_key_target", lambda name: asked.append(name) or target)
    page.export_key_button.click()
    with page.db.session() as s:
        school = store.get_school(s)
        assert asked == [f"{school.code}-{school.name}-公钥.txt"]
        assert target.read_text(encoding="utf-8") == public_key_line(s) + "\n"   # what `key export` writes
    assert fp in page.key_message.text() and "接收单位" in page.key_message.text()
    assert page.export_key_button.isEnabled()


def test_replace_key_button(page, monkeypatch):
    old_fp = give_key(page)
    asked = []
    monkeypatch.setattr(page, "confirm_replace_key", lambda: asked.append("confirm") or False)
    monkeypatch.setattr(page, "ask_new_passphrase", lambda: asked.append("passphrase") or NEW)
    page.new_key_button.click()                              # declined: nothing asked further, nothing changed
    assert asked == ["confirm"]
    with page.db.session() as s:
        assert signing.fingerprint(public_key(s)) == old_fp
    monkeypatch.setattr(page, "confirm_replace_key", lambda: True)
    monkeypatch.setattr(page, "ask_new_passphrase", lambda: None)
    page.new_key_button.click()                              # passphrase cancelled
    with page.db.session() as s:
        assert signing.fingerprint(public_key(s)) == old_fp
    monkeypatch.setattr(page, "ask_new_passphrase", lambda: NEW)
    page.new_key_button.click()
    with page.db.session() as s:
        new_fp = signing.fingerprint(public_key(s))
        assert [r.fingerprint for r in retired_keys(s)] == [old_fp]
        assert signing.fingerprint(ensure_key(s, NEW)[1]) == new_fp          # opens with the new passphrase
    assert new_fp != old_fp
    assert page.fingerprint.text() == new_fp and new_fp in page.key_message.text()
    assert "导出公钥" in page.key_message.text()
    assert page.new_key_button.isEnabled() and page.export_key_button.isEnabled()


def test_replace_key_question_names_the_consequences(page):
    from gui.settings_view import KEY_HELP
    assert "接收单位" in REPLACE_CONSEQUENCES and "新的指纹" in REPLACE_CONSEQUENCES
    assert "仍然有效" in REPLACE_CONSEQUENCES and "旧口令" in REPLACE_CONSEQUENCES
    assert "更换签名密钥" in KEY_HELP


def test_new_passphrase_dialog_needs_two_equal_good_entries(qtbot):
    from PySide6.QtWidgets import QDialog, QLineEdit

    from gui.settings_view import NewPassphraseDialog
    dialog = NewPassphraseDialog()
    qtbot.addWidget(dialog)
    assert dialog.first.echoMode() == QLineEdit.EchoMode.Password == dialog.again.echoMode()
    dialog.first.setText(NEW)
    dialog.again.setText(NEW + "x")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and "不一致" in dialog.problem.text()
    dialog.first.setText("short")
    dialog.again.setText("short")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and "太短" in dialog.problem.text()
    dialog.first.setText(NEW)
    dialog.again.setText(NEW)
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.passphrase() == NEW


def test_key_area_does_not_make_the_settings_page_wider(page, qtbot):
    """At 1024×768 the key buttons and message take no width the page did not already need."""
    from PySide6.QtWidgets import QScrollArea
    give_key(page)
    page.key_message.setText("公钥已导出：" + "很长的文件夹名" * 20)
    page.window().resize(1024, 768)
    qtbot.wait(20)
    content = page.findChild(QScrollArea).widget()
    with_key_area = content.minimumSizeHint().width()
    for widget in (page.export_key_button, page.new_key_button, page.key_message):
        widget.hide()
    assert content.minimumSizeHint().width() == with_key_area


def test_gui_failure_is_shown_and_buttons_come_back(page, shown, monkeypatch, tmp_path):
    give_key(page)
    monkeypatch.setattr(page, "ask_key_target", lambda name: tmp_path / "missing-folder" / "k.txt")
    page.export_key_button.click()
    assert len(shown) == 1 and "不存在" in shown[0][0]
    shown.clear()
    assert page.export_key_button.isEnabled() and page.new_key_button.isEnabled()
