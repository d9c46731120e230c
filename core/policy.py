"""The subsidy policy: a TOML document of items, parameters and ranges.

The policy is data, not code. ``load_policy`` validates a document and returns
an immutable ``Policy``; every problem is a PolicyError naming the place in the
file. ``set_value`` edits one key of a document (for `policy set` and the
settings view) and re-validates it.
"""
from __future__ import annotations

import hashlib
import tomllib
from calendar import isleap
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, cast, get_args

from core.domain import Category, Location, Stage, parse_stage
from core.errors import PolicyError, ValidationError
from core.money import parse_yuan
from core.policy_check import (
    CAMPAIGN_KEYS,
    ITEM_KEYS,
    PHASE_KEYS,
    POLICY_KEYS,
    TOP_KEYS,
    category_labels,
    check_keys,
    shares,
    shown,
    table,
    tables,
)
from core.policy_check import SOURCE_LABELS as SOURCE_LABELS
from core.policy_check import policy_error as _err
from core.resources import DEFAULT_POLICY_FILE
from core.text import value_key

DEFAULT_POLICY_PATH = DEFAULT_POLICY_FILE

FEE_LABELS = {"tuition": "实收学费", "textbook": "实收书本费", "lodging": "实收住宿费"}
Kind = Literal["fixed", "fee", "fee_capped", "per_stage"]
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    stages: frozenset[Stage]
    locations: frozenset[Location] | None  # None: any location
    categories: frozenset[Category]
    kind: Kind
    amount_fen: int | None = None   # fixed
    fee: str | None = None          # fee, fee_capped
    cap: str | None = None          # fee_capped: parameter name (per stage)
    requires_loan: bool = False
    once: bool = False
    shares: tuple[tuple[str, Decimal], ...] = ()
    stage_amounts: tuple[tuple[Stage, int], ...] = ()   # per_stage: one amount per stage of ``stages``
    needs_application: bool = False   # 需申请: paid on the family's application (shown, not a condition)
    retired: bool = False             # 已停用: kept in the document, never computed
    # Ready-made Chinese texts for the engine's explanations (derived at load).
    stages_text: str = ""
    locations_text: str = ""
    categories_text: str = ""

    def amount_for(self, stage: Stage | None) -> int | None:
        """A per_stage item's amount for ``stage`` (None: not one of its stages)."""
        return dict(self.stage_amounts).get(stage) if stage is not None else None


@dataclass(frozen=True)
class Phase:
    name: str
    start: tuple[int, int]  # (month, day)
    end: tuple[int, int]

    def dates(self, year: int) -> tuple[date, date]:
        """The phase's days in ``year`` (a 02-29 stored before it was refused: 02-28 of a common year)."""
        (a, b), (c, d) = ((m, 28 if (m, n) == (2, 29) and not isleap(year) else n) for m, n in (self.start, self.end))
        return date(year, a, b), date(year, c, d)


@dataclass(frozen=True)
class Policy:
    name: str
    source: str
    items: tuple[Item, ...]
    parameters: dict[str, dict[Stage, int]]   # name -> stage -> fen
    age_ranges: dict[Stage, tuple[int, int]]
    category_labels: dict[Category, tuple[str, ...]]
    phases: tuple[Phase, ...]
    text: str          # the canonical TOML text
    sha256: str
    all_items: tuple[Item, ...] = ()   # every item in document order, the retired ones too

    def item(self, code: str) -> Item:
        """The item with ``code``, retired or not."""
        for it in self.all_items or self.items:
            if it.code == code:
                return it
        raise KeyError(code)

    @property
    def once_codes(self) -> tuple[str, ...]:
        """The once-only items (每人仅享受一次): what 往年已享受就学扶助 = 是 records as granted before."""
        return tuple(i.code for i in self.items if i.once)

    def category_label(self, cat: Category | None) -> str:
        if cat is None:
            return ""
        return self.category_labels[cat][0]

    def parse_category(self, text: str) -> Category | None:
        key = value_key(text)
        for cat, labels in self.category_labels.items():
            if key in {value_key(label) for label in labels} or key == cat.value:
                return cat
        return None


# The clerk's words for the per-stage parameters (``cap`` of a fee_capped item): the
# name ({stage}: the stage's label) and what it is and where to find it. Every screen,
# message and command names a parameter through ``parameter_label``, never by its key.
PARAMETER_NAMES = {"tuition_standard": "公办{stage}学费标准"}
PARAMETER_HELP = {"tuition_standard": "本县公办{stage}每生每年的学费。“免学费”按实收学费补助，最多补到这个标准；"
                                      "未设置时这些学生的免学费显示“待补充”，算不出金额。"}
PARAMETER_SOURCE = {"tuition_standard": "学费标准见本县发改局（物价局）核定学费的收费文件或县教育局转发的收费通知，"
                                        "不清楚可以问县教育局学生资助中心。"}
YUAN_PER_YEAR = "元/年"


@dataclass(frozen=True)
class Parameter:
    """One editable policy value: ``key`` for ``set_value``, the clerk's ``label`` and ``help``."""
    key: str              # "tuition_standard.普通高中", "items.PRESCHOOL.amount"
    label: str            # "公办普通高中学费标准", "学前教育资助标准"
    fen: int | None       # None: unset
    what: str             # what it is
    source: str = ""      # where the clerk finds it

    @property
    def is_set(self) -> bool:
        return self.fen is not None

    @property
    def help(self) -> str:
        return f"{self.what}{self.source}"


def _cap_label(cap: str, stage: str) -> str:
    return PARAMETER_NAMES.get(cap, cap + "（{stage}）").format(stage=stage)


def parameter_label(key: str, policy: Policy | None = None) -> str:
    """The Chinese name of a policy value from its key (``tuition_standard.普通高中``,
    ``parameters.tuition_standard.高中``, ``items.PRESCHOOL.amount``; the item's name
    comes from ``policy``). An unknown key is returned as it is."""
    parts = [p for p in key.strip().split(".") if p]
    if parts[:1] == ["parameters"]:
        parts = parts[1:]
    if len(parts) == 4 and parts[0] == "items" and parts[2] == "amounts":
        names = {i.code: i.name for i in policy.all_items} if policy else {}
        stage = parse_stage(parts[3])
        what = stage.value if stage else parts[3]
        return f"{names[parts[1]]}{what}标准" if parts[1] in names else f"资助项目 {parts[1]} 的{what}标准金额"
    if len(parts) == 3 and parts[0] == "items":
        names = {i.code: i.name for i in policy.all_items} if policy else {}
        return f"{names[parts[1]]}标准" if parts[1] in names else f"资助项目 {parts[1]} 的标准金额"
    if len(parts) == 2:
        stage = parse_stage(parts[1])
        return _cap_label(parts[0], stage.value if stage else parts[1])
    return key


def parameters_of(policy: Policy) -> list[Parameter]:
    """Every value the clerk may edit: each capping parameter for each stage an item uses
    it for (set or not), then each fixed item's amount."""
    out: list[Parameter] = []
    caps: dict[str, set[Stage]] = {}
    for item in policy.items:
        if item.cap:
            caps.setdefault(item.cap, set()).update(item.stages)
    for cap, stages in caps.items():
        table = policy.parameters.get(cap, {})
        for st in (s for s in Stage if s in stages):
            what = PARAMETER_HELP.get(cap, "{stage}的政策参数（元/年）。").format(stage=st.value)
            out.append(Parameter(f"{cap}.{st.value}", _cap_label(cap, st.value), table.get(st), what,
                                 PARAMETER_SOURCE.get(cap, "")))
    for item in policy.items:
        if item.kind == "fixed":
            out.append(Parameter(f"items.{item.code}.amount", f"{item.name}标准", item.amount_fen or 0,
                                 f"“{item.name}”每生每年的资助标准（元/年）。", "见本县的资助政策文件。"))
        elif item.kind == "per_stage":
            for st, fen in item.stage_amounts:
                out.append(Parameter(f"items.{item.code}.amounts.{st.value}", f"{item.name}{st.value}标准", fen,
                                     f"“{item.name}”{st.value}每生每年的资助标准（元/年）。", "见本县的资助政策文件。"))
    return out


def unset_parameters(policy: Policy) -> list[Parameter]:
    """The parameters an item needs that are not set (their items stay 待补充)."""
    return [p for p in parameters_of(policy) if not p.is_set]


def parameter_key(policy: Policy, name: str) -> str:
    """``name`` as a key: a parameter's Chinese name (``公办普通高中学费标准``) gives its key,
    anything else is returned unchanged (it may already be a key)."""
    wanted = value_key(name)
    for p in parameters_of(policy):
        if value_key(p.label) == wanted:
            return p.key
    return name


def _stage(text: Any, where: str) -> Stage:
    st = parse_stage(str(text))
    if st is None:
        raise _err(where, f"学段“{text}”无法识别", "学段应为：" + "、".join(s.value for s in Stage))
    return st


def _yuan(value: Any, where: str) -> int:
    try:
        return parse_yuan(value)
    except ValidationError as exc:
        raise _err(where, exc.message) from None


def _no_near_cap(cap: str, params: dict[str, Any], where: str) -> None:
    """A cap naming no parameter of the file but close to one the program or the file knows is a typo
    ("tuition_std"): refused, since every item it caps would stay 待补充 without a word. One unlike
    any is a new standard of the school's own (its values are set under 政策参数)."""
    import difflib
    near = difflib.get_close_matches(cap, sorted({*PARAMETER_NAMES, *params}), n=1, cutoff=0.6)
    if near:
        raise _err(where, f"cap = \"{cap}\" 不是已有的标准参数，是不是写错了？应为 cap = \"{near[0]}\""
                          f"（{_cap_label(near[0], '各学段').replace('（各学段）', '')}）")


def _item(raw: dict[str, Any], idx: int, params: dict[str, dict[Stage, int]],
          labels: dict[Category, tuple[str, ...]], strict: bool) -> Item:
    where = f"第{idx + 1}个资助项目"
    code = raw.get("code")
    if strict:
        check_keys(raw, ITEM_KEYS, f"资助项目 {code}" if isinstance(code, str) and code else where)
    if not isinstance(code, str) or not code:
        raise _err(where, "缺少 code")
    where = f"资助项目 {code}"
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise _err(where, "缺少 name（项目名称）")
    stages = raw.get("stages")
    if not isinstance(stages, list) or not stages:
        raise _err(where, "stages（学段）应为非空列表")
    locs = raw.get("locations")
    locations = None
    if locs is not None:
        if not isinstance(locs, list) or not locs:
            raise _err(where, "locations（就读地）应为非空列表，如 [\"外地\"]；不限就读地时请删去这一行，"
                              f"这里是 {locs!r}")
        try:
            locations = frozenset(Location(loc) for loc in locs)
        except ValueError:
            raise _err(where, f"locations（就读地）只能是“本地”或“外地”，这里是 {locs}") from None
    cats = raw.get("categories")
    if not isinstance(cats, list) or not cats:
        raise _err(where, "categories（家庭类别）应为非空列表，如 [\"REGISTERED\"]" + (
            f"，这里写成了{shown(cats)}" if cats is not None else ""))
    try:
        categories = frozenset(Category(c) for c in cats)
    except ValueError:
        raise _err(where, f"categories 只能是 REGISTERED、OTHER_HARDSHIP、NONE，这里是 {cats}") from None
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _err(where, f"kind 应为 {'、'.join(KINDS)} 之一，这里是“{kind}”")
    stage_set = frozenset(_stage(s, where) for s in stages)
    amount = fee = cap = None
    stage_amounts: tuple[tuple[Stage, int], ...] = ()
    if kind == "fixed":
        if "amount" not in raw:
            raise _err(where, "固定金额项目缺少 amount（标准，元）")
        amount = _yuan(raw["amount"], where + " 的 amount")
    elif kind == "per_stage":
        stage_amounts = _stage_amounts(raw.get("amounts"), stage_set, where)
    else:
        fee = raw.get("fee")
        if not isinstance(fee, str) or fee not in FEE_LABELS:
            raise _err(where, f"fee 应为 {'、'.join(FEE_LABELS)} 之一，这里是“{fee}”")
        if kind == "fee_capped":
            cap = raw.get("cap")
            if not isinstance(cap, str) or not cap:
                raise _err(where, "fee_capped 项目缺少 cap（标准参数名）")
            if strict and cap not in params and cap not in PARAMETER_NAMES:
                _no_near_cap(cap, params, where)
            params.setdefault(cap, {})
    item_shares = shares(raw.get("shares"), where)
    return Item(
        code=code, name=name,
        stages=stage_set,
        locations=locations, categories=categories, kind=cast(Kind, kind),
        amount_fen=amount, fee=fee, cap=cap,
        requires_loan=_flag(raw, "requires_loan", where),
        once=_flag(raw, "once", where),
        shares=item_shares,
        stage_amounts=stage_amounts,
        needs_application=_flag(raw, "needs_application", where),
        retired=_flag(raw, "retired", where),
        stages_text="、".join(s.value for s in Stage if s in stage_set),
        locations_text="、".join(loc.value for loc in Location if locations and loc in locations),
        categories_text="、".join(labels[c][0] for c in Category if c in categories),
    )


def _flag(raw: dict[str, Any], key: str, where: str) -> bool:
    """A yes/no setting of an item: TOML's true or false (a quoted "false" is text, and would be true)."""
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _err(where, f"{key} 应为 true 或 false（不加引号），这里是 {value!r}")
    return value


def _stage_amounts(raw: Any, stages: frozenset[Stage], where: str) -> tuple[tuple[Stage, int], ...]:
    """A per_stage item's ``amounts`` table: one amount for each of its stages, no other."""
    if not isinstance(raw, dict) or not raw:
        raise _err(where, "按学段定额的项目缺少 amounts（各学段的标准，例如 amounts = { \"小学\" = \"1000.00\" }）")
    table = {_stage(k, where + " 的 amounts"): _yuan(v, f"{where} 的 amounts.{k}") for k, v in raw.items()}
    if len(table) != len(raw):
        raise _err(where, "amounts 中有重复的学段")
    extra = [s.value for s in Stage if s in table and s not in stages]
    if extra:
        raise _err(where, f"amounts 中的学段{'、'.join(extra)}不在本项目的 stages（学段）中")
    missing = [s.value for s in Stage if s in stages and s not in table]
    if missing:
        raise _err(where, f"amounts 缺少学段{'、'.join(missing)}的标准")
    return tuple((s, table[s]) for s in Stage if s in table)


def _month_day(text: Any, where: str) -> tuple[int, int]:
    try:
        m, d = (int(p) for p in str(text).split("-"))
        date(2000, m, d)
        return m, d
    except ValueError:
        raise _err(where, f"日期“{text}”应写成 月-日，例如 03-20") from None


def _text(section: dict[str, Any], key: str, where: str, default: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str):
        raise _err(where, f"{key} 应为加引号的文字，这里写成了{shown(value)}")
    return value


def _parameters(raw: Any) -> dict[str, dict[Stage, int]]:
    """``[parameters.NAME]`` tables: stage -> fen. A parameter's name is the ``cap`` of the
    items it caps, so any name is read (policy_check: why an unused one is kept)."""
    params: dict[str, dict[Stage, int]] = {}
    for pname, values in table(raw, "parameters", '[parameters.tuition_standard] 下写 "普通高中" = "1200.00"').items():
        if not isinstance(values, dict):
            raise _err(f"parameters.{pname}", "参数应为“学段 = 金额”的表")
        params[pname] = {}
        for k, v in values.items():
            stage = _stage(k, f"parameters.{pname}")
            if stage in params[pname]:          # "普通高中" and "高中" both: the later one won, silently
                raise _err(f"parameters.{pname}", f"学段“{stage.value}”写了两次（“{k}”与前面的写法指同一学段）")
            params[pname][stage] = _yuan(v, f"parameters.{pname}.{k}")
    return params


def _age_ranges(raw: Any) -> dict[Stage, tuple[int, int]]:
    ranges: dict[Stage, tuple[int, int]] = {}
    for k, v in table(raw, "age_ranges", '[age_ranges] 下写 "小学" = [5, 15]').items():
        if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
                and v[0] <= v[1]):
            raise _err(f"age_ranges.{k}", f"年龄范围应为 [最小, 最大]，这里是 {v}")
        ranges[_stage(k, "age_ranges")] = (v[0], v[1])
    return ranges


def _phases(raw: Any, strict: bool) -> tuple[Phase, ...]:
    campaign = table(raw, "campaign", '[[campaign.phases]] 下写 name、start = "03-20"、end = "04-13"')
    if strict:
        check_keys(campaign, CAMPAIGN_KEYS, "campaign")
    phases = []
    for n, p in enumerate(tables(campaign.get("phases"), "campaign.phases", "工作阶段", "[[campaign.phases]]"), 1):
        where = f"campaign.phases 第{n}个工作阶段"
        if strict:
            check_keys(p, PHASE_KEYS, where)
        start, end = _month_day(p.get("start"), where), _month_day(p.get("end"), where)
        if strict and ((2, 29) in (start, end) or end < start):
            raise _err(where, "2月29日不是每年都有，请写成 02-28 或 03-01" if (2, 29) in (start, end) else
                       f"结束日期 {end[0]:02d}-{end[1]:02d} 早于开始日期 {start[0]:02d}-{start[1]:02d}，请改正")
        phases.append(Phase(_text(p, "name", where, ""), start, end))
    return tuple(phases)


def parse_policy(data: dict[str, Any], text: str, strict: bool = False) -> Policy:
    """The policy of a TOML document's ``data``. ``strict`` (a document coming in: imported, or saved
    as a new version) also refuses a key the program does not read and a family-category label
    written under two categories; a document already stored is read without those two checks, as
    it was when it was stored (it keeps being computed; its next change must correct it)."""
    if strict:
        check_keys(data, TOP_KEYS, "文件最外层")
    meta = table(data.get("policy"), "policy", '[policy] 下写 name = "……"')
    if strict:
        check_keys(meta, POLICY_KEYS, "policy")
    name, source = _text(meta, "name", "policy", "资助政策"), _text(meta, "source", "policy", "")
    params = _parameters(data.get("parameters"))
    labels = category_labels(data.get("categories"), strict)
    items_raw = tables(data.get("items"), "items", "资助项目", "[[items]]")
    if not items_raw:
        raise _err("items", "没有任何资助项目")
    all_items = tuple(_item(r, i, params, labels, strict) for i, r in enumerate(items_raw))
    codes = [i.code for i in all_items]
    dup = {c for c in codes if codes.count(c) > 1}
    if dup:
        raise _err("items", f"项目代码重复：{'、'.join(sorted(dup))}")
    items = tuple(i for i in all_items if not i.retired)
    if not items:
        raise _err("items", "所有资助项目都已停用", "请至少保留一个在用的资助项目")
    return Policy(
        name=name, source=source,
        items=items, parameters=params, age_ranges=_age_ranges(data.get("age_ranges")), category_labels=labels,
        phases=_phases(data.get("campaign"), strict), text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        all_items=all_items,
    )


def load_policy(text: str, strict: bool = False) -> Policy:
    """Parse and validate a policy document (``strict``: one coming in, ``parse_policy``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        place, words = _toml_place(str(exc)), _toml_words(str(exc))
        raise PolicyError(f"资助政策文件格式错误：{place}不是有效的 TOML 写法：{words}",
                          "请对照程序自带的政策文件检查这一行：中文的键名要加英文双引号（如 \"小学\" = \"1000.00\"），"
                          "文字要用英文双引号括起来；或向县教育局索取原始文件") from None
    except RecursionError:
        raise _too_deep() from None
    try:
        return parse_policy(data, text, strict)
    except RecursionError:
        raise _too_deep() from None


def _too_deep() -> PolicyError:
    """A document nested deeper than the parser can follow (``a = [[[…]]]`` 100,000 levels deep: tomllib
    recurses once per level): an input mistake, not an internal error."""
    return PolicyError("资助政策文件格式错误：其中的方括号或花括号嵌套层数过多，不是资助政策文件应有的写法",
                       "资助政策文件只有几层嵌套；请向县教育局索取原始文件，或对照程序自带的政策文件改正")


def _toml_place(message: str) -> str:
    """"第 3 行第 13 列" from tomllib's "(at line 3, column 13)"; "" when it names no place."""
    import re
    m = re.search(r"line (\d+), column (\d+)", message)
    return f"第 {m.group(1)} 行第 {m.group(2)} 列" if m else ""


# What tomllib says (Python 3.11's messages, by their start), in Chinese; another is told as a mistake
# of writing only (its English is not shown to the clerk).
_TOML_WORDS = (
    ("Cannot declare", "同一个表或键写了两次"), ("Cannot mutate", "同一个表或键写了两次"),
    ("Cannot overwrite", "同一个键写了两次"), ("Cannot redefine", "同一个表写了两次"),
    ("Duplicate inline table key", "花括号中同一个键写了两次"),
    ("Expected '=' after a key", "键名后面缺少“=”，中文键名要加英文双引号"),
    ("Expected ']]'", "[[ ]] 的右边缺少“]]”"), ("Expected ']'", "[ ] 的右边缺少“]”"),
    ("Expected newline", "一行只能写一项，这一行后面多了内容"),
    ("Found invalid character", "有不能出现在这里的字符"),
    ("Illegal character", "有不能出现的字符，请看引号是否在同一行闭合"),
    ("Invalid date", "日期写法不对，应如 2024-03-20"),
    ("Invalid initial character for a key", "键名写法不对，中文键名要加英文双引号"),
    ("Invalid statement", "这一行的写法不对"), ("Invalid value", "“=”右边的值写法不对，文字要用英文双引号括起来"),
    ("Unclosed array", "方括号 [ ] 没有闭合"), ("Unclosed inline table", "花括号 { } 没有闭合"),
    ("Unterminated string", "引号没有闭合"), ("Unescaped", "文字中的反斜杠“\\”要写成“\\\\”"),
)


def _toml_words(message: str) -> str:
    return next((words for start, words in _TOML_WORDS if message.startswith(start)), "写法有误")


def default_policy_text() -> str:
    return DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


def default_policy() -> Policy:
    return load_policy(default_policy_text())


def set_value(text: str, key: str, value: str) -> str:
    """Return the document with ``key`` (dotted path, e.g. ``tuition_standard.普通高中``,
    ``parameters.tuition_standard.中职`` or ``items.PRESCHOOL.amount``) set to ``value``; an empty
    value unsets a parameter. Validated: on any problem a PolicyError, and nothing changes
    (``core.policy_text``)."""
    from core.policy_text import set_value as edited
    return edited(text, key, value)
