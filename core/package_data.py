"""The package's machine-readable member (``data.json``): what a receiver consolidates.

The workbook and PDFs of a package are for people; a receiver (乡镇扶贫工作站,
教育体育局) reads this member instead, so consolidation never depends on the
layout of a human-facing sheet. It is listed and hashed in the signed manifest
like every other member. Money is integer fen; ID numbers are full (the
package is a confidential submission; receivers mask them on screen and paper).

Format (``format`` = "zizhu-package-data", ``version`` = 1)::

    {"format": ..., "version": 1, "kind": "school",
     "school": {"code", "name", "township", "school_year"},
     "policy": {"name", "hash", "version"}, "draft": bool, "demo": bool, "generated_at": iso,
     "items": {code: name}, "sources": {source: label},
     "students": [{"id_number", "name", "gender", "stage", "grade", "class_name",
                   "location", "ownership", "category", "township", "village",
                   "household_no", "verified", "prior_grants": [code],
                   "grants": [{"code", "amount_fen", "shares": {source: fen}}],
                   "pending": [code]}],
     "findings": [{"code", "severity", "id_number", "name", "message", "state", "reason"}],
     "totals": {"by_item": {code: fen}, "by_source": {source: fen}, "total": fen,
                "students_granted": n, "pending": n}}

``parse_package_data`` reads it back strictly: anything missing or of the wrong
type is a ValidationError naming the place, never a half-read package. The types
below are msgspec Structs, so a well-formed member is parsed AND checked in one pass
of msgspec's decoder (the same rules: texts are strings, amounts non-negative
integer fen, never a bool or a float, the required keys present); only a member it
refuses is read again field by field (``JsonReader``) to name the problem in Chinese.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import itemgetter
from typing import Annotated, Any

import msgspec

from core.errors import ValidationError
from core.money import MAX_YUAN, format_fen

DATA_MEMBER = "data.json"
DATA_FORMAT = "zizhu-package-data"
DATA_VERSION = 1
KIND_SCHOOL = "school"
KIND_CONSOLIDATED = "consolidated"     # a station's 汇总包 (core.exports.consolidated writes it)

_HINT = "请联系报送单位用最新版本的程序重新导出提交包。"
_UPGRADE = "请把本程序升级到与报送单位相同或更新的版本。"


# The bounds of what a package may state: an amount is at most what data entry takes (core.money.MAX_YUAN),
# a total at most 10 trillion yuan, a count or version at most a billion, a school year four digits. No
# county comes near them; they keep every value and every sum of them within SQLite's 64-bit integers (a
# larger one would stop the intake with an OverflowError instead of refusing the package).
MAX_FEN = int(MAX_YUAN) * 100
MAX_TOTAL_FEN = 10 ** 15
MAX_COUNT = 10 ** 9
MAX_YEAR = 9999
# an amount: integer fen, never negative (bool and float refused)
Fen = Annotated[int, msgspec.Meta(ge=0, le=MAX_FEN)]
TotalFen = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOTAL_FEN)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]


class Grant(msgspec.Struct, frozen=True, gc=False):
    """One item a student receives: the amount and what each funding source pays.
    (Grant, PackageStudent and PackageFinding are frozen msgspec Structs: immutable,
    decoded and checked in C; none can hold a cycle, so the collector ignores them.)"""

    code: str
    amount_fen: Fen
    shares: Mapping[str, Fen] = msgspec.field(default_factory=dict)


class _Person(msgspec.Struct, frozen=True, gc=False):
    id_number: str
    name: str


class PackageStudent(_Person, frozen=True, gc=False, kw_only=True):
    """A student of the package (``PackageStudent(id_number, name, verified=…, grants=…, …)``):
    ``verified`` and ``grants`` must be stated, the other fields default to empty."""

    verified: bool
    grants: tuple[Grant, ...]
    gender: str = ""
    stage: str = ""
    grade: str = ""
    class_name: str = ""
    location: str = ""
    ownership: str = ""
    category: str = ""
    township: str = ""
    village: str = ""
    household_no: str = ""
    prior_grants: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()

    @property
    def total_fen(self) -> int:
        return sum(g.amount_fen for g in self.grants)


class PackageFinding(msgspec.Struct, frozen=True, gc=False):
    code: str
    severity: str
    id_number: str
    name: str
    message: str
    state: str
    reason: str = ""


@dataclass(frozen=True)
class PackageTotals:
    """The totals the package claims (the receiver re-adds the students and compares)."""

    by_item: Mapping[str, int] = field(default_factory=dict)
    by_source: Mapping[str, int] = field(default_factory=dict)
    total: int = 0
    students_granted: int = 0
    pending: int = 0


@dataclass(frozen=True)
class PackageData:
    school_code: str
    school_name: str
    school_year: int
    township: str = ""
    policy_name: str = ""
    policy_hash: str = ""
    policy_version: int = 0          # the version's number within its school year (0: unknown)
    draft: bool = False
    demo: bool = False
    generated_at: str = ""
    kind: str = KIND_SCHOOL
    items: Mapping[str, str] = field(default_factory=dict)       # item code -> name
    sources: Mapping[str, str] = field(default_factory=dict)     # funding source -> label
    students: tuple[PackageStudent, ...] = ()
    findings: tuple[PackageFinding, ...] = ()
    totals: PackageTotals = field(default_factory=PackageTotals)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": DATA_FORMAT, "version": DATA_VERSION, "kind": self.kind,
            "school": {"code": self.school_code, "name": self.school_name, "township": self.township,
                       "school_year": self.school_year},
            "policy": {"name": self.policy_name, "hash": self.policy_hash, "version": self.policy_version},
            "draft": self.draft, "demo": self.demo, "generated_at": self.generated_at,
            "items": dict(self.items), "sources": dict(self.sources),
            "students": [{
                "id_number": s.id_number, "name": s.name, "gender": s.gender, "stage": s.stage,
                "grade": s.grade, "class_name": s.class_name, "location": s.location,
                "ownership": s.ownership, "category": s.category, "township": s.township,
                "village": s.village, "household_no": s.household_no, "verified": s.verified,
                "prior_grants": list(s.prior_grants),
                "grants": [{"code": g.code, "amount_fen": g.amount_fen, "shares": dict(g.shares)}
                           for g in s.grants],
                "pending": list(s.pending),
            } for s in self.students],
            "findings": [{"code": f.code, "severity": f.severity, "id_number": f.id_number, "name": f.name,
                          "message": f.message, "state": f.state, "reason": f.reason} for f in self.findings],
            "totals": {"by_item": dict(self.totals.by_item), "by_source": dict(self.totals.by_source),
                       "total": self.totals.total, "students_granted": self.totals.students_granted,
                       "pending": self.totals.pending},
        }

    def to_bytes(self) -> bytes:
        """Canonical bytes: the same data always gives the same member (and hash). Compact, so
        the C encoder writes it (``indent`` falls back to the pure-Python one)."""
        text = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return (text + "\n").encode("utf-8")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (a child process's answer, ``db.intake_ahead``) with its students and findings as
        one MessagePack text each: pickle writes thousands of Structs one by one (a county's 50 packages'
        answer: 55 ms against 10 ms), in the child that the intake may be waiting for. A text MessagePack
        cannot hold (a lone surrogate, which the lenient re-read of a member keeps) is pickled as it is."""
        rest = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("students", "findings")}
        try:
            packed: tuple[Any, Any] = (_PACK.encode(self.students), _PACK.encode(self.findings))
        except (UnicodeEncodeError, msgspec.EncodeError, TypeError):
            packed = (self.students, self.findings)
        return (_unpickled, (rest, *packed))


_PACK = msgspec.msgpack.Encoder()
_UNPACK_STUDENTS = msgspec.msgpack.Decoder(tuple[PackageStudent, ...])
_UNPACK_FINDINGS = msgspec.msgpack.Decoder(tuple[PackageFinding, ...])


def _unpickled(rest: dict[str, Any], students: bytes | tuple[PackageStudent, ...],
               findings: bytes | tuple[PackageFinding, ...]) -> PackageData:
    return PackageData(**rest, students=_UNPACK_STUDENTS.decode(students) if isinstance(students, bytes) else students,
                       findings=_UNPACK_FINDINGS.decode(findings) if isinstance(findings, bytes) else findings)


@dataclass(frozen=True)
class ReceivedPackage:
    """A package a receiver accepted (db.receiving.accepted_data): where it came from and its data."""

    package_id: int
    sha256: str                 # of the whole zip file as received (content address of the stored bytes)
    file_name: str
    received_at: str            # ISO time of the intake
    data: PackageData
    via: str = ""               # the station (code) that forwarded it; "" when received directly
    state: str = "current"      # "current" or "replaced" (a newer package of the school and year came)


class JsonReader:
    """Typed access to a parsed JSON member (``data.json``, ``feedback.json``); every
    failure names the place."""

    def __init__(self, source: str, member: str = DATA_MEMBER, hint: str = _HINT) -> None:
        self.source, self.member, self.hint = source, member, hint

    def fail(self, where: str, what: str) -> ValidationError:
        return ValidationError(f"{self.source}中的 {self.member} 无法读取（{where}）：{what}。", self.hint)

    def document(self, data: bytes, fmt: str, version: int, what: str, upgrade: str) -> dict[str, Any]:
        """The member's top-level object, once its ``format`` (``what`` names it) and ``version`` are ours."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise self.fail("整体", "不是有效的 UTF-8 JSON") from None
        top = self.obj(raw, "整体")
        if top.get("format") != fmt:
            raise self.fail("format", f"不是本程序的{what}（应为 {fmt}）")
        if top.get("version") != version:
            raise ValidationError(f"{self.source}中的 {self.member} 格式版本为 {top.get('version')!r}，"
                                  f"本程序只支持版本 {version}。", upgrade)
        return top

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "应为对象")
        return value

    def lst(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "应为列表")
        return value

    def text(self, d: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = d.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", "应为文字")
        return value

    def flag(self, d: dict[str, Any], key: str, where: str) -> bool:
        value = d.get(key)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "应为 true 或 false")
        return value

    def fen(self, value: Any, where: str, most: int = MAX_FEN) -> int:
        if type(value) is not int or value < 0:     # bool is not an amount; no float ever
            raise self.fail(where, "金额应为非负整数（单位：分）")
        if value > most:
            raise self.fail(where, f"金额 {value} 分超出范围（最多 {format_fen(most)} 元）")
        return value

    def number(self, value: Any, where: str, most: int = MAX_COUNT) -> int:
        if type(value) is not int or value < 0:
            raise self.fail(where, "应为非负整数")
        if value > most:
            raise self.fail(where, f"数值 {value} 超出范围（最多 {most}）")
        return value

    def year(self, value: Any, where: str) -> int:
        if type(value) is not int or not 0 <= value <= MAX_YEAR:
            raise self.fail(where, "学年应为整数（如 2024）")
        return value

    def fen_map(self, value: Any, where: str, most: int = MAX_FEN) -> dict[str, int]:
        return {str(k): self.fen(v, f"{where}.{k}", most) for k, v in self.obj(value, where).items()}

    def codes(self, value: Any, where: str) -> tuple[str, ...]:
        items = self.lst(value, where)
        if not all(isinstance(c, str) for c in items):
            raise self.fail(where, "应为项目代码的列表")
        return tuple(items)


_TEXT_KEYS = ("gender", "stage", "grade", "class_name", "location", "ownership", "category", "township",
              "village", "household_no")


def _student_checked(r: JsonReader, raw: Any, where: str) -> PackageStudent:
    """One student, every field checked with a message naming its place (the slow path)."""
    d = r.obj(raw, where)
    text = {k: r.text(d, k, where, "") for k in _TEXT_KEYS}
    grants = []
    for j, g in enumerate(r.lst(d.get("grants"), f"{where}.grants")):
        gw = f"{where}.grants[{j}]"
        gd = r.obj(g, gw)
        grants.append(Grant(r.text(gd, "code", gw), r.fen(gd.get("amount_fen"), f"{gw}.amount_fen"),
                            r.fen_map(gd.get("shares", {}), f"{gw}.shares")))
    return PackageStudent(
        id_number=r.text(d, "id_number", where), name=r.text(d, "name", where), **text,
        verified=r.flag(d, "verified", where), prior_grants=r.codes(d.get("prior_grants", []), f"{where}.prior_grants"),
        grants=tuple(grants), pending=r.codes(d.get("pending", []), f"{where}.pending"))


_STR_ONLY = frozenset({str})
_FINDING_KEYS = ("code", "severity", "id_number", "name", "message", "state", "reason")
_FINDING_FIELDS = itemgetter(*_FINDING_KEYS)


def _finding(r: JsonReader, raw: Any, i: int) -> PackageFinding:
    """One finding: every field text (``reason`` may be absent); a complete one is checked
    in one pass, anything else field by field with the place named."""
    if type(raw) is dict:
        try:
            values = _FINDING_FIELDS(raw)
        except KeyError:
            values = None
        if values is not None and set(map(type, values)) == _STR_ONLY:
            return PackageFinding(*values)
    where = f"findings[{i}]"
    fd = r.obj(raw, where)
    return PackageFinding(*(r.text(fd, k, where, "" if k == "reason" else None) for k in _FINDING_KEYS))


class _School(msgspec.Struct, frozen=True):
    code: str
    name: str
    school_year: Annotated[int, msgspec.Meta(ge=0, le=MAX_YEAR)]
    township: str = ""


class _Policy(msgspec.Struct, frozen=True):
    name: str = ""
    hash: str = ""
    version: Count = 0


class _Totals(msgspec.Struct, frozen=True):
    total: TotalFen
    by_item: dict[str, TotalFen] = {}
    by_source: dict[str, TotalFen] = {}
    students_granted: Count = 0
    pending: Count = 0


class _Document(msgspec.Struct, frozen=True):
    """``data.json`` as msgspec decodes and checks it (the rules of ``_parse_checked``)."""

    school: _School
    draft: bool
    students: tuple[PackageStudent, ...]
    totals: _Totals
    format: Any = None
    version: Any = None
    policy: _Policy = msgspec.field(default_factory=_Policy)
    demo: Any = None
    generated_at: str = ""
    kind: str = KIND_SCHOOL
    items: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    findings: tuple[PackageFinding, ...] = ()


_DECODER = msgspec.json.Decoder(_Document)

# The most of a member from a signer this database does not trust (``consolidate view`` of an intact
# package signed by an unknown key) that is read again field by field when msgspec refuses it: that
# reading (``json.loads``) builds an object per value, some twenty times the member's bytes for a
# member made of empty lists. A larger one is refused with the place msgspec names, never loaded whole.
UNTRUSTED_CHECKED_MAX = 2 << 20


def local_time(text: str) -> datetime:
    """An ISO date and time as this machine's local time without an offset, as the program writes
    every time (one written with an offset, e.g. ``+08:00`` or ``Z``, is converted to local time);
    ValueError when it is no date and time or cannot be converted."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone().replace(tzinfo=None)
    except (OverflowError, OSError):
        raise ValueError(f"{text} cannot be converted to local time") from None


def _local_text(text: str) -> str:
    """``generated_at`` with an offset written as local time without one (as the program writes it,
    so every comparison of two packages' times compares like with like); any other text unchanged."""
    try:
        value = datetime.fromisoformat(text)
        return text if value.tzinfo is None else local_time(text).isoformat()
    except ValueError:
        return text


def parse_package_data(data: bytes, source: str = "提交包", *, untrusted: bool = False) -> PackageData:
    """``data.json`` bytes -> PackageData; ValidationError (Chinese, naming the place) otherwise.
    One strict msgspec pass; a member it refuses (or of another format or version) is read
    again field by field, which names the problem (or, should msgspec have been stricter than
    the rules, reads it) -- unless it is ``untrusted`` (its signer is not known here) and larger
    than ``UNTRUSTED_CHECKED_MAX``: then the place msgspec names is the message.
    A ``generated_at`` with an offset is taken as local time (``local_time``)."""
    try:
        doc = _DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:     # ValidationError included
        if untrusted and len(data) > UNTRUSTED_CHECKED_MAX:
            raise _unchecked(exc, source) from None
        return _parse_checked(data, source)
    if doc.format != DATA_FORMAT or doc.version != DATA_VERSION:
        if untrusted and len(data) > UNTRUSTED_CHECKED_MAX:
            raise _other_format(JsonReader(source), doc.format, doc.version)
        return _parse_checked(data, source)
    school, policy, totals = doc.school, doc.policy, doc.totals
    return PackageData(
        school_code=school.code, school_name=school.name, school_year=school.school_year,
        township=school.township, policy_name=policy.name, policy_hash=policy.hash,
        policy_version=policy.version, draft=doc.draft, demo=doc.demo is True,
        generated_at=_local_text(doc.generated_at),
        kind=doc.kind, items={k: str(v) for k, v in doc.items.items()},
        sources={k: str(v) for k, v in doc.sources.items()}, students=doc.students, findings=doc.findings,
        totals=PackageTotals(totals.by_item, totals.by_source, totals.total, totals.students_granted,
                             totals.pending))


def _unchecked(exc: Exception, source: str) -> ValidationError:
    """The refusal of a large member msgspec refused, read no further: the place it names."""
    r = JsonReader(source)
    text = str(exc)
    if not isinstance(exc, msgspec.ValidationError):      # not JSON at all, or nested too deep
        return r.fail("整体", "不是有效的 UTF-8 JSON，或嵌套过深")
    where = text.rpartition(" - at `$")[2].rstrip("`").lstrip(".") if " - at `$" in text else ""
    return r.fail(where or "整体", "内容不符合数据格式")


def _other_format(r: JsonReader, fmt: Any, version: Any) -> ValidationError:
    """The refusal of a member of another format or version (``JsonReader.document``'s words)."""
    if fmt != DATA_FORMAT:
        return r.fail("format", f"不是本程序的数据文件（应为 {DATA_FORMAT}）")
    return ValidationError(f"{r.source}中的 {r.member} 格式版本为 {version!r}，本程序只支持版本 {DATA_VERSION}。",
                           _UPGRADE)


def _parse_checked(data: bytes, source: str) -> PackageData:
    """``data.json`` read field by field: ValidationError (Chinese, naming the place) at the first problem."""
    r = JsonReader(source)
    top = r.document(data, DATA_FORMAT, DATA_VERSION, "数据文件", _UPGRADE)
    school = r.obj(top.get("school"), "school")
    year = r.year(school.get("school_year"), "school.school_year")
    policy = r.obj(top.get("policy", {}), "policy")
    totals = r.obj(top.get("totals"), "totals")
    counts = {k: r.number(totals.get(k, 0), f"totals.{k}") for k in ("students_granted", "pending")}
    findings = [_finding(r, f, i) for i, f in enumerate(r.lst(top.get("findings", []), "findings"))]
    return PackageData(
        school_code=r.text(school, "code", "school"), school_name=r.text(school, "name", "school"),
        school_year=year, township=r.text(school, "township", "school", ""),
        policy_name=r.text(policy, "name", "policy", ""), policy_hash=r.text(policy, "hash", "policy", ""),
        policy_version=r.number(policy.get("version", 0), "policy.version"),
        draft=r.flag(top, "draft", "整体"), demo=bool(top.get("demo") is True),
        generated_at=_local_text(r.text(top, "generated_at", "整体", "")),
        kind=r.text(top, "kind", "整体", KIND_SCHOOL),
        items={str(k): str(v) for k, v in r.obj(top.get("items", {}), "items").items()},
        sources={str(k): str(v) for k, v in r.obj(top.get("sources", {}), "sources").items()},
        students=tuple(_student_checked(r, s, f"students[{i}]")
                       for i, s in enumerate(r.lst(top.get("students"), "students"))),
        findings=tuple(findings),
        totals=PackageTotals(r.fen_map(totals.get("by_item", {}), "totals.by_item", MAX_TOTAL_FEN),
                             r.fen_map(totals.get("by_source", {}), "totals.by_source", MAX_TOTAL_FEN),
                             r.fen(totals.get("total"), "totals.total", MAX_TOTAL_FEN), **counts),
    )
