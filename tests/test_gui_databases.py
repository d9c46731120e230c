"""Demo data never touches the clerk's database; switching databases (打开/新建/最近打开/返回正式数据库)."""
import json

import pytest
from PySide6.QtWidgets import QLabel, QToolBar

from core import recent
from db import lock, store
from db.session import open_database
from db.workflows import counts, database_info
from gui.databases import DatabaseSwitcher

pytestmark = pytest.mark.usefixtures("shown")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A data folder of its own: the default and the demo database, the recent list."""
    monkeypatch.setenv("ZIZHU_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def switcher(qtbot):
    sw = DatabaseSwitcher()
    asked = []
    sw.asked = asked
    sw.ask_first_start = lambda db: asked.append(db.path.name) or sw.answer
    sw.answer = None
    yield sw
    if sw.window is not None:
        sw.window.close()
    sw.close()


def school_db(path, name):
    d = open_database(path)
    with d.session() as s:
        store.init_school(s, name, "42", 2023, actor="t")
    d.close()
    return path


def banner(window):
    return window.findChild(QToolBar, "demoBanner")


def test_choosing_demo_at_first_start_opens_the_demo_database(home, switcher):
    real = open_database(home / "zizhu.sqlite")
    switcher.answer = "demo"
    switcher.start(real)
    assert switcher.asked == ["zizhu.sqlite"]
    w = switcher.window
    assert switcher.db.path == home / "demo.sqlite" and switcher.info.demo
    assert "演示数据" in w.windowTitle() and "建始县第一高级中学" in w.windowTitle()
    bar = banner(w)
    assert bar is not None and bar.isVisible() and w.action_collection.back_to_real in bar.actions()
    assert "虚构" in bar.findChild(QLabel, "demoBannerText").text()
    assert w.action_collection.back_to_real.isEnabled()
    assert counts(switcher.db)["students"] == 300
    # the clerk's database was closed and stays empty
    assert not lock.is_held(home / "zizhu.sqlite") and lock.is_held(home / "demo.sqlite")
    again = open_database(home / "zizhu.sqlite")
    try:
        assert not database_info(again).has_school and counts(again)["students"] == 0
        # so the next start on it asks again
        other = DatabaseSwitcher()
        asked = []
        other.ask_first_start = lambda db: asked.append(db.path.name)   # cancelled
        other.start(again)
        assert asked == ["zizhu.sqlite"] and other.gave_up and other.window is None
    finally:
        again.close()


def test_back_to_the_real_database_in_one_click(home, switcher, qtbot):
    school_db(home / "zizhu.sqlite", "城关中学")
    switcher.start(open_database(home / "demo.sqlite"), demo=True)
    demo_window = switcher.window
    assert switcher.info.demo
    demo_window.action_collection.back_to_real.trigger()
    w = switcher.window
    assert w is not demo_window and not demo_window.isVisible()
    assert switcher.db.path == home / "zizhu.sqlite" and not switcher.info.demo
    assert w.windowTitle() == "资助助手 — 城关中学 — 教育资助核准"
    assert banner(w) is None and not w.action_collection.back_to_real.isEnabled()
    assert not lock.is_held(home / "demo.sqlite")        # the demo database was closed
    assert w.school_label.text() == "学校：城关中学"
    # the demo database keeps its data for the next visit; the menu opens it again
    w.action_collection.open_demo.trigger()
    assert switcher.info.demo and counts(switcher.db)["students"] == 300


def test_open_new_and_recent_databases(home, switcher, tmp_path):
    a = school_db(tmp_path / "a.sqlite", "甲校")
    b = school_db(tmp_path / "b.sqlite", "乙校")
    switcher.start(open_database(a))
    switcher.ask_open_path = lambda: b
    switcher.window.action_collection.open_database.trigger()
    assert switcher.db.path == b and switcher.window.windowTitle().startswith("资助助手 — 乙校")
    assert not lock.is_held(a) and lock.is_held(b)
    assert recent.recent_databases() == [b.resolve(), a.resolve()]
    assert json.loads(recent.recent_file().read_text(encoding="utf-8"))[0] == str(b.resolve())
    # 最近打开 lists both; the current one is checked; one click goes back
    menu = switcher.window.action_collection.submenus["@recent"]
    entries = [act for act in menu.actions() if act.data()]
    assert [act.data() for act in entries] == [str(b.resolve()), str(a.resolve())]
    assert entries[0].isChecked() and not entries[1].isChecked()
    entries[1].trigger()
    assert switcher.db.path.resolve() == a.resolve() and switcher.info.school == "甲校"
    # 返回正式数据库 goes to the last real database opened
    assert switcher.real_database() == a.resolve()
    # 新建数据库…: an empty file, then the first-start wizard on it
    new = tmp_path / "c.sqlite"
    switcher.ask_new_path = lambda: new

    def enter_school(db):
        with db.session() as s:
            store.init_school(s, "丙校", "43", 2024, actor="t")
        return "school"
    switcher.ask_first_start = enter_school
    switcher.window.action_collection.new_database.trigger()
    assert switcher.db.path == new and switcher.info.school == "丙校" and not switcher.info.demo
    assert recent.recent_databases()[0] == new.resolve()


def test_a_refused_switch_leaves_the_clerk_where_they_were(home, switcher, tmp_path, shown):
    a = school_db(tmp_path / "a.sqlite", "甲校")
    switcher.start(open_database(a))
    w = switcher.window
    switcher.ask_open_path = lambda: tmp_path / "missing.sqlite"
    w.action_collection.open_database.trigger()
    assert "找不到数据库文件" in shown[0][0] and not (tmp_path / "missing.sqlite").exists()
    # 新建 onto an existing file never touches it
    switcher.ask_new_path = lambda: a
    w.action_collection.new_database.trigger()
    assert "已经存在" in shown[1][0]
    shown.clear()
    # a new database whose first start is cancelled is closed again
    switcher.ask_new_path = lambda: tmp_path / "d.sqlite"
    w.action_collection.new_database.trigger()
    assert switcher.asked == ["d.sqlite"] and not lock.is_held(tmp_path / "d.sqlite")
    assert switcher.window is w and switcher.db.path == a and lock.is_held(a)


def test_recent_list_survives_a_damaged_file_and_forgets_missing_databases(home, tmp_path):
    home.mkdir(parents=True)
    recent.recent_file().write_text("{not json", encoding="utf-8")
    assert recent.recent_databases() == []
    files = [school_db(tmp_path / f"{i}.sqlite", f"校{i}") for i in range(recent.LIMIT + 2)]
    for f in files:
        recent.remember_database(f)
    listed = recent.recent_databases()
    assert listed == [f.resolve() for f in reversed(files)][:recent.LIMIT]
    files[-1].unlink()
    assert files[-1].resolve() not in recent.recent_databases()


def test_a_switch_closes_the_old_window_before_the_new_start_is_queued(home, switcher, tmp_path, monkeypatch):
    """The old window's close waits for an idle worker (``MainWindow.closeEvent``): closed after the
    new window's start was queued, it held the window frozen through the new start's reads, backup
    and start-up check (seconds at county size); now it waits for the old window's tasks only."""
    import db.usecases as usecases
    from gui.main_window import MainWindow
    a = school_db(tmp_path / "a.sqlite", "甲校")
    b = school_db(tmp_path / "b.sqlite", "乙校")
    switcher.start(open_database(a))
    events = []
    real_check, real_close = usecases.startup_check, MainWindow.closeEvent
    monkeypatch.setattr(usecases, "startup_check", lambda *a, **k: events.append("new start") or real_check(*a, **k))
    monkeypatch.setattr(MainWindow, "closeEvent", lambda self, e: events.append("old closed") or real_close(self, e))
    switcher.ask_open_path = lambda: b
    switcher.window.action_collection.open_database.trigger()
    assert switcher.db.path == b
    assert events[:2] == ["old closed", "new start"]
