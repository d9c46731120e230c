"""The check engine's vocabulary: facts in, findings out.

A rule is one small unit (code, severity, Chinese title and hint, a function
from the context to findings). Adding a check means adding one ``Rule`` to the
``RULES`` tuple of its ``rules_*`` module (collected in ``core/checks/__init__.py``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, NamedTuple, TypeVar, cast

from core.finding_state import FindingState as FindingState  # its home was here (re-exported)
from core.policy import Policy

_T = TypeVar("_T")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# Keyed by str: a finding row read back from the database holds the plain value ("error").
SEVERITY_LABELS: dict[str, str] = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}


# ``Finding.field`` of a finding about an unset policy parameter; its ``part`` is the
# parameter's key (core.policy.parameter_label names it), which 设置 focuses.
POLICY_FIELD = "policy"


def policy_setting(field: str, part: str) -> str:
    """The policy parameter a stored finding is about ("" when it is not a policy finding)."""
    return part if field == POLICY_FIELD else ""


STATE_LABELS = {FindingState.OPEN: "未处理", FindingState.FIXED: "已改正", FindingState.ACCEPTED: "已接受"}
# A finding closed because its student was taken off the list (the check reads listed students only):
# no data was corrected, and a package's list of findings says so.
REMOVED_LABEL = "已改正（学生已移出名单）"


@dataclass(frozen=True)
class StudentFacts:
    """What the checks read of one stored student (text as stored): ``key``, the catalogue's
    ``checked`` fields in catalogue order (core.fields.CHECK_FIELDS), the importer's own
    (core.fields.IMPORTER_FIELDS), then the bookkeeping. db.findings builds these positionally
    from exactly that column list; tests/test_fields.py holds the order to the catalogue."""

    key: int
    name: str
    id_number: str
    gender: str = ""
    birth_date: str = ""
    student_no: str = ""          # 学籍号: one child's whatever its ID (SAME_CHILD_TWICE)
    stage: str = ""
    grade: str = ""
    location: str = "本地"
    ownership: str = "公办"
    full_time: bool = True
    category: str = "NONE"
    tuition_fen: int | None = None
    textbook_fen: int | None = None
    lodging_fen: int | None = None
    has_loan: bool = False
    loan_contract_no: str = ""
    prior_grants: str = ""
    id_raw: str = ""
    id_numeric_cell: bool = False
    full_time_text: str = ""      # an unreadable 全日制正式学籍 cell as typed (full_time holds the guess 是)
    notified: bool = False
    verified: bool = False
    seal: str | None = None       # stored at verification (core.seal)
    told: str | None = None       # what the printed letter told (core.told), None before 0011 or unprinted


class RosterFacts(NamedTuple):
    """One roster person as the checks read it: a named tuple, because a county's roster is
    200,000 of them, built straight from the database's rows (``RosterFacts._make``)."""

    key: int
    name: str
    id_number: str
    school_name: str = ""
    schooling_status: str = ""
    household_no: str = ""


@dataclass(frozen=True)
class Payment:
    """One line of a disbursement record (发放记录)."""

    line: int
    id_number: str
    item_code: str
    amount_fen: int


@dataclass(frozen=True)
class RosterMeta:
    """What was recorded at the roster imports (settings roster.*)."""

    size: int | None = None            # roster size after the last import
    previous_size: int | None = None   # roster size after the import before it
    imported_at: str = ""


@dataclass
class CheckContext:
    """What the rules read. ``roster`` holds the roster rows the rules can use (in roster order): the
    whole roster, or, given with ``roster_size`` (the whole roster's size), every row whose ID is a
    listed student's and every row of this school (``our_school_names``) — db.findings reads only those."""

    students: list[StudentFacts]
    roster: list[RosterFacts]
    policy: Policy
    school_name: str
    school_year: int
    today: date
    payments: list[Payment] | None = None   # None: no disbursement record imported
    roster_meta: RosterMeta = field(default_factory=RosterMeta)
    audit_problem: str = ""                 # why the audit log's chain is broken; "" when intact
    roster_size: int | None = None          # the whole roster's size when ``roster`` is a part of it
    # Each listed student with a version-2 seal: the fields the seal covers beyond version 1's
    # (core.seal.SEAL_EXTRA_V2: bank card, 户编号, 村 …), read for TAMPERED_AFTER_VERIFY only.
    seal_extras: dict[int, dict[str, Any]] = field(default_factory=dict)
    _cache: dict[str, object] = field(default_factory=dict)

    @property
    def roster_total(self) -> int:
        """How many people the roster has (not only the rows in ``roster``)."""
        return len(self.roster) if self.roster_size is None else self.roster_size

    def cached(self, name: str, make: Callable[[], _T]) -> _T:
        """``make()``, computed once per run; each name always holds what its own ``make`` returns."""
        if name not in self._cache:
            self._cache[name] = make()
        return cast(_T, self._cache[name])


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str              # Chinese, says what is wrong with this student
    student_key: int | None = None
    roster_key: int | None = None
    id_number: str = ""
    name: str = ""
    field: str = ""           # the offending field, for highlighting in the form
    part: str = ""            # distinguishes several findings of one code on one subject
    basis: str = ""           # what the fingerprint hashes instead of ``message`` (a message reworded
                              # without its data changing keeps the clerk's acceptance: ``fingerprint``)

    @property
    def subject(self) -> str:
        if self.student_key is not None:
            return f"s{self.student_key}"
        return f"r{self.roster_key}" if self.roster_key is not None else "-"

    @property
    def identity(self) -> tuple[str, str, str]:
        """Stable identity across runs: (code, subject, part)."""
        return (self.code, self.subject, self.part)

    @property
    def fingerprint(self) -> str:
        """Changes when the data behind the finding changes (the message quotes it; the
        full ID is added because messages show it masked)."""
        return hashlib.sha1(f"{self.basis or self.message}\x1f{self.id_number}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str                # Chinese, short
    hint: str                 # Chinese, one line: how to fix
    run: Callable[[CheckContext], Iterable[Finding]]

    def finding(self, s: StudentFacts, message: str, field: str = "", part: str = "", basis: str = "") -> Finding:
        return Finding(self.code, self.severity, message, student_key=s.key, id_number=s.id_number,
                       name=s.name, field=field, part=part, basis=basis)
