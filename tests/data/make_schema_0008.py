"""Write the frozen schema-0008 database (tests/data/schema-0008.sqlite).

    python tests/data/make_schema_0008.py        # from the repository root

Made once with the code of commit 8d81ab6 (head 0008), before migration 0009 existed, and
make_schema_0004.py: the school of schema-0004 — a policy value, one student verified and
sealed, one removed, the checks' findings — at revision 0008. Tests of migration 0009 and
later migrate a copy. Run it again only with the code of that commit (``git archive 8d81ab6``).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_schema_0004 import main

if __name__ == "__main__":
    main("0008")
