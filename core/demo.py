"""Demo data: a realistic school student list and poverty roster with planted problems.

``generate_demo`` is deterministic for a seed (its own ``random.Random``, no
dependence on today's date). Everyone lives in one real county (建始县,
region code 422822, whose stdnum record has no year range), IDs are valid
GB 11643 numbers whose birth date and gender agree with the person, and ages
fit the policy's age ranges. Registered (建档立卡) students belong to whole
registered households in the roster. A few problems of each kind are planted
on purpose; ``DemoData.plants`` lists them (``notes`` in Chinese for the clerk).

Student and roster dicts use exactly the field names of ``ParsedRow.values``
(core/records.py). Money is integer fen; None means "not entered".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from random import Random
from typing import Any

from core.domain import Category, Stage
from core.policy import default_policy

REGION = "422822"
PROVINCE = "湖北省"
COUNTY = "建始县"
AREA_CODE = "0718"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_REGION_SUM = sum(int(c) * w for c, w in zip(REGION, _ID_WEIGHTS))

# (name, weight) - a realistic spread for a county in western Hubei, with the
# polyphonic surnames 曾 (zēng), 单 (shàn), 覃 (qín), 区 (ōu), 解 (xiè).
_SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.3),
    ("赵", 2.2), ("吴", 2.0), ("周", 1.9), ("徐", 1.5), ("孙", 1.5), ("马", 1.4), ("朱", 1.3),
    ("胡", 1.3), ("郭", 1.1), ("何", 1.1), ("高", 1.0), ("林", 1.0), ("罗", 0.9), ("郑", 0.9),
    ("梁", 0.8), ("谢", 0.8), ("宋", 0.7), ("唐", 0.7), ("许", 0.6), ("韩", 0.6), ("冯", 0.6),
    ("邓", 0.8), ("曹", 0.6), ("彭", 0.6), ("曾", 0.7), ("肖", 0.6), ("田", 1.5), ("董", 0.5),
    ("袁", 0.5), ("潘", 0.5), ("蒋", 0.5), ("蔡", 0.5), ("余", 0.5), ("杜", 0.5), ("叶", 0.5),
    ("程", 0.5), ("苏", 0.4), ("魏", 0.4), ("吕", 0.4), ("丁", 0.4), ("任", 0.4), ("沈", 0.4),
    ("姚", 0.4), ("卢", 0.4), ("姜", 0.4), ("崔", 0.3), ("钟", 0.3), ("谭", 1.5), ("陆", 0.3),
    ("汪", 0.3), ("范", 0.3), ("金", 0.3), ("石", 0.4), ("廖", 0.3), ("贾", 0.3), ("夏", 0.3),
    ("韦", 0.3), ("付", 0.3), ("方", 0.3), ("邹", 0.3), ("熊", 0.4), ("秦", 0.3), ("江", 0.3),
    ("雷", 0.4), ("龙", 0.4), ("向", 1.5), ("冉", 0.8), ("覃", 1.0), ("牟", 0.5), ("邱", 0.3),
    ("侯", 0.3), ("万", 0.3), ("文", 0.3), ("滕", 0.2), ("单", 0.1), ("区", 0.05), ("解", 0.1),
)
POLYPHONIC_SURNAMES = ("曾", "单", "覃", "区", "解")

_MODERN_M = "浩宇轩子俊杰涛磊鹏博文明辉强伟军勇斌峰鑫晨阳豪然凯翔睿泽航天志家成瑞林宏思嘉一诚旭毅鸿铭昊"
_MODERN_F = "丽婷静芳敏燕雪琳颖欣怡涵萱雨佳梓诗思悦晶莉婧玲萍霞梅红娟慧倩蕾瑶妍彤琪可心语梦馨雯"
_OLDER_M = "建国军华明德福林海山平文清志强富贵发成忠祥永兴春生德光荣"
_OLDER_F = "秀英桂兰玉凤芳珍华梅红英霞琴春花云翠菊莲香芬淑"

# Same pinyin and tone, so a clerk typing from hearing picks the other one.
HOMOPHONES = {
    "男": (("军", "君"), ("伟", "玮"), ("明", "鸣"), ("涛", "韬"), ("斌", "彬"), ("勇", "涌"),
          ("浩", "昊"), ("鹏", "朋"), ("俊", "骏")),
    "女": (("丽", "莉"), ("静", "婧"), ("玲", "铃"), ("燕", "艳"), ("芳", "方"), ("欣", "馨"),
          ("怡", "宜"), ("萍", "平"), ("霞", "侠"), ("婷", "庭")),
}

_TOWNSHIPS = ("业州镇", "高坪镇", "红岩寺镇", "景阳镇", "官店镇", "花坪镇", "长梁镇",
              "茅田乡", "龙坪乡", "三里乡")
_TOWNSHIP_WEIGHTS = (3.0, 1.6, 1.2, 1.0, 1.2, 1.0, 0.9, 0.8, 0.8, 0.7)
_VILLAGE_A = "石白青黄龙马桃柳枫竹新大小高杨李陈向田谭金凉长双塘"
_VILLAGE_B = "坪坝岩湾溪口园坡垭河桥沟岭堡塘门台"

_BANKS = (("湖北建始农村商业银行", "623190", 4), ("中国农业银行", "622848", 3),
          ("中国邮政储蓄银行", "621799", 2), ("中国建设银行", "621700", 1))
_MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
                    "150", "151", "152", "153", "155", "156", "157", "158", "159", "177",
                    "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199")
_UNIVERSITIES = ("湖北民族大学", "恩施职业技术学院", "三峡大学", "湖北工业大学", "长江大学",
                 "华中农业大学", "武汉职业技术学院", "湖北师范大学")

# stage, weight, grades: (grade label, nominal age on 1 September, roster schooling status)
_STAGE_PLAN: tuple[tuple[Stage, float, tuple[tuple[str, int, str], ...]], ...] = (
    (Stage.PRESCHOOL, 3.0, (("小班", 3, "学前教育"), ("中班", 4, "学前教育"), ("大班", 5, "学前教育"))),
    (Stage.PRIMARY, 35.0, tuple((f"{c}年级", 5 + i, f"小学{c}年级") for i, c in enumerate("一二三四五六", 1))),
    (Stage.JUNIOR, 24.0, (("初一", 12, "初中一年级"), ("初二", 13, "初中二年级"), ("初三", 14, "初中三年级"))),
    (Stage.HIGH_SCHOOL, 22.0, (("高一", 15, "普通高中一年级"), ("高二", 16, "普通高中二年级"),
                               ("高三", 17, "普通高中三年级"))),
    (Stage.VOCATIONAL, 5.0, (("一年级", 15, "中职一年级"), ("二年级", 16, "中职二年级"),
                             ("三年级", 17, "中职三年级"))),
    (Stage.JUNIOR_COLLEGE, 3.5, (("大一", 18, "高职专科"), ("大二", 19, "高职专科"), ("大三", 20, "高职专科"))),
    (Stage.UNDERGRADUATE, 5.0, tuple((f"大{c}", 17 + i, "本科") for i, c in enumerate("一二三四", 1))),
    (Stage.MASTER, 1.5, (("研一", 22, "硕士研究生"), ("研二", 23, "硕士研究生"), ("研三", 24, "硕士研究生"))),
    (Stage.DOCTOR, 1.0, tuple((f"博{c}", 24 + i, "博士研究生") for i, c in enumerate("一二三四", 1))),
)
_STAGE_INDEX = {s: i for i, (s, _w, _g) in enumerate(_STAGE_PLAN)}
_GRADES = {s: g for s, _w, g in _STAGE_PLAN}
_SCHOOL_STAGES = frozenset((Stage.PRESCHOOL, Stage.PRIMARY, Stage.JUNIOR, Stage.HIGH_SCHOOL,
                            Stage.VOCATIONAL))
_FEE_STAGES = frozenset((Stage.HIGH_SCHOOL, Stage.VOCATIONAL))
_HIGHER = frozenset((Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE, Stage.MASTER, Stage.DOCTOR))

# Planted problem kinds, in the order they are placed.
BAD_CHECK = "BAD_CHECK"                  # ID with a wrong check digit
DUPLICATE_ID = "DUPLICATE_ID"            # two students, one ID (students[1] has the copied one)
NOT_IN_ROSTER = "NOT_IN_ROSTER"          # registered student missing from the roster
HOMOPHONE = "HOMOPHONE"                  # roster name differs by a homophone character
CATEGORY_MISMATCH = "CATEGORY_MISMATCH"  # "NONE" student who is on the roster
EMPTY_LODGING = "EMPTY_LODGING"          # registered 普通高中 student, lodging fee blank
AGE_MISMATCH = "AGE_MISMATCH"            # age outside the stage's range
NUMERIC_CELL = "NUMERIC_CELL"            # ID mangled into "4.22822E+17"
LOAN_NO_CONTRACT = "LOAN_NO_CONTRACT"    # loan without a contract number
NOT_FULL_TIME = "NOT_FULL_TIME"          # not full-time formal enrolment
PRIVATE_TUITION = "PRIVATE_TUITION"      # 民办 普通高中, tuition above the public standard
ROSTER_NOT_LISTED = "ROSTER_NOT_LISTED"  # roster member at this school, not in the student list

_STUDENT_PLANTS = (BAD_CHECK, DUPLICATE_ID, NOT_IN_ROSTER, HOMOPHONE, CATEGORY_MISMATCH,
                   EMPTY_LODGING, AGE_MISMATCH, NUMERIC_CELL, LOAN_NO_CONTRACT, NOT_FULL_TIME,
                   PRIVATE_TUITION)

_R, _O, _N = Category.REGISTERED.value, Category.OTHER_HARDSHIP.value, Category.NONE.value


@dataclass(frozen=True)
class Plant:
    """One planted problem: its kind, a Chinese note, and where it is."""

    kind: str
    note: str
    students: tuple[int, ...] = ()   # indices into DemoData.students
    roster: tuple[int, ...] = ()     # indices into DemoData.roster


@dataclass
class DemoData:
    school: dict[str, Any]
    students: list[dict[str, Any]]
    roster: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)


@dataclass
class _Forced:
    """Attributes a planted slot must have."""

    kind: str
    stage: Stage | None = None
    category: str | None = None
    ownership: str | None = None
    local: bool = False
    age: int | None = None


class _Household:
    __slots__ = ("no", "township", "village", "head", "head_ord", "phone", "surname",
                 "grand", "rows")

    def __init__(self, no: str, township: str, village: str) -> None:
        self.no = no
        self.township = township
        self.village = village
        self.head = ""
        self.head_ord = 0
        self.phone = ""
        self.surname = ""          # surname of the children
        self.grand = False         # headed by a grandparent: children are 孙子/孙女
        self.rows: list[tuple[dict[str, Any], int]] = []  # (roster row, keep priority; 0 = always)


def _yr(years: float) -> int:
    return int(years * 365.25)


class _Gen:
    def __init__(self, seed: int, school_year: int) -> None:
        self.rng = Random(seed)
        self.year = school_year
        self.sept1 = date(school_year, 9, 1)
        self.sept1_ord = self.sept1.toordinal()
        self.used: set[str] = set()
        self.date_sums: dict[int, tuple[str, int]] = {}
        self.age_spans: dict[int, tuple[int, int]] = {}
        self.surnames = [s for s, _ in _SURNAMES]
        cum, total = [], 0.0
        for _, w in _SURNAMES:
            total += w
            cum.append(total)
        self.surname_cum = cum
        self.township_cum = [sum(_TOWNSHIP_WEIGHTS[:i + 1]) for i in range(len(_TOWNSHIPS))]
        rng = self.rng
        self.villages: dict[str, list[str]] = {}
        for t in _TOWNSHIPS:
            names: set[str] = set()
            want = rng.randint(8, 16)
            while len(names) < want:
                names.add(rng.choice(_VILLAGE_A) + rng.choice(_VILLAGE_B) + "村")
            self.villages[t] = sorted(names)
        self.hh_seq: dict[tuple[int, int], int] = {}
        self.contract_seq = 0

    # -- people -------------------------------------------------------------

    def new_id(self, born_ord: int, male: bool, no_x: bool = False) -> str:
        cached = self.date_sums.get(born_ord)
        if cached is None:
            d = date.fromordinal(born_ord)
            ymd = f"{d.year:04d}{d.month:02d}{d.day:02d}"
            cached = (ymd, _REGION_SUM + sum(int(c) * w for c, w in zip(ymd, _ID_WEIGHTS[6:14])))
            self.date_sums[born_ord] = cached
        ymd, partial = cached
        rnd = self.rng.randrange
        used = self.used
        while True:
            seq = rnd(500) * 2 + (1 if male else 0)
            body = f"{REGION}{ymd}{seq:03d}"
            if body in used:
                continue
            check = _ID_CHECK[(partial + (seq // 100) * 8 + (seq // 10 % 10) * 4 + (seq % 10) * 2) % 11]
            if no_x and check == "X":
                continue
            used.add(body)
            return body + check

    def born_for_age(self, age: int) -> int:
        """A birth date (ordinal) giving ``age`` on 1 September of the school year."""
        span = self.age_spans.get(age)
        if span is None:
            y = self.year - age
            span = (date(y - 1, 9, 2).toordinal(), date(y, 9, 1).toordinal())
            self.age_spans[age] = span
        return self.rng.randint(*span)

    def age(self, born_ord: int) -> int:
        d = date.fromordinal(born_ord)
        return self.year - d.year - ((9, 1) < (d.month, d.day))

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def given(self, male: bool, born_ord: int) -> str:
        rng = self.rng
        older = born_ord < 722815  # 1980-01-01
        pool = (_OLDER_M if male else _OLDER_F) if older else (_MODERN_M if male else _MODERN_F)
        if rng.random() < 0.72:
            return rng.choice(pool) + rng.choice(pool)
        return rng.choice(pool)

    def phone(self) -> str:
        return self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"

    def landline(self) -> str:
        return f"{AREA_CODE}-{self.rng.randint(3210000, 3299999)}"

    def bank(self) -> tuple[str, str]:
        rng = self.rng
        name, bin_, _w = rng.choices(_BANKS, weights=[b[2] for b in _BANKS])[0]
        body = bin_ + f"{rng.randrange(10 ** 12):012d}"
        return name, body + _luhn(body)

    def place(self) -> tuple[str, str]:
        t = self.rng.choices(_TOWNSHIPS, cum_weights=self.township_cum)[0]
        return t, self.rng.choice(self.villages[t])

    def status(self, age: int, township: str) -> tuple[str, str]:
        """Roster schooling status and school for someone not in the student list."""
        rng = self.rng
        if age < 3:
            return "学龄前儿童", ""
        if age <= 5:
            return ("学前教育", f"{township}中心幼儿园") if rng.random() < 0.75 else ("学龄前儿童", "")
        if age <= 11:
            return f"小学{'一二三四五六'[age - 6]}年级", f"{township}中心小学"
        if age <= 14:
            return f"初中{'一二三'[age - 12]}年级", f"{township}初级中学"
        if age <= 17:
            r = rng.random()
            if r < 0.7:
                return f"普通高中{'一二三'[age - 15]}年级", f"{COUNTY}第二高级中学"
            if r < 0.92:
                return f"中职{'一二三'[age - 15]}年级", f"{COUNTY}中等职业技术学校"
            return "非在校生", ""
        if age <= 21 and rng.random() < 0.35:
            return rng.choice(("本科", "高职专科")), rng.choice(_UNIVERSITIES)
        return "非在校生", ""

    # -- households ---------------------------------------------------------

    def household(self, township: str | None = None, village: str | None = None) -> _Household:
        if township is None or village is None:
            township, village = self.place()
        key = (_TOWNSHIPS.index(township), self.villages[township].index(village))
        seq = self.hh_seq.get(key, 0) + 1
        self.hh_seq[key] = seq
        no = f"{REGION}{key[0] + 101:03d}{key[1] + 201:03d}{seq:04d}"
        return _Household(no, township, village)

    def member(self, hh: _Household, name: str, id_number: str, relation: str,
               status: str, school: str, priority: int) -> dict[str, Any]:
        row = {"county": COUNTY, "township": hh.township, "village": hh.village,
               "household_no": hh.no, "name": name, "id_number": id_number, "id_raw": id_number,
               "id_numeric_cell": False, "relation": relation, "schooling_status": status,
               "school_name": school}
        hh.rows.append((row, priority))
        return row

    def person(self, hh: _Household, male: bool, born_ord: int, relation: str,
               priority: int, surname: str | None = None) -> None:
        if self.sept1_ord - born_ord > _yr(92) or born_ord > self.sept1_ord:
            return
        name = (surname or self.surname()) + self.given(male, born_ord)
        status, school = self.status(self.age(born_ord), hh.township)
        self.member(hh, name, self.new_id(born_ord, male), relation, status, school, priority)

    def build_household(self, child_ord: int, child_surname: str | None,
                        hh: _Household | None = None) -> _Household:
        """A registered household around a child born on ``child_ord`` (the
        child itself is added by the caller). Head first, optional members after."""
        rng = self.rng
        hh = hh or self.household()
        hh.phone = self.phone()
        child_age = self.age(child_ord)
        shape = rng.random()
        if child_age < 16 and shape < 0.2:
            # grandfather is the head; the child's parents live in the household
            surname = child_surname or self.surname()
            hh.grand = True
            hh.surname = surname
            head_ord = child_ord - rng.randint(_yr(45), _yr(62))
            hh.head_ord = head_ord
            hh.head = surname + self.given(True, head_ord)
            self.member(hh, hh.head, self.new_id(head_ord, True), "户主", "非在校生", "", 0)
            if rng.random() < 0.85:
                self.person(hh, False, head_ord + rng.randint(-_yr(2), _yr(5)), "配偶", 1)
            father = child_ord - rng.randint(_yr(22), _yr(34))
            if rng.random() < 0.85:
                self.person(hh, True, father, "子", 1, surname)
            if rng.random() < 0.8:
                self.person(hh, False, father + rng.randint(-_yr(2), _yr(5)), "儿媳", 1)
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                male = rng.random() < 0.52
                self.person(hh, male, rng.randint(father + _yr(20), min(father + _yr(40), self.sept1_ord)),
                            "孙子" if male else "孙女", 2, surname)
            return hh
        mother_head = shape > 0.88
        head_ord = child_ord - rng.randint(_yr(22), _yr(36))
        hh.head_ord = head_ord
        if mother_head:
            hh.surname = child_surname or self.surname()
            head_surname = self.surname()
            hh.head = head_surname + self.given(False, head_ord)
            self.member(hh, hh.head, self.new_id(head_ord, False), "户主", "非在校生", "", 0)
        else:
            hh.surname = head_surname = child_surname or self.surname()
            hh.head = head_surname + self.given(True, head_ord)
            self.member(hh, hh.head, self.new_id(head_ord, True), "户主", "非在校生", "", 0)
            if rng.random() < 0.9:
                self.person(hh, False, head_ord + rng.randint(-_yr(3), _yr(5)), "配偶", 1)
        if rng.random() < 0.4:
            self.person(hh, True, head_ord - rng.randint(_yr(22), _yr(32)), "父亲", 3, head_surname)
        if rng.random() < 0.5:
            self.person(hh, False, head_ord - rng.randint(_yr(20), _yr(30)), "母亲", 3)
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
            male = rng.random() < 0.52
            self.person(hh, male, rng.randint(head_ord + _yr(20), min(head_ord + _yr(44), self.sept1_ord)),
                        "子" if male else "女", 2, hh.surname)
        return hh

    def elderly_household(self) -> _Household:
        rng = self.rng
        hh = self.household()
        head_ord = self.born_for_age(rng.randint(58, 86))
        male = rng.random() < 0.7
        hh.head = self.surname() + self.given(male, head_ord)
        self.member(hh, hh.head, self.new_id(head_ord, male), "户主", "非在校生", "", 0)
        if rng.random() < 0.6:
            self.person(hh, not male, head_ord + rng.randint(-_yr(4), _yr(4)), "配偶", 1)
        return hh


def _luhn(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def _per_kind(n: int) -> int:
    """How many problems of each kind are planted in a list of ``n`` students."""
    return 1 if n < 200 else 2 if n < 2000 else 3


def _plan_plants(n: int, rng: Random) -> list[_Forced]:
    """The planted slots: a few of each kind (one each for small lists)."""
    forced: list[_Forced] = []
    for i in range(_per_kind(n)):
        forced += [
            _Forced(BAD_CHECK),
            _Forced(DUPLICATE_ID), _Forced(DUPLICATE_ID),
            _Forced(NOT_IN_ROSTER, category=_R),
            _Forced(HOMOPHONE, category=_R),
            _Forced(CATEGORY_MISMATCH, category=_N),
            _Forced(EMPTY_LODGING, Stage.HIGH_SCHOOL, _R, "公办", local=True),
            _Forced(AGE_MISMATCH, (Stage.PRIMARY, Stage.JUNIOR)[i % 2]),
            _Forced(NUMERIC_CELL),
            _Forced(LOAN_NO_CONTRACT, (Stage.UNDERGRADUATE, Stage.JUNIOR_COLLEGE, Stage.MASTER)[i % 3], _R),
            _Forced(NOT_FULL_TIME, (Stage.VOCATIONAL, Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE)[i % 3], _R),
            _Forced(PRIVATE_TUITION, Stage.HIGH_SCHOOL, _R, "民办", local=True),
        ]
    # A small list gets as many whole kinds as fit; a duplicate needs both halves.
    if len(forced) > n:
        forced = forced[:n]
        if forced and forced[-1].kind == DUPLICATE_ID and sum(f.kind == DUPLICATE_ID for f in forced) % 2:
            forced.pop()
    return forced


def generate_demo(n_students: int = 300, seed: int = 2023, school_year: int = 2023,
                  roster_extra: int | None = None) -> DemoData:
    """A school's student list and the county's registered-household roster.

    ``roster_extra`` is the number of roster rows for people who are not in
    the student list (default ``n_students // 2``); it is raised when needed
    to give every registered household its head.
    """
    n = max(0, n_students)
    extra_target = n // 2 if roster_extra is None else max(0, roster_extra)
    g = _Gen(seed, school_year)
    rng = g.rng
    age_ranges = default_policy().age_ranges

    school_name = f"{COUNTY}第一中学"
    school = {"name": school_name, "code": f"3142{rng.randrange(10 ** 6):06d}",
              "school_year": school_year, "township": _TOWNSHIPS[0],
              "contact_phone": g.landline(), "supervision_phone": g.landline()}

    # School-wide fees (fen): one tuition per stage, textbooks per grade, boarding.
    tuition = {Stage.HIGH_SCHOOL: rng.randrange(1200, 2401, 200) * 100,
               Stage.VOCATIONAL: rng.choice((2000, 2200, 2400)) * 100}
    textbook = {(s, gr[0]): rng.randint(3200, 6400) * 10 for s in _FEE_STAGES for gr in _GRADES[s]}
    lodging = {s: rng.choice((400, 500, 600, 800)) * 100 for s in _FEE_STAGES}

    # -- slots: stage and category for every student ---------------------------
    forced_list = _plan_plants(n, rng)
    slots = rng.sample(range(n), len(forced_list)) if forced_list else []
    forced_at: dict[int, _Forced] = dict(zip(slots, forced_list))
    stages: list[Stage | None] = [forced_at[i].stage if i in forced_at else None for i in range(n)]
    stage_list = [s for s, _w, _g in _STAGE_PLAN]
    stage_cum = [sum(w for _s, w, _g in _STAGE_PLAN[:i + 1]) for i in range(len(_STAGE_PLAN))]
    free = [i for i in range(n) if stages[i] is None]
    rng.shuffle(free)
    if n >= 60:   # every stage at least twice
        for st in stage_list:
            for _ in range(max(0, 2 - stages.count(st))):
                if free:
                    stages[free.pop()] = st
    for i in free:
        stages[i] = rng.choices(stage_list, cum_weights=stage_cum)[0]
    # polyphonic surnames appear at least once each (on ordinary slots)
    forced_surname: dict[int, str] = {}
    plain = [i for i in range(n) if i not in forced_at]
    for i, s in zip(rng.sample(plain, min(len(plain), len(POLYPHONIC_SURNAMES))), POLYPHONIC_SURNAMES):
        forced_surname[i] = s

    # -- students ----------------------------------------------------------------
    students: list[dict[str, Any]] = []
    sort_keys: list[tuple[int, int, int]] = []
    households: list[_Household] = []
    recent: list[_Household] = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    extra_of: dict[int, dict[str, Any]] = {}     # id(student) -> facts for notes
    true_ids: dict[int, str] = {}
    listed_rows: set[int] = set()                 # id() of roster rows of listed students
    for i in range(n):
        stage = stages[i]
        assert stage is not None
        f = forced_at.get(i)
        kind = f.kind if f else ""
        r = rng.random()
        category = f.category if f and f.category else (_R if r < 0.3 else _O if r < 0.4 else _N)
        grades = _GRADES[stage]
        gi = rng.randrange(len(grades))
        grade, nominal, status = grades[gi]
        lo, hi = age_ranges.get(stage, (0, 200))
        if kind == AGE_MISMATCH:
            age = hi + rng.randint(2, 5)
        else:
            d = rng.random()
            age = nominal + (-1 if d < 0.08 else 1 if d < 0.18 else 2 if d < 0.2 else 0)
            if stage in (Stage.MASTER, Stage.DOCTOR) and rng.random() < 0.3:
                age += rng.randint(1, 5)
            age = min(max(age, lo), hi)
        born = g.born_for_age(age)
        male = rng.random() < 0.52
        id_number = g.new_id(born, male, no_x=kind == NUMERIC_CELL)
        given = g.given(male, born)
        if kind == HOMOPHONE:
            pair = rng.choice(HOMOPHONES["男" if male else "女"])
            given = (given[0] if len(given) > 1 else "") + pair[0]
        in_roster = (category == _R and kind != NOT_IN_ROSTER) or kind == CATEGORY_MISMATCH
        registered_hh = category == _R or kind == CATEGORY_MISMATCH
        surname = forced_surname.get(i)

        # household
        hh: _Household | None = None
        if registered_hh:
            if surname is None and recent and rng.random() < 0.15:
                cand = rng.choice(recent)
                gap = born - cand.head_ord
                if (cand.grand and age < 16) or (not cand.grand and _yr(20) <= gap <= _yr(42)):
                    hh = cand
            if hh is None:
                hh = g.build_household(born, surname)
                households.append(hh)
                recent.append(hh)
                if len(recent) > 20:
                    recent.pop(0)
            surname = hh.surname
            township, village, head_name, phone = hh.township, hh.village, hh.head, hh.phone
            relation = ("孙子" if male else "孙女") if hh.grand else ("子" if male else "女")
        else:
            township, village = g.place()
            surname = surname or g.surname()
            parent_ord = born - rng.randint(_yr(22), _yr(36))
            father = rng.random() < 0.8
            head_name = (surname if father else g.surname()) + g.given(father, parent_ord)
            relation = "子" if male else "女"
            phone = g.phone()
        name = surname + given

        location = "本地"
        ownership = f.ownership if f and f.ownership else "公办"
        if not (f and f.local):
            lr = rng.random()
            if stage in _HIGHER:
                location = "外地" if lr < 0.9 else "本地"
            elif lr < {Stage.PRESCHOOL: 0.08, Stage.HIGH_SCHOOL: 0.06, Stage.VOCATIONAL: 0.15}.get(stage, 0.02):
                location = "外地"
        if not (f and f.ownership):
            priv = {Stage.PRESCHOOL: 0.3, Stage.PRIMARY: 0.04, Stage.JUNIOR: 0.04,
                    Stage.JUNIOR_COLLEGE: 0.2, Stage.UNDERGRADUATE: 0.15}.get(stage, 0.0)
            if rng.random() < priv:
                ownership = "民办"

        tuition_fen = textbook_fen = lodging_fen = None
        if stage in _FEE_STAGES:
            if location == "本地":
                tuition_fen = tuition[stage]
                textbook_fen = textbook[(stage, grade)]
            else:
                tuition_fen = rng.randrange(1200, 2401, 200) * 100
                textbook_fen = rng.randint(3200, 6400) * 10
            lodging_fen = lodging[stage] if rng.random() < 0.75 else 0
            if kind == PRIVATE_TUITION:
                tuition_fen = rng.choice((4800, 5800, 6800, 8800)) * 100
                lodging_fen = rng.choice((1000, 1200)) * 100
            elif kind == EMPTY_LODGING:
                lodging_fen = None

        has_loan, contract = False, ""
        if stage in _HIGHER:
            p = {_R: 0.6, _O: 0.5}.get(category, 0.1)
            if kind == LOAN_NO_CONTRACT or rng.random() < p:
                has_loan = True
                if kind != LOAN_NO_CONTRACT:
                    g.contract_seq += 1
                    contract = f"{REGION}{school_year}{g.contract_seq:06d}"
        if stage in _SCHOOL_STAGES:
            student_no = "G" + id_number
        else:
            student_no = f"{school_year - gi}{rng.randrange(10 ** 6):06d}"
        bank_name = bank_card = ""
        if category != _N or rng.random() < 0.4:
            bank_name, bank_card = g.bank()

        d = date.fromordinal(born)
        student = {
            "name": name, "id_number": id_number, "id_raw": id_number, "id_numeric_cell": False,
            "gender": "男" if male else "女", "birth_date": f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
            "student_no": student_no, "stage": stage.value, "grade": grade, "class_name": "",
            "location": location, "ownership": ownership, "full_time": kind != NOT_FULL_TIME,
            "has_loan": has_loan, "category": category,
            "household_no": hh.no if hh is not None and category == _R else "",
            "head_name": head_name, "relation": relation, "township": township, "village": village,
            "phone": phone, "tuition_fen": tuition_fen, "textbook_fen": textbook_fen,
            "lodging_fen": lodging_fen, "loan_contract_no": contract,
            "bank_name": bank_name, "bank_card": bank_card,
        }
        students.append(student)
        sort_keys.append((_STAGE_INDEX[stage], gi, 0))
        true_ids[id(student)] = id_number
        if hh is not None and in_roster:
            roster_name = name
            if kind == HOMOPHONE:
                roster_name = name[:-1] + dict(HOMOPHONES["男" if male else "女"])[name[-1]]
            row = g.member(hh, roster_name, id_number, relation, status, school_name, 0)
            listed_rows.add(id(row))
            extra_of[id(student)] = {"row": row}
        elif hh is not None:
            extra_of[id(student)] = {"hh": hh}
        if kind:
            by_kind.setdefault(kind, []).append(student)
        if kind == AGE_MISMATCH:
            extra_of.setdefault(id(student), {})["age"] = age

    # class numbers: about 45 per class in the school stages
    counts: dict[tuple[int, int], int] = {}
    for k in sort_keys:
        counts[k[:2]] = counts.get(k[:2], 0) + 1
    for j, st in enumerate(students):
        k = sort_keys[j]
        if stage_list[k[0]] in _SCHOOL_STAGES:
            c = rng.randint(1, max(1, round(counts[k[:2]] / 45)))
            st["class_name"] = f"{c}班"
            sort_keys[j] = (k[0], k[1], c)

    # -- planted edits on the finished students --------------------------------
    for st in by_kind.get(BAD_CHECK, []):
        good = st["id_number"]
        bad = good[:17] + rng.choice([c for c in "0123456789" if c != good[17]])
        st["id_number"] = st["id_raw"] = bad
    dups = by_kind.get(DUPLICATE_ID, [])
    for a, b in zip(dups[0::2], dups[1::2]):
        b["id_number"] = b["id_raw"] = a["id_number"]
    for st in by_kind.get(NUMERIC_CELL, []):
        st["id_raw"] = f"{float(st['id_number']):.5E}"
        st["id_number"] = ""
        st["id_numeric_cell"] = True

    # roster members at this school who are missing from the student list
    not_listed: list[dict[str, Any]] = []
    if n:
        student_names = {st["name"] for st in students}
        cands = [h for h in households if h.grand or g.age(h.head_ord) >= 38]
        for _ in range(_per_kind(n)):
            age = rng.randint(15, 17)
            born = g.born_for_age(age)
            male = rng.random() < 0.52
            if cands:
                hh = cands.pop(rng.randrange(len(cands)))
            else:
                hh = g.build_household(born, None)
                households.append(hh)
            rel = ("孙子" if male else "孙女") if hh.grand else ("子" if male else "女")
            name = hh.surname + g.given(male, born)
            while name in student_names:   # unambiguous: no listed student has this name
                name = hh.surname + g.given(male, born)
            not_listed.append(g.member(hh, name, g.new_id(born, male), rel,
                                       f"普通高中{'一二三'[age - 15]}年级", school_name, 0))

    # -- roster size: trim optional members or add more households ---------------
    others = [(row, pr) for hh in households for row, pr in hh.rows if id(row) not in listed_rows]
    mandatory = sum(1 for _r, pr in others if pr == 0)
    optional = [(pr, rng.random(), k) for k, (_row, pr) in enumerate(others) if pr]
    keep_target = max(extra_target, mandatory)
    dropped: set[int] = set()
    if mandatory + len(optional) > keep_target:
        optional.sort()   # spouses and parents first, grandparents last
        dropped = {id(others[k][0]) for _p, _r, k in optional[keep_target - mandatory:]}
    roster: list[tuple[str, int, dict[str, Any]]] = []
    for hh in households:
        for pos, (row, _pr) in enumerate(hh.rows):
            if id(row) not in dropped:
                roster.append((hh.no, pos, row))
    missing = keep_target - (mandatory + len(optional) - len(dropped))
    while missing > 0:
        if rng.random() < 0.15:
            hh = g.elderly_household()
        else:
            child = g.born_for_age(rng.randint(0, 24))
            hh = g.build_household(child, None)
            male = rng.random() < 0.52
            rel = ("孙子" if male else "孙女") if hh.grand else ("子" if male else "女")
            g.person(hh, male, child, rel, 2, hh.surname)
        for pos, (row, _pr) in enumerate(hh.rows[:missing]):
            roster.append((hh.no, pos, row))
        missing -= min(missing, len(hh.rows))
    roster.sort(key=lambda t: (t[0], t[1]))
    roster_rows = [row for _no, _pos, row in roster]

    # -- order like a real list, then describe the plants -----------------------
    order = sorted(range(n), key=lambda j: sort_keys[j])
    students = [students[j] for j in order]
    s_index = {id(st): j for j, st in enumerate(students)}
    r_index = {id(row): j for j, row in enumerate(roster_rows)}
    plants = _describe(by_kind, not_listed, extra_of, true_ids, s_index, r_index, age_ranges,
                       school_year, tuition)
    plants.sort(key=lambda p: (p.students[0] if p.students else n + (p.roster[0] if p.roster else 0)))
    return DemoData(school, students, roster_rows, [p.note for p in plants], plants)


def _who(st: dict[str, Any]) -> str:
    """"高二3班 张丽", "小学三年级1班 王明", "本科大二 李军": where to find a student."""
    grade = st["grade"]
    if not grade.startswith(("高", "初")):
        grade = st["stage"] + grade
    return f"{grade}{st['class_name']} {st['name']}"


def _describe(by_kind: dict[str, list[dict[str, Any]]], not_listed: list[dict[str, Any]],
              extra_of: dict[int, dict[str, Any]], true_ids: dict[int, str],
              s_index: dict[int, int], r_index: dict[int, int],
              age_ranges: dict[Stage, tuple[int, int]], school_year: int,
              tuition: dict[Stage, int]) -> list[Plant]:
    plants: list[Plant] = []

    def add(kind: str, note: str, studs: list[dict[str, Any]], rows: list[dict[str, Any]] = ()) -> None:
        plants.append(Plant(kind, note, tuple(s_index[id(s)] for s in studs),
                            tuple(r_index[id(r)] for r in rows if id(r) in r_index)))

    def roster_row(st: dict[str, Any]) -> list[dict[str, Any]]:
        row = extra_of.get(id(st), {}).get("row")
        return [row] if row is not None else []

    for st in by_kind.get(BAD_CHECK, []):
        good = true_ids[id(st)]
        add(BAD_CHECK, f"身份证号校验位错误：{_who(st)} 的身份证号 {st['id_number']} 最后一位应为 "
                       f"{good[-1]}，正确号码为 {good}", [st], roster_row(st))
    dups = by_kind.get(DUPLICATE_ID, [])
    for a, b in zip(dups[0::2], dups[1::2]):
        add(DUPLICATE_ID, f"身份证号重复：{_who(a)} 与 {_who(b)} 的身份证号都是 {a['id_number']}，"
                          f"{b['name']} 的号码是复制错的，正确号码为 {true_ids[id(b)]}", [a, b],
            roster_row(a) + roster_row(b))
    for st in by_kind.get(NOT_IN_ROSTER, []):
        add(NOT_IN_ROSTER, f"建档立卡学生不在名单中：{_who(st)} 登记为建档立卡（户编号 {st['household_no']}，"
                           f"户主 {st['head_name']}），但建档立卡名单的该户中没有此人", [st])
    for st in by_kind.get(HOMOPHONE, []):
        rows = roster_row(st)
        add(HOMOPHONE, f"姓名同音字不一致：学生名单为“{st['name']}”，建档立卡名单为“{rows[0]['name']}”"
                       f"（身份证号相同 {st['id_number']}）", [st], rows)
    for st in by_kind.get(CATEGORY_MISMATCH, []):
        rows = roster_row(st)
        add(CATEGORY_MISMATCH, f"家庭类别不一致：{_who(st)} 在学生名单中为非困难，但在建档立卡名单中"
                               f"（户编号 {rows[0]['household_no']}）", [st], rows)
    for st in by_kind.get(EMPTY_LODGING, []):
        add(EMPTY_LODGING, f"住宿费未填写：{_who(st)}（建档立卡）实收住宿费为空白，免住宿费无法计算"
                           "（空白不等于0，走读生应填0）", [st], roster_row(st))
    for st in by_kind.get(AGE_MISMATCH, []):
        stage = Stage(st["stage"])
        lo, hi = age_ranges[stage]
        age = extra_of[id(st)]["age"]
        add(AGE_MISMATCH, f"年龄与学段不符：{_who(st)} 出生于 {st['birth_date']}，{school_year}年9月1日"
                          f"年龄 {age} 岁，超出{stage.value}的年龄范围 {lo}–{hi} 岁", [st], roster_row(st))
    for st in by_kind.get(NUMERIC_CELL, []):
        add(NUMERIC_CELL, f"身份证号被表格转成了数字：{_who(st)} 的身份证号显示为“{st['id_raw']}”，"
                          f"后几位已丢失，需要重新录入（完整号码为 {true_ids[id(st)]}）", [st], roster_row(st))
    for st in by_kind.get(LOAN_NO_CONTRACT, []):
        add(LOAN_NO_CONTRACT, f"贷款缺少合同号：{_who(st)} 已办理生源地助学贷款，但未填写贷款合同号",
            [st], roster_row(st))
    for st in by_kind.get(NOT_FULL_TIME, []):
        add(NOT_FULL_TIME, f"非全日制学籍：{_who(st)} 不是全日制正式学籍，不能享受资助", [st], roster_row(st))
    for st in by_kind.get(PRIVATE_TUITION, []):
        add(PRIVATE_TUITION, f"民办学校学费高于公办标准：{_who(st)}（民办）实收学费 {_yuan(st['tuition_fen'])} 元，"
                             f"高于本校公办学费 {_yuan(tuition[Stage.HIGH_SCHOOL])} 元；免学费按公办标准补助，"
                             "需先在“设置 → 资助政策”中填写普通高中学费标准", [st], roster_row(st))
    for row in not_listed:
        add(ROSTER_NOT_LISTED, f"名单中的在校生未列入学生名单：建档立卡名单中 {row['name']}（户编号 "
                               f"{row['household_no']}，{row['schooling_status']}）的就读学校为本校，"
                               "但学生名单中没有此人", [], [row])
    return plants
