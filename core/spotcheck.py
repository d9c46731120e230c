"""专项核查 (spot check): a reproducible, stratified random sample of the subsidised
students in the accepted packages, the points a field checker confirms, and the
summary of the results (核查报告). Pure: no database, no Qt, no files.

The sampling rule (method ``METHOD``, printed on every checklist cover as ``METHOD_TEXT``):

* Population: every student of an accepted package whose granted items add up to
  more than 0 fen (受助学生). A student subsidised by two schools is in both strata.
* Canonical order: schools by code (then name), students by ID number (then name,
  then position in the package); everything random is drawn from one
  ``random.Random(seed)`` walking this order, so the same data and seed always give
  the same sample, whatever order the packages were received in.
* Schools (strata): with at least as many places as schools, each school with
  subsidised students gets 1 and the remaining places are shared in proportion to
  each school's other subsidised students (largest remainder, ties in school
  order), never more than a school has; with fewer places than schools, that many
  schools are drawn at random, 1 student each.
* Within a school: students whose total is at or above the school's 80th percentile
  (nearest rank) form the large-amount stratum (大额层); half of the school's places
  (rounded up) come from it, taken in turn from each main item (the student's largest
  grant) so the large items are all visited; the rest come from the others (一般层).
  When one stratum is short, the other fills the places.
"""
from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any, Protocol

from core.domain import DEFAULT_CATEGORY_LABELS, Category
from core.errors import ValidationError
from core.package_data import PackageData, PackageStudent
from core.spotcheck_points import FALSE_LABEL as FALSE_LABEL  # re-exported: the points are part of this API
from core.spotcheck_points import POINTS as POINTS
from core.spotcheck_points import POINTS_BY_CODE as POINTS_BY_CODE
from core.spotcheck_points import TRUE_LABEL as TRUE_LABEL
from core.spotcheck_points import Point as Point

METHOD = "stratified-v1"
METHOD_TEXT = (
    "分层随机抽样（方法 stratified-v1）。只抽享受资助的学生（资助合计大于 0）。"
    "按学校分层：名额不少于学校数时，每所有受助学生的学校先抽 1 人，其余名额按各校其余受助人数的比例分配"
    "（最大余数法，余数相同按学校代码顺序）；名额少于学校数时，随机抽取相应数量的学校，每校 1 人。"
    "校内按金额分层：资助合计达到本校第 80 百分位数（最近秩法）的学生为大额层，本校名额的一半（向上取整）"
    "从大额层抽取，并按主要资助项目（金额最大的项目）轮流抽取，其余从一般层抽取；某层人数不足时由另一层补足。"
    "随机数由种子决定（Python random.Random），按学校代码、身份证号的固定顺序抽取："
    "同样的数据和种子必定得到同样的样本，可以复核。"
)
LARGE, REGULAR = "大额", "一般"
SEED_MAX = 10**12 - 1          # seeds a clerk can read out and type (at most 12 digits)


def point_of(text: str) -> Point:
    """A point by its Chinese label or code (``资金到账`` or ``FUNDS``); ValidationError otherwise."""
    key = text.strip()
    for p in POINTS:
        if key in (p.label, p.code) or key.upper() == p.code:
            return p
    raise ValidationError(f"核查项“{text}”不存在",
                          "核查项是：" + "、".join(p.label for p in POINTS))


class Received(Protocol):
    """What the sampler reads of one accepted package (db.receiving's ReceivedPackage)."""

    @property
    def sha256(self) -> str: ...

    @property
    def data(self) -> PackageData: ...


@dataclass(frozen=True)
class SampledGrant:
    code: str
    name: str
    amount_fen: int


@dataclass(frozen=True)
class SampledStudent:
    """One sampled student, as the package said when sampled (kept with the sample)."""

    seq: int                          # 1-based: the checklist's number (核查表编号)
    school_code: str
    school_name: str
    id_number: str
    name: str
    stratum: str                      # LARGE | REGULAR
    grants: tuple[SampledGrant, ...]
    school_township: str = ""
    gender: str = ""
    stage: str = ""
    grade: str = ""
    class_name: str = ""
    township: str = ""
    village: str = ""
    category: str = ""
    package_sha256: str = ""          # the accepted package the figures come from

    @property
    def total_fen(self) -> int:
        return sum(g.amount_fen for g in self.grants)

    @property
    def category_label(self) -> str:
        try:
            return DEFAULT_CATEGORY_LABELS[Category(self.category)]
        except ValueError:
            return self.category


@dataclass(frozen=True)
class SchoolDraw:
    """How one school was sampled (the cover's table)."""

    school_code: str
    school_name: str
    subsidised: int
    large: int                        # students in the large-amount stratum
    threshold_fen: int                # the school's 80th percentile of totals
    drawn: int


@dataclass(frozen=True)
class Sample:
    seed: int
    requested: str                    # "20 人" / "5%"
    population: int                   # subsidised students in all accepted packages
    students: tuple[SampledStudent, ...]
    schools: tuple[SchoolDraw, ...]
    unannounced: bool = False
    method: str = METHOD


# ---------------------------------------------------------------- sampling

SEED_GENERATED, SEED_TYPED = "程序生成", "经办人输入"     # where a sample's seed came from (its audit entry)
_ISSUED: set[int] = set()      # the seeds new_seed() handed out in this process, not used for a sample yet


def new_seed() -> int:
    """A fresh seed (8 digits, easy to read out and type) when the clerk gives none. It is
    remembered until a sample uses it (``seed_used``), so that ``seed_source`` knows it for the
    program's own: the 专项核查 tab shows one in its editable field, and the clerk may keep it."""
    seed = 10_000_000 + secrets.randbelow(90_000_000)
    _ISSUED.add(seed)
    return seed


def seed_source(seed: int) -> str:
    """Where a sample's ``seed`` comes from: SEED_GENERATED for one ``new_seed`` handed out in this
    process and not used for a sample yet, else SEED_TYPED (the clerk's: --seed, or typed over the
    field's; a generated seed typed again to draw a sample once more is the clerk's choice too)."""
    return SEED_GENERATED if seed in _ISSUED else SEED_TYPED


def seed_used(seed: int) -> None:
    """A sample was drawn and kept with ``seed``: typed again, it is the clerk's."""
    _ISSUED.discard(seed)


def check_seed(seed: int) -> int:
    if not 0 <= seed <= SEED_MAX:
        raise ValidationError(f"随机种子 {seed} 超出范围", f"种子应为 0 到 {SEED_MAX} 之间的整数（最多 12 位）")
    return seed


def sample_size(population: int, count: int | None = None, percent: str | None = None) -> tuple[int, str]:
    """(places, how they were asked for): ``count`` students, or ``percent`` of the population
    rounded up (a decimal text such as "5" or "2.5", never a float); capped at the population."""
    if (count is None) == (percent is None):
        raise ValidationError("请给出抽查人数或比例（二选一）", "例如 --count 50 或 --percent 5")
    if count is not None:
        if count < 1:
            raise ValidationError(f"抽查人数 {count} 无效", "抽查人数应为正整数，例如 --count 50")
        return min(count, population), f"{count} 人"
    try:
        p = Decimal(str(percent).strip().rstrip("%％"))
    except InvalidOperation:
        p = Decimal(-1)
    if not p.is_finite() or not 0 < p <= 100:
        raise ValidationError(f"抽查比例“{percent}”无效", "比例应为大于 0、不超过 100 的数，例如 --percent 5 表示 5%")
    places = int((p * population / 100).to_integral_value(rounding=ROUND_CEILING))
    return min(places, population), f"{p.normalize():f}%"


def _main_item(st: PackageStudent) -> str:
    return max(st.grants, key=lambda g: (g.amount_fen, g.code)).code


def percentile80(totals: Sequence[int]) -> int:
    """The 80th percentile (nearest rank) of ``totals`` (non-empty)."""
    ordered = sorted(totals)
    return ordered[(4 * len(ordered) + 4) // 5 - 1]


Member = tuple[PackageStudent, str, Mapping[str, str]]      # the student, its package's hash, item names


@dataclass
class _Stratum:
    code: str
    name: str
    township: str
    members: list[Member] = field(default_factory=list)


def _strata(packages: Iterable[Received]) -> list[_Stratum]:
    by_code: dict[str, _Stratum] = {}
    for pkg in packages:
        d = pkg.data
        stratum = by_code.setdefault(d.school_code, _Stratum(d.school_code, d.school_name, d.township))
        stratum.members += [(st, pkg.sha256, d.items) for st in d.students if st.total_fen > 0]
    strata = [s for s in by_code.values() if s.members]
    for s in strata:
        s.members.sort(key=lambda m: (m[0].id_number, m[0].name))   # stable: package order last
    return sorted(strata, key=lambda s: (s.code, s.name))


def allocate(sizes: Sequence[int], places: int, rng: random.Random) -> list[int]:
    """Places per stratum (see the module's rule); ``sizes`` in canonical order, all > 0."""
    k = len(sizes)
    if places < k:
        chosen = set(rng.sample(range(k), places))
        return [1 if i in chosen else 0 for i in range(k)]
    rest, pool = places - k, sum(sizes) - k
    if pool == 0:
        return [1] * k
    quotas = [divmod(rest * (n - 1), pool) for n in sizes]
    out = [1 + q for q, _ in quotas]
    left = rest - sum(q for q, _ in quotas)
    for i in sorted(range(k), key=lambda i: -quotas[i][1])[:left]:   # sorted is stable: school order on ties
        out[i] += 1
    return out


def _draw_school(stratum: _Stratum, places: int, rng: random.Random) -> tuple[list[tuple[Member, str]], SchoolDraw]:
    members = stratum.members
    threshold = percentile80([m[0].total_fen for m in members])
    large = [m for m in members if m[0].total_fen >= threshold]
    regular = [m for m in members if m[0].total_fen < threshold]
    draw = SchoolDraw(stratum.code, stratum.name, len(members), len(large), threshold, places)
    if not places:
        return [], draw
    n_large = min(len(large), -(-places // 2))
    n_regular = min(len(regular), places - n_large)
    n_large = places - n_regular
    by_item: dict[str, list[Member]] = {}
    for m in large:
        by_item.setdefault(_main_item(m[0]), []).append(m)
    items = sorted(by_item)
    rng.shuffle(items)
    queues = [rng.sample(by_item[code], len(by_item[code])) for code in items]
    picked: list[tuple[Member, str]] = []
    while len(picked) < n_large:
        for q in queues:
            if q and len(picked) < n_large:
                picked.append((q.pop(0), LARGE))
    picked += [(m, REGULAR) for m in rng.sample(regular, n_regular)]
    picked.sort(key=lambda p: (p[0][0].id_number, p[0][0].name))
    return picked, draw


def draw_sample(packages: Iterable[Received], seed: int, *, count: int | None = None,
                percent: str | None = None, unannounced: bool = False) -> Sample:
    """The sample for ``seed`` (see the module's rule). ValidationError when there is
    nobody to sample or the size is invalid."""
    check_seed(seed)
    strata = _strata(packages)
    population = sum(len(s.members) for s in strata)
    if population == 0:
        raise ValidationError("已接收的上报包中没有享受资助的学生，无法抽查",
                              "请先接收各校的正式上报包（consolidate add），再抽取核查样本")
    places, requested = sample_size(population, count, percent)
    rng = random.Random(seed)
    quotas = allocate([len(s.members) for s in strata], places, rng)
    rows: list[tuple[_Stratum, Member, str]] = []
    draws = []
    for stratum, quota in zip(strata, quotas, strict=True):
        picked, draw = _draw_school(stratum, quota, rng)
        draws.append(draw)
        rows += [(stratum, m, label) for m, label in picked]
    students = tuple(_sampled(i, stratum, m, label) for i, (stratum, m, label) in enumerate(rows, 1))
    return Sample(seed, requested, population, students, tuple(draws), unannounced)


def _sampled(seq: int, stratum: _Stratum, member: Member, label: str) -> SampledStudent:
    st, sha, items = member
    return SampledStudent(
        seq=seq, school_code=stratum.code, school_name=stratum.name, school_township=stratum.township,
        id_number=st.id_number, name=st.name, stratum=label,
        grants=tuple(SampledGrant(g.code, items.get(g.code, g.code), g.amount_fen) for g in st.grants),
        gender=st.gender, stage=st.stage, grade=st.grade, class_name=st.class_name, township=st.township,
        village=st.village, category=st.category, package_sha256=sha)


# ---------------------------------------------------------------- results and the report

@dataclass(frozen=True)
class PointResult:
    point: str                        # Point.code
    truthful: bool
    note: str = ""


@dataclass(frozen=True)
class CheckedStudent:
    student: SampledStudent
    results: Mapping[str, PointResult]      # by Point.code; a point not yet entered is absent

    @property
    def complete(self) -> bool:
        return all(p.code in self.results for p in POINTS)

    @property
    def false_points(self) -> list[PointResult]:
        return [self.results[p.code] for p in POINTS if p.code in self.results and not self.results[p.code].truthful]


@dataclass(frozen=True)
class StoredSample:
    """A sample as kept in the database, with the results entered so far."""

    id: int
    sample: Sample
    school_year: int
    created_at: datetime
    created_by: str
    results: Mapping[int, Mapping[str, PointResult]] = field(default_factory=dict)   # by seq, then point
    seed_source: str = ""             # SEED_GENERATED / SEED_TYPED ("": not recorded, an older sample)

    @property
    def kind_label(self) -> str:
        return "暗访" if self.sample.unannounced else "专项核查"

    def checked(self) -> list[CheckedStudent]:
        return [CheckedStudent(st, self.results.get(st.seq, {})) for st in self.sample.students]

    def info(self) -> dict[str, Any]:
        """The sample's identity for JSON output and documents."""
        s = self.sample
        return {"id": self.id, "seed": s.seed, "method": s.method, "requested": s.requested,
                "population": s.population, "count": len(s.students), "unannounced": s.unannounced,
                "school_year": self.school_year, "created_at": self.created_at.isoformat(timespec="seconds"),
                "created_by": self.created_by, "seed_source": self.seed_source}


@dataclass(frozen=True)
class SpotFinding:
    """A 不属实 point of a completed check, shaped like a ``check --json`` flag (for the 反馈包)."""

    id_number: str
    name: str
    message: str
    school_code: str
    school_name: str
    point: str                        # Point.code
    note: str
    sample_id: int
    unannounced: bool
    code: str = "SPOTCHECK_NOT_TRUE"
    severity: str = "error"
    state: str = "open"

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "id_number": self.id_number, "name": self.name,
                "message": self.message, "state": self.state, "school_code": self.school_code,
                "school_name": self.school_name, "point": self.point, "note": self.note,
                "sample_id": self.sample_id, "unannounced": self.unannounced}


@dataclass(frozen=True)
class CompletedCheck:
    """A sampled student whose every point was checked (what may go back to the school)."""

    sample_id: int
    unannounced: bool
    student: SampledStudent
    results: tuple[PointResult, ...]  # in POINTS order
    checked_at: datetime              # the last result's entry

    def findings(self) -> list[SpotFinding]:
        kind = "暗访核查" if self.unannounced else "专项核查"
        x = self.student
        return [SpotFinding(x.id_number, x.name,
                            f"{kind}（抽查编号 {self.sample_id}）：{POINTS_BY_CODE[r.point].label}核查不属实：{r.note}",
                            x.school_code, x.school_name, r.point, r.note, self.sample_id, self.unannounced)
                for r in self.results if not r.truthful]


def check_result(point: Point, truthful: bool, note: str) -> PointResult:
    """A result as entered; 不属实 needs a note saying what was found."""
    note = note.strip()
    if not truthful and not note:
        raise ValidationError(f"“{point.label}”核查为不属实，但没有填写说明",
                              "请写明发现的情况，例如：家长称只收到 1000 元")
    return PointResult(point.code, truthful, note)


@dataclass(frozen=True)
class PointCount:
    truthful: int = 0
    false: int = 0


@dataclass(frozen=True)
class FalseNote:
    seq: int
    id_number: str
    name: str
    point: str                        # Point.code
    note: str


@dataclass(frozen=True)
class SchoolReport:
    school_code: str
    school_name: str
    sampled: int
    checked: int                      # every point entered
    points: Mapping[str, PointCount]
    false_notes: tuple[FalseNote, ...]


def summarise(checked: Sequence[CheckedStudent]) -> list[SchoolReport]:
    """Per school in sample order: sampled, fully checked, 属实/不属实 per point, the 不属实 notes."""
    groups: dict[str, list[CheckedStudent]] = {}
    for c in checked:
        groups.setdefault(c.student.school_code, []).append(c)
    out = []
    for code, group in groups.items():
        counts = {}
        for p in POINTS:
            entered = [c.results[p.code] for c in group if p.code in c.results]
            counts[p.code] = PointCount(sum(r.truthful for r in entered), sum(not r.truthful for r in entered))
        notes = tuple(FalseNote(c.student.seq, c.student.id_number, c.student.name, r.point, r.note)
                      for c in group for r in c.false_points)
        out.append(SchoolReport(code, group[0].student.school_name, len(group), sum(c.complete for c in group),
                                counts, notes))
    return out


def totals_of(schools: Sequence[SchoolReport]) -> SchoolReport:
    """All schools together (the report's 合计 row)."""
    points = {p.code: PointCount(sum(s.points[p.code].truthful for s in schools),
                                 sum(s.points[p.code].false for s in schools)) for p in POINTS}
    return SchoolReport("", "合计", sum(s.sampled for s in schools), sum(s.checked for s in schools), points,
                        tuple(n for s in schools for n in s.false_notes))


def report_json(info: Mapping[str, Any], schools: Sequence[SchoolReport]) -> dict[str, Any]:
    """``consolidate report --json``: the sample's ``info`` and the figures per school and in total."""
    def school(s: SchoolReport) -> dict[str, Any]:
        return {"school_code": s.school_code, "school_name": s.school_name, "sampled": s.sampled,
                "checked": s.checked,
                "points": {p.code: {"label": p.label, "truthful": s.points[p.code].truthful,
                                    "false": s.points[p.code].false} for p in POINTS},
                "false_notes": [{"seq": n.seq, "id_number": n.id_number, "name": n.name, "point": n.point,
                                 "label": POINTS_BY_CODE[n.point].label, "note": n.note} for n in s.false_notes]}
    total = school(totals_of(schools))
    del total["school_code"], total["school_name"]
    return {"sample": dict(info), "points": [{"code": p.code, "label": p.label} for p in POINTS],
            "by_school": [school(s) for s in schools], "totals": total}
