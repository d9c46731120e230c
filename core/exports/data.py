"""Everything an export needs, gathered once from the store (db.exports builds it).

Exporters are pure functions of an ``ExportData``: no database, no Qt.
Money is integer fen; ID numbers are full here and masked by each exporter
where the document demands it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from core.checks.base import FindingState
from core.domain import school_year_label
from core.engine import StudentResult, Totals
from core.policy import Policy
from core.version import program_version

COUNTY_PLACEHOLDER = "（县名未设置）"     # drafts only: a final document needs the county's name
POLICY_TITLE = "{county}教育扶贫“百日攻坚”资助政策"


def policy_title(county: str, custom: str = "") -> str:
    """The policy's title on documents: the clerk's own, else it follows the county's name."""
    return custom.strip() or POLICY_TITLE.format(county=county.strip() or COUNTY_PLACEHOLDER)


@dataclass(frozen=True)
class Official:
    """The clerk's words on official documents (设置 › 公文信息): the county's name,
    the policy's title ("" follows the county), its basis (文号 / 条款, "" left out) and the
    经办人's name (the report's 生成人; "" prints the system account)."""

    county: str = ""
    policy_title: str = ""
    policy_basis: str = ""
    clerk: str = ""

    @property
    def title(self) -> str:
        return policy_title(self.county, self.policy_title)


@dataclass(frozen=True)
class SchoolInfo:
    name: str
    code: str
    school_year: int                 # 2023 = the 2023–2024 school year
    township: str = ""
    contact_phone: str = ""
    supervision_phone: str = ""      # the county's 监督电话
    address: str = ""

    @property
    def year_label(self) -> str:
        return school_year_label(self.school_year)


@dataclass(frozen=True, slots=True)
class StudentInfo:
    """Identity and school data of one student, as stored (text): ``key``, the catalogue's
    ``exported`` fields (core.fields.EXPORT_FIELDS, read by name), then what db/ adds."""

    key: int
    name: str
    id_number: str
    gender: str = ""
    student_no: str = ""
    stage: str = ""
    grade: str = ""
    class_name: str = ""
    location: str = "本地"
    ownership: str = "公办"
    category: str = "NONE"           # as stored (REGISTERED …)
    household_no: str = ""
    head_name: str = ""              # parent / guardian
    township: str = ""
    village: str = ""
    phone: str = ""
    tuition_fen: int | None = None   # what the school charges (for "what the family still pays")
    bank_card: str = ""
    category_label: str = ""         # 建档立卡 / 其他经济困难 / 非困难 (policy label)
    verified: bool = False


@dataclass(frozen=True)
class FindingInfo:
    code: str
    severity: str                    # error | warning | info
    title: str                       # Chinese short title of the rule
    name: str
    id_number: str
    message: str
    state: FindingState
    reason: str = ""
    roster_person: bool = False      # about a person of the 建档立卡 roster, not a listed student
    grade: str = ""                  # the listed student's grade label (output.grade_label): who, without an ID
    removed: bool = False            # about a student taken off the list since: 已改正 by the removal, not a correction


@dataclass(frozen=True)
class AuditInfo:
    """The audit log's hash chain when the export was made (db.audit.audit_chain_status)."""

    intact: bool = True
    entries: int = 0
    head: str = ""                   # the last entry's hash
    message: str = ""                # Chinese, one line


@dataclass
class ExportData:
    school: SchoolInfo
    policy: Policy
    students: list[StudentInfo]
    results: list[StudentResult]     # same order as ``students``
    totals: Totals
    findings: list[FindingInfo] = field(default_factory=list)
    generated_at: datetime = field(default_factory=datetime.now)
    generated_by: str = ""
    draft: bool = False              # 草稿: printed on every page and sheet
    demo: bool = False               # 演示数据 (a demo database): printed on every page and sheet
    signer_fingerprint: str = ""     # core.signing.fingerprint of the signer's key, "" when unsigned
    official: Official = field(default_factory=Official)
    program_version: str = field(default_factory=program_version)
    roster_size: int = 0             # people in the roster (建档立卡名单) when exported
    roster_imported_at: str = ""     # ISO time of the last roster import, "" when never imported
    audit: AuditInfo | None = None   # None: not checked (samples, tests)
    policy_version: str = ""         # the policy version computed under, “2023–2024学年 第2版” ("" unknown)
    policy_version_number: int = 0   # its number within its school year (0 unknown)
    # the letters: a student whose family was sent one -> (when, what it told: core.told.told_key)
    told_before: Mapping[int, tuple[date, str]] = field(default_factory=dict)

    def pairs(self) -> list[tuple[StudentInfo, StudentResult]]:
        return list(zip(self.students, self.results, strict=True))
