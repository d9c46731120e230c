"""A school's audit log only grows: a replacement whose signed manifest counts fewer entries than the
package it replaces is told (the school restored a backup, or deleted records behind the program's back:
the receiver's copy of the earlier count is the chain's anchor outside the school's database)."""
from __future__ import annotations

import json
import shutil
import time
import zipfile
from datetime import datetime

from receiving_fixtures import export_school, high_school_kid, receiver_db, revise_school, two_kid_school

from core.intake import audit_entries
from db import trust_store
from db.receiving import intake
from db.receiving_text import report_lines
from db.session import open_database

A = "4228220301"


def _entries(path) -> int:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("manifest.json"))["audit_log"]["entries"]


def test_a_replacement_with_a_shorter_audit_log_is_told(tmp_path):
    a = two_kid_school(tmp_path, A, "龙坪乡中心小学", first=301)
    saved = tmp_path / "saved.sqlite"
    shutil.copy(a.db_path, saved)                       # the school's backup, after its first export
    a2 = revise_school(a, tmp_path / "a2.zip",           # a student added, verified, exported: a longer log
                       students=[high_school_kid("学生309", 309), high_school_kid("学生310", 310)])
    shutil.copy(saved, a.db_path)                        # the backup restored
    made = datetime.fromisoformat(json.loads(zipfile.ZipFile(a2.path).read("manifest.json"))["generated_at"])
    while datetime.now().replace(microsecond=0) <= made:
        time.sleep(0.1)
    a3 = export_school(a.db_path, tmp_path / "a3.zip")
    assert audit_entries(a.path.read_bytes()) == _entries(a.path) < _entries(a2.path)
    assert _entries(a3.path) < _entries(a2.path)

    station = open_database(receiver_db(tmp_path / "station.sqlite"))
    try:
        trust_store.register(station, trust_store.read_key_file(a.key_file, a.name))
        first = intake(station, [a.path, a2.path])
        assert [o.result for o in first.outcomes] == ["accepted", "accepted"]
        assert all(o.audit_shrank == () for o in first.outcomes)           # the log grew: nothing to say
        assert not any("审计日志" in line for line in report_lines(first))
        later = intake(station, [a3.path])
        (outcome,) = later.outcomes
        assert outcome.accepted and outcome.replaced_file == a2.path.name
        assert outcome.audit_shrank == (_entries(a2.path), _entries(a3.path))
        assert (f"  注意：这个版本的审计日志只有 {_entries(a3.path)} 条，少于此前接收的版本的 {_entries(a2.path)} 条："
                "日志只增不减，学校可能从备份恢复过数据库，也可能删改过记录。请向学校核实") in report_lines(later)
        with station.engine.connect() as conn:
            note = conn.exec_driver_sql("SELECT new FROM audit_log WHERE entity = 'package' ORDER BY id DESC").first()
        assert f"审计日志 {_entries(a3.path)} 条，少于此前接收的版本的 {_entries(a2.path)} 条" in note[0]
        # exported once more from the restored database: longer than a3 (the one it replaces), still
        # shorter than a2, the most any version counted here
        while datetime.now().replace(microsecond=0) <= datetime.fromisoformat(
                json.loads(zipfile.ZipFile(a3.path).read("manifest.json"))["generated_at"]):
            time.sleep(0.1)
        a4 = export_school(a.db_path, tmp_path / "a4.zip")
        assert _entries(a3.path) < _entries(a4.path) < _entries(a2.path)
        (outcome,) = intake(station, [a4.path]).outcomes
        assert outcome.accepted and outcome.audit_shrank == (_entries(a2.path), _entries(a4.path))
    finally:
        station.close()


def test_a_package_without_an_audit_count_says_nothing(tmp_path):
    assert audit_entries(b"not a zip") is None
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"audit_log": {"entries": "12"}}))
    assert audit_entries(path.read_bytes()) is None
