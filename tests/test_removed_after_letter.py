"""移出名单 of a student whose family was sent a letter: that letter's result no longer stands, and a
removed student is left out of the checks and the letters, so nothing reminded the clerk to tell the
family (letters review, session 29). The removal says so, in the command's output and in a box that
stays in the window."""
from __future__ import annotations

import pytest
from conftest import open_main_window
from sqlalchemy import select
from test_gui_workflow import select_where

import gui.notes
from cli.commands import run
from db.exports import mark_letters_printed
from db.models import Student

pytestmark = pytest.mark.usefixtures("shown")


def _told(db, n: int) -> list[Student]:
    with db.session() as s:
        students = list(s.scalars(select(Student).where(Student.removed_at.is_(None)).order_by(Student.id).limit(n)))
        mark_letters_printed(s, [st.id for st in students[:1]])
        s.expunge_all()
    return students


def test_the_command_says_the_family_was_told_and_must_be_told_again(demo_db, capsys):
    told, other = _told(demo_db, 2)
    path = str(demo_db.path)
    demo_db.close()
    assert run(["--db", path, "remove-student", told.id_number, "--reason", "已转学"]) == 0
    out = capsys.readouterr().out
    assert f"注意：{told.name}的家庭已收到告知书" in out and "请另行告知家庭" in out
    assert run(["--db", path, "remove-student", other.id_number, "--reason", "重复录入"]) == 0
    assert "告知书" not in capsys.readouterr().out                  # never told: nothing to say


def test_the_window_shows_it_in_a_box_that_stays(qtbot, demo_db, monkeypatch):
    told, _other = _told(demo_db, 2)
    win = open_main_window(qtbot, demo_db)
    boxes = []
    monkeypatch.setattr(gui.notes, "show_all", lambda parent, title, warnings: boxes.append((title, warnings)))
    page = win.students
    select_where(page, lambda r: r.id == told.id)
    page.ask_remove_reason = lambda rows, parent=None: "已转学"
    page.remove_button.click()
    assert len(boxes) == 1 and boxes[0][0] == "移出名单" and told.name in boxes[0][1][0]
    select_where(page, lambda r: r.id == _other.id)
    page.remove_button.click()
    assert len(boxes) == 1
