"""设置 › 签名人登记: the trusted keys box lists, adds (after the clerk compared the fingerprint
shown in large type) and removes keys through db.trust_store, and reports Changes.RECEIVING."""
from __future__ import annotations

from pathlib import Path

import pytest
from receiving_fixtures import receiver_db

from core.trust import signer_line
from db import trust_store
from db.changes import Changes
from db.session import open_database
from gui.trust_box import AddKeyDialog, KeyDetails, TrustBox, TrustModel


def key_file(path: Path, code: str = "4228220101", name: str = "龙坪乡中心小学") -> tuple[Path, str]:
    """A ``key export`` file of a fresh key (no passphrase needed for the public half)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from core.signing import fingerprint, public_raw_of
    raw = public_raw_of(Ed25519PrivateKey.generate())
    line = signer_line(raw, code, name) if code else f"zizhu-ed25519 {signer_line(raw, 'x').split()[1]} {name}"
    path.write_text(line + "\n", encoding="utf-8")
    return path, fingerprint(raw)


@pytest.fixture
def station(tmp_path):
    d = open_database(receiver_db(tmp_path / "station.sqlite"))
    yield d
    d.close()


@pytest.fixture
def box(qtbot, shown, station):
    b = TrustBox(station)
    qtbot.addWidget(b)
    b.resize(900, 400)
    b.show()
    return b


def test_add_key_shows_the_fingerprint_then_registers_it(box, station, tmp_path, monkeypatch):
    path, fp = key_file(tmp_path / "龙坪-公钥.txt")
    asked = []
    emitted = []
    box.changed.connect(emitted.append)
    monkeypatch.setattr(box, "choose_key_file", lambda: path)

    def details(p, signer):
        asked.append((p, signer.fingerprint, signer.school_code, signer.school_name))
        return KeyDetails("龙坪乡中心小学", signer.school_code, "龙坪乡")
    monkeypatch.setattr(box, "ask_key_details", details)
    box.add_button.click()
    assert asked == [(path, fp, "4228220101", "龙坪乡中心小学")]
    assert [(e.school_code, e.school_name, e.township, e.fingerprint, e.active)
            for e in trust_store.entries(station)] == [("4228220101", "龙坪乡中心小学", "龙坪乡", fp, True)]
    assert emitted == [Changes.RECEIVING]
    assert box.model.rowCount() == 1
    row = [box.model.index(0, c).data() for c in range(box.model.columnCount())]
    assert row[:4] == ["龙坪乡中心小学", "4228220101", "龙坪乡", fp] and row[5] == "有效"
    assert fp in box.message.text()


def test_cancelled_comparison_registers_nothing(box, station, tmp_path, monkeypatch):
    path, _fp = key_file(tmp_path / "k.txt")
    monkeypatch.setattr(box, "choose_key_file", lambda: path)
    monkeypatch.setattr(box, "ask_key_details", lambda p, s: None)
    box.add_button.click()
    assert trust_store.entries(station) == []
    assert box.message.text() == "没有登记。" and box.add_button.isEnabled()


def test_a_key_file_changed_after_the_comparison_is_refused(box, station, tmp_path, monkeypatch, shown):
    path, _fp = key_file(tmp_path / "k.txt")
    monkeypatch.setattr(box, "choose_key_file", lambda: path)

    def swap(p, signer):
        key_file(path)                     # another key put in its place while the dialog was open
        return KeyDetails("龙坪乡中心小学", signer.school_code, "")
    monkeypatch.setattr(box, "ask_key_details", swap)
    box.add_button.click()
    assert trust_store.entries(station) == []
    assert len(shown) == 1 and "核对之后被改动过" in shown[0][0]
    shown.clear()


def test_a_file_that_is_no_key_says_so_and_changes_nothing(box, station, tmp_path, monkeypatch, shown):
    bad = tmp_path / "bad.txt"
    bad.write_text("这不是公钥\n", encoding="utf-8")
    monkeypatch.setattr(box, "choose_key_file", lambda: bad)
    monkeypatch.setattr(box, "ask_key_details", lambda p, s: pytest.fail("no dialog for a bad file"))
    box.add_button.click()
    assert len(shown) == 1 and "bad.txt" in shown[0][0]
    shown.clear()
    assert trust_store.entries(station) == [] and box.add_button.isEnabled()


def test_remove_keeps_the_row_greyed_and_reports_the_change(box, station, tmp_path, monkeypatch):
    path, fp = key_file(tmp_path / "k.txt")
    trust_store.register(station, trust_store.read_key_file(path, "龙坪乡中心小学"))
    box.reload()
    emitted = []
    box.changed.connect(emitted.append)
    assert not box.remove_button.isEnabled()
    box.view.selectRow(0)
    assert box.remove_button.isEnabled()
    confirmed = []
    monkeypatch.setattr(box, "confirm_remove", lambda e: confirmed.append(e.fingerprint) or True)
    box.remove_button.click()
    assert confirmed == [fp] and emitted == [Changes.RECEIVING]
    [entry] = trust_store.entries(station)
    assert not entry.active
    assert box.model.index(0, 5).data().startswith("已移除")
    assert box.model.index(0, 0).data(0x0009) is not None      # ForegroundRole: grey
    box.view.selectRow(0)
    assert not box.remove_button.isEnabled()                  # a removed key cannot be removed again


def test_add_key_dialog_needs_the_comparison_and_a_code(qtbot, tmp_path):
    from core.trust import read_trust_file
    path, fp = key_file(tmp_path / "old.txt", code="")        # an old line without code=
    [signer] = read_trust_file(path)
    dialog = AddKeyDialog(path, signer)
    qtbot.addWidget(dialog)
    assert dialog.fingerprint.text() == fp
    assert dialog.fingerprint.font().pointSizeF() > dialog.font().pointSizeF() * 1.5
    assert not dialog.ok_button.isEnabled() and "学校代码" in dialog.problem.text()
    dialog.code.setText("4228220102")
    assert not dialog.ok_button.isEnabled() and "核对" in dialog.problem.text()
    dialog.compared.setChecked(True)
    assert dialog.ok_button.isEnabled() and dialog.problem.text() == ""
    dialog.school.setText(" ")
    assert not dialog.ok_button.isEnabled()
    dialog.school.setText("白杨坪小学")
    dialog.township.setText("白杨坪镇")
    assert dialog.details() == KeyDetails("白杨坪小学", "4228220102", "白杨坪镇")


def test_a_code_written_in_the_key_file_cannot_be_changed(qtbot, tmp_path):
    from core.trust import read_trust_file
    path, _fp = key_file(tmp_path / "k.txt")
    [signer] = read_trust_file(path)
    dialog = AddKeyDialog(path, signer)
    qtbot.addWidget(dialog)
    assert dialog.code.text() == "4228220101" and dialog.code.isReadOnly()


def test_trust_model(qtmodeltester, tmp_path, station):
    for i in range(3):
        path, _ = key_file(tmp_path / f"k{i}.txt", code=f"42282201{i:02d}", name=f"学校{i}")
        trust_store.register(station, trust_store.read_key_file(path, f"学校{i}"))
    trust_store.unregister(station, "4228220101")
    model = TrustModel()
    model.set_rows(trust_store.entries(station))
    qtmodeltester.check(model)
    assert [model.index(r, 5).data()[:3] for r in range(3)] == ["有效", "已移除", "有效"]


def test_settings_page_has_the_trust_box_and_routes_its_changes(qtbot, shown, station, tmp_path, monkeypatch):
    from gui.settings_view import SettingsPage
    page = SettingsPage(station)
    qtbot.addWidget(page)
    page.show()
    emitted = []
    page.changed.connect(emitted.append)
    path, _fp = key_file(tmp_path / "k.txt")
    monkeypatch.setattr(page.trust_box, "choose_key_file", lambda: path)
    monkeypatch.setattr(page.trust_box, "ask_key_details",
                        lambda p, s: KeyDetails("龙坪乡中心小学", s.school_code, ""))
    page.trust_box.add_button.click()
    assert emitted == [Changes.RECEIVING]
    assert page.trust_box.add_button in page.reading_order()


def test_what_was_confirmed_for_a_key_whose_registration_failed_is_filled_in_again(box, station, tmp_path,
                                                                                    monkeypatch, shown):
    import gui.trust_box
    from core.errors import DatabaseError
    path, fp = key_file(tmp_path / "龙坪-公钥.txt")
    monkeypatch.setattr(box, "choose_key_file", lambda: path)
    opened = []

    def answer(dialog):
        opened.append((dialog.school.text(), dialog.code.text(), dialog.township.text(), dialog.compared.isChecked()))
        dialog.school.setText("龙坪乡中心小学（本部）")
        dialog.township.setText("龙坪乡")
        dialog.compared.setChecked(True)
        return AddKeyDialog.DialogCode.Accepted
    monkeypatch.setattr(AddKeyDialog, "exec", answer)
    real = gui.trust_box.register_key_file

    def busy(*args):
        raise DatabaseError("数据库正被另一个程序使用，这次操作没有写入任何数据", "请稍后重试")
    monkeypatch.setattr(gui.trust_box, "register_key_file", busy)
    box.add_button.click()
    assert [m for m, _h in shown] == ["数据库正被另一个程序使用，这次操作没有写入任何数据"]
    shown.clear()
    assert trust_store.entries(station) == [] and box.add_button.isEnabled()
    monkeypatch.setattr(gui.trust_box, "register_key_file", real)
    box.add_button.click()
    assert opened == [("龙坪乡中心小学", "4228220101", "", False),            # as the key file says
                      ("龙坪乡中心小学（本部）", "4228220101", "龙坪乡", False)]   # as confirmed; compared again
    assert [(e.school_name, e.township, e.fingerprint) for e in trust_store.entries(station)] == [
        ("龙坪乡中心小学（本部）", "龙坪乡", fp)]
    box.add_button.click()                                               # registered: nothing kept
    assert opened[-1] == ("龙坪乡中心小学", "4228220101", "", False)
    assert len(shown) == 1 and "无需重复登记" in shown[0][0]                # (the same key again)
    shown.clear()


# -- a school name other than the key file's (review, session 30: the name typed silently won) ------------
NOTE = "注意：公钥文件中的单位名称是“龙坪乡中心小学”，"


def test_the_dialog_says_when_the_name_typed_is_not_the_key_file_s(qtbot, tmp_path):
    from core.trust import read_trust_file
    path, _fp = key_file(tmp_path / "k.txt")
    [signer] = read_trust_file(path)
    dialog = AddKeyDialog(path, signer)
    qtbot.addWidget(dialog)
    dialog.compared.setChecked(True)
    assert dialog.name_note.text() == ""
    dialog.school.setText("三里乡小学")
    assert dialog.name_note.text() == (NOTE + "与这里填写的“三里乡小学”不同；请确认选的是这所学校的公钥文件。"
                                       "按这个名称登记后，接收该校的上报包时可能提示名称不同，建议按公钥文件中的名称登记。")
    dialog.school.setText("  ")
    assert dialog.name_note.text() == ""               # an empty name is said as such, not as another name
    dialog.school.setText("三里乡小学")
    assert dialog.ok_button.isEnabled()                 # said, not refused: the name is a label
    dialog.school.setText("龙坪乡 中心小学")
    assert dialog.name_note.text() == ""


def test_a_key_registered_under_another_name_says_so_and_how_to_undo_it(box, station, tmp_path, monkeypatch):
    path, fp = key_file(tmp_path / "k.txt")
    monkeypatch.setattr(box, "choose_key_file", lambda: path)
    monkeypatch.setattr(box, "ask_key_details", lambda p, s: KeyDetails("三里乡小学", s.school_code, ""))
    box.add_button.click()
    assert [e.school_name for e in trust_store.entries(station)] == ["三里乡小学"]
    assert box.message.text() == (
        f"已登记：三里乡小学（学校代码 4228220101），指纹 {fp}\n"
        + NOTE + "已按填写的名称登记为“三里乡小学”，接收该校的上报包时可能提示名称不同；"
        "如果登记错了，请在上面的列表中选中这一行点“移除”，再重新添加公钥。")


def test_a_key_registered_under_its_own_name_says_nothing_more(box, station, tmp_path, monkeypatch):
    path, fp = key_file(tmp_path / "k.txt")
    monkeypatch.setattr(box, "choose_key_file", lambda: path)
    monkeypatch.setattr(box, "ask_key_details", lambda p, s: KeyDetails(s.school_name, s.school_code, ""))
    box.add_button.click()
    assert box.message.text() == f"已登记：龙坪乡中心小学（学校代码 4228220101），指纹 {fp}"
