# ruff: noqa: F811 - the fixtures imported from other test modules are the test functions' arguments
"""``consolidate result`` with a student's ID number: what it prints and the refusals it gives
name the child masked (6 + 4 characters), as every list and log does."""
from __future__ import annotations

from test_spotcheck_db import bureau, county  # noqa: F401 - fixtures: two schools, 4 students

from cli.commands import run
from core.idnumber import mask_id
from db.spotcheck import draw_and_store


def test_a_typed_id_is_echoed_masked(bureau, tmp_path, capsys):
    stored = draw_and_store(bureau, tmp_path / "c.pdf", count=4, seed=7).stored
    once = next(x for x in stored.sample.students
                if sum(y.id_number == x.id_number for y in stored.sample.students) == 1)
    db_path = str(bureau.path)
    bureau.close()
    capsys.readouterr()
    assert run(["--db", db_path, "consolidate", "result", str(stored.id), once.id_number,
                "--point", "资金到账", "--true"]) == 0
    out = capsys.readouterr().out
    assert once.id_number not in out and mask_id(once.id_number) in out
    assert run(["--db", db_path, "consolidate", "result", str(stored.id), once.id_number,
                "--point", "资金到账", "--withdraw"]) == 0
    out = capsys.readouterr().out
    assert "已撤回" in out and once.id_number not in out and mask_id(once.id_number) in out


def test_refusals_name_the_typed_id_masked(bureau, tmp_path, capsys):
    stored = draw_and_store(bureau, tmp_path / "c.pdf", count=4, seed=7).stored
    twice = [x for x in stored.sample.students
             if sum(y.id_number == x.id_number for y in stored.sample.students) == 2]
    listed = {x.id_number for x in stored.sample.students}
    stranger = next(f"42282220100101{n:03d}X" for n in range(1000) if f"42282220100101{n:03d}X" not in listed)
    db_path = str(bureau.path)
    bureau.close()
    capsys.readouterr()
    assert run(["--db", db_path, "consolidate", "result", str(stored.id), stranger,
                "--point", "资金到账", "--true"]) == 2
    err = capsys.readouterr().err
    assert "名单中没有" in err and stranger not in err and mask_id(stranger) in err
    assert len(twice) == 2      # the child both schools reported (all four students are drawn)
    assert run(["--db", db_path, "consolidate", "result", str(stored.id), twice[0].id_number,
                "--point", "资金到账", "--true"]) == 2
    err = capsys.readouterr().err
    assert "出现 2 次" in err and twice[0].id_number not in err and mask_id(twice[0].id_number) in err
