"""Write the frozen schema-0005 database (tests/data/schema-0005.sqlite).

    python tests/data/make_schema_0005.py        # from the repository root

Made once, at the commit that added migration 0006 (the spot-check tables), and
committed; the test suite only reads it (tests/test_spotcheck_db.py migrates a copy).
A receiving database (a county bureau) at revision 0005 made with that commit's use
cases: the bureau's school row, one trusted signer and the audit chain they wrote.
Run it again only with the code of that commit.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))


def main() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from core.trust import TrustedSigner
    from db import store
    from db.migrate import upgrade
    from db.session import open_database
    from db.trust_store import KeyFile, add_signer

    target = HERE / "schema-0005.sqlite"
    target.unlink(missing_ok=True)
    d = open_database(target, migrate=False, lock=False)
    try:
        upgrade(d, "0005")
        raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        signer = TrustedSigner(raw, "4228220101", "龙坪乡中心小学", "冻结")
        with d.session() as s:
            store.init_school(s, "冻结测试教育体育局", "422822", 2023, actor="冻结")
            add_signer(s, KeyFile(signer, signer.fingerprint), township="龙坪乡", actor="冻结")
    finally:
        d.close()
    for extra in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        extra.unlink(missing_ok=True)
    print(f"written: {target}")


if __name__ == "__main__":
    main()
