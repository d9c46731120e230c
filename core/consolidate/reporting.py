"""报送情况 of a consolidated package: how many of the expected schools the totals stand for.

The receiver's list of expected schools (``consolidate schools``) and where each stands
(db.receiving_status) give, at the export, the expected count, the schools whose package is in
the totals, and by name the schools that are NOT in them — 缺报: no current package of the year
(nothing sent, only drafts, or still nothing after the deadline: “逾期未报”) — and the schools
whose package is in them but came after the deadline (迟报). Schools received though not on
the list (名单外) are named too, so the count summed in the report adds up.

A receiver without a list says nothing of it (``Reporting`` is None): no list, no claim.

In ``data.json`` (kind "consolidated") it is the optional field ``reporting``::

    {"expected": n, "received": n, "deadline": "YYYY-MM-DD" | null,
     "missing": [{"code", "name", "township", "note"}],
     "late": [{"code", "name", "township", "note", "received_at": "YYYY-MM-DD"}],
     "unlisted": [{"code", "name", "township", "note"}]}

Packages of older programs, and of receivers without a list, have no such field: a reader
takes them as before (``reporting_of`` is None), and the readers of ``data.json``
(core.package_data, core.exports.consolidated.inner_files) ignore the field.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import ValidationError
from core.package_data import MAX_COUNT

FIELD = "reporting"
NAMED = 10      # schools named in a line (warning, report, workbook); the rest counted (their tables list all)
OVERDUE = "逾期未报"                       # notes of a school 缺报
DRAFT_NOTE = "只交过草稿（草稿不能汇总）"
NOT_YET = "尚未报送"
_HINT = "请联系报送单位用最新版本的程序重新导出汇总包。"


@dataclass(frozen=True)
class SchoolRef:
    """An expected school named in the 报送情况 (缺报, 迟报) or a school not on the list."""

    code: str
    name: str
    township: str = ""
    note: str = ""              # 逾期未报, 只交过草稿…, or when a late package came
    received_at: str = ""       # a late package's (first) receipt, YYYY-MM-DD

    def to_json(self) -> dict[str, str]:
        out = {"code": self.code, "name": self.name, "township": self.township, "note": self.note}
        if self.received_at:
            out["received_at"] = self.received_at
        return out


@dataclass(frozen=True)
class Reporting:
    """The expected schools against what the consolidated totals hold."""

    expected: int                           # schools on the list
    received: int                           # of them, with a package in the totals (迟报 included)
    missing: tuple[SchoolRef, ...] = ()     # 缺报: on the list, nothing in the totals
    late: tuple[SchoolRef, ...] = ()        # 迟报: in the totals, received after the deadline
    unlisted: tuple[SchoolRef, ...] = ()    # in the totals, not on the list
    deadline: str = ""                      # YYYY-MM-DD, "" when the policy has no such phase

    @property
    def complete(self) -> bool:
        return not self.missing

    def counts(self) -> str:
        """``应报 4 所、已报 3 所，缺报 1 所、迟报 0 所`` (the cover's line)."""
        extra = f"；名单外 {len(self.unlisted)} 所" if self.unlisted else ""
        return (f"应报 {self.expected} 所、已报 {self.received} 所，缺报 {len(self.missing)} 所、"
                f"迟报 {len(self.late)} 所{extra}")

    def line(self, named: int = NAMED) -> str:
        """``应报 4 所、已报 3 所；缺报 1 所：…；迟报：无。`` naming the first ``named`` schools of each
        (the report and the workbook list every one with its code and township below it)."""
        def schools(what: str, rows: Sequence[SchoolRef]) -> str:
            if not rows:
                return f"{what}：无"
            names = "、".join(r.name or r.code for r in rows[:named])
            return f"{what} {len(rows)} 所：{names}" + (" 等" if len(rows) > named else "")
        text = (f"应报 {self.expected} 所、已报 {self.received} 所；"
                f"{schools('缺报', self.missing)}；{schools('迟报', self.late)}")
        if self.unlisted:
            text += f"；另有{schools('名单外学校', self.unlisted)}，其提交包一并汇总"
        return text + "。"

    def consequence(self) -> str:
        """What the 缺报 mean for the totals ("" when none)."""
        if not self.missing:
            return ""
        return f"缺报的 {len(self.missing)} 所学校没有数据，未计入本次汇总的任何合计，汇总数据不完整。"

    def warning(self, named: int = NAMED) -> str:
        """``注意：应报 N 所，缺报 K 所（…），汇总数据不完整`` when schools are missing, else ""
        (said after the export, by the CLI and the GUI)."""
        if not self.missing:
            return ""
        names = "、".join(r.name or r.code for r in self.missing[:named])
        if len(self.missing) > named:
            names += f" 等 {len(self.missing)} 所"
        return f"注意：应报 {self.expected} 所，缺报 {len(self.missing)} 所（{names}），汇总数据不完整"

    def to_json(self) -> dict[str, Any]:
        return {"expected": self.expected, "received": self.received, "deadline": self.deadline or None,
                "missing": [r.to_json() for r in self.missing], "late": [r.to_json() for r in self.late],
                "unlisted": [r.to_json() for r in self.unlisted]}


def _fail(where: str) -> ValidationError:
    return ValidationError(f"汇总包的 data.json 中报送情况（{FIELD}.{where}）格式不对。", _HINT)


def _count(doc: Mapping[str, Any], key: str) -> int:
    value = doc.get(key)
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        raise _fail(key)
    return value


def _schools(doc: Mapping[str, Any], key: str) -> tuple[SchoolRef, ...]:
    rows = doc.get(key, [])
    if not isinstance(rows, list):
        raise _fail(key)
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise _fail(f"{key}[{i}]")
        values = {k: row.get(k, "") for k in ("code", "name", "township", "note", "received_at")}
        if not all(isinstance(v, str) for v in values.values()) or not values["code"]:
            raise _fail(f"{key}[{i}]")
        out.append(SchoolRef(**values))
    return tuple(out)


def reporting_of(doc: Mapping[str, Any]) -> Reporting | None:
    """The 报送情况 of a consolidated ``data.json`` (its parsed top-level object): None when it
    has none (an older program's package, or a receiver without a list of expected schools);
    ValidationError when the field is there but malformed."""
    value = doc.get(FIELD)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail("整体")
    deadline = value.get("deadline") or ""
    if not isinstance(deadline, str):
        raise _fail("deadline")
    return Reporting(_count(value, "expected"), _count(value, "received"), _schools(value, "missing"),
                     _schools(value, "late"), _schools(value, "unlisted"), deadline)
