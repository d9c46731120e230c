# ruff: noqa: F811 - the fixtures imported from other test modules are the test functions' arguments
"""专项核查 on the receiving side: an unannounced (暗访) sample's results reach a school only once
every one of that school's students in the sample is checked; and a sample's record says whether
its seed was the program's or typed by the clerk (audit entry, ``consolidate samples``, the
checklists' cover), without a column for it."""
from __future__ import annotations

import pytest
from pdftext import pdf_text
from sqlalchemy import select
from test_gui_receiving_spotcheck import draw, page  # noqa: F401 - fixtures
from test_spotcheck_db import bureau, complete, county  # noqa: F401 - fixtures: two schools, 4 students

from cli.commands import run
from core.errors import ValidationError
from core.spotcheck import SEED_GENERATED, SEED_TYPED, new_seed
from db.feedback_send import gather_feedback
from db.models import AuditEntry
from db.spotcheck import (
    draw_and_store,
    load_sample,
    print_checklists,
    results_for_school,
    sample_list,
    store_sample,
)


def by_school(stored) -> dict[str, list[int]]:
    """School code -> the checklist numbers of its students in the sample."""
    out: dict[str, list[int]] = {}
    for x in stored.sample.students:
        out.setdefault(x.school_code, []).append(x.seq)
    return out


def spot_findings(db, code: str) -> list[str]:
    with db.session() as s:
        [fb] = gather_feedback(s, [code])
    return [f.origin for f in fb.findings if f.origin != "汇总核查"]


# -- 3. an unannounced sample goes back to a school only when all its students are checked ---------

def test_an_unannounced_sample_is_held_back_until_every_student_of_the_school_is_checked(bureau, tmp_path):
    stored = draw_and_store(bureau, tmp_path / "visit.pdf", count=4, seed=7, unannounced=True).stored
    schools = by_school(stored)
    a, b = sorted(schools)
    assert len(schools[a]) == 2 and len(schools[b]) == 2
    first, second = schools[a]
    complete(bureau, stored, first, "家长称未收到")        # one visit of school a done, the other not yet
    with bureau.session() as s:
        assert results_for_school(s, a) == []
    assert spot_findings(bureau, a) == []                  # the school learns nothing of the sample yet
    complete(bureau, stored, second)                       # every student of school a checked
    with bureau.session() as s:
        assert [c.student.seq for c in results_for_school(s, a)] == [first, second]
        assert results_for_school(s, b) == []              # school b's visits are not done: b still waits
    assert spot_findings(bureau, a) == ["暗访"] and spot_findings(bureau, b) == []


def test_an_announced_samples_completed_checks_go_back_one_by_one(bureau, tmp_path):
    stored = draw_and_store(bureau, tmp_path / "c.pdf", count=4, seed=7).stored
    a = sorted(by_school(stored))[0]
    first = by_school(stored)[a][0]
    complete(bureau, stored, first, "家长称未收到")
    with bureau.session() as s:
        assert [c.student.seq for c in results_for_school(s, a)] == [first]
    assert spot_findings(bureau, a) == ["专项核查"]


def test_the_command_line_feedback_keeps_the_promise_printed_at_the_draw(bureau, tmp_path, capsys):
    db_path = str(bureau.path)
    bureau.close()
    assert run(["--db", db_path, "consolidate", "sample", "--count", "4", "--seed", "7", "--unannounced",
                str(tmp_path / "visit.pdf")]) == 0
    assert "核查完成前，它不会出现在发给学校的反馈包中" in capsys.readouterr().out
    code = "4228220101"
    for who in ("1", "2"):        # seq 1 and 2: this school's two students (ordered by code, then ID)
        assert run(["--db", db_path, "consolidate", "result", "1", who, "--point", "资金到账", "--false",
                    "--note", "家长称未收到"]) == 0
        for point in ("在籍在校", "家庭类别", "实收费用", "告知书已收到")[:4 if who == "1" else 3]:
            assert run(["--db", db_path, "consolidate", "result", "1", who, "--point", point, "--true"]) == 0
    # the second visit is not finished (告知书已收到 not entered)
    secret = tmp_path / "pass.txt"
    secret.write_text("bureau-secret-1\n", encoding="utf-8")
    capsys.readouterr()
    assert run(["--db", db_path, "consolidate", "feedback", "--school", code, str(tmp_path / "fb.zip"),
                "--passphrase-file", str(secret)]) == 0
    out = capsys.readouterr().out
    assert "问题 1 个" in out          # the duplicate across schools only: no 暗访 finding
    assert run(["--db", db_path, "consolidate", "result", "1", "2", "--point", "告知书已收到", "--true"]) == 0
    capsys.readouterr()
    assert run(["--db", db_path, "consolidate", "feedback", "--school", code, str(tmp_path / "fb2.zip"),
                "--passphrase-file", str(secret)]) == 0
    assert "问题 3 个" in capsys.readouterr().out      # now both visits' 不属实 points too


# -- 4. where a sample's seed came from ---------------------------------------------------

def source_entries(db) -> list[tuple[int | None, str | None]]:
    with db.session() as s:
        return [(e.entity_id, e.new) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "spot_sample", AuditEntry.field == "seed_source").order_by(AuditEntry.id))]


def cover(path) -> str:
    return "".join(pdf_text(path, 1).split())


def test_the_record_says_whether_the_seed_was_generated_or_typed(bureau, tmp_path):
    generated = draw_and_store(bureau, tmp_path / "a.pdf", count=2).stored          # none given
    typed = draw_and_store(bureau, tmp_path / "b.pdf", count=2, seed=424242).stored  # --seed
    shown = new_seed()                              # the tab's field, left as the program filled it
    kept = draw_and_store(bureau, tmp_path / "c.pdf", count=2, seed=shown).stored
    again = draw_and_store(bureau, tmp_path / "d.pdf", count=2, seed=shown).stored   # typed in again
    assert (generated.seed_source, typed.seed_source, kept.seed_source, again.seed_source) == (
        SEED_GENERATED, SEED_TYPED, SEED_GENERATED, SEED_TYPED) == ("程序生成", "经办人输入", "程序生成", "经办人输入")
    assert source_entries(bureau) == [(generated.id, "程序生成"), (typed.id, "经办人输入"),
                                      (kept.id, "程序生成"), (again.id, "经办人输入")]
    assert [r.seed_source for r in sample_list(bureau)] == ["程序生成", "经办人输入", "程序生成", "经办人输入"]
    with bureau.session() as s:
        assert load_sample(s, typed.id).seed_source == "经办人输入"
        assert load_sample(s, typed.id).info()["seed_source"] == "经办人输入"
    assert f"随机种子：{generated.sample.seed}（程序生成）" in cover(tmp_path / "a.pdf")
    assert "随机种子：424242（经办人输入）" in cover(tmp_path / "b.pdf")
    print_checklists(bureau, typed.id, tmp_path / "again.pdf")                         # reprinted
    assert "随机种子：424242（经办人输入）" in cover(tmp_path / "again.pdf")


def test_a_failed_draw_leaves_the_shown_seed_the_programs(bureau, tmp_path):
    shown = new_seed()
    with pytest.raises(ValidationError):
        draw_and_store(bureau, tmp_path / "x.pdf", count=0, seed=shown)      # the clerk corrects the size
    assert draw_and_store(bureau, tmp_path / "a.pdf", count=2, seed=shown).stored.seed_source == "程序生成"


def test_consolidate_samples_lists_the_seeds_source(bureau, tmp_path, capsys):
    db_path = str(bureau.path)
    first = draw_and_store(bureau, tmp_path / "o.pdf", count=2, seed=5).stored
    with bureau.session() as s:          # a sample drawn before the source was recorded: none shown
        old = store_sample(s, first.sample, "王", "").id
    bureau.close()
    assert run(["--db", db_path, "consolidate", "sample", "--count", "2", str(tmp_path / "a.pdf")]) == 0
    assert run(["--db", db_path, "consolidate", "sample", "--count", "2", "--seed", "99",
                str(tmp_path / "b.pdf")]) == 0
    assert "随机种子 99（经办人输入）" in capsys.readouterr().out
    assert run(["--db", db_path, "consolidate", "samples"]) == 0
    lines = {int(line.split("：")[0].removeprefix("抽查编号 ")): line
             for line in capsys.readouterr().out.splitlines() if line.startswith("抽查编号")}
    assert "种子 5（经办人输入）" in lines[1]
    assert "种子 5，" in lines[old]
    assert "（程序生成）" in lines[old + 1] and "种子 99（经办人输入）" in lines[old + 2]


def test_the_tab_records_a_kept_seed_as_generated_and_a_typed_one_as_typed(page, bureau):
    tab = page.spotcheck
    draw(page, size="2", seed=tab.seed_edit.text())           # the seed the tab shows, left as it is
    draw(page, size="2", seed="12345")                        # one the clerk typed
    assert [(r.seed_source, r.seed == 12345) for r in sample_list(bureau)] == [
        ("程序生成", False), ("经办人输入", True)]
