"""教育资助汇总报告: the receiver's signed summary (a station's or the bureau's).

Cover (receiver, year, packages, 报送情况, signer fingerprint), totals with the 报送情况 (应报,
已报, 缺报, 迟报: only when the receiver has a list of expected schools), per township, per school,
the budget table (项目 × 资金来源), per stage, the cross-school findings, the signature
block (制表人 / 审核人 / 负责人, seal box, key fingerprint) and the list of the packages.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from core.checks.base import SEVERITY_LABELS, Severity
from core.consolidate.checks import CROSS_RULES
from core.consolidate.summary import Figures
from core.exports.consolidated import WORKBOOK_MEMBER, Consolidation, budget_counts_note
from core.exports.output import generated_by_label
from core.exports.pdf_common import Glyphs, PageSpec, Styles, render_pdf, signature_block, styles, table
from core.idnumber import mask_id
from core.money import format_fen

TITLE = "教育资助汇总报告"
WIDTH = 174 * mm
LISTED = {Severity.ERROR.value: 300, Severity.WARNING.value: 100}    # findings printed one by one, per severity


def _cover(c: Consolidation, st: Styles, g: Glyphs) -> list[Flowable]:
    r = c.receiver
    rows: list[list[Any]] = [
        ["汇总单位", r.name + (f"（代码 {r.code}）" if r.code else "")],
        ["学年", r.year_label],
        *([["县（市、区）", c.county]] if c.county else []),
        *([["资助政策", c.policy_name]] if c.policy_name else []),
        ["汇总的提交包", f"{len(c.packages)} 所学校（各校提交包原件随附，签名可逐一核验）"],
        *([["报送情况", c.reporting.counts()]] if c.reporting is not None else []),
        ["生成时间", c.time_label],
        ["生成人", generated_by_label(c.clerk, c.generated_by)],
        ["签名公钥指纹", Paragraph(c.signer_fingerprint, st["mono"]) if c.signer_fingerprint else "未签名"],
    ]
    info = table(rows, [38 * mm, 112 * mm], st, g, header=False, labels={1: "封面信息"})
    info.hAlign = "CENTER"
    d = c.generated_at
    return [Spacer(1, 55 * mm), Paragraph(g.esc(r.name, "汇总单位"), st["subtitle"]), Spacer(1, 3 * mm),
            Paragraph(r.year_label, st["subtitle"]), Spacer(1, 10 * mm), Paragraph(TITLE, st["title"]),
            Spacer(1, 22 * mm), info, Spacer(1, 16 * mm),
            Paragraph(f"{d.year}年{d.month}月{d.day}日", st["center"]), PageBreak()]


def _money_cols(c: Consolidation) -> tuple[list[str], list[str]]:
    srcs = list(c.summary.sources)
    return srcs, [f"{c.summary.sources[s]}（元）" for s in srcs]


def _fig_cells(f: Figures, srcs: list[str]) -> list[str]:
    return [str(f.students), str(f.students_granted), format_fen(f.total),
            *(format_fen(f.by_source.get(s, 0)) for s in srcs)]


def _overview(c: Consolidation, st: Styles, g: Glyphs) -> list[Flowable]:
    t, dup = c.summary.totals, c.summary.duplicates
    srcs, _ = _money_cols(c)
    src_text = "，".join(f"{c.summary.sources[s]} {format_fen(t.by_source.get(s, 0))} 元" for s in srcs)
    r = c.reporting
    gap = (f"（应报 {r.expected} 所，缺报 {len(r.missing)} 所，汇总数据不完整，见下文“报送情况”）"
           if r is not None and r.missing else "")
    text = (f"本次汇总 {t.schools} 所学校的提交包{gap}：在册学生 {t.students} 人，受助学生 {t.students_granted} 人，"
            f"资助金额合计 {format_fen(t.total)} 元（{src_text}）。以上为各校提交包声明的合计。")
    if dup.ids:
        text += (f"其中含 {dup.ids} 名在多所学校重复受助的学生（{dup.entries} 条，"
                 f"金额 {format_fen(dup.amount_fen)} 元），须核实后由非就读学校撤销。")
    if t.pending:
        text += f"另有 {t.pending} 个资助项目因信息不全待补充，未计入上述金额。"
    # (the sources' labels are the packages' words: escaped for the paragraph's markup)
    return [Paragraph("一、总体情况", st["h1"]), Paragraph(g.esc(text, "资金来源"), st["indent"]),
            *_reporting(c, st, g)]


def _reporting(c: Consolidation, st: Styles, g: Glyphs) -> list[Flowable]:
    """报送情况: 应报 N 所、已报 M 所；缺报：…；迟报：… and the schools in a table (nothing without a list)."""
    r = c.reporting
    if r is None:
        return []
    text = g.esc(r.line(), "学校名称")
    if r.deadline:
        text += g.esc(f"报送截止日期为 {r.deadline}，此后首次接收的为迟报。")
    if r.missing:
        text += f'<font color="#B00000">{g.esc(r.consequence())}</font>'
    out: list[Flowable] = [Paragraph("报送情况", st["h2"]), Paragraph(text, st["indent"])]
    rows: list[list[Any]] = [["情况", "学校代码", "学校名称", "乡镇", "说明"]]
    rows += [[state, s.code, s.name, s.township or "—", s.note or "—"]
             for state, these in (("缺报", r.missing), ("迟报", r.late), ("名单外", r.unlisted)) for s in these]
    if len(rows) > 1:
        out.append(table(rows, [16 * mm, 28 * mm, WIDTH - 16 * mm - 28 * mm - 26 * mm - 50 * mm, 26 * mm, 50 * mm],
                         st, g, center=(0,), labels={2: "学校名称", 3: "乡镇"}))
    return out


def _tables(c: Consolidation, st: Styles, g: Glyphs) -> list[Flowable]:
    srcs, labels = _money_cols(c)
    w_src = 24 * mm
    out: list[Flowable] = [Paragraph("二、按乡镇", st["h1"])]
    rows = [["乡镇", "学校数", "在册学生", "受助学生", "金额（元）", *labels]]
    rows += [[t.township, str(t.figures.schools), *_fig_cells(t.figures, srcs)] for t in c.summary.by_township]
    rows.append(["合计", str(c.summary.totals.schools), *_fig_cells(c.summary.totals, srcs)])
    first = WIDTH - 18 * mm * 3 - 28 * mm - w_src * len(srcs)
    out.append(table(rows, [first, 18 * mm, 18 * mm, 18 * mm, 28 * mm, *[w_src] * len(srcs)], st, g,
                     right=range(1, 5 + len(srcs)), total=True, labels={0: "乡镇"}))

    out.append(Paragraph("三、按学校", st["h1"]))
    rows = [["乡镇", "学校", "在册学生", "受助学生", "金额（元）", *labels, "合计核对"]]
    rows += [[s.township, s.school_name, *_fig_cells(s.figures, srcs), "一致" if s.totals_match else "不一致"]
             for s in c.summary.by_school]
    rows.append(["合计", f"{c.summary.totals.schools} 所", *_fig_cells(c.summary.totals, srcs), ""])
    rest = 17 * mm * 2 + 24 * mm + 22 * mm * len(srcs) + 17 * mm
    out.append(table(rows, [20 * mm, WIDTH - rest - 20 * mm, 17 * mm, 17 * mm, 24 * mm, *[22 * mm] * len(srcs),
                            17 * mm], st, g, right=range(2, 5 + len(srcs)), center=(5 + len(srcs),),
                     total=True, labels={0: "乡镇", 1: "学校名称"}))

    out.append(Paragraph("四、资助资金预算表（项目 × 资金来源）", st["h1"]))
    head = ["资助项目", "人数", "金额（元）"]
    for s in srcs:
        head += [f"{c.summary.sources[s]}人数", f"{c.summary.sources[s]}金额（元）"]
    rows = [head]
    for r in c.summary.budget:
        cells = [r.name, str(r.total.students), format_fen(r.total.amount_fen)]
        for s in srcs:
            cell = r.by_source.get(s)
            cells += [str(cell.students if cell else 0), format_fen(cell.amount_fen if cell else 0)]
        rows.append(cells)
    per = 17 * mm + 23 * mm
    out.append(table(rows, [WIDTH - 14 * mm - 26 * mm - per * len(srcs), 14 * mm, 26 * mm,
                            *[17 * mm, 23 * mm] * len(srcs)], st, g, right=range(1, 3 + 2 * len(srcs)),
                     total=True))
    note = g.esc(budget_counts_note(c.summary.sources, "人数"), "资金来源")    # the labels are the packages' words
    out.append(Paragraph(f"注：{note}。预算表和按学段的金额由各校学生明细相加。", st["small"]))

    out.append(Paragraph("五、按学段", st["h1"]))
    rows = [["学段", "在册学生", "受助学生", "金额（元）", *labels]]
    stages = c.summary.by_stage
    rows += [[s.stage, str(s.students), str(s.students_granted), format_fen(s.amount_fen),
              *(format_fen(s.by_source.get(x, 0)) for x in srcs)] for s in stages]
    rows.append(["合计", str(sum(s.students for s in stages)), str(sum(s.students_granted for s in stages)),
                 format_fen(sum(s.amount_fen for s in stages)),
                 *(format_fen(sum(s.by_source.get(x, 0) for s in stages)) for x in srcs)])
    out.append(table(rows, [WIDTH - 22 * mm * 2 - 28 * mm - w_src * len(srcs), 22 * mm, 22 * mm, 28 * mm,
                            *[w_src] * len(srcs)], st, g, right=range(1, 4 + len(srcs)), total=True))
    return out


def _findings(c: Consolidation, st: Styles, g: Glyphs) -> list[Flowable]:
    fs = c.findings
    out: list[Flowable] = [Paragraph("六、跨校核查问题", st["h1"])]
    counts = {r.code: sum(f.code == r.code for f in fs) for r in CROSS_RULES}
    if not fs:
        return [*out, Paragraph("跨校核查未发现问题。", st["indent"])]
    rows = [["检查项目", "级别", "条数"]]
    rows += [[r.title, SEVERITY_LABELS[r.severity], str(counts[r.code])] for r in CROSS_RULES]
    out.append(table(rows, [100 * mm, 20 * mm, 20 * mm], st, g, center=(1,), right=(2,)))
    for severity, limit in LISTED.items():
        these = [f for f in fs if f.severity == severity]
        if not these:
            continue
        out.append(Paragraph(f"{SEVERITY_LABELS[severity]}（{len(these)} 条）", st["h2"]))
        rows = [["序号", "检查项目", "学校", "姓名", "身份证号", "问题说明"]]
        rows += [[str(i), f.title, f.school_name or "—", f.name or "—",
                  mask_id(f.id_number) if f.id_number else "—", f.message]
                 for i, f in enumerate(these[:limit], 1)]
        out.append(table(rows, [11 * mm, 26 * mm, 24 * mm, 15 * mm, 37 * mm, 61 * mm], st, g, center=(0,),
                         labels={2: "学校名称", 3: "姓名", 5: "问题说明"}))
        if len(these) > limit:
            out.append(Paragraph(f"另有 {len(these) - limit} 条未列出，见汇总表 {WORKBOOK_MEMBER}“跨校核查问题”。",
                                 st["small"]))
    return out


def _signatures(c: Consolidation, st: Styles) -> list[Flowable]:
    block = signature_block(st, ("制表人", "审核人", "负责人"), "单位盖章")
    fp = c.signer_fingerprint
    return [KeepTogether([
        Paragraph("七、审核签字", st["h1"]),
        Paragraph("以上数据由本单位根据各校签名的提交包汇总，各校提交包原件随附，跨校核查问题已如实列出。",
                  st["indent"]),
        Spacer(1, 2 * mm), block, Spacer(1, 5 * mm),
        Paragraph("数据签名公钥指纹：" + (f'<font name="ZizhuHeiMono">{fp}</font>' if fp else "未签名"), st["body"]),
        Paragraph("随报告报送的电子数据（汇总包）的签名公钥指纹应与此处一致。", st["small"]),
    ])]


def _packages(c: Consolidation, st: Styles, g: Glyphs) -> list[Flowable]:
    rows = [["序号", "学校", "学校代码", "接收时间", "金额（元）", "SHA-256（前16位）"]]
    rows += [[str(i), p.school_name, p.school_code, p.received_at[:16].replace("T", " "), format_fen(p.total_fen),
              p.sha256[:16]] for i, p in enumerate(c.packages, 1)]
    return [Paragraph("附：汇总的提交包", st["h1"]),
            table(rows, [11 * mm, 47 * mm, 26 * mm, 30 * mm, 26 * mm, 34 * mm], st, g, center=(0,),
                  right=(4,), labels={1: "学校名称"})]


def write_consolidated_report(path: str | Path, c: Consolidation) -> list[str]:
    """Write the report PDF to ``path`` (atomically); returns glyph warnings."""
    st = styles(mono=True)
    g = Glyphs()
    story = (_cover(c, st, g) + _overview(c, st, g) + _tables(c, st, g) + _findings(c, st, g) + _signatures(c, st)
             + _packages(c, st, g))
    spec = PageSpec(c.receiver.name, TITLE, False, c.time_label)
    return render_pdf(path, story, spec, g, subject=f"{c.receiver.year_label} {TITLE}",
                      creator=f"Zizhu {c.program_version}")
