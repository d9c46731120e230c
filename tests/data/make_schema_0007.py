"""Write the frozen schema-0007 database (tests/data/schema-0007.sqlite).

    python tests/data/make_schema_0007.py        # from the repository root

Made once, at the commit that added migration 0008 (feedback packages), with the code of
commit 7e2eea7 (head 0007) and make_schema_0004.py: the school of schema-0004 — a policy
value, one student verified and sealed, one removed, the checks' findings — at revision
0007. The test suite only reads it (tests/test_feedback_migration.py migrates a copy).
Run it again only with the code of that commit (``git archive 7e2eea7``): today's models
write finding columns 0007 does not have.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_schema_0004 import main

if __name__ == "__main__":
    main("0007")
