"""The people of the demo county: names, ID numbers, places, households, grades.

Support for core/demo.py. Everything is drawn from one ``random.Random`` so a
seed gives the same people every time. IDs are built directly (region sum and
per-date sums cached) because the demo may create a quarter of a million.
"""
from __future__ import annotations

from datetime import date
from random import Random
from typing import Any

from core.domain import Stage

REGION = "422822"
COUNTY = "建始县"
AREA_CODE = "0718"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_REGION_SUM = sum(int(c) * w for c, w in zip(REGION, _ID_WEIGHTS, strict=False))

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

TOWNSHIPS = ("业州镇", "高坪镇", "红岩寺镇", "景阳镇", "官店镇", "花坪镇", "长梁镇",
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
STAGE_PLAN: tuple[tuple[Stage, float, tuple[tuple[str, int, str], ...]], ...] = (
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
STAGE_INDEX = {s: i for i, (s, _w, _g) in enumerate(STAGE_PLAN)}
GRADES = {s: g for s, _w, g in STAGE_PLAN}
SCHOOL_STAGES = frozenset((Stage.PRESCHOOL, Stage.PRIMARY, Stage.JUNIOR, Stage.HIGH_SCHOOL,
                            Stage.VOCATIONAL))
FEE_STAGES = frozenset((Stage.HIGH_SCHOOL, Stage.VOCATIONAL))
HIGHER_STAGES = frozenset((Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE, Stage.MASTER, Stage.DOCTOR))

class Household:
    __slots__ = (
        "grand",
        "head",
        "head_ord",
        "no",
        "phone",
        "rows",
        "surname",
        "township",
        "village",
    )

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


def yr(years: float) -> int:
    return int(years * 365.25)


class Gen:
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
        self.township_cum = [sum(_TOWNSHIP_WEIGHTS[:i + 1]) for i in range(len(TOWNSHIPS))]
        rng = self.rng
        self.villages: dict[str, list[str]] = {}
        for t in TOWNSHIPS:
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
            cached = (ymd, _REGION_SUM + sum(int(c) * w for c, w in zip(ymd, _ID_WEIGHTS[6:14], strict=True)))
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
        return self.year - d.year - ((d.month, d.day) > (9, 1))

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
        t = self.rng.choices(TOWNSHIPS, cum_weights=self.township_cum)[0]
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

    def household(self, township: str | None = None, village: str | None = None) -> Household:
        if township is None or village is None:
            township, village = self.place()
        key = (TOWNSHIPS.index(township), self.villages[township].index(village))
        seq = self.hh_seq.get(key, 0) + 1
        self.hh_seq[key] = seq
        no = f"{REGION}{key[0] + 101:03d}{key[1] + 201:03d}{seq:04d}"
        return Household(no, township, village)

    def member(self, hh: Household, name: str, id_number: str, relation: str,
               status: str, school: str, priority: int) -> dict[str, Any]:
        row = {"county": COUNTY, "township": hh.township, "village": hh.village,
               "household_no": hh.no, "name": name, "id_number": id_number, "id_raw": id_number,
               "id_numeric_cell": False, "relation": relation, "schooling_status": status,
               "school_name": school}
        hh.rows.append((row, priority))
        return row

    def person(self, hh: Household, male: bool, born_ord: int, relation: str,
               priority: int, surname: str | None = None) -> None:
        if self.sept1_ord - born_ord > yr(92) or born_ord > self.sept1_ord:
            return
        name = (surname or self.surname()) + self.given(male, born_ord)
        status, school = self.status(self.age(born_ord), hh.township)
        self.member(hh, name, self.new_id(born_ord, male), relation, status, school, priority)

    def build_household(self, child_ord: int, child_surname: str | None,
                        hh: Household | None = None) -> Household:
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
            head_ord = child_ord - rng.randint(yr(45), yr(62))
            hh.head_ord = head_ord
            hh.head = surname + self.given(True, head_ord)
            self.member(hh, hh.head, self.new_id(head_ord, True), "户主", "非在校生", "", 0)
            if rng.random() < 0.85:
                self.person(hh, False, head_ord + rng.randint(-yr(2), yr(5)), "配偶", 1)
            father = child_ord - rng.randint(yr(22), yr(34))
            if rng.random() < 0.85:
                self.person(hh, True, father, "子", 1, surname)
            if rng.random() < 0.8:
                self.person(hh, False, father + rng.randint(-yr(2), yr(5)), "儿媳", 1)
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                male = rng.random() < 0.52
                self.person(hh, male, rng.randint(father + yr(20), min(father + yr(40), self.sept1_ord)),
                            "孙子" if male else "孙女", 2, surname)
            return hh
        mother_head = shape > 0.88
        head_ord = child_ord - rng.randint(yr(22), yr(36))
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
                self.person(hh, False, head_ord + rng.randint(-yr(3), yr(5)), "配偶", 1)
        if rng.random() < 0.4:
            self.person(hh, True, head_ord - rng.randint(yr(22), yr(32)), "父亲", 3, head_surname)
        if rng.random() < 0.5:
            self.person(hh, False, head_ord - rng.randint(yr(20), yr(30)), "母亲", 3)
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
            male = rng.random() < 0.52
            self.person(hh, male, rng.randint(head_ord + yr(20), min(head_ord + yr(44), self.sept1_ord)),
                        "子" if male else "女", 2, hh.surname)
        return hh

    def elderly_household(self) -> Household:
        rng = self.rng
        hh = self.household()
        head_ord = self.born_for_age(rng.randint(58, 86))
        male = rng.random() < 0.7
        hh.head = self.surname() + self.given(male, head_ord)
        self.member(hh, hh.head, self.new_id(head_ord, male), "户主", "非在校生", "", 0)
        if rng.random() < 0.6:
            self.person(hh, not male, head_ord + rng.randint(-yr(4), yr(4)), "配偶", 1)
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


def excel_scientific(digits: str) -> str:
    """How Excel's General format shows a long number: 6 significant digits,
    trailing zeros dropped ("422822200803150012" -> "4.22822E+17")."""
    exp = len(digits) - 1
    mant = (int(digits[:7]) + 5) // 10          # round half up to 6 digits
    if mant >= 10 ** 6:
        mant //= 10
        exp += 1
    text = str(mant).rstrip("0") or "0"
    return (text[0] + ("." + text[1:] if len(text) > 1 else "")) + f"E+{exp}"
