"""Session 21 review: `consolidate feedback --all` (and the GUI's 所有有问题的学校) left out a school whose
findings were sent and are gone now: without the empty feedback that closes them, the school stayed
blocked by an error that no longer is one (还不能正式导出上报)."""
from __future__ import annotations

from receiving_fixtures import kid_id, revise_school, station_with_two_schools

from cli.commands import run
from db.feedback_send import feedback_schools
from db.session import open_database


def _codes(folder):
    return sorted(p.name.split("-")[0] for p in folder.iterdir())


def test_a_school_whose_sent_findings_are_gone_gets_the_closing_feedback(tmp_path, capsys):
    loop = station_with_two_schools(tmp_path)
    a, b, st, secret = loop.a, loop.b, loop.db, loop.secret
    first = tmp_path / "first"
    first.mkdir()
    assert run(["--db", st, "consolidate", "feedback", "--all", str(first), "--passphrase-file", str(secret)]) == 0
    assert _codes(first) == [a.code, b.code]                   # the duplicate concerns both
    # A takes the shared child off its list: the duplicate is gone for both schools
    a2 = revise_school(a, tmp_path / "a2.zip", remove=(kid_id(2),))
    assert run(["--db", st, "consolidate", "add", str(a2.path)]) == 0
    d = open_database(st)
    try:
        listed = {s.code: s for s in feedback_schools(d)}
    finally:
        d.close()
    assert listed[b.code].findings == 0 and listed[b.code].closes == 1 and listed[b.code].due
    second = tmp_path / "second"
    second.mkdir()
    capsys.readouterr()
    assert run(["--db", st, "consolidate", "feedback", "--all", str(second), "--passphrase-file", str(secret)]) == 0
    assert b.code in _codes(second)                            # its empty feedback closes the duplicate
    assert "问题 0 个" in capsys.readouterr().out
    third = tmp_path / "third"
    third.mkdir()
    # once closed, nothing more to send to B
    code = run(["--db", st, "consolidate", "feedback", "--all", str(third), "--passphrase-file", str(secret)])
    assert b.code not in _codes(third) or code != 0
