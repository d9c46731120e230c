"""Migration 0010 on the frozen receiving-0008 database: the per-student and per-grant rows
go, every figure is read from the stored packages exactly as the rows held it, and the
downgrade rebuilds the rows from the stored bytes."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from receiving_fixtures import stored_students
from sqlalchemy import create_engine

from db.audit import audit_chain_status
from db.migrate import _config, current_revision, head_revision
from db.receiving import accepted_data
from db.session import open_database

DATA = Path(__file__).parent / "data"
_ROWS = ("select s.package_id, s.id_number, s.name, s.verified, s.prior_grants, s.pending, s.total_fen, "
         "g.item_code, g.amount_fen, g.city_fen, g.county_fen from received_student s "
         "join received_grant g on g.student_id = s.id order by s.package_id, s.id, g.id")


def _sql(path: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _tables(path: Path) -> set[str]:
    return {r[0] for r in _sql(path, "select name from sqlite_master where type='table'")}


def _from_blobs(path: Path) -> list[tuple]:
    return [(package_id, st.id_number, st.name, int(st.verified), ",".join(st.prior_grants), ",".join(st.pending),
             st.total_fen, g.code, g.amount_fen, g.shares.get("city", 0), g.shares.get("county", 0))
            for package_id, _, st in stored_students(path) for g in st.grants]


def test_frozen_v0008_station_loses_the_row_copies_and_reads_the_same_figures_from_the_packages(tmp_path):
    target = tmp_path / "station8.sqlite"
    shutil.copy(DATA / "receiving-0008.sqlite", target)
    assert _sql(target, "select version_num from alembic_version") == [("0008",)]
    old = _sql(target, _ROWS)
    packages = _sql(target, "select id, file_name, state, replaced_by, students, total_fen from received_package")
    assert len(old) == 21 and [p[2] for p in packages] == ["replaced", "current", "current"]
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            assert audit_chain_status(s).intact
            current = accepted_data(s)
        assert sorted(p.package_id for p in current) == [2, 3]
    finally:
        d.close()
    assert not _tables(target) & {"received_student", "received_grant"}
    # every student, grant, share and total the rows held, of the current AND the replaced package
    assert _from_blobs(target) == old
    assert _sql(target, "select id, file_name, state, replaced_by, students, total_fen from received_package") == packages

    engine = create_engine(f"sqlite:///{target}")
    try:
        from alembic import command
        cfg = _config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
    finally:
        engine.dispose()
    assert _sql(target, "select version_num from alembic_version") == [("0008",)]
    assert _sql(target, _ROWS) == old            # rebuilt from the stored packages, ids in the same order
