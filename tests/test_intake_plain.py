"""Intake stores through the driver's SQL (db.receiving): the same keys, year, rows and texts as the
ORM paths it replaced, and no ORM use at all (its first use configures every mapper)."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from receiving_fixtures import trusting_receiver, two_kid_school

from core.package import name_problem
from db import keys, store, trust_store
from db.receiving import _receiver, intake
from db.receiving_models import IntakeLog, ReceivedPackageRow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    root = tmp_path_factory.mktemp("plain")
    return SimpleNamespace(a=two_kid_school(root, "4228220411", "东坪小学", first=1),
                           b=two_kid_school(root, "4228220412", "西坪小学", first=3))


@pytest.fixture
def station(tmp_path, schools):
    yield from trusting_receiver(tmp_path / "station.sqlite", (schools.a, schools.b))


def test_the_receiver_reads_the_keys_and_year_the_trust_store_reads(station, schools):
    """The registered keys not removed, then the database's own key; the school year."""
    with station.session() as s:
        keys.ensure_key(s, "口令口令口令口令", actor="t")
    with station.session() as s:
        trust_store.remove_signers(s, schools.b.code, actor="t")
    with station.session() as s:
        expected = (trust_store.trusted_signers(s), store.get_school(s).school_year)
        got = _receiver(s.connection())
    assert got == expected
    assert [t.source for t in got[0]][-1] == "本机数据库" and len(got[0]) == 2


def test_a_duplicate_names_when_the_first_was_received(station, schools):
    first = intake(station, [schools.a.path]).outcomes[0]
    again = intake(station, [schools.a.path]).outcomes[0]
    with station.session() as s:
        row = s.get(ReceivedPackageRow, first.package_id)
        assert row is not None
        logged = [r.at for r in s.query(IntakeLog).order_by(IntakeLog.id)]
    assert again.result == "duplicate"
    assert again.reason == f"同一文件已于 {row.received_at:%Y-%m-%d %H:%M} 接收（{schools.a.path.name}）"
    assert len(logged) == 2 and logged[0] <= logged[1]
    # the times stored as SQLAlchemy stores a DateTime (always with microseconds)
    con = sqlite3.connect(station.path)
    try:
        texts = [*con.execute("select received_at from received_package"), *con.execute("select at from intake_log")]
    finally:
        con.close()
    assert len(texts) == 3 and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", t) for t, in texts)


_PROBE = """
import json, sys
from pathlib import Path
from db.session import open_database
from db.receiving import intake
from db.models import Base
db = open_database(Path(sys.argv[1]))
report = intake(db, [Path(sys.argv[2])])
db.close()
print(json.dumps({"accepted": report.count("accepted"),
                  "configured": sorted(m.class_.__name__ for m in Base.registry.mappers if m.configured)}))
"""


def test_intake_uses_no_orm_object(tmp_path, schools):
    """A fresh process's intake neither loads nor configures an ORM mapper (a tenth of a
    consolidation's own time at county size)."""
    for receiver in trusting_receiver(tmp_path / "r.sqlite", [schools.a]):
        path = receiver.path
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(path), str(schools.a.path)], cwd=ROOT,
                          env={**os.environ, "ZIZHU_HOME": str(tmp_path)}, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"accepted": 1, "configured": []}


@pytest.mark.parametrize("code", range(0x30))
def test_a_member_name_with_a_control_character_is_refused(code):
    """Every character below 0x20 (NUL included), anywhere in the name; from 0x20 on none is one."""
    for name in (f"{chr(code)}a.pdf", f"a{chr(code)}.pdf", f"a.pd{chr(code)}f"):
        assert (name_problem(name) == "文件名含控制字符") == (code < 0x20), (code, name)


def test_a_package_failing_midway_says_which_are_stored_and_a_second_try_stores_the_rest(station, schools,
                                                                                          monkeypatch):
    """Each package is its own transaction: when the second one's write fails, the first is kept, and
    the clerk is told so (not the single-transaction "这次操作没有写入任何数据"); the same files added
    again store the rest, the first recognised as received."""
    from receiving_fixtures import failing_log

    import db.receiving as receiving
    from core.errors import DatabaseError
    real = receiving._log
    failing_log(monkeypatch, lambda _outcomes, n: n == 2)
    with pytest.raises(DatabaseError) as told:
        intake(station, [schools.a.path, schools.b.path])
    message = told.value.message
    assert "没有写入任何数据" not in message
    assert "此前的 1 个包" in message and "共 1 个包没有存入" in message
    assert "再次添加同一批文件" in told.value.hint
    with station.session() as s:
        first = [r.file_name for r in s.query(ReceivedPackageRow)]
    assert len(first) == 1 and first[0] in message
    monkeypatch.setattr(receiving, "_log", real)
    again = intake(station, [schools.a.path, schools.b.path])
    assert sorted(o.result for o in again.outcomes) == ["accepted", "duplicate"]
    with station.session() as s:
        assert s.query(ReceivedPackageRow).count() == 2


def test_a_failure_after_a_refused_package_does_not_call_it_stored(tmp_path, monkeypatch):
    """A package refused when it came to be stored (older than the school's current one) is not among
    "the packages stored before": the failure that follows is told as the database error alone."""
    from receiving_fixtures import failing_log, revise_school

    from core.errors import DatabaseError
    a_old = two_kid_school(tmp_path / "o", "4228220411", "东坪小学", first=1)
    a_new = revise_school(a_old, tmp_path / "n.zip")
    b = two_kid_school(tmp_path / "b", "4228220412", "西坪小学", first=3)
    station = next(trusting_receiver(tmp_path / "st.sqlite", (a_old, b)))
    assert intake(station, [a_new.path]).count("accepted") == 1
    failing_log(monkeypatch, lambda outcomes, _n: bool(outcomes) and outcomes[0].file_name == b.path.name)
    with pytest.raises(DatabaseError) as told:
        intake(station, [a_old.path, b.path])
    assert "已经存入" not in told.value.message and "磁盘错误" in told.value.message
