"""Intake of school packages at a receiver (consolidate add): verified completely before
anything is stored; the receiving migration on a frozen older database."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from db.audit import audit_chain_status
from db.findings import run_and_store
from db.migrate import current_revision, head_revision
from db.session import open_database

DATA = Path(__file__).parent / "data"
RECEIVING_TABLES = {"trusted_signer", "package_blob", "received_package", "received_student", "received_grant",
                    "intake_log", "expected_school"}


def test_frozen_v0004_database_gains_the_receiving_tables_and_keeps_everything(tmp_path):
    """0005 only adds the receiving tables: the school's rows, the audit chain and the seals
    are as they were (no tampering finding), and the new tables are empty."""
    target = tmp_path / "old4.sqlite"
    shutil.copy(DATA / "schema-0004.sqlite", target)
    con = sqlite3.connect(target)
    assert con.execute("select version_num from alembic_version").fetchone()[0] == "0004"
    before = {t: con.execute(f"select * from {t} order by 1").fetchall()
              for t in ("school", "student", "roster_person", "finding", "audit_log", "setting")}
    con.close()
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            assert audit_chain_status(s).intact
            codes = {f.code for f in run_and_store(s).findings}
            assert "TAMPERED_AFTER_VERIFY" not in codes and "AUDIT_CHAIN_BROKEN" not in codes
    finally:
        d.close()
    con = sqlite3.connect(target)
    try:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        assert tables >= RECEIVING_TABLES
        assert all(con.execute(f"select count(*) from {t}").fetchone()[0] == 0 for t in RECEIVING_TABLES)
        for table in ("school", "student", "roster_person", "audit_log"):
            assert con.execute(f"select * from {table} order by 1").fetchall() == before[table]
    finally:
        con.close()
