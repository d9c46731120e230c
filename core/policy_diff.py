"""What changed between two policies, in the clerk's words (`policy diff`, the 版本 list,
the audit of a new version)."""
from __future__ import annotations

from dataclasses import dataclass, field

from core.domain import Category
from core.money import format_fen
from core.policy import Item, Policy, parameter_label
from core.policy_words import FIELD_LABELS, locations_text, rule_text, shares_text


@dataclass(frozen=True)
class FieldChange:
    field: str     # the Chinese name (FIELD_LABELS)
    old: str
    new: str

    def text(self) -> str:
        return f"{self.field}：{self.old or '（无）'} → {self.new or '（无）'}"


@dataclass(frozen=True)
class ItemChange:
    code: str
    name: str
    fields: tuple[FieldChange, ...]

    def text(self) -> str:
        return f"{self.name}（{self.code}）：" + "；".join(f.text() for f in self.fields)


@dataclass(frozen=True)
class ParameterChange:
    key: str            # tuition_standard.普通高中
    label: str          # 公办普通高中学费标准
    old: str | None     # yuan text, None: unset
    new: str | None

    def text(self) -> str:
        return f"{self.label}：{self.old or '未设置'} → {self.new or '未设置'}"


@dataclass(frozen=True)
class PolicyDiff:
    """What changed from one policy to another. Items are matched by code; a retired
    or restored item is listed there (and under ``changed`` only for its other fields)."""
    added: tuple[Item, ...] = ()
    removed: tuple[Item, ...] = ()
    retired: tuple[Item, ...] = ()
    restored: tuple[Item, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    parameters_added: tuple[ParameterChange, ...] = ()
    parameters_removed: tuple[ParameterChange, ...] = ()
    parameters_changed: tuple[ParameterChange, ...] = ()
    other: tuple[FieldChange, ...] = field(default_factory=tuple)   # the policy's name, source, labels

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.retired or self.restored or self.changed
                    or self.parameters_added or self.parameters_removed or self.parameters_changed
                    or self.other)

    def lines(self) -> list[str]:
        """One Chinese line per change (``policy diff``, the audit, the GUI's 版本 page)."""
        out = [f"新增项目：{i.name}（{i.code}），{rule_text(i)}" for i in self.added]
        out += [f"删除项目：{i.name}（{i.code}）" for i in self.removed]
        out += [f"停用项目：{i.name}（{i.code}）" for i in self.retired]
        out += [f"恢复项目：{i.name}（{i.code}）" for i in self.restored]
        out += [f"修改项目：{c.text()}" for c in self.changed]
        out += [f"新增参数：{p.text()}" for p in self.parameters_added]
        out += [f"取消参数：{p.text()}" for p in self.parameters_removed]
        out += [f"修改参数：{p.text()}" for p in self.parameters_changed]
        out += [f"修改{c.text()}" for c in self.other]
        return out

    def summary(self) -> str:
        return "；".join(self.lines()) or "没有变化"


def _field_texts(item: Item, policy: Policy) -> dict[str, str]:
    return {
        "name": item.name,
        "stages": item.stages_text,
        "categories": "、".join(policy.category_label(c) for c in Category if c in item.categories),
        "locations": locations_text(item),
        "kind": rule_text(item),
        "shares": shares_text(item),
        "once": "是" if item.once else "否",
        "requires_loan": "是" if item.requires_loan else "否",
        "needs_application": "是" if item.needs_application else "否",
    }


def _item_change(old: Item, new: Item, old_policy: Policy, new_policy: Policy) -> ItemChange | None:
    a, b = _field_texts(old, old_policy), _field_texts(new, new_policy)
    fields = tuple(FieldChange(FIELD_LABELS[k], a[k], b[k]) for k in a if a[k] != b[k])
    return ItemChange(new.code, new.name, fields) if fields else None


def _parameter_values(policy: Policy) -> dict[str, int]:
    return {f"{name}.{st.value}": fen for name, table in policy.parameters.items() for st, fen in table.items()}


def policy_diff_items(old: Policy, new: Policy) -> PolicyDiff:
    """Items added, removed, retired, restored and changed (field by field, in Chinese),
    the parameters added, removed and changed, and the policy's name and source."""
    old_items = {i.code: i for i in old.all_items}
    new_items = {i.code: i for i in new.all_items}
    changed = [c for code, item in new_items.items() if code in old_items
               if (c := _item_change(old_items[code], item, old, new))]
    a, b = _parameter_values(old), _parameter_values(new)

    def change(key: str) -> ParameterChange:
        return ParameterChange(key, parameter_label(key), format_fen(a[key]) if key in a else None,
                               format_fen(b[key]) if key in b else None)
    other = [FieldChange(label, x, y) for label, x, y in (("政策名称", old.name, new.name),
                                                            ("政策依据", old.source, new.source)) if x != y]
    other += [FieldChange(f"家庭类别“{old.category_label(c)}”的写法", "、".join(old.category_labels[c]),
                          "、".join(new.category_labels[c]))
              for c in Category if old.category_labels[c] != new.category_labels[c]]
    return PolicyDiff(
        added=tuple(i for code, i in new_items.items() if code not in old_items),
        removed=tuple(i for code, i in old_items.items() if code not in new_items),
        retired=tuple(i for code, i in new_items.items() if code in old_items and i.retired
                      and not old_items[code].retired),
        restored=tuple(i for code, i in new_items.items() if code in old_items and not i.retired
                       and old_items[code].retired),
        changed=tuple(changed),
        parameters_added=tuple(change(k) for k in b if k not in a),
        parameters_removed=tuple(change(k) for k in a if k not in b),
        parameters_changed=tuple(change(k) for k in b if k in a and a[k] != b[k]),
        other=tuple(other),
    )
