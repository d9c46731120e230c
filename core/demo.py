"""Demo data: a realistic school student list and poverty roster with planted problems.

``generate_demo`` is deterministic for a seed (its own ``random.Random``, no
dependence on today's date). The demo school is a real kind of school
(``COUNTY_HIGH_SCHOOL``: a public county senior high school, 普通高中 高一–高三,
whose public tuition is entered in the demo policy); ``MIXED`` is a synthetic
list spanning every stage, for engine tests and benchmarks only. Everyone lives in one real county (建始县,
region code 422822, whose stdnum record has no year range), IDs are valid
GB 11643 numbers whose birth date and gender agree with the person, and ages
fit the policy's age ranges. Registered (建档立卡) students belong to whole
registered households in the roster. A few problems of each kind are planted
on purpose; ``DemoData.plants`` lists them (``notes`` in Chinese for the clerk).

Student and roster dicts use exactly the field names of ``ParsedRow.values``
(core/records.py). Money is integer fen; None means "not entered".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from core.demo_people import (
    COUNTY,
    FEE_STAGES,
    GRADES,
    HIGHER_STAGES,
    HOMOPHONES,
    POLYPHONIC_SURNAMES,
    REGION,
    SCHOOL_STAGES,
    STAGE_INDEX,
    STAGE_PLAN,
    TOWNSHIPS,
    Gen,
    Household,
    excel_scientific,
    yr,
)
from core.domain import Category, Stage
from core.money import format_fen
from core.policy import default_policy

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

_R, _O, _N = Category.REGISTERED.value, Category.OTHER_HARDSHIP.value, Category.NONE.value


@dataclass(frozen=True)
class SchoolKind:
    """What kind of school the demo list belongs to: its stages, the planted problems
    that can happen there, and whether every student is local and in a public school."""

    name_suffix: str                 # after the county's name: "第一高级中学"
    stages: tuple[Stage, ...]
    plants: frozenset[str]
    local_only: bool = False         # every student studies in the county (就读地 本地)
    public_only: bool = False        # a public school: every student is 公办


_ALL_PLANTS = frozenset((BAD_CHECK, DUPLICATE_ID, NOT_IN_ROSTER, HOMOPHONE, CATEGORY_MISMATCH, EMPTY_LODGING,
                         AGE_MISMATCH, NUMERIC_CELL, LOAN_NO_CONTRACT, NOT_FULL_TIME, PRIVATE_TUITION,
                         ROSTER_NOT_LISTED))
# The demo database's school: a county-level public senior high school (县直学校). It has no
# student loans and no private-school students, so those two problems are not planted.
COUNTY_HIGH_SCHOOL = SchoolKind("第一高级中学", (Stage.HIGH_SCHOOL,),
                                _ALL_PLANTS - {LOAN_NO_CONTRACT, PRIVATE_TUITION},
                                local_only=True, public_only=True)
# Not a real school: every stage from 学前 to 博士, for engine tests and benchmarks.
MIXED = SchoolKind("第一中学", tuple(s for s, _w, _g in STAGE_PLAN), _ALL_PLANTS)


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
    policy_params: dict[str, str] = field(default_factory=dict)   # policy key -> yuan text


@dataclass
class _Forced:
    """Attributes a planted slot must have."""

    kind: str
    stage: Stage | None = None
    category: str | None = None
    ownership: str | None = None
    local: bool = False
    age: int | None = None


def _per_kind(n: int) -> int:
    """How many problems of each kind are planted in a list of ``n`` students."""
    return 1 if n < 200 else 2 if n < 2000 else 3


def _plan_plants(n: int, kind: SchoolKind) -> list[_Forced]:
    """The planted slots: a few of each kind that fits the school (one each for small lists)."""
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
    forced = [f for f in forced if f.kind in kind.plants]
    for j, f in enumerate(forced):     # a stage this school does not have: one it has
        if f.stage is not None and f.stage not in kind.stages:
            forced[j] = replace(f, stage=kind.stages[j % len(kind.stages)])
    # A small list gets as many whole kinds as fit; a duplicate needs both halves.
    if len(forced) > n:
        forced = forced[:n]
        if forced and forced[-1].kind == DUPLICATE_ID and sum(f.kind == DUPLICATE_ID for f in forced) % 2:
            forced.pop()
    return forced


def generate_demo(n_students: int = 300, seed: int = 2023, school_year: int = 2023,
                  roster_extra: int | None = None,
                  school_kind: SchoolKind = COUNTY_HIGH_SCHOOL) -> DemoData:
    """A school's student list and the county's registered-household roster.

    ``roster_extra`` is the number of roster rows for people who are not in
    the student list (default ``n_students // 2``); it is raised when needed
    to give every registered household its head.
    """
    n = max(0, n_students)
    extra_target = n // 2 if roster_extra is None else max(0, roster_extra)
    g = Gen(seed, school_year)
    rng = g.rng
    age_ranges = default_policy().age_ranges

    school_name = f"{COUNTY}{school_kind.name_suffix}"
    school = {"name": school_name, "code": f"3142{rng.randrange(10 ** 6):06d}",
              "school_year": school_year, "township": TOWNSHIPS[0],
              "contact_phone": g.landline(), "supervision_phone": g.landline()}

    # School-wide fees (fen): one tuition per stage, textbooks per grade, boarding.
    tuition = {Stage.HIGH_SCHOOL: rng.randrange(1200, 2401, 200) * 100,
               Stage.VOCATIONAL: rng.choice((2000, 2200, 2400)) * 100}
    # (a tuple, not the frozenset: set order follows the per-process string hash)
    fee_stages = (Stage.HIGH_SCHOOL, Stage.VOCATIONAL)
    textbook = {(s, gr[0]): rng.randint(3200, 6400) * 10 for s in fee_stages for gr in GRADES[s]}
    lodging = {s: rng.choice((400, 500, 600, 800)) * 100 for s in fee_stages}

    # -- slots: stage and category for every student ---------------------------
    forced_list = _plan_plants(n, school_kind)
    slots = rng.sample(range(n), len(forced_list)) if forced_list else []
    forced_at: dict[int, _Forced] = dict(zip(slots, forced_list, strict=True))
    stages: list[Stage | None] = [forced_at[i].stage if i in forced_at else None for i in range(n)]
    plan = [p for p in STAGE_PLAN if p[0] in school_kind.stages]
    stage_list = [s for s, _w, _g in plan]
    stage_cum = [sum(w for _s, w, _g in plan[:i + 1]) for i in range(len(plan))]
    free = [i for i in range(n) if stages[i] is None]
    rng.shuffle(free)
    if n >= 60:   # every stage at least twice
        for wanted in stage_list:
            for _ in range(max(0, 2 - stages.count(wanted))):
                if free:
                    stages[free.pop()] = wanted
    for i in free:
        stages[i] = rng.choices(stage_list, cum_weights=stage_cum)[0]
    # polyphonic surnames appear at least once each (on ordinary slots)
    plain = [i for i in range(n) if i not in forced_at]
    picked = rng.sample(plain, min(len(plain), len(POLYPHONIC_SURNAMES)))
    forced_surname: dict[int, str] = dict(zip(picked, POLYPHONIC_SURNAMES, strict=False))

    # -- students ----------------------------------------------------------------
    students: list[dict[str, Any]] = []
    sort_keys: list[tuple[int, int, int]] = []
    households: list[Household] = []
    recent: list[Household] = []
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
        grades = GRADES[stage]
        gi = rng.randrange(len(grades))
        grade, nominal, status = grades[gi]
        lo, hi = age_ranges.get(stage, (0, 200))
        if kind == AGE_MISMATCH:
            age = hi + rng.randint(2, 5)
        else:
            roll = rng.random()
            age = nominal + (-1 if roll < 0.08 else 1 if roll < 0.18 else 2 if roll < 0.2 else 0)
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
        hh: Household | None = None
        if registered_hh:
            if surname is None and recent and rng.random() < 0.15:
                cand = rng.choice(recent)
                gap = born - cand.head_ord
                if (cand.grand and age < 16) or (not cand.grand and yr(20) <= gap <= yr(42)):
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
            parent_ord = born - rng.randint(yr(22), yr(36))
            father = rng.random() < 0.8
            head_name = (surname if father else g.surname()) + g.given(father, parent_ord)
            relation = "子" if male else "女"
            phone = g.phone()
        name = surname + given

        location = "本地"
        ownership = f.ownership if f and f.ownership else "公办"
        if not (f and f.local) and not school_kind.local_only:
            lr = rng.random()
            if stage in HIGHER_STAGES:
                location = "外地" if lr < 0.9 else "本地"
            elif lr < {Stage.PRESCHOOL: 0.08, Stage.HIGH_SCHOOL: 0.06, Stage.VOCATIONAL: 0.15}.get(stage, 0.02):
                location = "外地"
        if not (f and f.ownership) and not school_kind.public_only:
            priv = {Stage.PRESCHOOL: 0.3, Stage.PRIMARY: 0.04, Stage.JUNIOR: 0.04,
                    Stage.JUNIOR_COLLEGE: 0.2, Stage.UNDERGRADUATE: 0.15}.get(stage, 0.0)
            if rng.random() < priv:
                ownership = "民办"

        tuition_fen = textbook_fen = lodging_fen = None
        if stage in FEE_STAGES:
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
        if stage in HIGHER_STAGES:
            p = {_R: 0.6, _O: 0.5}.get(category, 0.1)
            if kind == LOAN_NO_CONTRACT or rng.random() < p:
                has_loan = True
                if kind != LOAN_NO_CONTRACT:
                    g.contract_seq += 1
                    contract = f"{REGION}{school_year}{g.contract_seq:06d}"
        student_no = "G" + id_number if stage in SCHOOL_STAGES else f"{school_year - gi}{rng.randrange(10 ** 6):06d}"
        bank_name = bank_card = ""
        if category != _N or rng.random() < 0.4:
            bank_name, bank_card = g.bank()

        d = date.fromordinal(born)
        student = {
            "name": name, "id_number": id_number, "id_raw": id_number, "id_numeric_cell": False,
            "gender": "男" if male else "女", "birth_date": f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
            "student_no": student_no, "stage": stage.value, "grade": grade, "class_name": "",
            "location": location, "ownership": ownership, "full_time": kind != NOT_FULL_TIME,
            "full_time_text": "", "has_loan": has_loan, "category": category,
            "household_no": hh.no if hh is not None and category == _R else "",
            "head_name": head_name, "relation": relation, "township": township, "village": village,
            "phone": phone, "tuition_fen": tuition_fen, "textbook_fen": textbook_fen,
            "lodging_fen": lodging_fen, "loan_contract_no": contract, "prior_grants": "",
            "bank_name": bank_name, "bank_card": bank_card,
        }
        students.append(student)
        sort_keys.append((STAGE_INDEX[stage], gi, 0))
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
        if STAGE_PLAN[k[0]][0] in SCHOOL_STAGES:
            c = rng.randint(1, max(1, round(counts[k[:2]] / 45)))
            st["class_name"] = f"{c}班"
            sort_keys[j] = (k[0], k[1], c)

    # -- planted edits on the finished students --------------------------------
    for st in by_kind.get(BAD_CHECK, []):
        good = st["id_number"]
        bad = good[:17] + rng.choice([c for c in "0123456789" if c != good[17]])
        st["id_number"] = st["id_raw"] = bad
    dups = by_kind.get(DUPLICATE_ID, [])
    for a, b in zip(dups[0::2], dups[1::2], strict=False):
        b["id_number"] = b["id_raw"] = a["id_number"]
    for st in by_kind.get(NUMERIC_CELL, []):
        st["id_raw"] = excel_scientific(st["id_number"])
        st["id_number"] = ""
        st["id_numeric_cell"] = True

    # roster members at this school who are missing from the student list
    not_listed: list[dict[str, Any]] = []
    if n and ROSTER_NOT_LISTED in school_kind.plants:
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
    params = {f"tuition_standard.{Stage.HIGH_SCHOOL.value}": format_fen(tuition[Stage.HIGH_SCHOOL])} \
        if school_kind.public_only and Stage.HIGH_SCHOOL in school_kind.stages else {}
    return DemoData(school, students, roster_rows, [p.note for p in plants], plants, params)


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

    def add(kind: str, note: str, studs: list[dict[str, Any]], rows: Sequence[dict[str, Any]] = ()) -> None:
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
    for a, b in zip(dups[0::2], dups[1::2], strict=False):
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
        add(PRIVATE_TUITION, f"民办学校学费高于公办标准：{_who(st)}（民办）"
                             f"实收学费 {format_fen(st['tuition_fen'])} 元，"
                             f"高于本校公办学费 {format_fen(tuition[Stage.HIGH_SCHOOL])} 元；免学费按公办标准补助，"
                             "需先在“政策 → 政策参数”中填写普通高中学费标准", [st], roster_row(st))
    for row in not_listed:
        add(ROSTER_NOT_LISTED, f"名单中的在校生未列入学生名单：建档立卡名单中 {row['name']}（户编号 "
                               f"{row['household_no']}，{row['schooling_status']}）的就读学校为本校，"
                               "但学生名单中没有此人", [], [row])
    return plants
