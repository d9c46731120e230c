"""The audit chain verified ahead, in a child process, while the `check` command imports its modules.

``check`` verifies every link of the audit log's hash chain as it starts (``db.findings.run_and_store``):
at county size 50,000 entries fetched and SHA-256-hashed, 0.2 s of Python holding its lock, so a thread
beside the imports would only take turns with them. ``start`` runs the same verification
(``db.audit_chain.chain_status``) on a read-only connection in a spawned child process (``core.in_child``):
on a two-core PC it runs on the second core while the main one imports SQLAlchemy, the models and the
rules. ``take`` hands its answer over only when the file and its write-ahead log are as they were when the
read started (``db.integrity.ReadAhead``'s guard); otherwise, or when the child could not answer, the
check verifies the chain itself in its transaction, as every caller that started nothing does.

Only light modules here: importing this one must cost nothing.
"""
from __future__ import annotations

from db.audit_chain import ChainStatus, read_chain_status
from db.integrity import ReadAhead

_ahead: ReadAhead[ChainStatus] = ReadAhead("zizhu-chain-check", read_chain_status, in_child=True)
start = _ahead.start      # start verifying the chain of an existing database file in a child process
forget = _ahead.forget    # a verification that no check took
take = _ahead.take        # the chain's status, for a file unchanged since the verification started, else None
