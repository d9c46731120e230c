"""Write the frozen receiving-0008 database (tests/data/receiving-0008.sqlite).

    python tests/data/make_receiving_0008.py        # from the repository root

Made once with the code of commit fe36952 (head 0008), before migrations 0009 and 0010 existed: a
station (2023) that trusts two schools and received three packages through ``consolidate
add`` — school A's first package, then its revision (a fee changed, a student added; the
first one kept as ``replaced``) and school B's — so ``received_student`` and
``received_grant`` hold the rows that version stored. Tests of migration 0010 and later
migrate a copy. Run it again only with the code of that commit (``git archive fe36952``).
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

from receiving_fixtures import Kid, high_school_kid, kid_id, receiver_db, revise_school, two_kid_school  # noqa: E402

from db import trust_store  # noqa: E402
from db.receiving import intake  # noqa: E402
from db.session import open_database  # noqa: E402

A, B = "4228220101", "4228220102"


def main() -> None:
    target = HERE / "receiving-0008.sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a = two_kid_school(root / "a", A, "龙坪乡中心小学", first=1)
        b = two_kid_school(root / "b", B, "高坪镇中心小学", township="高坪镇", first=11)
        path = receiver_db(root / "station.sqlite")
        d = open_database(path)
        try:
            for pkg in (a, b):
                trust_store.register(d, trust_store.read_key_file(pkg.key_file, pkg.name))
            assert intake(d, [a.path, b.path]).count("accepted") == 2
            a2 = revise_school(a, root / "a2.zip", students=[
                Kid("学生1", kid_id(1), tuition_fen=80000, textbook_fen=20000, lodging_fen=0),
                high_school_kid("学生3", 3)])
            (o,) = intake(d, [a2.path]).outcomes
            assert o.accepted and o.replaced_file == a.path.name, o
        finally:
            d.close()
        target.unlink(missing_ok=True)
        shutil.copy(path, target)


if __name__ == "__main__":
    main()
