"""The school year decides the policy in force (the newest version of the year). Changing the year
(``init``, 设置 › 学校信息) to one whose policy is another document makes the verified students follow
it as they follow a policy change: those whose results it changes go back to 待核准 (audited with old
and new amounts), the others are sealed again; the clerk is told. Before, the amounts of verified
students changed silently and the check reported 核准后数据被改动."""
from __future__ import annotations

import pytest
from conftest import open_main_window, two_student_school

from cli.commands import run
from db import store
from db.changes import Changes
from db.compute import compute_school
from db.models import Student
from db.session import open_database
from db.settings import save_school
from db.usecases import check, verify
from db.views import finding_rows
from gui.main_window import SETTINGS


@pytest.fixture
def db(tmp_path):
    d = open_database(two_student_school(tmp_path / "school.sqlite"))     # 2023: 张丽 普通高中, 李四 学前教育
    yield d
    d.close()


def _students(db) -> dict[str, tuple[bool, bool]]:
    """name -> (verified, sealed)."""
    with db.session() as s:
        return {st.name: (st.verified, bool(st.seal)) for st in s.query(Student)}


def _preschool_raised_in_2024_and_verified(db) -> None:
    save_school(db, "第一中学", "1", 2024)
    with db.session() as s:
        store.change_policy_values(s, {"items.PRESCHOOL.amount": "2500"})     # 2024–2025学年 第1版
    with db.session() as s:
        ids = [st.id for st in s.query(Student)]
    assert verify(db, ids).done == 2


def test_setting_the_year_back_sends_the_changed_students_back_and_reseals_the_others(db):
    _preschool_raised_in_2024_and_verified(db)
    saved = save_school(db, "第一中学", "1", 2023)
    f = saved.followed
    assert f is not None and f.before == "2024–2025学年 第1版" and f.after == "2023–2024学年 第2版"
    assert f.unverified == 1 and "1 名已核准学生" in f.text()
    assert saved.changes & (Changes.POLICY | Changes.STUDENTS | Changes.FINDINGS)
    assert _students(db) == {"李四": (False, False), "张丽": (True, True)}     # only 学前's amount changed
    check(db)
    assert "TAMPERED_AFTER_VERIFY" not in {r.code for r in finding_rows(db)}     # 张丽 resealed, not "tampered"
    with db.session() as s:
        preschool = store.get_policy(s).item("PRESCHOOL").amount_fen
    results, _totals = compute_school(db)
    assert preschool != 250000 and {r.student.name: r.total_fen for r in results}["李四"] == preschool


def test_a_later_year_with_the_same_policy_starts_a_new_campaign(db):
    """Session 30: a later year sets the year that ended aside (db.new_year), whatever the policy."""
    with db.session() as s:
        ids = [st.id for st in s.query(Student)]
    assert verify(db, ids).done == 2
    saved = save_school(db, "第一中学", "1", 2024)      # no version of 2024: the 2023 one stays in force
    assert saved.followed is None and saved.started is not None and saved.started.unverified == 2
    assert _students(db) == {"李四": (False, False), "张丽": (False, False)}
    assert saved.started.kept_policy == "2023–2024学年 第2版" and "本学年暂沿用2023–2024学年 第2版的资助政策" in \
        saved.started.text()


def test_a_later_year_with_its_own_policy_says_no_old_policy_goes_on(db):
    _preschool_raised_in_2024_and_verified(db)       # (a 2024 version exists: it comes into force)
    save_school(db, "第一中学", "1", 2023)
    saved = save_school(db, "第一中学", "1", 2024)
    assert saved.followed is not None and saved.started is not None
    assert saved.started.kept_policy == "" and "暂沿用" not in saved.started.text()


def test_init_says_which_policy_is_now_in_force(db, capsys):
    _preschool_raised_in_2024_and_verified(db)
    capsys.readouterr()
    assert run(["--db", str(db.path), "init", "--school", "第一中学", "--code", "1", "--school-year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "学年改变后，适用的资助政策由“2024–2025学年 第1版”改为“2023–2024学年 第2版”" in out
    assert "1 名已核准学生的资助结果随之改变，已退回待核准" in out


def test_settings_says_which_policy_is_now_in_force(qtbot, shown, db):
    _preschool_raised_in_2024_and_verified(db)
    win = open_main_window(qtbot, db, SETTINGS)
    page = win.settings
    assert page.year.value() == 2024
    page.year.setValue(2023)
    page.save_school_button.click()
    text = page.message.text()
    assert text.startswith("学校信息已保存。学年改变后，适用的资助政策由“2024–2025学年 第1版”改为“2023–2024学年 第2版”")
    assert "1 名已核准学生" in text
    win.close()


def test_the_long_message_wraps_within_1024_pixels(qtbot, shown, db):
    _preschool_raised_in_2024_and_verified(db)
    win = open_main_window(qtbot, db, SETTINGS)
    win.resize(1024, 768)
    page = win.settings
    page.year.setValue(2023)
    page.save_school_button.click()
    qtbot.wait(10)
    assert page.message.wordWrap() and page.message.width() < 1024
    assert not page.scroll_area.horizontalScrollBar().isVisible()
    win.close()


def test_another_school_year_is_backed_up_first_with_the_verified_students_as_they_were(db):
    import sqlite3

    from db.backup import list_backups
    _preschool_raised_in_2024_and_verified(db)
    before = set(list_backups(db.path))
    save_school(db, "第一中学", "1", 2024)                  # the same year: no backup
    assert set(list_backups(db.path)) == before
    save_school(db, "第一中学", "1", 2023)                  # another year: another policy in force
    (taken,) = set(list_backups(db.path)) - before
    assert "before-school-year" in taken.name
    con = sqlite3.connect(taken)
    try:
        assert con.execute("select count(*) from student where verified").fetchone() == (2,)
    finally:
        con.close()
    assert _students(db) == {"李四": (False, False), "张丽": (True, True)}
