"""GUI: the settings page (school details, policy parameters)."""
import pytest
from conftest import open_main_window
from test_gui_students import fill_people

from core.domain import Stage
from db.store import get_policy, get_school
from gui.main_window import SETTINGS
from gui.students.model import COL

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def win(qtbot, db):
    fill_people(db)
    return open_main_window(qtbot, db, SETTINGS)


def zhang_total(win):
    m = win.students.model
    return next(m.index(r, COL["资助合计（元）"]).data() for r in range(m.rowCount())
                if m.row_at(r).name == "张三")


def test_settings_show_the_school_and_policy(win):
    page = win.settings
    assert page.school_edits["name"].text() == "第一中学"
    assert page.year.value() == 2023 and page.year_label.text() == "2023–2024学年"
    tuition = page.policy_edits["tuition_standard.普通高中"]
    assert tuition.text() == "" and tuition.placeholderText() == "未设置"
    assert "tuition_standard.中职" in page.policy_edits
    assert page.policy_edits["items.PRESCHOOL.amount"].text() == "2022.00"


def test_setting_the_tuition_standard_updates_the_policy(win, db, qtbot):
    page = win.settings
    assert zhang_total(win) == "300.00"
    page.policy_edits["tuition_standard.普通高中"].setText("1200")
    page.save_policy_button.click()
    with db.session() as s:
        assert get_policy(s).parameters["tuition_standard"][Stage.HIGH_SCHOOL] == 120000
    assert page.policy_edits["tuition_standard.普通高中"].text() == "1200.00"
    assert "已保存" in page.message.text()
    assert zhang_total(win) == "1500.00"     # 300 textbook + min(1500 tuition, 1200 standard)
    page.policy_edits["tuition_standard.普通高中"].clear()
    page.save_policy_button.click()
    with db.session() as s:
        assert Stage.HIGH_SCHOOL not in get_policy(s).parameters.get("tuition_standard", {})


def test_fixed_item_amount(win, db):
    win.settings.policy_edits["items.PRESCHOOL.amount"].setText("2500")
    win.settings.save_policy_button.click()
    with db.session() as s:
        assert get_policy(s).item("PRESCHOOL").amount_fen == 250000


def test_invalid_policy_value_is_shown_and_nothing_changes(win, db, shown):
    page = win.settings
    page.policy_edits["tuition_standard.普通高中"].setText("1200")
    page.policy_edits["items.PRESCHOOL.amount"].setText("abc")
    page.save_policy_button.click()
    assert len(shown) == 1 and "abc" in shown[0][0]
    shown.clear()
    with db.session() as s:      # all or nothing
        policy = get_policy(s)
        assert Stage.HIGH_SCHOOL not in policy.parameters.get("tuition_standard", {})
        assert policy.item("PRESCHOOL").amount_fen == 202200
    assert page.save_policy_button.isEnabled()


def test_school_details_saved(win, db, shown):
    page = win.settings
    page.school_edits["name"].setText("城关第一中学")
    page.year.setValue(2024)
    page.save_school_button.click()
    with db.session() as s:
        school = get_school(s)
        assert (school.name, school.school_year) == ("城关第一中学", 2024)
    assert win.school_label.text() == "学校：城关第一中学"
    assert win.year_label.text() == "2024–2025学年"
    page.school_edits["name"].setText("")
    page.save_school_button.click()
    assert shown and "学校名称不能为空" in shown[0][0]
    shown.clear()


def test_a_policy_change_in_settings_says_who_went_back_to_unverified(win, db):
    from sqlalchemy import select

    from db import store
    from db.findings import run_and_store, verify_students
    from db.models import Student
    with db.session() as s:
        store.change_policy_values(s, {"tuition_standard.普通高中": "1400"})
        run_and_store(s)
        verify_students(s, list(s.scalars(select(Student.id))), skip_blocked=True)
        verified = set(s.scalars(select(Student.name).where(Student.verified.is_(True))))
    assert "张三" in verified and len(verified) > 1
    win.settings.policy_edits["tuition_standard.普通高中"].setText("1200")
    win.settings.save_policy_button.click()
    assert "1 名已核准学生的资助结果因此改变，已改回待核准" in win.settings.message.text()
    with db.session() as s:
        still = set(s.scalars(select(Student.name).where(Student.verified.is_(True))))
    assert still == verified - {"张三"}


def test_settings_page_fits_1024_by_768_without_horizontal_scrolling(win, qtbot):
    from PySide6.QtWidgets import QScrollArea
    win.resize(1024, 740)
    qtbot.waitUntil(lambda: win.width() <= 1024)
    area = win.settings.findChild(QScrollArea)
    qtbot.wait(10)
    assert area.widget().minimumSizeHint().width() <= area.viewport().width()
    assert area.horizontalScrollBar().maximum() == 0


def test_settings_saves_report_their_changes(win):
    """设置 reports what each save changed, like every other writer (the main window routes
    ``changed`` through its one slot: the status bar follows the school, see above)."""
    from db.changes import Changes
    routed = []
    win.settings.changed.connect(routed.append)
    page = win.settings
    page.policy_edits["items.PRESCHOOL.amount"].setText("2500")
    page.save_policy_button.click()
    page.save_policy_button.click()                   # nothing changed: nothing reported
    page.school_edits["township"].setText("城关镇")
    page.save_school_button.click()
    page.official.edits["county"].setText("建始县")
    page.save_official_button.click()
    assert routed == [Changes.POLICY, Changes.SCHOOL, Changes.SETTINGS]


def test_a_restore_in_settings_reports_everything_changed(win, monkeypatch):
    from db.changes import Changes
    got = []
    win.settings.changed.connect(got.append)
    box = win.settings.backup_box
    box.backup_now()
    from db.backup import list_backups
    newest = list_backups(win.db.path)[0]
    monkeypatch.setattr(box, "choose_backup", lambda: newest)
    monkeypatch.setattr(box, "confirm_restore", lambda info: True)
    box.restore_from_backup()
    assert got == [Changes.ALL & ~Changes.FINDINGS]


def test_the_policy_box_names_the_policy_as_the_documents_print_it(win, db, qtbot):
    from db import settings as db_settings
    db_settings.save_official(db, {"county": "建始县"})
    win.settings.reload()
    qtbot.waitUntil(lambda: "建始县教育扶贫" in win.settings.policy_name.text())
    assert "默认" not in win.settings.policy_name.text()
