"""教育资助核准情况报告: the signed summary the school sends with the workbook.

Cover (school, year, policy and its hash, signer fingerprint, 草稿), totals
per item, per funding source and per stage, open and accepted findings, and
the signature block (制表人 / 审核人 / 校长, seal box, key fingerprint).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from core.checks.base import SEVERITY_LABELS, FindingState
from core.exports.data import ExportData
from core.exports.output import (
    DRAFT_NOTE,
    date_label,
    generated_by_label,
    item_sums,
    source_label,
    sources,
    stage_sums,
    status_label,
    time_label,
)
from core.exports.pdf_canvas import ruled_table
from core.exports.pdf_common import (
    DRAFT_RED,
    Glyphs,
    PageSpec,
    Styles,
    build_pdf,
    layout,
    signature_block,
    styles,
    table,
)
from core.exports.rare_names import RareNames, where
from core.idnumber import mask_id
from core.money import format_fen

TITLE = "教育资助核准情况报告"
WIDTH = 174 * mm


def _group(text: str, n: int = 4) -> str:
    """A hash in groups of ``n`` for reading aloud (a fingerprint comes grouped already:
    it is printed exactly as core.signing.fingerprint wrote it)."""
    return " ".join(text[i:i + n] for i in range(0, len(text), n))


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    pct = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{pct}%"


def _percents(parts: list[int], whole: int) -> list[str]:
    """Each part's share of ``whole`` in tenths of a percent, adding up to 100.0% (the tenths left
    by rounding down go to the largest remainders): rounded one by one, 10,010.00 and 9,990.00
    printed 50.1% + 50.0% above a 合计 of 100.0% (money review, session 17)."""
    if not whole or sum(parts) != whole or min(parts, default=0) < 0:
        return [_percent(p, whole) for p in parts]
    tenths = [divmod(p * 1000, whole) for p in parts]
    left = 1000 - sum(t for t, _ in tenths)
    up = set(sorted(range(len(parts)), key=lambda i: -tenths[i][1])[:left])
    return [f"{Decimal(t + (i in up)) / 10:.1f}%" for i, (t, _) in enumerate(tenths)]


def _roster_text(data: ExportData) -> str:
    if not data.roster_imported_at:
        return f"{data.roster_size} 人（未导入）" if not data.roster_size else f"{data.roster_size} 人"
    return f"{data.roster_size} 人（{data.roster_imported_at[:10]} 导入）"


def _audit_text(data: ExportData) -> str:
    """Whether the audit log's hash chain is intact, and how many entries it holds."""
    a = data.audit
    assert a is not None
    if a.intact:
        return f"完整（共 {a.entries} 条记录，哈希链未断；末条哈希 {a.head[:16]}）"
    return a.message or f"已被改动（共 {a.entries} 条记录）"


def _cover(data: ExportData, st: Styles, g: Glyphs) -> list[Flowable]:
    s = data.school
    out: list[Flowable] = [Spacer(1, 22 * mm)]
    if data.draft:
        st_red = st["title"].clone("title_red", textColor=DRAFT_RED)
        stamp = layout([[Paragraph("草　稿", st_red)]], [60 * mm], ("BOX", (0, 0), (-1, -1), 2, DRAFT_RED),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), heights=[22 * mm])
        out += [stamp, Spacer(1, 3 * mm), Paragraph(DRAFT_NOTE, st["draft"]), Spacer(1, 8 * mm)]
    else:
        out.append(Spacer(1, 33 * mm))
    out += [
        Paragraph(g.esc(s.name, "学校名称"), st["subtitle"]),
        Spacer(1, 3 * mm),
        Paragraph(s.year_label, st["subtitle"]),
        Spacer(1, 10 * mm),
        Paragraph(TITLE, st["title"]),
        Spacer(1, 22 * mm),
    ]
    sha = data.policy.sha256
    rows = [
        ["学校", s.name + (f"（代码 {s.code}）" if s.code else "")],
        ["学年", s.year_label],
        ["资助政策", data.official.title],
        *([["政策依据", data.official.policy_basis]] if data.official.policy_basis else []),
        *([["政策版本", data.policy_version]] if data.policy_version else []),
        ["政策文件SHA-256", Paragraph(f"{_group(sha[:32])}<br/>{_group(sha[32:])}", st["mono"])],
        ["生成时间", time_label(data)],
        ["生成人", generated_by_label(data.official.clerk, data.generated_by)],
        ["签名公钥指纹", Paragraph(data.signer_fingerprint, st["mono"])
         if data.signer_fingerprint else "未签名"],
        ["状态", status_label(data)],
        ["建档立卡名单", _roster_text(data)],
    ]
    if data.audit is not None:
        rows.append(["审计日志", _audit_text(data)])
    info = table(rows, [38 * mm, 112 * mm], st, g, header=False, labels={1: "封面信息"})
    info.hAlign = "CENTER"
    out += [info, Spacer(1, 16 * mm), Paragraph(date_label(data), st["center"]), PageBreak()]
    return out


def _totals(data: ExportData, st: Styles, g: Glyphs) -> list[Flowable]:
    t = data.totals
    srcs = sources(data)
    src_text = "，".join(f"{source_label(x)} {format_fen(t.by_source.get(x, 0))} 元" for x in srcs)
    out: list[Flowable] = [
        Paragraph("一、总体情况", st["h1"]),
        Paragraph(f"本学年在册学生 {len(data.students)} 人，经核准享受资助 {t.students_granted} 人，"
                  f"资助金额合计 {format_fen(t.total)} 元（{src_text}）。"
                  + (f"另有 {t.pending} 个资助项目因信息不全待补充，未计入上述金额。" if t.pending else ""),
                  st["indent"]),
        Paragraph("二、按资助项目", st["h1"]),
    ]
    w_src = 27 * mm
    rows = [["资助项目", "受助人数", "金额（元）", *(f"{source_label(x)}（元）" for x in srcs)]]
    for s in item_sums(data):
        rows.append([s.name, str(s.students), format_fen(s.amount_fen),
                     *(format_fen(s.shares.get(x, 0)) for x in srcs)])
    rows.append(["合计", f"{t.students_granted}人", format_fen(t.total),
                 *(format_fen(t.by_source.get(x, 0)) for x in srcs)])
    first = WIDTH - 20 * mm - 30 * mm - w_src * len(srcs)
    out.append(ruled_table(rows, [first, 20 * mm, 30 * mm, *[w_src] * len(srcs)], g,
                     right=range(1, 3 + len(srcs)), total=True))
    out.append(Paragraph("注：合计行的受助人数为受助学生人数，一名学生可享受多个项目。", st["small"]))

    out.append(Paragraph("三、按资金来源", st["h1"]))
    rows = [["资金来源", "金额（元）", "占比"]]
    amounts = [t.by_source.get(x, 0) for x in srcs]
    rows += [[source_label(x), format_fen(fen), pct] for x, fen, pct in zip(srcs, amounts, _percents(amounts, t.total),
                                                                           strict=True)]
    rows.append(["合计", format_fen(t.total), _percent(t.total, t.total)])
    out.append(ruled_table(rows, [60 * mm, 50 * mm, 30 * mm], g, right=(1, 2), total=True))

    out.append(Paragraph("四、按学段", st["h1"]))
    rows = [["学段", "在册学生（人）", "受助学生（人）", "资助金额（元）"]]
    rows += [[s.stage, str(s.students), str(s.subsidised), format_fen(s.amount_fen)] for s in stage_sums(data)]
    rows.append(["合计", str(len(data.students)), str(t.students_granted), format_fen(t.total)])
    out.append(ruled_table(rows, [50 * mm, 35 * mm, 35 * mm, 40 * mm], g, right=(1, 2, 3), total=True))
    return out


def _findings(data: ExportData, st: Styles, g: Glyphs) -> list[Flowable]:
    fs = data.findings
    opened = [f for f in fs if f.state == FindingState.OPEN]
    accepted = [f for f in fs if f.state == FindingState.ACCEPTED]
    fixed = sum(f.state == FindingState.FIXED for f in fs)
    off_list = sum(f.state == FindingState.FIXED and f.removed for f in fs)
    of_which = f"（其中 {off_list} 条因学生移出名单而不再存在）" if off_list else ""
    out: list[Flowable] = [
        Paragraph("五、核查情况", st["h1"]),
        Paragraph(f"本次核查共发现问题 {len(fs)} 条：已改正 {fixed} 条{of_which}，经核实确认无误（附理由）"
                  f"{len(accepted)} 条，尚未处理 {len(opened)} 条。", st["indent"]),
    ]
    out.append(Paragraph(f"（一）尚未处理的问题（{len(opened)} 条）", st["h2"]))
    if opened:
        rows = [["序号", "级别", "检查项目", "姓名", "身份证号", "问题说明"]]
        rows += [[str(i), SEVERITY_LABELS.get(f.severity, f.severity), f.title, f.name,
                  mask_id(f.id_number) if f.id_number else "—", f.message] for i, f in enumerate(opened, 1)]
        out.append(ruled_table(rows, [11 * mm, 11 * mm, 30 * mm, 17 * mm, 37 * mm, 68 * mm], g,
                         center=(0, 1), labels={3: "姓名", 5: "问题说明"}))
    else:
        out.append(Paragraph("无。", st["indent"]))
    out.append(Paragraph(f"（二）经核实确认无误的问题（{len(accepted)} 条）", st["h2"]))
    if accepted:
        rows = [["序号", "检查项目", "姓名", "问题说明", "确认理由"]]
        rows += [[str(i), f.title, f.name, f.message, f.reason or "—"] for i, f in enumerate(accepted, 1)]
        out.append(ruled_table(rows, [11 * mm, 30 * mm, 17 * mm, 60 * mm, 56 * mm], g, center=(0,),
                         labels={2: "姓名", 3: "问题说明", 4: "确认理由"}))
    else:
        out.append(Paragraph("无。", st["indent"]))
    return out


def _signatures(data: ExportData, st: Styles, g: Glyphs) -> list[Flowable]:
    block = signature_block(st, ("制表人", "审核人", "校　长"), "学校盖章")
    fp = data.signer_fingerprint
    return [KeepTogether([
        Paragraph("六、审核签字", st["h1"]),
        Paragraph("以上资助数据和核查情况经本校逐项核对，真实、准确、完整。", st["indent"]),
        Spacer(1, 2 * mm),
        block,
        Spacer(1, 5 * mm),
        Paragraph("数据签名公钥指纹：" + (f'<font name="ZizhuHeiMono">{fp}</font>' if fp else "未签名"),
                  st["body"]),
        Paragraph("随报告报送的电子数据的签名公钥指纹应与此处一致；"
                  f"所依据的政策{f'（{data.policy_version}）' if data.policy_version else ''}文件 SHA-256 以 "
                  f"{data.policy.sha256[:16]} 开头（全文见封面）。", st["small"]),
    ])]


def write_report(path: str | Path, data: ExportData) -> list[str]:
    """Write the report PDF to ``path`` (atomically); returns glyph warnings."""
    st = styles(mono=True)
    rare = RareNames()
    for f in data.findings:
        if f.state in (FindingState.OPEN, FindingState.ACCEPTED):      # the ones listed by name
            rare.check(f.name, where(f.id_number, f.grade), who="建档立卡人员" if f.roster_person else "学生")
    g = Glyphs(rare.texts)
    story = _cover(data, st, g) + _totals(data, st, g) + _findings(data, st, g) + _signatures(data, st, g)
    spec = PageSpec(data.school.name, TITLE, data.draft)
    return rare.lines + build_pdf(path, story, spec, data, g)
