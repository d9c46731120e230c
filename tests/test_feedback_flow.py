"""The whole loop on the command line, with packages built by the program: two schools report
to a station (one student subsidised by both), the station consolidates and spot-checks, signs a
反馈包 for each school, and a school imports it into its 核查问题."""
from __future__ import annotations

import hashlib
import zipfile

from receiving_fixtures import kid_id, station_with_two_schools

from cli.commands import run
from core.feedback import FEEDBACK_MEMBER, parse_feedback
from db.session import open_database
from db.spotcheck import draw_and_store, enter_result
from db.views import finding_rows

POINTS = ("在籍在校", "家庭类别", "实收费用", "资金到账", "告知书已收到")


def _spot(db_path, tmp_path, id_number, unannounced, false_point, points=POINTS):
    """A sample of every student; ``id_number``'s check entered (``false_point`` 不属实)."""
    d = open_database(db_path)
    try:
        run_ = draw_and_store(d, tmp_path / f"sample-{unannounced}.pdf", count=4, seed=7, unannounced=unannounced)
        for p in points:
            enter_result(d, run_.stored.id, id_number, p, p != false_point, "家长称未收到" if p == false_point else "")
    finally:
        d.close()


def test_station_to_school_round_trip_on_the_command_line(tmp_path, capsys):
    loop = station_with_two_schools(tmp_path)
    a, b, st, secret = loop.a, loop.b, loop.db, loop.secret
    _spot(st, tmp_path, kid_id(1), False, "资金到账")                       # done: goes back
    _spot(st, tmp_path, kid_id(1), True, "告知书已收到", POINTS[:3])          # a visit not finished: never sent
    capsys.readouterr()
    out = tmp_path / "fb-a.zip"
    assert run(["--db", st, "consolidate", "feedback", "--school", a.code, str(out),
                "--passphrase-file", str(secret)]) == 0
    assert "问题 2 个（错误 2，警告 0，提示 0）" in capsys.readouterr().out
    with zipfile.ZipFile(out) as zf:
        fb = parse_feedback(zf.read(FEEDBACK_MEMBER))
    assert (fb.receiver_code, fb.school_code, fb.school_year) == ("ST4228", a.code, 2023)
    assert fb.package_sha256 == hashlib.sha256(a.path.read_bytes()).hexdigest()
    assert sorted((f.origin, f.code) for f in fb.findings) == [("专项核查", "SPOTCHECK_NOT_TRUE"),
                                                               ("汇总核查", "DUPLICATE_ACROSS_SCHOOLS")]
    # --all: one per school with findings (both: the duplicate concerns each)
    folder = tmp_path / "all"
    folder.mkdir()
    assert run(["--db", st, "consolidate", "feedback", "--all", str(folder), "--passphrase-file", str(secret)]) == 0
    assert sorted(p.name.split("-")[0] for p in folder.iterdir()) == [a.code, b.code]
    assert run(["--db", st, "consolidate", "feedback", "--school", "9999", str(tmp_path / "x.zip"),
                "--passphrase-file", str(secret)]) == 2
    assert "没有学校代码为 9999" in capsys.readouterr().err
    # the school registers the station's key and imports its feedback
    key = tmp_path / "station.pub"
    assert run(["--db", st, "key", "export", str(key)]) == 0
    sa = str(a.db_path)
    assert run(["--db", sa, "trust", "add", str(key), "--school", "龙坪乡扶贫工作站", "--yes"]) == 0
    capsys.readouterr()
    assert run(["--db", sa, "import", "feedback", str(out)]) == 0
    text = capsys.readouterr().out
    assert "新问题 2 个" in text and "来自：龙坪乡扶贫工作站 专项核查" in text and kid_id(1) not in text
    d = open_database(a.db_path)
    try:
        rows = {r.code: r for r in finding_rows(d) if r.origin}
    finally:
        d.close()
    assert set(rows) == {"DUPLICATE_ACROSS_SCHOOLS", "SPOTCHECK_NOT_TRUE"}
    assert rows["SPOTCHECK_NOT_TRUE"].id_number == kid_id(1) and "资金到账" in rows["SPOTCHECK_NOT_TRUE"].message
    assert rows["DUPLICATE_ACROSS_SCHOOLS"].id_number == kid_id(2)
    assert run(["--db", sa, "export", str(tmp_path / "again.zip"), "--passphrase-file", str(secret)]) == 2
    assert "还有 2 个未处理的错误" in capsys.readouterr().err
