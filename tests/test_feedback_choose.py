# ruff: noqa: F811 - the fixtures imported from other test modules are the test functions' arguments
"""生成反馈包… for one school or several (that school's findings only), besides every school with
findings; the CLI's ``consolidate feedback --school`` repeated does the same into a folder."""
from __future__ import annotations

import zipfile

import pytest
from receiving_fixtures import STATION_PASSPHRASE, kid_id, two_kid_school
from test_gui_receiving import drop, drop_twins, page, schools, station  # noqa: F401 - fixtures
from test_gui_receiving_detail import exporting  # noqa: F401 - the fixture

from cli.commands import run
from core.feedback import FEEDBACK_MEMBER, parse_feedback
from db.feedback import import_feedback
from db.keys import export_public_key
from db.session import open_database
from db.views import finding_rows
from gui.receiving.feedback_dialog import FeedbackChoice, FeedbackSchoolsDialog

TWIN = "4228220104"


def feedback_in(path):
    with zipfile.ZipFile(path) as zf:
        return parse_feedback(zf.read(FEEDBACK_MEMBER))


@pytest.fixture
def choosing(exporting, station, schools, qtbot, tmp_path, monkeypatch):
    """The page with A, its twin (the same two students) and B received; the schools it offered."""
    p = exporting
    p.offered, p.choice = [], FeedbackChoice()
    p.folder = tmp_path / "反馈"
    p.folder.mkdir()
    monkeypatch.setattr(p, "ask_feedback_folder", lambda: p.folder)
    monkeypatch.setattr(p, "ask_feedback_schools", lambda offered: p.offered.append(offered) or p.choice)
    drop_twins(qtbot, p, station, schools, tmp_path)
    _a, b, *_ = schools
    drop(qtbot, p, [b.path])
    return p


def test_a_package_for_one_school_holds_its_findings_only_and_is_imported_there(choosing, station, schools,
                                                                                tmp_path):
    a, b, *_ = schools
    p = choosing
    p.choice = FeedbackChoice((a.code,))
    p.feedback_button.click()
    [offered] = p.offered
    assert {(s.code, s.findings) for s in offered} >= {(a.code, 2), (TWIN, 2), (b.code, 0)}
    [written] = list(p.folder.iterdir())
    fb = feedback_in(written)
    assert fb.school_code == a.code and len(fb.findings) == 2
    assert sorted(f.id_number for f in fb.findings) == [kid_id(1), kid_id(2)]       # A's students only
    assert p.done[-1].startswith("已生成 1 个反馈包") and a.code in p.done[-1]
    # it verifies at that school (the station's key registered there) and its findings appear
    key = export_public_key(station, tmp_path / "station-key.txt").path
    d = open_database(a.db_path)
    try:
        assert import_feedback(d, written, [key]).added == 2
        assert {r.id_number for r in finding_rows(d) if r.origin} == {kid_id(1), kid_id(2)}
    finally:
        d.close()


def test_several_chosen_schools_each_get_their_own_even_without_findings(choosing, schools):
    a, b, *_ = schools
    p = choosing
    p.choice = FeedbackChoice((b.code, a.code))
    p.feedback_button.click()
    got = {feedback_in(f).school_code: feedback_in(f) for f in p.folder.iterdir()}
    assert set(got) == {a.code, b.code}
    assert got[b.code].findings == () and len(got[a.code].findings) == 2
    assert all(f.id_number in (kid_id(1), kid_id(2)) for f in got[a.code].findings)


def test_every_school_with_findings_stays_the_default(choosing, schools):
    a, *_ = schools
    choosing.feedback_button.click()
    assert sorted(f.name.split("-")[0] for f in choosing.folder.iterdir()) == [a.code, TWIN]


def test_cancelling_the_choice_writes_nothing(choosing):
    choosing.choice = None
    choosing.feedback_button.click()
    assert list(choosing.folder.iterdir()) == [] and choosing.asked == []      # no passphrase asked


def test_the_dialog_offers_all_or_the_ticked_schools(qtbot, choosing, schools, tmp_path):
    a, b, *_ = schools
    choosing.feedback_button.click()
    [offered] = choosing.offered
    dialog = FeedbackSchoolsDialog(offered)
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.buttons()[0]
    assert dialog.all_button.isChecked() and dialog.choice() == FeedbackChoice()
    assert dialog.all_button.text() == "所有有问题的学校（2 所）"
    lines = [dialog.list.item(r).text() for r in range(dialog.list.count())]
    assert any(line.startswith(a.code) and "问题 2 个（错误 2" in line for line in lines)
    assert any(line.startswith(b.code) and "没有问题" in line for line in lines)
    dialog.chosen_button.setChecked(True)
    assert not ok.isEnabled()                            # nothing ticked yet
    dialog.check(b.code)
    dialog.check(a.code)
    assert ok.isEnabled() and set(dialog.choice().codes) == {a.code, b.code}
    dialog.check(b.code, False)
    assert dialog.choice() == FeedbackChoice((a.code,))
    import os
    folder = os.environ.get("ZIZHU_SHOTS")
    if folder:
        dialog.grab().save(f"{folder}/feedback-schools.png")


def test_the_cli_writes_one_per_school_named(tmp_path, capsys):
    a = two_kid_school(tmp_path, "4228220101", "龙坪乡中心小学", first=1)
    b = two_kid_school(tmp_path, "4228220102", "龙坪乡二小", first=2)          # kid_id(2) is in both
    c = two_kid_school(tmp_path, "4228220103", "龙坪乡三小", first=5)
    from receiving_fixtures import receiver_db
    st = str(receiver_db(tmp_path / "station.sqlite"))
    secret = tmp_path / "pass.txt"
    secret.write_text(STATION_PASSPHRASE + "\n", encoding="utf-8")
    for school in (a, b, c):
        assert run(["--db", st, "trust", "add", str(school.key_file), "--school", school.name, "--yes"]) == 0
    assert run(["--db", st, "consolidate", "add", str(a.path), str(b.path), str(c.path)]) == 0
    folder = tmp_path / "out"
    folder.mkdir()
    capsys.readouterr()
    assert run(["--db", st, "consolidate", "feedback", "--school", b.code, "--school", c.code, str(folder),
                "--passphrase-file", str(secret)]) == 0
    out = capsys.readouterr().out
    got = {feedback_in(f).school_code: feedback_in(f) for f in folder.iterdir()}
    assert set(got) == {b.code, c.code} and got[c.code].findings == ()
    assert [f.id_number for f in got[b.code].findings] == [kid_id(2)]
    assert out.count("已生成反馈包") == 2
    # several schools need a folder; one school still writes the .zip named
    assert run(["--db", st, "consolidate", "feedback", "--school", b.code, "--school", c.code,
                str(tmp_path / "missing"), "--passphrase-file", str(secret)]) == 2
    assert "不存在" in capsys.readouterr().err
    one = tmp_path / "one.zip"
    assert run(["--db", st, "consolidate", "feedback", "--school", a.code, str(one),
                "--passphrase-file", str(secret)]) == 0
    assert feedback_in(one).school_code == a.code


def test_the_all_choice_counts_the_schools_whose_sent_findings_are_gone(qtbot):
    from db.feedback_send import FeedbackSchool
    from gui.receiving.feedback_dialog import FeedbackSchoolsDialog, school_line
    zero = {"error": 0, "warning": 0, "info": 0}
    schools = [FeedbackSchool("A1", "甲校", 2, {"error": 2, "warning": 0, "info": 0}),
               FeedbackSchool("B1", "乙校", 0, zero, closes=1), FeedbackSchool("C1", "丙校", 0, zero)]
    dialog = FeedbackSchoolsDialog(schools)
    qtbot.addWidget(dialog)
    assert dialog.all_button.text() == "所有有问题的学校（1 所），及问题已消除待告知的学校（1 所）"
    assert dialog.all_button.isChecked() and "问题已消除（上次反馈的 1 个问题" in school_line(schools[1])
