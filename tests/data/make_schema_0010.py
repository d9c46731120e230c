"""Write the frozen schema-0010 database (tests/data/schema-0010.sqlite).

    python tests/data/make_schema_0010.py        # from the repository root

Made once with the code of commit b244521 (head 0010), before migration 0011 existed:
make_schema_0004.py's school at revision 0010, and the verified student's letter recorded
as printed (``notified_at`` set, as every earlier version recorded it: without what it told).
Tests of migration 0011 and later migrate a copy. Run it again only with the code of that
commit (``git archive b244521``).
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from make_schema_0004 import main  # noqa: E402

if __name__ == "__main__":
    main("0010")
    from sqlalchemy import select

    from db.exports import mark_letters_printed
    from db.models import Student
    from db.session import open_database
    target = HERE / "schema-0010.sqlite"
    d = open_database(target, migrate=False, lock=False)
    try:
        with d.session() as s:
            sid = s.scalar(select(Student.id).where(Student.name == "王一"))
            assert sid is not None
            mark_letters_printed(s, [sid], actor="冻结")
    finally:
        d.close()
    for extra in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        extra.unlink(missing_ok=True)
    print(f"marked printed: {target}")
