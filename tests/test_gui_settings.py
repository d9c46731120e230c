"""GUI: the settings page (school details, 公文信息, the link to the 政策 page)."""
import pytest
from conftest import open_main_window
from test_gui_students import fill_people

from db.store import get_school
from gui.main_window import SETTINGS

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def win(qtbot, db):
    fill_people(db)
    return open_main_window(qtbot, db, SETTINGS)


def test_settings_show_the_school_and_link_to_the_policy_page(win):
    from gui.main_window import POLICY
    page = win.settings
    assert page.school_edits["name"].text() == "第一中学"
    assert page.year.value() == 2023 and page.year_label.text() == "2023–2024学年"
    assert "在“政策”页修改" in page.policy_name.text()        # the policy is edited on one page only
    assert not page.focus_setting("tuition_standard.普通高中")
    page.policy_button.click()
    assert win.current_page() == POLICY


def test_school_details_saved(win, db, shown, qtbot):
    page = win.settings
    asked: list[tuple[int, int]] = []
    page.confirm_new_year = lambda old, new: asked.append((old, new)) or len(asked) > 1
    page.school_edits["name"].setText("城关第一中学")
    page.year.setValue(2024)
    page.save_school_button.click()              # a later year is asked first: declined, nothing saved
    assert asked == [(2023, 2024)]
    with db.session() as s:
        assert (get_school(s).name, get_school(s).school_year) == ("第一中学", 2023)
    page.save_school_button.click()
    assert len(asked) == 2 and "已进入2024–2025学年（新学年）" in page.message.text()
    # the backup made before the new year is the newest the backup box names
    qtbot.waitUntil(lambda: "before-school-year" in page.backup_box.status.text())
    with db.session() as s:
        school = get_school(s)
        assert (school.name, school.school_year) == ("城关第一中学", 2024)
    assert win.school_label.text() == "学校：城关第一中学"
    assert win.year_label.text() == "2024–2025学年"
    page.school_edits["name"].setText("")
    page.save_school_button.click()
    assert shown and "学校名称不能为空" in shown[0][0]
    shown.clear()


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
    page.school_edits["township"].setText("城关镇")
    page.save_school_button.click()
    page.official.edits["county"].setText("建始县")
    page.save_official_button.click()
    assert routed == [Changes.SCHOOL, Changes.SETTINGS]


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
    from PySide6.QtGui import QUndoCommand
    win.undo_stack.push(QUndoCommand("恢复之前的一次修改"))
    box.restore_from_backup()
    assert got == [Changes.ALL & ~Changes.FINDINGS]
    assert win.undo_stack.count() == 0    # its undo would write pre-restore values over the restored data


def test_the_policy_box_names_the_policy_as_the_documents_print_it(win, db, qtbot):
    from db import settings as db_settings
    db_settings.save_official(db, {"county": "建始县"})
    win.settings.reload()
    qtbot.waitUntil(lambda: "建始县教育扶贫" in win.settings.policy_name.text())
    assert "默认" not in win.settings.policy_name.text()


def test_saving_one_box_keeps_the_other_box_s_unsaved_edits(win, db):
    """保存公文信息 reloaded the page and wiped an unsaved school name, and the other way round (found by
    review, session 15)."""
    page = win.settings
    page.school_edits["name"].setText("新名字未保存")
    page.official.edits["county"].setText("某县")
    page.save_official_button.click()
    assert page.official.edits["county"].text() == "某县" and not page.official_unsaved()
    assert page.school_edits["name"].text() == "新名字未保存" and page.unsaved_boxes() == ["学校信息"]
    page.official.edits["clerk"].setText("张老师")
    page.school_edits["township"].setText("城关镇")
    page.save_school_button.click()
    assert page.official.edits["clerk"].text() == "张老师" and page.unsaved_boxes() == ["公文信息"]
    with db.session() as s:
        assert get_school(s).name == "新名字未保存"       # what the box showed was saved


def test_leaving_the_page_with_unsaved_settings_asks(win, monkeypatch):
    from gui.main_window import DASHBOARD
    page = win.settings
    asked = []
    monkeypatch.setattr(type(page), "ask_discard", lambda self, boxes: asked.append(boxes) or False)
    page.official.edits["clerk"].setText("张老师")
    win.show_page(DASHBOARD)
    assert asked == [["公文信息"]] and win.current_page() == SETTINGS       # 留在本页
    assert page.official.edits["clerk"].text() == "张老师"
    assert not win.may_leave(win.close)                                      # nor closes the window
    monkeypatch.setattr(type(page), "ask_discard", lambda self, boxes: asked.append(boxes) or True)
    win.show_page(DASHBOARD)                                                  # 放弃修改
    assert win.current_page() == DASHBOARD
    assert page.official.edits["clerk"].text() == "" and page.unsaved_boxes() == []


def test_typing_while_a_box_saves_stays_unsaved(win, db, monkeypatch):
    """What was typed while 保存 ran was counted as saved, then replaced by the reload without a word."""
    import gui.settings_view as sv
    page = win.settings
    held = []
    real = sv.worker.run_task
    monkeypatch.setattr(sv.worker, "run_task", lambda fn, *a, **k: held.append((fn, a, k)))
    page.school_edits["name"].setText("城关一中")
    page.save_school_button.click()
    page.school_edits["township"].setText("城关镇")          # typed while the save runs
    monkeypatch.setattr(sv.worker, "run_task", real)
    fn, args, kwargs = held.pop()
    real(fn, *args, **kwargs)
    with db.session() as s:
        assert get_school(s).name == "城关一中"
    assert page.school_edits["township"].text() == "城关镇" and page.unsaved_boxes() == ["学校信息"]


def test_setting_the_year_back_names_its_backup_in_the_backup_box(win, qtbot):
    """The manual's 学年改错了 case: setting the year back makes a backup too, and the box says so."""
    page = win.settings
    page.confirm_new_year = lambda old, new: True
    assert "before-school-year" not in page.backup_box.status.text()
    page.year.setValue(2022)
    page.save_school_button.click()
    qtbot.waitUntil(lambda: "before-school-year" in page.backup_box.status.text())
