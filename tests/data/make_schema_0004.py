"""Write the frozen schema-0004 database (tests/data/schema-0004.sqlite).

    python tests/data/make_schema_0004.py        # from the repository root

Made once, at the commit that added migration 0005 (the receiving tables), and
committed; the test suite only reads it (tests/test_receiving_intake.py migrates a
copy). The database is created at revision 0004 with today's use cases, which at that
commit wrote only 0004's tables: a school, a policy value, two students on the roster
(one verified and sealed, one removed with a reason), the checks' findings and an
audit chain. Run it again only with the code of that commit.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))


def main(revision: str = "0004") -> None:
    from sqlalchemy import select

    from core.idnumber import make_id
    from core.records import ParsedRow
    from db import store
    from db.findings import run_and_store, verify_students
    from db.importing import apply_plan, plan_import
    from db.migrate import upgrade
    from db.models import Student
    from db.session import open_database
    from db.students import remove_student

    target = HERE / f"schema-{revision}.sqlite"
    target.unlink(missing_ok=True)
    d = open_database(target, migrate=False, lock=False)
    try:
        upgrade(d, revision)
        a, b = make_id("422822", date(2008, 5, 1), 121), make_id("422822", date(2009, 6, 2), 132)
        with d.session() as s:
            store.init_school(s, "冻结测试中心校", "4228220001", 2023, actor="冻结")
            store.set_policy_value(s, "tuition_standard.普通高中", "1200", actor="冻结")
            rows: list[dict[str, Any]] = [{"name": "王一", "id_number": a, "id_raw": a, "stage": "普通高中", "category": "REGISTERED",
                     "tuition_fen": 80000},
                    {"name": "李二", "id_number": b, "id_raw": b, "stage": "普通高中", "category": "NONE"}]
            apply_plan(s, plan_import(s, "students", [ParsedRow(i, r) for i, r in enumerate(rows)], [],
                                      ["name", "id_number", "stage", "category", "tuition"]))
            apply_plan(s, plan_import(s, "roster", [ParsedRow(0, {"name": "王一", "id_number": a})], [],
                                      ["name", "id_number"]))
        with d.session() as s:
            run_and_store(s, actor="冻结")
            ids = {st.name: st.id for st in s.scalars(select(Student))}
            verify_students(s, [ids["王一"]], actor="冻结")
            remove_student(s, ids["李二"], "已转学", actor="冻结")
    finally:
        d.close()
    for extra in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        extra.unlink(missing_ok=True)
    print(f"written: {target}")


if __name__ == "__main__":
    main()
