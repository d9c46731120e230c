"""Domain vocabulary: stages, household categories, locations, ownership, the student record.

Names follow docs/GLOSSARY.md. Labels are the Chinese words the clerk sees.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from core.text import value_key


class Stage(str, Enum):
    PRESCHOOL = "学前教育"
    PRIMARY = "小学"
    JUNIOR = "初中"
    HIGH_SCHOOL = "普通高中"
    VOCATIONAL = "中职"
    JUNIOR_COLLEGE = "高职专科"
    UNDERGRADUATE = "本科"
    MASTER = "硕士研究生"
    DOCTOR = "博士研究生"

    @property
    def label(self) -> str:
        return self.value


STAGE_ALIASES: dict[str, Stage] = {
    **{s.value: s for s in Stage},
    "幼儿园": Stage.PRESCHOOL, "学前": Stage.PRESCHOOL, "学前班": Stage.PRESCHOOL,
    "小学阶段": Stage.PRIMARY,
    "初级中学": Stage.JUNIOR,
    "高中": Stage.HIGH_SCHOOL, "普高": Stage.HIGH_SCHOOL,
    "中等职业教育": Stage.VOCATIONAL, "中专": Stage.VOCATIONAL, "职高": Stage.VOCATIONAL,
    "中等职业学校": Stage.VOCATIONAL,
    "专科": Stage.JUNIOR_COLLEGE, "高职": Stage.JUNIOR_COLLEGE, "大专": Stage.JUNIOR_COLLEGE,
    "高职(专科)": Stage.JUNIOR_COLLEGE, "高职高专": Stage.JUNIOR_COLLEGE,
    "大学本科": Stage.UNDERGRADUATE,
    "硕士": Stage.MASTER, "研究生": Stage.MASTER, "硕士生": Stage.MASTER,
    "博士": Stage.DOCTOR, "博士生": Stage.DOCTOR,
}
_CN = "一二三四五六七八九"


def _grades(prefix: str, count: int, suffix: str = "") -> list[str]:
    """初一 … : each grade word written with a Chinese numeral and with a digit (初2, 7年级):
    value_key turns full-width digits into ASCII ones but not digits into numerals."""
    return [f"{prefix}{n}{suffix}" for i in range(count) for n in (_CN[i], str(i + 1))]


# Grade words a clerk writes in the 学段 column that name exactly one stage: read as that stage
# (the stage's label is stored, never the word). Kept apart from STAGE_ALIASES, which stays the
# stages' own names, and only merged into the lookup. Unlike core.checks.rules_grade, which reads
# the 年级 column, only words that name one stage in every school system are here (see
# STAGE_GRADE_HINTS for those that don't).
STAGE_GRADE_WORDS: dict[str, Stage] = {
    **{w: Stage.PRIMARY for w in _grades("小学", 6, "年级")},
    **{w: Stage.JUNIOR for w in _grades("初", 4)},                      # 初四: 五四制
    **{w: Stage.JUNIOR for w in _grades("初中", 4, "年级")},
    **{f"{n}年级": Stage.JUNIOR for n in ("七", "八", "九", "7", "8", "9")},
    **{w: Stage.HIGH_SCHOOL for p in ("普通高中", "普高") for w in _grades(p, 3, "年级")},
    **{w: Stage.VOCATIONAL for p in ("中职", "中专", "职高") for w in _grades(p, 3, "年级")},
}

# Grade words that name more than one stage, read as none: why, and the stages to choose from, for
# the import's problem message (“六年级”在六三学制是小学、在五四学制是初中).
STAGE_GRADE_HINTS: dict[str, tuple[str, tuple[Stage, ...]]] = {
    **{w: ("在六三学制是小学、在五四学制是初中", (Stage.PRIMARY, Stage.JUNIOR)) for w in ("六年级", "6年级")},
    # the demo's 中职 school writes 一年级 … 三年级, and a 五年制 college its first years so too
    **{w: ("小学、中职和五年制高职都这样写", (Stage.PRIMARY, Stage.VOCATIONAL, Stage.JUNIOR_COLLEGE))
       for w in _grades("", 3, "年级")},
    **{w: ("小学和五年制高职都这样写", (Stage.PRIMARY, Stage.JUNIOR_COLLEGE))
       for w in ("四年级", "4年级", "五年级", "5年级")},
    **{w: ("普通高中和职高（中职）都这样写", (Stage.HIGH_SCHOOL, Stage.VOCATIONAL))
       for w in (*_grades("高", 3), *_grades("高中", 3, "年级"))},
    **{w: ("高职专科和本科都这样写", (Stage.JUNIOR_COLLEGE, Stage.UNDERGRADUATE)) for w in _grades("大", 5)},
    **{w: ("硕士和博士研究生都这样写", (Stage.MASTER, Stage.DOCTOR)) for w in _grades("研", 3)},
}
_STAGE_KEYS = {value_key(k): v for k, v in {**STAGE_GRADE_WORDS, **STAGE_ALIASES}.items()}
_STAGE_HINT_KEYS = {value_key(k): v for k, v in STAGE_GRADE_HINTS.items()}


@lru_cache(maxsize=1024)
def parse_stage(text: str) -> Stage | None:
    """Stage from its label, an alias or a grade word that names one stage (初二); None when unknown."""
    return _STAGE_KEYS.get(value_key(text))


def stage_grade_hint(text: str) -> str:
    """For a grade word naming more than one stage (六年级, 高一): why it names none, and what to
    write instead; "" for any other text."""
    found = _STAGE_HINT_KEYS.get(value_key(text))
    if found is None:
        return ""
    why, stages = found
    *first, last = (s.value for s in stages)
    return f"{why}：请填写学段（{'、'.join(first)}或{last}）"


class Category(str, Enum):
    """Household category (家庭类别). Labels and aliases live in the policy file."""

    REGISTERED = "REGISTERED"
    OTHER_HARDSHIP = "OTHER_HARDSHIP"
    NONE = "NONE"


DEFAULT_CATEGORY_LABELS: dict[Category, str] = {
    Category.REGISTERED: "建档立卡",
    Category.OTHER_HARDSHIP: "其他经济困难",
    Category.NONE: "非困难",
}


class Location(str, Enum):
    LOCAL = "本地"
    OUTSIDE = "外地"


class Ownership(str, Enum):
    PUBLIC = "公办"
    PRIVATE = "民办"


YES_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "已办理", "办理"}
NO_WORDS = {"否", "无", "没有", "n", "no", "false", "0", "×", "未办理", "不是"}


@lru_cache(maxsize=256)
def parse_yes_no(text: str) -> bool | None:
    key = value_key(text).lower()
    if key in YES_WORDS:
        return True
    if key in NO_WORDS:
        return False
    return None


# Words that answer one column's question only (not yes/no words for the others: "全日制" under
# 生源地助学贷款, or "已贷款" under 是否全日制正式学籍, says nothing).
# 全日制正式学籍 (学籍类型, 学习形式): 函授 and 业余 are non-full-time study by definition.
FULL_TIME_WORDS = {"全日制", "全日制学籍", "全日制正式学籍", "普通全日制", "是全日制"}
PART_TIME_WORDS = {"非全日制", "非全日制学籍", "不是全日制", "函授", "业余"}
# 生源地助学贷款
LOAN_WORDS = {"已贷款", "有贷款", "贷款", "已办", "已贷", "已办贷款", "已办生源地贷款"}
NO_LOAN_WORDS = {"未贷款", "无贷款", "没有贷款", "未办", "未贷", "未办贷款", "不贷款"}


def _yes_no_with(yes: set[str], no: set[str]) -> Callable[[str], bool | None]:
    """A column's reader: its own ``yes`` and ``no`` words, then the usual 是/否; None when unknown."""
    @lru_cache(maxsize=256)
    def parse(text: str) -> bool | None:
        key = value_key(text)
        return True if key in yes else False if key in no else parse_yes_no(text)
    return parse


# 全日制正式学籍 from 是/否 or 全日制/非全日制 (函授, 业余: no); 生源地助学贷款 from 是/否 or 已贷款, 有贷款, 已办 …
parse_full_time = _yes_no_with(FULL_TIME_WORDS, PART_TIME_WORDS)
parse_loan = _yes_no_with(LOAN_WORDS, NO_LOAN_WORDS)


_GENDERS = {"男": "男", "男性": "男", "m": "男", "male": "男", "女": "女", "女性": "女", "f": "女", "female": "女"}


@lru_cache(maxsize=256)
def parse_gender(text: str) -> str | None:
    """男 / 女 from 男, 女, 男性, M, F, male …; None when unknown."""
    return _GENDERS.get(value_key(text).lower())


@lru_cache(maxsize=256)
def parse_location(text: str) -> Location | None:
    key = value_key(text)
    for loc in Location:
        if key in (loc.value, loc.value + "就学", loc.value + "就读"):
            return loc
    if key in ("县内", "本县"):
        return Location.LOCAL
    if key in ("县外", "外县", "市外", "省外"):
        return Location.OUTSIDE
    return None


@lru_cache(maxsize=256)
def parse_ownership(text: str) -> Ownership | None:
    key = value_key(text)
    for own in Ownership:
        if key in (own.value, own.value + "学校"):
            return own
    return None


# 往年已享受就学扶助 answered 是: every once-only item, whatever its code (an import stores this, not
# the codes the policy had then: an item added, copied, renamed or retired and restored since is
# covered too). Codes stored by earlier versions keep their meaning.
EVERY_ONCE_ONLY = "*"


def received_before(item_code: str, grants: frozenset[str] | tuple[str, ...]) -> bool:
    """Whether a once-only item was received in an earlier year (``grants``: the student's prior grants)."""
    return EVERY_ONCE_ONLY in grants or item_code in grants



@dataclass
class StudentRecord:
    """One student as the engine sees it: parsed values, None where unknown.

    Money is integer fen; a fee of None means "not entered" (not zero).
    """

    name: str
    id_number: str = ""
    stage: Stage | None = None
    location: Location = Location.LOCAL
    ownership: Ownership = Ownership.PUBLIC
    full_time: bool = True
    category: Category | None = Category.NONE
    tuition_fen: int | None = None
    textbook_fen: int | None = None
    lodging_fen: int | None = None
    has_loan: bool = False
    prior_grants: frozenset[str] = field(default_factory=frozenset)
    key: int | None = None  # database id, when there is one


def school_year_label(year: int | None) -> str:
    """"2023–2024学年" for the school year starting in 2023 ("" when unknown)."""
    return f"{year}–{year + 1}学年" if year else ""
