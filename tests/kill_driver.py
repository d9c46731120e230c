"""One database use case in its own process, for tests/test_kill.py to kill at a random point.

The command line has no command for these two, so this script calls the same use cases
the GUI calls:

    python tests/kill_driver.py edit DB ID_NUMBER     edit one student (audited, un-verifies)
    python tests/kill_driver.py verify DB [half]      check, then verify every student (or every
                                                      other one) that is not blocked, in one
                                                      transaction
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# What "edit" writes: a few fields of different kinds (text, money, phone).
EDIT_CHANGES = {"class_name": "调班", "tuition_fen": 123456, "phone": "13900000000"}


def main(argv: list[str]) -> int:
    from core.logsetup import setup_logging
    from core.paths import log_dir
    from db.session import open_database

    setup_logging(log_dir())
    op, path = argv[0], argv[1]
    db = open_database(path)
    try:
        if op == "edit":
            from db.findings import find_student_ids
            from db.students import update_student
            with db.session() as s:
                (sid,) = find_student_ids(s, argv[2])
                update_student(s, sid, dict(EDIT_CHANGES))
        elif op == "verify":
            from sqlalchemy import select

            from db.findings import run_and_store, verify_students
            from db.models import Student
            half = argv[2:] == ["half"]
            with db.session() as s:
                run_and_store(s)
                ids = list(s.scalars(select(Student.id).order_by(Student.id)))
                verify_students(s, ids[::2] if half else ids, skip_blocked=True)
        else:
            raise SystemExit(f"unknown operation {op!r}")
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
