"""Write the frozen schema-0006 database (tests/data/schema-0006.sqlite).

    python tests/data/make_schema_0006.py        # from the repository root

Made once, at the commit that added migration 0007 (policy versions), with the code of
commit 3618ac7 (head 0006, the policy still in the ``policy`` setting) and make_schema_0004.py
from the policy-versions commit (which takes the revision): the school of schema-0004 —
a policy value, one student verified and sealed, one removed — at revision 0006. The test
suite only reads it (tests/test_policy_versions.py migrates a copy). Run it again only with
the code of that commit (``git worktree add /tmp/z 3618ac7``).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_schema_0004 import main

if __name__ == "__main__":
    main("0006")
