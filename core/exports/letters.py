"""资助结果告知书: one A4 page per student (or per household) for the family.

The upper part tells the parent what the child receives, item by item, what
the family still pays at a 民办 school, what the decision rests on and whom
to call; below a dashed cut line is the receipt (回执) the family signs and
returns. ID numbers are masked. Students with nothing granted get a letter
only when selected explicitly, saying why.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, FrameBreak, PageBreak, Spacer

from core.engine import Calculator, Status, StudentResult
from core.errors import ValidationError
from core.exports.data import ExportData, StudentInfo
from core.exports.letters_draw import Fixed, Flow, Item, Kept, Runs, Space, Stack, Text
from core.exports.output import date_label, family_pays, grade_label, policy_line
from core.exports.pdf_canvas import ruled_table
from core.exports.pdf_common import (
    FONT,
    GRID,
    MARGIN,
    PAGE_H,
    PAGE_W,
    Glyphs,
    LazyStory,
    PageSpec,
    Para,
    SealBox,
    Styles,
    build_pdf,
    frame,
    layout,
    styles,
)
from core.exports.rare_names import RareNames
from core.idnumber import mask_id
from core.money import format_fen
from core.paths import require_suffix
from core.text import holds_number
from core.told import letter_due, told_key

TITLE = "资助结果告知书"
WIDTH = PAGE_W - 2 * MARGIN
CUT_Y = 80 * mm                         # the dashed cut line above the receipt
BODY_Y = CUT_Y + 6 * mm
BODY_H = PAGE_H - 15 * mm - BODY_Y
RECEIPT_Y, RECEIPT_H = 12 * mm, CUT_Y - 18 * mm

Pair = tuple[StudentInfo, StudentResult]


def _masked(st: StudentInfo) -> str:
    return mask_id(st.id_number) if st.id_number else "未登记"


def _why_not(data: ExportData, result: StudentResult, explained: Calculator) -> list[str]:
    """Short reasons a student gets nothing (engine explanations, deduplicated); ``explained``
    computes with explanations, once per combination of the deciding attributes."""
    rec = result.student
    full = explained(rec)
    pending = [d for d in full.decisions if d.status is Status.PENDING]
    if pending:
        return [f"“{d.name}”所需信息尚待学校补充核实，核实后另行告知" for d in pending]
    if rec.stage is None:
        return ["学段信息无法识别，请与学校联系核实"]
    relevant = [d for d, item in zip(full.decisions, data.policy.items, strict=True) if rec.stage in item.stages]
    if not relevant:
        return [f"本方案所列资助项目不包括{rec.stage.value}阶段"]
    return deciding_reasons([d.reasons for d in relevant])


_TAIL = "，本项目"        # "家庭类别为非困难，本项目只限建档立卡": the student's fact, then the item's condition


def deciding_reasons(unmet: list[tuple[str, ...]]) -> list[str]:
    """The reasons a family is told, from each relevant item's unmet conditions (engine texts): the
    facts every item fails on (one line each, however each item words its condition), else the
    conditions of the items that came closest (fewest unmet); at most three. A family is not told
    "就读地为本地" when no item for local pupils would have granted anything either."""
    heads = [{r.split(_TAIL, 1)[0]: r for r in reasons} for reasons in unmet if reasons]
    if not heads:
        return ["不符合本方案所列资助项目的条件"]
    out: list[str] = []
    for head in heads[0]:
        if all(head in h for h in heads[1:]):
            texts = {h[head] for h in heads}
            out.append(texts.pop() if len(texts) == 1 else f"{head}，不符合本方案各资助项目的条件")
    if not out:
        fewest = min(map(len, heads))
        for h in heads:
            if len(h) == fewest:
                out += [r for r in h.values() if r not in out]
    return out[:3]


class _Fixed:
    """The parts every letter of a document has alike (the title, the closing words, the
    receipt's fixed lines and the signature lines), made once and drawn once (a PDF form)."""

    def __init__(self) -> None:
        self._made: dict[object, Fixed] = {}

    def __call__(self, key: object, make: Callable[[], list[Flowable]]) -> Fixed:
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = Fixed(f"letter{len(self._made)}", make(), WIDTH)
        return found


def _intro(data: ExportData, group: list[Pair], st: Styles, g: Glyphs, fixed: _Fixed) -> list[Item]:
    parent = next((s.head_name for s, _ in group if s.head_name), "") or "学生家长"
    school = g.clean(data.school.name, "学校名称")
    kids = "、".join(f"{g.clean(s.name, '姓名')}（身份证号 {_masked(s)}，{g.clean(grade_label(s), '年级')}）"
                    for s, _ in group)
    who = "您的孩子" if len(group) == 1 else f"您家的 {len(group)} 个孩子"
    policy = g.clean(data.official.title, "政策名称")
    source = g.clean(data.official.policy_basis, "政策依据")
    head = fixed("intro", lambda: [Para(TITLE, st["title"]), Para(data.school.year_label, st["center"]),
                                   Spacer(1, 4 * mm)])
    return [
        head,
        Text(f"尊敬的{g.clean(parent, '家长姓名')}：", st["body"]),
        Text(f"您好！{who}{kids}在{school}就读。根据《{policy}》" + (f"（{source}）" if source else "")
             + f"，经学校逐项核对，{data.school.year_label}的资助结果告知如下：", st["indent"]),
        Space(2 * mm),
    ]


def _corrects(data: ExportData, group: list[Pair], st: Styles, g: Glyphs) -> list[Item]:
    """A letter whose result differs from the one the family was sent says that it replaces it (the
    family holds two letters otherwise, and cannot tell which stands)."""
    out: list[Item] = []
    for s, r in group:
        before = data.told_before.get(s.key)
        if before is None or not before[1] or before[1] == told_key(r.granted, r.pending):
            continue                # (not told, told this very result, or told before it was recorded)
        when = before[0]
        who = f"{g.clean(s.name, '姓名')}的" if len(group) > 1 else ""
        out.append(Text(f"本告知书更正 {when.year}年{when.month}月{when.day}日 发出的{who}资助结果告知书："
                        "资助结果已有变化，原告知书作废，以本告知书为准。", st["indent"]))
    return out


def _items(data: ExportData, group: list[Pair], st: Styles, g: Glyphs) -> list[Item]:
    many = len(group) > 1
    rows: list[list[str]] = [(["学生"] if many else []) + ["资助项目", "计算依据", "金额（元）"]]
    for s, r in group:
        for i, d in enumerate(r.granted):
            basis = d.reasons[-1] if d.reasons else ""
            rows.append(([s.name if i == 0 else ""] if many else []) + [d.name, basis, format_fen(d.amount_fen)])
        if many and not r.granted:
            rows.append([s.name, "（本学年暂不享受）", "", "0.00"])
        elif many and len(r.granted) > 1:
            rows.append(["", f"{s.name} 小计", "", format_fen(r.total_fen)])
    total = sum(r.total_fen for _, r in group)
    rows.append(([""] if many else []) + ["合计", "", format_fen(total)])
    widths = [22 * mm] if many else []
    widths += [44 * mm, WIDTH - 44 * mm - 30 * mm - sum(widths), 30 * mm]
    cell = st["cell"]
    out: list[Item] = [Flow(ruled_table(rows, widths, g, right=(len(widths) - 1,), total=True,
                                        labels={0: "姓名"} if many else {}, size=cell.fontSize,
                                        leading=cell.leading)),
                       Space(2 * mm)]
    for s, r in group:
        pays = family_pays(s, r, data.policy)
        if pays:
            name = f"{g.esc(s.name, '姓名')}就读的" if many else "孩子就读的"
            covered = pays[0] - pays[1]
            note = (f"{name}学校为民办学校，本学年实收学费 {format_fen(pays[0])} 元，免学费按公办学校学费标准"
                    f"补助 {format_fen(covered)} 元，其余 <u>{format_fen(pays[1])} 元仍由家庭承担</u>。")
            out.append(Flow(Para(note, st["indent"])))          # markup: a platypus paragraph
        for d in r.pending:
            who = f"{g.clean(s.name, '姓名')}的" if many else ""
            out.append(Text(f"{who}“{d.name}”所需信息尚待补充核实，核实后另行告知，暂未计入上表。", st["indent"]))
        applied = [d.name for d in r.granted if data.policy.item(d.code).needs_application]
        if applied:                  # 需申请: computed as entitled; applying is the family's step
            who = f"{g.clean(s.name, '姓名')}的" if many else "其中"
            out.append(Text(f"{who}“{'”“'.join(applied)}”需学生或家长提出申请，请及时向学校提交申请。",
                            st["indent"]))
    return out


def _nothing(data: ExportData, group: list[Pair], st: Styles, g: Glyphs, explained: Calculator) -> list[Item]:
    out: list[Item] = []
    for s, r in group:
        who = g.clean(s.name, "姓名") if len(group) > 1 else "孩子"
        out.append(Text(f"经核对，{who}本学年暂不享受本方案所列资助项目，原因是：", st["indent"]))
        out += [Text(f"· {g.clean(reason, '原因')}", st["indent"]) for reason in _why_not(data, r, explained)]
    return out


def _closing(data: ExportData, granted: bool, st: Styles, g: Glyphs) -> list[Flowable]:
    s = data.school
    contact = f"请联系学校（电话：{g.esc(s.contact_phone, '电话')}）" if s.contact_phone else "请与学校联系"
    sup = (f"也可拨打县教育资助监督电话 {g.esc(s.supervision_phone, '电话')} 反映" if s.supervision_phone
           else "也可向县教育主管部门反映")
    sign = [Para(g.esc(s.name, "学校名称"), st["right"]), Para("（盖章）", st["right"]),
            Para(date_label(data), st["right"])]
    return [
        Spacer(1, 2 * mm),
        Para(("资助资金按规定直接减免或发放，任何单位和个人不得以任何理由截留、挪用或向家庭收取费用。"
                   if granted else "") + f"如对资助结果有疑问，{contact}；{sup}。", st["indent"]),
        Spacer(1, 3 * mm),
        layout([["", SealBox(30 * mm, "盖章处"), sign]], [WIDTH - 30 * mm - 62 * mm, 34 * mm, 58 * mm],
               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")),
        Para(g.esc(policy_line(data), "政策名称"), st["small"]),
    ]


def _receipt(data: ExportData, group: list[Pair], st: Styles, g: Glyphs, fixed: _Fixed) -> list[Item]:
    lines: list[Item] = []
    for s, r in group:
        amount = f"资助合计 {format_fen(r.total_fen)} 元" if r.granted else "本学年暂不享受资助"
        lines.append(Text(f"学生 {g.clean(s.name, '姓名')}（身份证号 {_masked(s)}，"
                          f"{g.clean(grade_label(s), '年级')}），{amount}。", st["indent"]))
    head = fixed("receipt", lambda: [
        Para("回　执", st["subtitle"]),
        Spacer(1, 2 * mm),
        Para(f"{g.esc(data.school.name, '学校名称')}：", st["body"]),
        Para(f"{data.school.year_label}{TITLE}已收到，内容已知悉。", st["indent"]),
    ])
    tail = fixed("sign", lambda: [
        Spacer(1, 5 * mm),
        layout([[Para("家长签字：＿＿＿＿＿＿＿＿", st["body"]),
                 Para("日期：＿＿＿＿年＿＿月＿＿日", st["right"])]], [WIDTH / 2, WIDTH / 2],
               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)),
    ])
    return [head, *lines, tail]


def _cut_line(c: Canvas, _doc: object) -> None:
    """The dashed cut line above the receipt: drawn once (a form), placed on every page."""
    if not c.hasForm("cut-line"):
        c.beginForm("cut-line")
        c.setStrokeColor(GRID)
        c.setDash(4, 3)
        c.setLineWidth(0.7)
        label = "沿此线剪下，回执由家长签字后交回学校"
        c.setFont(FONT, 8.5)
        half = c.stringWidth(label, FONT, 8.5) / 2 + 4
        c.line(10 * mm, CUT_Y, PAGE_W / 2 - half, CUT_Y)
        c.line(PAGE_W / 2 + half, CUT_Y, PAGE_W - 10 * mm, CUT_Y)
        c.setFillColor(colors.Color(0.4, 0.4, 0.4))
        c.drawCentredString(PAGE_W / 2, CUT_Y - 3, label)
        c.endForm()
    c.doForm("cut-line")


def _styles() -> Styles:
    """The common styles, a size larger: the letter is read at home."""
    st = styles()
    for name in ("body", "indent", "right", "center"):
        st[name] = st[name].clone(name + "_l", fontSize=12, leading=20)
    for name in ("cell", "cell_r", "cell_c", "head"):
        st[name] = st[name].clone(name + "_l", fontSize=10, leading=14)
    return st


def _groups(data: ExportData, keys: list[int] | None, per_household: bool) -> tuple[list[list[Pair]], list[str]]:
    pairs = data.pairs()
    warnings: list[str] = []
    if keys is None:
        chosen = [p for p in pairs if letter_due(bool(p[1].granted), p[1].student.category)]
    else:
        wanted = set(keys)
        chosen = [p for p in pairs if p[0].key in wanted]
        missing = wanted - {s.key for s, _ in chosen}
        if missing:
            warnings.append(f"有 {len(missing)} 名所选学生不在本次导出数据中，未生成告知书")
    if not per_household:
        return [[p] for p in chosen], warnings
    groups: dict[tuple[str, ...], list[Pair]] = {}
    heads: dict[str, set[str]] = {}
    for p in chosen:
        st = p[0]
        number, head = st.household_no.strip(), st.head_name.strip()
        if holds_number(number):          # (a placeholder 户编号 — 无, /, 0 — names no household)
            heads.setdefault(number, set()).add(head)
            # (a short number such as "12" recurs from village to village)
            groups.setdefault((number, head, st.township.strip(), st.village.strip()), []).append(p)
        else:
            groups.setdefault(("#", str(p[0].key)), []).append(p)
    split = sorted(n for n, names in heads.items() if len(names) > 1)
    if split:
        warnings.append(f"有 {len(split)} 个户编号下的户主姓名不一致（如 {split[0]}），已按户主姓名分别生成告知书，"
                        "请核对这些学生的户编号和户主姓名")
    return list(groups.values()), warnings


def write_letters(path: str | Path, data: ExportData, keys: list[int] | None = None,
                  per_household: bool = False) -> list[str]:
    """Write the letters PDF to ``path`` (atomically); returns warnings.

    ``keys`` selects students (by ``StudentInfo.key``); without it every
    student with at least one granted item gets a letter."""
    require_suffix(path, (".pdf",), "告知书")
    groups, warnings = _groups(data, keys, per_household)
    if not groups:
        raise ValidationError("没有需要生成告知书的学生", "请先计算资助结果，或在学生列表中选择学生")
    st = _styles()
    rare = RareNames().students((s for group in groups for s, _ in group), parents=True)
    g = Glyphs(rare.texts)
    fixed = _Fixed()
    explained = Calculator(data.policy, explain=True)
    runs: Runs = {}

    def pages() -> Iterator[list[Flowable]]:
        """One letter a page, made as the layout reaches it (LazyStory)."""
        for n, group in enumerate(groups):
            granted = any(r.granted for _, r in group)
            body = _intro(data, group, st, g, fixed) + _corrects(data, group, st, g)
            body += _items(data, group, st, g) if granted else _nothing(data, group, st, g, explained)
            body.append(fixed(("closing", granted), partial(_closing, data, granted, st, g)))
            yield [Kept(Stack(body, runs), WIDTH, BODY_H), FrameBreak(),
                   Kept(Stack(_receipt(data, group, st, g, fixed), runs), WIDTH, RECEIPT_H),
                   *([PageBreak()] if n < len(groups) - 1 else [])]

    frames = [frame(MARGIN, BODY_Y, WIDTH, BODY_H, "letter"), frame(MARGIN, RECEIPT_Y, WIDTH, RECEIPT_H, "receipt")]
    spec = PageSpec(data.school.name, TITLE, data.draft, page_numbers=False, running_header=False)
    return warnings + rare.lines + build_pdf(path, LazyStory(pages()), spec, data, g, frames=frames,
                                             on_page=_cut_line)
