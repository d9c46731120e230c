"""What an import plan would change, worded for the clerk (the import wizard's preview, the
command line's ``import --dry-run``): each student to be updated with the masked ID and every
field old → new, the 已核准 students going back to 待核准, the blank cells that kept a stored value,
the rows matching a student off the list or one whose ID the clerk corrected, the added rows
named as a listed student, and the listed students the file does not hold (graduated, moved
away). Plain text from the plan; nothing is read here.
"""
from __future__ import annotations

from typing import Any

from core.domain import Category
from core.fields import CATEGORY, CHECK, FEE, FIELDS, GRANTS, ID
from core.idnumber import mask_id
from core.money import format_fen
from core.policy import Policy
from core.records import ROSTER_COLUMNS, ParsedRow
from db.importing import ImportPlan

MAX_SHOWN = 50      # people listed one by one in each part; the rest are counted (另有 N 名)

_ROSTER_LABELS = {c.field: c.header for c in ROSTER_COLUMNS}
_IMPORTER_LABELS = {"id_raw": "身份证号（文件中的写法）", "id_numeric_cell": "身份证号来自数字格式单元格",
                    "full_time_text": "全日制正式学籍（文件中无法识别的写法）"}


def plan_notes(plan: ImportPlan, done: bool) -> list[str]:
    """The sentences said beside the counts (``import_summary``): 已核准 students going back to
    待核准, blank cells that kept stored values, rows matching a removed or corrected student,
    added rows named as a listed student, listed students the file does not hold. Counts only: the
    import's report has them too."""
    will = "已" if done else "将"
    notes = []
    if plan.unverified:
        notes.append(f"{len(plan.unverified)} 名已核准的学生数据有变化，{will}退回“待核准”，需要重新核准")
    if plan.kept_blank:
        notes.append(f"文件中有 {plan.kept_blank} 个空白单元格没有覆盖已有的数据，"
                     f"{'保留了' if done else '将保留'}原来的值（新增的学生按默认值）")
    if plan.off_list:
        notes.append(f"{len(plan.off_list)} 行只对应已移出名单的学生：{will}更新这些学生，他们仍在移出名单中")
    if plan.corrected:
        notes.append(f"{len(plan.corrected)} 行的身份证号是学生在本程序中更正之前的号码：{will}按更正后的学生更新，"
                     "保留更正后的身份证号")
    if plan.absent:
        notes.append(f"名单中有 {len(plan.absent)} 名学生不在这个文件中（可能已毕业、转学或辍学）：他们仍在名单中、"
                     "仍计算资助；已离校的请在“学生名册”中选中后点“移出名单…”（文件只含部分学生时不用管）")
    if plan.same_name:
        rows = len({row.line for row, _sid, _number in plan.same_name})
        notes.append(f"新增的 {rows} 行与名单中已有的学生同名、身份证号不同：请核对是否为同一名学生"
                     "（是同一人时导入会重复享受资助）")
    return notes


def review_lines(plan: ImportPlan, policy: Policy | None = None, limit: int = MAX_SHOWN) -> list[str]:
    """The preview's list: every part of ``plan_notes`` person by person (at most ``limit`` each),
    an update with each field's old and new value."""
    students = plan.kind == "students"
    kind = "学生" if students else "人员"
    kept = {sid: values for sid, _row, values in plan.kept}
    unverified = set(plan.unverified)
    changed = [(sid, row, {f: v for f, v in ch.items() if f != "import_problems"})
               for sid, row, ch in plan.updated]
    data = [(sid, row, ch) for sid, row, ch in changed if ch]
    lines: list[str] = []
    if data:
        head = f"将更新的{kind}：共 {len(data)} {'名' if students else '人'}"
        if unverified:
            head += f"（其中 {len(unverified)} 名已核准，将退回待核准）"
        lines.append(head)
        for sid, row, ch in data[:limit]:
            mark = "［已核准 → 待核准］" if sid in unverified else ""
            lines.append(f"  {who(row)}{mark}")
            lines += [f"      {_label(f, students)}：{_shown(f, old, policy)} → {_shown(f, new, policy)}"
                      for f, (old, new) in ch.items()]
            if sid in kept:
                lines.append("      文件中为空白、保留原值：" + _kept_text(kept[sid], students, policy))
        lines += _more(len(data), limit, "名" if students else "人")
    notes_only = len(changed) - len(data)
    if notes_only:
        lines.append(f"另有 {notes_only} 行只是问题说明有变化（数据不变）")
    updated = {sid for sid, _row, _ch in data}
    kept_only = [(sid, row, values) for sid, row, values in plan.kept if sid not in updated]
    _part(lines, f"文件中为空白、保留原值的{kind}（其余数据没有变化）：共 {len(kept_only)} 名",
          [f"  {who(row)}：{_kept_text(values, students, policy)}" for _sid, row, values in kept_only], limit, "名")
    _part(lines, f"只对应已移出名单的学生（按这些学生对应，他们仍在移出名单中）：共 {len(plan.off_list)} 行",
          [f"  {who(row)}" for _sid, row in plan.off_list], limit, "行")
    _part(lines, f"身份证号是更正之前的号码（按更正后的学生对应，保留更正后的身份证号）：共 {len(plan.corrected)} 行",
          [f"  {who(row)} → 名单中的身份证号 {_masked(now)}" for _sid, row, now in plan.corrected], limit, "行")
    lines += people_lines(plan, limit)
    return lines


def people_lines(plan: ImportPlan, limit: int = MAX_SHOWN) -> list[str]:
    """The people the clerk acts on after an import, each part under a title: the added rows named as
    a listed student (possibly one child under two IDs: paid twice), and the listed students no row
    of the file matches (graduated, moved away). The preview's last parts; after an import the
    command line's and the wizard's lists. [] when there are none."""
    lines: list[str] = []
    _part(lines, f"新增、但与名单中已有学生同名（身份证号不同，请核对是否为同一人）：共 {len(plan.same_name)} 处",
          [f"  {who(row)}：名单中已有 {row.values.get('name', '')}（{_masked(number)}）"
           for row, _sid, number in plan.same_name], limit, "处")
    _part(lines, f"名单中有、但文件中没有的学生（仍在名单中；已离校的请移出名单）：共 {len(plan.absent)} 名",
          [f"  {name or '（无姓名）'}（{_masked(number)}）" for _sid, name, number in plan.absent], limit, "名")
    return lines


def _part(lines: list[str], title: str, items: list[str], limit: int, unit: str) -> None:
    """A titled part of the list (after a blank line), its first ``limit`` items and the count of the rest."""
    if not items:
        return
    lines += ["", title, *items[:limit]]
    lines += _more(len(items), limit, unit)


def _more(total: int, limit: int, unit: str) -> list[str]:
    return [f"  ……另有 {total - limit} {unit}没有逐一列出"] if total > limit else []


def who(row: ParsedRow) -> str:
    """“第 N 行 姓名（masked ID）”: a row as the clerk finds it in the file."""
    values = row.values
    number = values.get("id_number") or values.get("id_raw") or ""
    return f"第 {row.line} 行 {values.get('name') or '（无姓名）'}（{_masked(number)}）"


def _masked(number: Any) -> str:
    text = str(number or "").strip()
    if not text:
        return "无身份证号"
    return mask_id(text) if sum(c.isdigit() for c in text) > 10 else text


def _label(f: str, students: bool) -> str:
    if f in _IMPORTER_LABELS:
        return _IMPORTER_LABELS[f]
    if students:
        return FIELDS[f].label if f in FIELDS else f
    return _ROSTER_LABELS.get(f, f)


def _kept_text(values: dict[str, Any], students: bool, policy: Policy | None) -> str:
    return "、".join(f"{_label(f, students)}（{_shown(f, v, policy)}）" for f, v in values.items())


def _shown(f: str, value: Any, policy: Policy | None) -> str:
    """A stored or parsed value as the clerk reads it."""
    kind = FIELDS[f].kind if f in FIELDS else ""
    if kind == FEE:
        return "未填写" if value is None else format_fen(value)
    if kind in (CHECK, GRANTS) or f == "id_numeric_cell":
        return "是" if value else "否"
    if kind == CATEGORY and policy is not None:
        try:
            return policy.category_label(Category(value or "NONE"))
        except ValueError:
            return str(value)
    if kind == ID or f == "id_raw":
        return _masked(value)
    return "（空）" if value is None or value == "" else str(value)
