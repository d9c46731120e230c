"""Storage: migrations, backups, pragmas, audit log, transactional imports, edits."""
import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core.errors import DatabaseError, ValidationError
from core.idnumber import make_id
from core.records import ParsedRow
from db import store
from db.importing import apply_plan, plan_import
from db.migrate import backup, current_revision, head_revision
from db.models import AuditEntry, Student
from db.session import open_database
from db.students import update_student

DATA = Path(__file__).parent / "data"
ID1 = make_id("110101", date(2008, 5, 1), 123)
ID2 = make_id("110101", date(2009, 6, 2), 124)


@pytest.fixture
def fresh(tmp_path):
    d = open_database(tmp_path / "z.sqlite")
    with d.session() as s:
        store.init_school(s, "第一中学", "4115", 2023, actor="t")
    yield d
    d.close()


def rows(*values):
    return [ParsedRow(i + 2, v) for i, v in enumerate(values)]


def stu(name, idn, **kw):
    return {"name": name, "id_number": idn, "id_raw": idn, "id_numeric_cell": False,
            "stage": "普通高中", "category": "REGISTERED", **kw}


def test_new_database_is_at_head_with_pragmas(fresh):
    assert current_revision(fresh) == head_revision()
    with fresh.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_frozen_v0001_database_opens_and_keeps_data(tmp_path):
    src = DATA / "schema-0001.sqlite"
    target = tmp_path / "old.sqlite"
    shutil.copy(src, target)
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        # a backup was taken before migrating, and it is still at 0001
        backups = list((tmp_path / "backups").glob("old-*-before-migration-0001.sqlite"))
        assert len(backups) == 1
        con = sqlite3.connect(backups[0])
        assert con.execute("select version_num from alembic_version").fetchone()[0] == "0001"
        con.close()
        with d.session() as s:
            assert store.get_school(s).name == "冻结测试学校"
            assert s.scalar(select(func.count()).select_from(Student)) == 2
    finally:
        d.close()


def test_frozen_v0002_database_is_chained_and_its_verified_students_sealed(tmp_path):
    """Migration 0003 chains the existing audit entries in id order and seals the students
    already verified as they stand (nothing could detect a change before seals existed),
    writing one audit entry per sealed student; the unverified stay unsealed."""
    from core.engine import Calculator
    from db.audit import audit_chain_status
    from db.findings import run_and_store
    from db.seals import seal_stands, seal_student

    target = tmp_path / "old2.sqlite"
    shutil.copy(DATA / "schema-0002.sqlite", target)
    con = sqlite3.connect(target)
    entries = con.execute("select count(*) from audit_log").fetchone()[0]
    verified = {n for (n,) in con.execute("select name from student where verified = 1")}
    con.close()
    assert verified == {"王一", "赵三"}
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            status = audit_chain_status(s)
            assert status.intact and status.entries == entries + len(verified)
            rows = {st.name: st for st in s.scalars(select(Student))}
            assert {n for n, st in rows.items() if st.verified} == verified
            calc = Calculator(store.get_policy(s))
            # sealed in version 1's form, what a seal was then (core.seal), and holding as such
            assert all(rows[n].seal == seal_student(rows[n], calc, version=1) for n in verified)
            assert all(seal_stands(rows[n], calc) for n in verified)
            assert rows["李二"].seal is None
            notes = s.scalars(select(AuditEntry).where(AuditEntry.actor == "迁移0003")).all()
            assert {(e.entity_id, e.field) for e in notes} == {(rows[n].id, "seal") for n in verified}
            codes = {f.code for f in run_and_store(s).findings}
            assert not codes & {"TAMPERED_AFTER_VERIFY", "AUDIT_CHAIN_BROKEN", "ROSTER_EMPTY", "ROSTER_SHRUNK"}
    finally:
        d.close()
    con = sqlite3.connect(target)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("INSERT OR REPLACE INTO audit_log (id, at, actor, entity, field, prev_hash, hash) "
                        "VALUES (1, '2020-01-01', 'x', 'y', 'z', '', '')")
    finally:
        con.close()


def test_frozen_v0010_database_gets_an_empty_full_time_text_and_its_seals_hold(tmp_path):
    """Migration 0013 adds student.full_time_text (an unreadable 全日制正式学籍 cell as typed): the
    students of an older database keep their data and get "" (how their cells were read is not
    known); the column is in no seal, so the verified student stays verified without
    TAMPERED_AFTER_VERIFY. Downgraded, the column goes and the data stays."""
    from alembic import command
    from sqlalchemy import create_engine

    from db.findings import run_and_store
    from db.migrate import _config

    target = tmp_path / "old10.sqlite"
    shutil.copy(DATA / "schema-0010.sqlite", target)
    con = sqlite3.connect(target)
    before = con.execute("select id, name, full_time, verified, seal, removed_reason from student order by id").fetchall()
    con.close()
    assert [r[1] for r in before] == ["王一", "李二"] and before[0][3] == 1 and before[0][4]
    d = open_database(target)
    try:
        assert current_revision(d) == head_revision()
        with d.session() as s:
            codes = {f.code for f in run_and_store(s).findings}
            assert "TAMPERED_AFTER_VERIFY" not in codes and "VALUE_UNREADABLE" not in codes
            assert [(st.name, st.verified, st.full_time_text) for st in s.scalars(select(Student).order_by(Student.id))] \
                == [("王一", True, ""), ("李二", False, "")]
    finally:
        d.close()
    con = sqlite3.connect(target)
    try:
        assert con.execute("select id, name, full_time, verified, seal, removed_reason from student order by id"
                           ).fetchall() == before
        assert con.execute("select count(*) from student where full_time_text = ''").fetchone() == (2,)
    finally:
        con.close()
    engine = create_engine(f"sqlite:///{target}")
    try:
        cfg = _config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012")
    finally:
        engine.dispose()
    con = sqlite3.connect(target)
    try:
        assert "full_time_text" not in {r[1] for r in con.execute("pragma table_info(student)")}
        assert con.execute("select id, name, full_time, verified, seal, removed_reason from student order by id"
                           ).fetchall() == before
    finally:
        con.close()


def test_not_a_database_is_refused(tmp_path):
    bad = tmp_path / "x.sqlite"
    bad.write_text("hello")
    with pytest.raises(DatabaseError) as err:
        open_database(bad)
    assert "不是资助助手的数据库" in err.value.message


def test_backup_keeps_last_n(fresh):
    made = [backup(fresh, reason=f"t{i}", keep=3) for i in range(5)]
    kept = sorted((fresh.path.parent / "backups").glob("*.sqlite"))
    assert len(kept) == 3 and made[-1] in kept and made[0] not in kept
    con = sqlite3.connect(made[-1])
    assert con.execute("select name from school").fetchone()[0] == "第一中学"
    con.close()


def test_audit_log_is_append_only(fresh):
    with pytest.raises(DBAPIError), fresh.session() as s:
        s.execute(text("DELETE FROM audit_log"))
    with fresh.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) >= 1


def test_import_add_update_unchanged_and_audit(fresh):
    fields = ["name", "id_number", "stage", "category"]
    with fresh.session() as s:
        plan = plan_import(s, "students", rows(stu("张三", ID1), stu("李四", ID2)), [], fields)
        assert plan.counts()["added"] == 2
        apply_plan(s, plan, actor="clerk")
    with fresh.session() as s:
        plan = plan_import(s, "students", rows(stu("张三", ID1, stage="中职"), stu("李四", ID2)), [], fields)
        assert plan.counts() == {"added": 0, "updated": 1, "unchanged": 1, "skipped": 0, "with_problems": 0,
                                 "removed": 0}
        apply_plan(s, plan, actor="clerk")
    with fresh.session() as s:
        zs = s.scalars(select(Student).where(Student.id_number == ID1)).one()
        assert zs.stage == "中职" and zs.name_initials == "zs"
        log = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == zs.id, AuditEntry.field == "stage")).one()
        assert (log.old, log.new, log.actor) == ("普通高中", "中职", "clerk")


def test_reimport_does_not_blank_columns_missing_from_file(fresh):
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows(stu("张三", ID1, lodging_fen=50000)), [],
                                  ["name", "id_number", "stage", "category", "lodging"]))
    with fresh.session() as s:
        plan = plan_import(s, "students", rows(stu("张三", ID1, lodging_fen=None)), [],
                           ["name", "id_number", "stage", "category"])
        assert plan.counts()["unchanged"] == 1
        apply_plan(s, plan)
        assert s.scalars(select(Student.lodging_fen)).one() == 50000


def test_duplicate_ids_in_file_stay_separate_students(fresh):
    fields = ["name", "id_number"]
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows(stu("张三", ID1), stu("张叁", ID1)), [], fields))
    with fresh.session() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == 2
        # Re-importing the same file matches both, in order: nothing added.
        plan = plan_import(s, "students", rows(stu("张三", ID1), stu("张叁", ID1)), [], fields)
        assert plan.counts()["added"] == 0 and plan.counts()["unchanged"] == 2


def test_failed_import_leaves_database_unchanged(fresh):
    with fresh.session() as s:
        before = s.scalar(select(func.count()).select_from(Student))
    with pytest.raises(RuntimeError, match="disk full"), fresh.session() as s:
        plan = plan_import(s, "students", rows(stu("张三", ID1), stu("李四", ID2)), [], ["name"])
        apply_plan(s, plan)
        raise RuntimeError("disk full")  # anything failing after the writes
    with fresh.session() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == before
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "student")) == 0


def test_edit_unverifies_and_is_audited(fresh):
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows(stu("张三", ID1)), [], ["name", "id_number"]))
        st = s.scalars(select(Student)).one()
        st.verified = True
        sid = st.id
    with fresh.session() as s:
        diff = update_student(s, sid, {"grade": "高二", "name": "曾三"}, actor="clerk")
        assert diff["verified"] == (True, False)
    with fresh.session() as s:
        st = s.get(Student, sid)
        assert (st.grade, st.verified) == ("高二", False)
        assert set(st.name_initials.split("|")) == {"zs", "cs"}
        fields = set(s.scalars(select(AuditEntry.field).where(AuditEntry.entity_id == sid)))
        assert {"grade", "name", "verified"} <= fields
    with pytest.raises(ValidationError), fresh.session() as s:
        update_student(s, sid, {"no_such_field": 1})


def test_policy_kept_per_database(fresh):
    with fresh.session() as s:
        store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="clerk")
    with fresh.session() as s:
        from core.domain import Stage
        assert store.get_policy(s).parameters["tuition_standard"][Stage.HIGH_SCHOOL] == 120000


def test_init_school_validates(fresh):
    with pytest.raises(ValidationError) as err, fresh.session() as s:
        store.init_school(s, "", "1", 2023)
    assert "学校名称" in err.value.message
    with pytest.raises(ValidationError), fresh.session() as s:
        store.init_school(s, "x", "1", 23)
    with fresh.session() as s:
        assert store.get_school(s).name == "第一中学"


def test_lost_digit_ids_never_match_other_people(fresh):
    lost = {"id_number": "", "id_raw": "4.22822E+17", "id_numeric_cell": True, "stage": "初中"}
    fields = ["name", "id_number", "stage"]
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows({"name": "钱七", **lost}), [], fields))
    with fresh.session() as s:
        plan = plan_import(s, "students", rows({"name": "吴十", **lost}, {"name": "钱七", **lost}), [], fields)
        assert plan.counts()["added"] == 1 and plan.counts()["unchanged"] == 1
        apply_plan(s, plan)
        assert sorted(s.scalars(select(Student.name))) == ["吴十", "钱七"]


def test_reimport_unverifies_with_audit(fresh):
    fields = ["name", "id_number", "stage"]
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows(stu("张三", ID1)), [], fields))
        s.scalars(select(Student)).one().verified = True
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows(stu("张三", ID1, stage="中职")), [], fields), actor="c")
        st = s.scalars(select(Student)).one()
        assert st.verified is False
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == st.id,
                                                   AuditEntry.field == "verified")).one()
        assert (entry.old, entry.new) == ("是", "否")


def test_id_edit_keeps_raw_and_numeric_marker_restorable(fresh):
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows({"name": "钱七", "id_number": "", "id_raw": "4.22822E+17",
                                                       "id_numeric_cell": True}), [], ["name", "id_number"]))
        sid = s.scalars(select(Student.id)).one()
    with fresh.session() as s:
        diff = update_student(s, sid, {"id_number": ID1})
        assert diff["id_raw"] == ("4.22822E+17", ID1) and diff["id_numeric_cell"] == (True, False)
    with fresh.session() as s:   # undo writes the old values back
        update_student(s, sid, {f: old for f, (old, _new) in diff.items() if f != "verified"})
        st = s.get(Student, sid)
        assert (st.id_number, st.id_raw, st.id_numeric_cell) == ("", "4.22822E+17", True)


def test_added_rows_get_fresh_ids_after_deletions_and_audit_names_them(fresh):
    """Imports insert with explicit ids (one executemany): they must follow the highest id
    even after deletions, and the import's 导入新增 audit entry must name each student by its own id."""
    fields = ["name", "id_number", "stage", "category"]
    ids = [make_id("110101", date(2008, 5, 1), 100 + i) for i in range(6)]
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows(*(stu(f"学生{i}", n) for i, n in enumerate(ids[:3]))),
                                  [], fields), actor="clerk")
        top = s.scalar(select(func.max(Student.id)))
        s.execute(text("DELETE FROM student WHERE id = :i"), {"i": top})   # the newest one leaves
    with fresh.session() as s:
        apply_plan(s, plan_import(s, "students", rows(*(stu(f"学生{i}", n) for i, n in enumerate(ids))),
                                  [], fields), actor="clerk")
        students = s.scalars(select(Student).order_by(Student.id)).all()
        assert [st.name for st in students] == ["学生0", "学生1", "学生2", "学生3", "学生4", "学生5"]
        assert len({st.id for st in students}) == 6
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "student",
                                                   AuditEntry.new.like("导入新增%"))).all()[-1]
        assert entry.entity_id is None       # one entry for the import names every student it added
        head, listed = entry.new.split("：", 1)
        assert json.loads(listed) == [[st.id, st.name] for st in students[2:]]
        assert head == f"导入新增 4 名学生（编号 {students[2].id}–{students[5].id}）"


def test_models_and_migrations_describe_the_same_schema(db):
    """Alembic's autogenerate comparison of the migrated schema with the models finds nothing:
    a model changed without a migration (or a migration without the model) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from db.models import full_metadata
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, full_metadata()) == []
