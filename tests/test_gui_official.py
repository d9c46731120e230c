"""GUI: 公文信息 in 设置, and a final document refused for the missing county opens 设置 at that field."""
import pytest
from conftest import open_main_window
from test_gui_students import fill_people
from test_letters_draft import make_ready

from db.official import official_values
from gui import errors
from gui.main_window import EXPORT, LETTERS, SETTINGS

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def win(qtbot, db):
    fill_people(db)                     # a school without a county
    return open_main_window(qtbot, db, SETTINGS)


@pytest.fixture
def go_to_settings(monkeypatch):
    """The clerk answers every error box with 去设置; the boxes are collected."""
    seen = []
    monkeypatch.setattr(errors, "_show_box", lambda parent, msg, hint: seen.append((msg, hint)) or True)
    return seen


def test_official_fields_are_saved_and_the_title_follows_the_county(win, db):
    form = win.settings.official
    assert form.edits["county"].text() == "" and form.edits["policy_title"].placeholderText() == "留空则随县名"
    form.edits["county"].setText("建始县")
    assert form.edits["policy_title"].placeholderText() == "建始县教育扶贫“百日攻坚”资助政策"
    form.edits["policy_basis"].setText("建教发〔2023〕5号 第二条")
    form.edits["supervision_phone"].setText("0718-3321234")
    win.settings.save_official_button.click()
    assert win.settings.message.text() == "公文信息已保存"
    with db.session() as s:
        values = official_values(s)
    assert values == {"county": "建始县", "policy_title": "", "policy_basis": "建教发〔2023〕5号 第二条",
                      "contact_phone": "", "supervision_phone": "0718-3321234", "clerk": ""}


def test_a_bad_phone_is_shown_and_nothing_is_saved(win, db, shown):
    form = win.settings.official
    form.edits["county"].setText("建始县")
    form.edits["contact_phone"].setText("0000-0000000")
    win.settings.save_official_button.click()
    assert len(shown) == 1 and "学校联系电话" in shown[0][0] and "示例号码" in shown[0][0]
    shown.clear()
    with db.session() as s:
        assert official_values(s)["county"] == ""        # all or nothing
    assert win.settings.save_official_button.isEnabled()


@pytest.fixture
def ready_without_county(tmp_path):
    """A demo school whose every student is verified, with no error open and no county's name."""
    from db.official import set_official
    from db.session import open_database
    from db.workflows import fill_demo
    db = open_database(tmp_path / "ready.sqlite")
    fill_demo(db, n_students=40)
    with db.session() as s:
        set_official(s, "county", "")
    make_ready(db)                      # final letters: every student verified, no error open
    yield db
    db.close()


def test_final_letters_without_a_county_open_settings_at_the_county(qtbot, ready_without_county, go_to_settings):
    win = open_main_window(qtbot, ready_without_county, LETTERS)
    win.show_page(LETTERS)
    win.letters.reload()
    win.letters.preview_selected(modal=False)
    assert len(go_to_settings) == 1 and "县名还没有设置，不能生成正式告知书" in go_to_settings[0][0]
    assert "设置 › 公文信息" in go_to_settings[0][1]
    assert win.current_page() == SETTINGS
    assert win.focusWidget() is win.settings.official.edits["county"]


def test_final_export_without_a_county_opens_settings_at_the_county(win, go_to_settings, tmp_path):
    win.show_page(EXPORT)
    page = win.export
    assert "县名未设置" in page.status.text()
    page.draft.setChecked(False)
    page.ask_target = lambda: tmp_path / "p.zip"
    page.ask_passphrase = lambda first: "school-secret-1"
    page.export_button.click()
    assert len(go_to_settings) == 1 and "还不能正式导出上报：县名未设置" in go_to_settings[0][0]
    assert win.current_page() == SETTINGS
    assert win.focusWidget() is win.settings.official.edits["county"]
    assert not (tmp_path / "p.zip").exists()


def test_other_errors_offer_no_way_to_settings(win, go_to_settings):
    from core.errors import ValidationError
    errors.show_exception(win.export, ValidationError("别的问题", "提示"))
    assert go_to_settings and win.current_page() == SETTINGS   # the page the window was on
    win.show_page(EXPORT)
    errors.show_exception(win.export, ValidationError("别的问题", "提示"))
    assert win.current_page() == EXPORT


def test_settings_can_be_opened_at_a_policy_parameter_and_a_school_field(win):
    from gui.main_window import POLICY
    win.show_page(EXPORT)
    win.open_setting("tuition_standard.普通高中")          # a parameter: 政策 › 政策参数
    assert win.current_page() == POLICY
    assert win.focusWidget() is win.policy.parameters.edits["tuition_standard.普通高中"]
    assert win.settings.focus_setting("name") and win.focusWidget() is win.settings.school_edits["name"]
    assert not win.settings.focus_setting("no_such_field")
