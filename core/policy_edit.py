"""Editing the policy menu (政策菜单): items as the form holds them, checked while typed.

An ``ItemDraft`` is one item as text, the way the 政策 view's form and the CLI hold it.
``item_problems`` names every field problem in Chinese while the clerk types;
``with_item``, ``copy_item``, ``retire_item`` and ``restore_item`` edit the TOML
document with tomlkit (comments and layout stay) and validate the whole result
with ``load_policy``: a problem raises PolicyError and returns nothing. A parameter
(the tuition standard, an item's amount) is changed with ``core.policy.set_value``.
``policy_diff_items`` says what changed between two policies, in the clerk's words.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import tomlkit
import tomlkit.exceptions

from core.domain import Category, Location, Stage, parse_stage
from core.errors import PolicyError, ValidationError
from core.money import format_fen, parse_yuan
from core.policy import FEE_LABELS, KINDS, PARAMETER_NAMES, SOURCE_LABELS, Item, Policy, load_policy
from core.policy_diff import FieldChange, ItemChange, ParameterChange, PolicyDiff, policy_diff_items
from core.policy_words import (
    FIELD_LABELS,
    KIND_LABELS,
    SEED_QUIRK_NOTE,
    locations_text,
    percent_text,
    rule_text,
    shares_text,
    source_notes,
)

# The editing API and the words and diff it works with, for the 政策 view and the CLI.
__all__ = [
    "FIELD_LABELS", "KIND_LABELS", "SEED_QUIRK_NOTE", "FieldChange", "FieldProblem", "ItemChange", "ItemDraft",
    "ParameterChange", "PolicyDiff", "copy_item", "draft_of", "item_problems", "locations_text", "new_draft",
    "policy_diff_items", "problems_text", "restore_item", "retire_item", "rule_text", "shares_text",
    "source_notes", "with_item",
]

CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
_PERCENT_CLEAN = str.maketrans("０１２３４５６７８９．", "0123456789.", " %％\u3000")


@dataclass(frozen=True)
class ItemDraft:
    """One item as the form holds it: texts and flags, not yet validated.

    ``stages``: stage names (aliases such as 高中 are accepted); ``categories``: category
    codes (REGISTERED) or labels (建档立卡); ``locations``: 本地/外地, empty = any;
    ``amount``: yuan text (fixed); ``fee``: tuition/textbook/lodging (fee, fee_capped);
    ``cap``: the per-stage parameter that caps a fee_capped item; ``stage_amounts``:
    (stage, yuan text) for a per_stage item (entries for stages not selected are ignored);
    ``shares``: (source, percent text), sources city/county.
    """
    code: str = ""
    name: str = ""
    stages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    kind: str = "fixed"
    amount: str = ""
    fee: str = ""
    cap: str = ""
    stage_amounts: tuple[tuple[str, str], ...] = ()
    shares: tuple[tuple[str, str], ...] = (("city", "50"), ("county", "50"))
    once: bool = False
    requires_loan: bool = False
    needs_application: bool = False
    retired: bool = False


@dataclass(frozen=True)
class FieldProblem:
    field: str      # an ItemDraft field name
    message: str    # Chinese: what is wrong and what to do

def draft_of(item: Item) -> ItemDraft:
    """The form's view of a loaded item."""
    return ItemDraft(
        code=item.code, name=item.name,
        stages=tuple(s.value for s in Stage if s in item.stages),
        categories=tuple(c.value for c in Category if c in item.categories),
        locations=tuple(loc.value for loc in Location if item.locations and loc in item.locations),
        kind=item.kind,
        amount=format_fen(item.amount_fen) if item.amount_fen is not None else "",
        fee=item.fee or "", cap=item.cap or "",
        stage_amounts=tuple((s.value, format_fen(fen)) for s, fen in item.stage_amounts),
        shares=tuple((src, percent_text(pct)) for src, pct in item.shares),
        once=item.once, requires_loan=item.requires_loan,
        needs_application=item.needs_application, retired=item.retired,
    )


def new_draft(policy: Policy) -> ItemDraft:
    """A blank item for the 新增 form: a free code, every stage unticked, shares 5:5."""
    return ItemDraft(code=_free_code(policy, "NEW_ITEM"), categories=(Category.REGISTERED.value,))


# ---------------------------------------------------------------- checking

def _stages(draft: ItemDraft) -> tuple[list[Stage], list[str]]:
    known, unknown = [], []
    for text in draft.stages:
        st = parse_stage(text)
        if st is None:
            unknown.append(text)
        elif st not in known:
            known.append(st)
    return [s for s in Stage if s in known], unknown


def _categories(draft: ItemDraft, policy: Policy) -> tuple[list[Category], list[str]]:
    known, unknown = [], []
    for text in draft.categories:
        cat = policy.parse_category(text)
        if cat is None:
            unknown.append(text)
        elif cat not in known:
            known.append(cat)
    return [c for c in Category if c in known], unknown


def _locations(draft: ItemDraft) -> tuple[list[Location], list[str]]:
    known: list[Location] = []
    unknown: list[str] = []
    for text in draft.locations:
        loc = next((x for x in Location if x.value == text.strip()), None)
        if loc is None:
            unknown.append(text)
        elif loc not in known:
            known.append(loc)
    return [x for x in Location if x in known], unknown


def _percent(text: str) -> Decimal | None:
    try:
        value = Decimal(text.translate(_PERCENT_CLEAN))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _money_problem(fieldname: str, label: str, text: str) -> FieldProblem | None:
    if not text.strip():
        return FieldProblem(fieldname, f"{label}未填写，请填写以元为单位的金额，例如 1000 或 1250.50")
    try:
        fen = parse_yuan(text)
    except ValidationError as exc:
        return FieldProblem(fieldname, f"{label}：{exc.message}，{exc.hint}")
    if fen == 0:
        return FieldProblem(fieldname, f"{label}不能为 0；不再发放的项目请停用")
    return None


def item_problems(draft: ItemDraft, policy: Policy, editing_code: str | None = None) -> list[FieldProblem]:
    """Every problem of ``draft`` as an item of ``policy`` (``editing_code``: the item being
    edited, whose own code and name do not count as taken). Empty: the draft can be saved."""
    out: list[FieldProblem] = []
    others = [i for i in policy.all_items if i.code != editing_code]
    code = draft.code.strip()
    if not code:
        out.append(FieldProblem("code", "项目代码未填写，请用大写英文字母、数字和下划线，例如 BOARDING_AID"))
    elif not CODE_PATTERN.fullmatch(code):
        out.append(FieldProblem("code", f"项目代码“{code}”只能由大写英文字母、数字和下划线组成，以字母开头，"
                                        "最多40个字符，例如 BOARDING_AID"))
    elif any(i.code == code for i in others):
        out.append(FieldProblem("code", f"项目代码“{code}”已被“{policy.item(code).name}”使用，请换一个代码"))
    name = draft.name.strip()
    if not name:
        out.append(FieldProblem("name", "项目名称未填写，请写政策文件中的项目名称"))
    elif any(i.name == name for i in others):
        out.append(FieldProblem("name", f"已有名为“{name}”的资助项目，请换一个名称"))
    stages, bad_stages = _stages(draft)
    if bad_stages:
        out.append(FieldProblem("stages", f"学段“{'、'.join(bad_stages)}”无法识别，学段应为："
                                          + "、".join(s.value for s in Stage)))
    elif not stages:
        out.append(FieldProblem("stages", "请至少选择一个学段"))
    cats, bad_cats = _categories(draft, policy)
    if bad_cats:
        out.append(FieldProblem("categories", f"家庭类别“{'、'.join(bad_cats)}”无法识别，应为："
                                              + "、".join(policy.category_label(c) for c in Category)))
    elif not cats:
        out.append(FieldProblem("categories", "请至少选择一个家庭类别"))
    _, bad_locs = _locations(draft)
    if bad_locs:
        out.append(FieldProblem("locations",
                                f"就读地“{'、'.join(bad_locs)}”无法识别，只能是本地或外地（都不选表示不限）"))
    out += _rule_problems(draft, stages)
    out += _share_problems(draft.shares)
    return out


def _rule_problems(draft: ItemDraft, stages: list[Stage]) -> list[FieldProblem]:
    if draft.kind not in KINDS:
        return [FieldProblem("kind", f"金额规则“{draft.kind}”无法识别，应为："
                                     + "、".join(KIND_LABELS[k] for k in KINDS))]
    problem: FieldProblem | None = None
    if draft.kind == "fixed":
        problem = _money_problem("amount", "标准金额", draft.amount)
    elif draft.kind == "per_stage":
        given = {parse_stage(s): text for s, text in draft.stage_amounts}
        for st in stages:
            problem = problem or _money_problem("stage_amounts", f"{st.value}标准", given.get(st, ""))
    else:
        if draft.fee not in FEE_LABELS:
            problem = FieldProblem("fee", "请选择按哪项费用补助：" + "、".join(FEE_LABELS.values()))
        elif draft.kind == "fee_capped" and not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", draft.cap.strip()):
            problem = FieldProblem("cap", "请选择封顶的标准，例如 " + PARAMETER_NAMES["tuition_standard"]
                                   .format(stage="（学段）"))
    return [problem] if problem else []


def _share_problems(shares: tuple[tuple[str, str], ...]) -> list[FieldProblem]:
    if not shares:
        return [FieldProblem("shares", "请填写资金分担（市级、县级各占百分之几，合计100）")]
    total = Decimal(0)
    seen: set[str] = set()
    for src, text in shares:
        label = SOURCE_LABELS.get(src)
        if label is None:
            return [FieldProblem("shares", f"资金来源“{src}”无法识别，只能是市级或县级")]
        if src in seen:
            return [FieldProblem("shares", f"{label}重复填写了两次")]
        seen.add(src)
        pct = _percent(text)
        if pct is None:
            return [FieldProblem("shares", f"{label}分担比例“{text}”不是数字，请填写百分数，例如 50")]
        if pct < 0 or pct > 100:
            return [FieldProblem("shares", f"{label}分担比例“{text}”应在 0 到 100 之间")]
        if pct != pct.quantize(Decimal("0.01")):
            return [FieldProblem("shares", f"{label}分担比例“{text}”最多两位小数")]
        total += pct
    if total != 100:
        parts = "＋".join(f"{SOURCE_LABELS[s]} {t.strip() or '0'}%" for s, t in shares)
        return [FieldProblem("shares", f"资金分担合计应为100%，现在是 {parts} = {percent_text(total)}%")]
    return []


def problems_text(problems: Iterable[FieldProblem]) -> str:
    return "；".join(f"{FIELD_LABELS.get(p.field, p.field)}：{p.message}" for p in problems)


# ---------------------------------------------------------------- writing

def _parse(text: str) -> Any:
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise PolicyError(f"资助政策文件格式错误：{exc}", "请检查文件是否为有效的 TOML 格式") from None


def _find(doc: Any, code: str) -> Any:
    for table in doc.get("items", []):
        if table.get("code") == code:
            return table
    raise PolicyError(f"没有代码为“{code}”的资助项目", "请刷新政策列表后重试")


def _values(draft: ItemDraft, policy: Policy) -> dict[str, Any]:
    """The TOML values of a valid draft, in the file's key order (None: key absent)."""
    stages, _ = _stages(draft)
    cats, _ = _categories(draft, policy)
    locs, _ = _locations(draft)
    given = {parse_stage(s): text for s, text in draft.stage_amounts}
    per_stage = draft.kind == "per_stage"
    amounts = tomlkit.inline_table()
    if per_stage:
        amounts.update({st.value: format_fen(parse_yuan(given[st])) for st in stages})
    return {
        "code": draft.code.strip(), "name": draft.name.strip(),
        "stages": [s.value for s in stages],
        "locations": [x.value for x in locs] if locs and len(locs) < len(Location) else None,
        "categories": [c.value for c in cats],
        "requires_loan": True if draft.requires_loan else None,
        "once": True if draft.once else None,
        "needs_application": True if draft.needs_application else None,
        "kind": draft.kind,
        "amount": format_fen(parse_yuan(draft.amount)) if draft.kind == "fixed" else None,
        "amounts": amounts if per_stage else None,
        "fee": draft.fee if draft.kind in ("fee", "fee_capped") else None,
        "cap": draft.cap.strip() if draft.kind == "fee_capped" else None,
        "shares": [[src, percent_text(_percent(pct) or Decimal(0))] for src, pct in draft.shares],
        "retired": True if draft.retired else None,
    }


def _same(current: Any, value: Any) -> bool:
    unwrap = getattr(current, "unwrap", None)
    return bool((unwrap() if unwrap else current) == (dict(value) if isinstance(value, dict) else value))


def _write(table: Any, values: dict[str, Any]) -> None:
    """Update ``table`` in place: only the keys whose value changes are rewritten, so an
    unchanged item keeps its text (and the document its hash)."""
    for key, value in values.items():
        if value is None:
            table.pop(key, None)
        elif key not in table or not _same(table[key], value):
            table[key] = value


def _checked(text: str) -> str:
    load_policy(text)
    return text


def with_item(text: str, draft: ItemDraft, replace_code: str | None = None) -> str:
    """The document with ``draft`` added (``replace_code`` None) or replacing the item
    ``replace_code``. Raises PolicyError naming every problem; nothing is returned then."""
    policy = load_policy(text)
    problems = item_problems(draft, policy, replace_code)
    if problems:
        raise PolicyError(f"资助项目“{draft.name.strip() or draft.code.strip()}”有问题：{problems_text(problems)}",
                          "请改正后再保存")
    doc = _parse(text)
    values = _values(draft, policy)
    if replace_code is None:
        table = tomlkit.table()
        _write(table, values)
        if "items" not in doc:
            doc["items"] = tomlkit.aot()
        elif not tomlkit.dumps(doc).endswith("\n\n"):
            doc["items"][-1].add(tomlkit.nl())     # a blank line before the new [[items]]
        doc["items"].append(table)
    else:
        _write(_find(doc, replace_code), values)
    return _checked(tomlkit.dumps(doc))


def _free_code(policy: Policy, base: str) -> str:
    taken = {i.code for i in policy.all_items}
    base = base[:34]
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _free_name(policy: Policy, base: str) -> str:
    taken = {i.name for i in policy.all_items}
    name, n = f"{base}（副本）", 2
    while name in taken:
        name, n = f"{base}（副本{n}）", n + 1
    return name


def copy_item(text: str, code: str, new_code: str | None = None) -> str:
    """The document with a copy of item ``code`` added at the end, named “…（副本）”, under
    ``new_code`` (default: a free code derived from ``code``). The copy is in use even
    when the original is retired."""
    policy = load_policy(text)
    try:
        item = policy.item(code)
    except KeyError:
        raise PolicyError(f"没有代码为“{code}”的资助项目", "请刷新政策列表后重试") from None
    draft = replace(draft_of(item), code=new_code if new_code is not None else _free_code(policy, f"{code}_COPY"),
                    name=_free_name(policy, item.name), retired=False)
    return with_item(text, draft)


def _set_retired(text: str, code: str, retired: bool) -> str:
    policy = load_policy(text)
    doc = _parse(text)
    table = _find(doc, code)
    name = policy.item(code).name
    if retired:
        if policy.item(code).retired:
            raise PolicyError(f"“{name}”已经停用")
        table["retired"] = True
    else:
        if not policy.item(code).retired:
            raise PolicyError(f"“{name}”没有停用，无需恢复")
        table.pop("retired", None)
    return _checked(tomlkit.dumps(doc))


def retire_item(text: str, code: str) -> str:
    """停用: the item stays in the document marked ``retired = true`` and is no longer computed."""
    return _set_retired(text, code, True)


def restore_item(text: str, code: str) -> str:
    """恢复 a retired item (computed again)."""
    return _set_retired(text, code, False)
