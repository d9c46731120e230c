"""A stored finding's state, on its own: ``db.models`` needs it for its column type, and
importing it from ``core.checks`` would load every check rule into each command that
opens the database (``consolidate add`` among them) but never checks anything."""
from __future__ import annotations

from enum import StrEnum


class FindingState(StrEnum):
    """A stored finding's state; the values are what the database holds."""

    OPEN = "open"            # found by the last check, not accepted
    FIXED = "fixed"          # no longer found
    ACCEPTED = "accepted"    # the clerk says the data is right (with a reason)
