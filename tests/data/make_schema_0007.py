"""Write the frozen schema-0007 database (tests/data/schema-0007.sqlite).

    python tests/data/make_schema_0007.py        # from the repository root

Made once, with the code of the commit before migration 0008 (feedback packages), and
committed; the test suite only reads it (tests/test_feedback_migration.py migrates a copy).
The database is at revision 0007: a school that also receives (one trusted signer), two
students (one verified and sealed, one with an open finding), the checks' findings and
an audit chain. Run it again only with the code of that commit (e.g. from
``git archive 7e2eea7``): today's models write columns 0007 does not have.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))


def main(target: Path = HERE / "schema-0007.sqlite") -> None:
    from core.idnumber import make_id
    from core.records import ParsedRow
    from core.signing import create_key, public_key_text
    from core.trust import parse_signer_line
    from db import store
    from db.findings import find_student_ids, run_and_store, verify_students
    from db.importing import apply_plan, plan_import
    from db.migrate import upgrade
    from db.session import open_database
    from db.trust_store import KeyFile, add_signer

    target.unlink(missing_ok=True)
    d = open_database(target, migrate=False, lock=False)
    try:
        upgrade(d, "0007")
        a, b = make_id("422822", date(2008, 5, 1), 151), make_id("422822", date(2009, 6, 2), 162)
        with d.session() as s:
            store.init_school(s, "冻结测试中心校", "4228220005", 2023, actor="冻结")
            store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="冻结")
            rows: list[dict[str, Any]] = [
                {"name": "王一", "id_number": a, "id_raw": a, "stage": "普通高中", "category": "REGISTERED",
                 "tuition_fen": 80000},
                {"name": "李二", "id_number": b, "id_raw": b, "stage": "普通高中", "category": "REGISTERED"}]
            apply_plan(s, plan_import(s, "students", [ParsedRow(i, r) for i, r in enumerate(rows)], [],
                                      ["name", "id_number", "stage", "category", "tuition"]))
            apply_plan(s, plan_import(s, "roster", [ParsedRow(0, {"name": "王一", "id_number": a})], [],
                                      ["name", "id_number"]))
            village = create_key("冻结-村小-口令-1")
            line = public_key_text(village.public_raw, "code=4228220105 冻结村小")
            add_signer(s, KeyFile(parse_signer_line(line), village.fingerprint), "冻结镇", actor="冻结")
        with d.session() as s:
            run_and_store(s, actor="冻结")               # 李二 is not on the roster: an open finding
            verify_students(s, find_student_ids(s, a), actor="冻结")
    finally:
        d.close()
    for extra in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        extra.unlink(missing_ok=True)
    print(f"written: {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "schema-0007.sqlite")
