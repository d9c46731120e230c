"""Editing one key of a policy document (``core.policy.set_value``: `policy set`, the settings
view, the policy form), keeping the file's comments and layout (tomlkit), then validating it."""
from __future__ import annotations

from typing import Any

from core.domain import Stage, parse_stage
from core.errors import PolicyError, ValidationError
from core.money import format_fen, parse_yuan
from core.policy import Policy, _stage, load_policy, parameter_key, parameter_label, parameters_of


def _same_stage(written: str, stage: str) -> bool:
    try:
        return _stage(written, "").value == stage
    except PolicyError:
        return False


def set_value(text: str, key: str, value: str) -> str:
    """Return the document with ``key`` (dotted path, e.g. ``tuition_standard.普通高中``,
    ``parameters.tuition_standard.中职`` or ``items.PRESCHOOL.amount``) set to ``value``.

    An empty value unsets a parameter. The result is validated; on any
    problem a PolicyError is raised and nothing changes.
    """
    import tomlkit  # here: every command reads the policy, few edit it (start-up, docs/BENCHMARKS.md)
    import tomlkit.exceptions
    try:
        data = tomlkit.parse(text)   # keeps the file's comments and layout
    except tomlkit.exceptions.ParseError as exc:
        raise PolicyError(f"政策文件格式错误：{exc}") from None
    try:
        current: Policy | None = load_policy(text)
    except PolicyError:
        current = None
    if current is not None:
        key = parameter_key(current, key)    # the Chinese name works as well as the key
    parts = [p for p in key.split(".") if p]
    if not parts:
        raise PolicyError("参数名为空", "例如：公办普通高中学费标准")
    if parts[0] not in ("items", "parameters") and parts[0] in set(data.get("parameters") or {}) | _cap_names(data):
        parts = ["parameters", *parts]
    if parts[0] == "parameters":
        if len(parts) != 3:
            raise PolicyError(f"参数名“{key}”不完整", "请写参数的中文名称，例如 公办普通高中学费标准")
        stage = _stage(parts[2], key).value
        label = parameter_label(f"{parts[1]}.{stage}")
        users = _cap_stages(data, parts[1])
        if value.strip() and users is None:
            names = "、".join(p.label for p in parameters_of(current)) if current else ""
            raise PolicyError(f"{label}用不到：没有资助项目使用“{parts[1]}”这类标准，没有修改",
                              f"可修改的参数：{names}" if names else "请检查参数名称")
        if value.strip() and users is not None and stage not in users:
            raise PolicyError(f"{label}用不到：这类标准只用于{'、'.join(users)}",
                              f"请检查学段，例如 {parameter_label(f'{parts[1]}.{users[0]}')}")
        if "parameters" not in data:
            data["parameters"] = tomlkit.table(is_super_table=True)
        if parts[1] not in data["parameters"]:
            data["parameters"][parts[1]] = tomlkit.table()
        table = data["parameters"][parts[1]]
        for written in [k for k in table if _same_stage(k, stage)]:   # "高中" as well as "普通高中"
            table.pop(written, None)
        if value.strip():
            try:
                fen = parse_yuan(value)
            except ValidationError as exc:
                raise PolicyError(f"{label}无效：{exc.message}", exc.hint) from None
            table[stage] = format_fen(fen)
    elif parts[0] == "items":
        per_stage = len(parts) == 4 and parts[2] == "amounts"
        if not per_stage and (len(parts) != 3 or parts[2] != "amount"):
            raise PolicyError(f"只能修改项目的标准金额：items.代码.amount，这里是“{key}”")
        for item in data.get("items", []):
            if item.get("code") == parts[1]:
                if item.get("kind") != ("per_stage" if per_stage else "fixed"):
                    raise PolicyError(f"“{item.get('name', parts[1])}”" + (
                        "不是按学段定额的项目" if per_stage else "按实收费用或按学段计算，没有固定标准金额"))
                try:
                    fen = parse_yuan(value)
                except ValidationError as exc:
                    raise PolicyError(f"{parameter_label(key, current)}无效：{exc.message}", exc.hint) from None
                if fen == 0:        # (as the item form: core.policy_edit)
                    raise PolicyError(f"{parameter_label(key, current)}不能为 0，没有修改",
                                      "不再发放的项目请在 政策 → 资助项目 中停用")
                if per_stage:
                    _set_stage_amount(item, _stage(parts[3], key), fen, parameter_label(key, current))
                else:
                    item["amount"] = format_fen(fen)
                break
        else:
            raise PolicyError(f"没有代码为“{parts[1]}”的资助项目")
    else:
        names = "、".join(p.label for p in parameters_of(current)) if current else ""
        raise PolicyError(f"不认识的参数“{key}”", f"可修改的参数：{names}" if names else
                          "可修改：公办（学段）学费标准或各资助项目的标准")
    new_text = tomlkit.dumps(data)
    load_policy(new_text)
    return new_text


def _set_stage_amount(item: Any, stage: Stage, fen: int, label: str) -> None:
    """Set a per_stage item's amount for ``stage`` in its ``amounts`` table (the stage
    written as the file writes it: an alias such as 高中 is kept)."""
    amounts = item.get("amounts")
    if amounts is None:
        raise PolicyError(f"{label}无法修改：项目缺少 amounts")
    for k in list(amounts.keys()):
        if parse_stage(str(k)) is stage:
            amounts[k] = format_fen(fen)
            return
    raise PolicyError(f"{label}用不到：该项目不包括{stage.value}", "请检查学段")


def _cap_stages(data: Any, cap: str) -> list[str] | None:
    """The stages of the items capped by ``cap`` (None: no item uses it)."""
    found: list[str] = []
    for item in data.get("items", []):
        if item.get("cap") == cap:
            for text in item.get("stages", []):
                stage = parse_stage(str(text))          # the file may use aliases (高中)
                name = stage.value if stage else str(text)
                if name not in found:
                    found.append(name)
    return found or None


def _cap_names(data: dict[str, Any]) -> set[str]:
    return {i.get("cap") for i in data.get("items", []) if i.get("cap")}
