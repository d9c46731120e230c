"""专项核查 documents: the sample's field checklists and the 核查报告.

The checklists: a cover (who drew the sample, when, the seed and where it came from, the method, the
places per school, the list of sampled students) and one printable page per
student (the school, masked ID, name, stage and grade, township and village,
the items and amounts as sampled, and the five points to confirm, each with
属实 / 不属实 boxes and a note line, and the signature lines of the checker and the
family). The report: per school the students checked and the 属实 / 不属实 counts
per point, the notes of every 不属实 one, and the signature lines.
ID numbers are masked on paper. A 暗访 sample says so on every page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, KeepTogether, PageBreak, Paragraph, Spacer

from core.exports.data import SchoolInfo
from core.exports.pdf_common import (
    MARGIN,
    PAGE_H,
    PAGE_W,
    Glyphs,
    PageSpec,
    Styles,
    layout,
    render_pdf,
    signature_block,
    styles,
    table,
)
from core.idnumber import mask_id
from core.money import format_fen
from core.spotcheck import (
    LARGE,
    METHOD_TEXT,
    POINTS,
    POINTS_BY_CODE,
    SampledStudent,
    StoredSample,
    summarise,
    totals_of,
)
from core.version import program_version

WIDTH = PAGE_W - 2 * MARGIN
BODY_H = PAGE_H - 17 * mm - 16 * mm
UNANNOUNCED_NOTE = "暗访样本：仅供核查组使用，不得事先通知学校，核查完成前不得随任何材料发给学校"
BOX = "□"


@dataclass(frozen=True)
class ReceiverDocument:
    """Who makes a spot-check document, and when."""

    school: SchoolInfo                 # the receiver (station, bureau, central school)
    generated_at: datetime = field(default_factory=datetime.now)
    generated_by: str = ""
    demo: bool = False
    program_version: str = field(default_factory=program_version)


def _render(path: str | Path, story: list[Flowable], doc: ReceiverDocument, title: str, g: Glyphs) -> list[str]:
    spec = PageSpec(doc.school.name, title, False, _when(doc.generated_at), demo=doc.demo)
    return render_pdf(path, story, spec, g, subject=f"{doc.school.year_label} {title}",
                      creator=f"Zizhu {doc.program_version}")


def checklist_title(stored: StoredSample) -> str:
    return "暗访抽查名单与核查表" if stored.sample.unannounced else "专项核查抽查名单与现场核查表"


def report_title(stored: StoredSample) -> str:
    return "暗访核查报告" if stored.sample.unannounced else "专项核查报告"


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _grade(st: SampledStudent) -> str:
    grade = st.grade if st.grade.startswith(st.stage) else st.stage + st.grade
    return (grade + st.class_name) or "（未填）"


def _identity(doc: ReceiverDocument, stored: StoredSample, st: Styles, g: Glyphs) -> list[Flowable]:
    s = stored.sample
    source = f"（{stored.seed_source}）" if stored.seed_source else ""     # 程序生成 / 经办人输入
    return [
        Paragraph(f"{g.esc(doc.school.name, '单位名称')}　{doc.school.year_label}", st["center"]),
        Spacer(1, 2 * mm),
        Paragraph(f"抽查编号：<b>{stored.id}</b>；随机种子：<b>{s.seed}</b>{source}；"
                  f"抽取时间：{_when(stored.created_at)}；抽取人：{g.esc(stored.created_by, '抽取人')}。",
                  st["body"]),
    ]


def _cover(doc: ReceiverDocument, stored: StoredSample, st: Styles, g: Glyphs) -> list[Flowable]:
    s = stored.sample
    out: list[Flowable] = [Paragraph(checklist_title(stored), st["title"]), Spacer(1, 2 * mm)]
    out += _identity(doc, stored, st, g)
    if s.unannounced:
        out.append(Paragraph(UNANNOUNCED_NOTE, st["draft"]))
    drawn = [d for d in s.schools if d.drawn]
    out += [
        Paragraph(f"从已接收上报包的 {len(s.schools)} 所学校、{s.population} 名受助学生中，按要求（{s.requested}）"
                  f"抽取 {len(s.students)} 名，涉及 {len(drawn)} 所学校。", st["body"]),
        Paragraph("抽样方法", st["h2"]),
        Paragraph(METHOD_TEXT, st["small"]),
        Paragraph("各校抽取人数", st["h1"]),
    ]
    rows: list[list[str]] = [["学校代码", "学校", "受助人数", "大额层人数", "大额层起点（元）", "抽取人数"]]
    rows += [[d.school_code, d.school_name, str(d.subsidised), str(d.large), format_fen(d.threshold_fen),
              str(d.drawn)] for d in s.schools]
    rows.append(["", "合计", str(s.population), str(sum(d.large for d in s.schools)), "",
                 str(len(s.students))])
    out.append(table(rows, [24 * mm, WIDTH - 124 * mm, 22 * mm, 24 * mm, 30 * mm, 24 * mm], st, g,
                     right=(2, 3, 4, 5), labels={1: "学校名称"}, total=True))
    out.append(Paragraph("抽查名单", st["h1"]))
    rows = [["编号", "学校", "姓名", "身份证号", "学段年级", "资助合计（元）", "层"]]
    rows += [[str(x.seq), x.school_name, x.name, mask_id(x.id_number), _grade(x), format_fen(x.total_fen),
              x.stratum] for x in s.students]
    out.append(table(rows, [12 * mm, WIDTH - 136 * mm, 22 * mm, 36 * mm, 30 * mm, 24 * mm, 12 * mm], st, g,
                     right=(5,), center=(0, 6), labels={1: "学校名称", 2: "姓名", 4: "年级"}))
    return out


def _checklist(doc: ReceiverDocument, stored: StoredSample, x: SampledStudent, st: Styles,
               g: Glyphs) -> list[Flowable]:
    s = stored.sample
    title = "暗访核查表" if s.unannounced else "专项核查现场核查表"
    out: list[Flowable] = [
        Paragraph(title, st["subtitle"]),
        Paragraph(f"核查表编号：第 {x.seq} 号（共 {len(s.students)} 份）；抽查编号：{stored.id}；随机种子：{s.seed}",
                  st["center"]),
    ]
    if s.unannounced:
        out.append(Paragraph(UNANNOUNCED_NOTE, st["draft"]))
    place = "".join(p for p in (x.township, x.village) if p) or "（未填）"
    info = [
        ["学校", f"{x.school_name}（代码 {x.school_code}）", "学段年级", _grade(x)],
        ["姓名", x.name, "性别", x.gender or "（未填）"],
        ["身份证号", mask_id(x.id_number), "家庭类别", x.category_label or "（未填）"],
        ["乡镇、村", place, "抽样层", "大额层" if x.stratum == LARGE else "一般层"],
    ]
    out += [Spacer(1, 3 * mm),
            table(info, [22 * mm, WIDTH / 2 - 22 * mm, 22 * mm, WIDTH / 2 - 22 * mm], st, g, header=False,
                  labels={1: "学校/姓名", 3: "年级/类别"}),
            Spacer(1, 3 * mm)]
    rows = [["资助项目", "上报金额（元）", "核实金额（元）"]]
    rows += [[gr.name, format_fen(gr.amount_fen), ""] for gr in x.grants]
    rows.append(["合计", format_fen(x.total_fen), ""])
    out += [table(rows, [WIDTH - 76 * mm, 38 * mm, 38 * mm], st, g, right=(1,), total=True,
                  labels={0: "项目名称"}), Spacer(1, 3 * mm)]
    box = st["center"].clone("box", fontSize=16, leading=18)
    checks: list[list[object]] = [["核查项", "核查内容", "属实", "不属实", "情况说明"]]
    checks += [[p.label, p.what, Paragraph(BOX, box), Paragraph(BOX, box), Spacer(1, 15 * mm)] for p in POINTS]
    out += [table(checks, [24 * mm, 66 * mm, 13 * mm, 15 * mm, WIDTH - 118 * mm], st, g, labels={1: "核查内容"}),
            Spacer(1, 6 * mm)]
    lines = [["核查人（签字）：＿＿＿＿＿＿＿＿＿＿", "核查日期：＿＿＿＿年＿＿月＿＿日"],
             ["学生家长或监护人（签字）：＿＿＿＿＿＿＿＿", "联系电话：＿＿＿＿＿＿＿＿＿＿"]]
    if not s.unannounced:
        lines.append(["学校经办人（签字）：＿＿＿＿＿＿＿＿＿＿", ""])
    out.append(layout([[Paragraph(a, st["body"]), Paragraph(b, st["body"])] for a, b in lines],
                      [WIDTH * 0.55, WIDTH * 0.45], ("LEFTPADDING", (0, 0), (-1, -1), 0),
                      ("BOTTOMPADDING", (0, 0), (-1, -1), 8)))
    out.append(Paragraph(f"金额为抽样时该校已接收上报包中的数据（上报包 SHA-256 {x.package_sha256[:16]}…）；"
                         "身份证号只显示前 6 位和后 4 位，现场请与本人证件核对。每个核查项勾选“属实”或“不属实”，"
                         "不属实的请在“情况说明”中写明发现的情况。", st["small"]))
    return out


def write_checklists(path: str | Path, doc: ReceiverDocument, stored: StoredSample) -> list[str]:
    """The cover and one checklist page per sampled student; returns the glyph warnings."""
    st = styles()
    g = Glyphs()
    story: list[Flowable] = _cover(doc, stored, st, g)
    for x in stored.sample.students:
        story += [PageBreak(), KeepInFrame(WIDTH, BODY_H, _checklist(doc, stored, x, st, g), mode="shrink")]
    return _render(path, story, doc, checklist_title(stored) + f"（抽查编号 {stored.id}）", g)


def _count(n: int, m: int) -> str:
    return f"{n} / {m}" if n or m else "—"


def write_report(path: str | Path, doc: ReceiverDocument, stored: StoredSample) -> list[str]:
    """The 核查报告: figures per school and in total, the 不属实 notes, signature lines."""
    st = styles()
    g = Glyphs()
    s = stored.sample
    schools = summarise(stored.checked())
    total = totals_of(schools)
    story: list[Flowable] = [Paragraph(report_title(stored), st["title"]), Spacer(1, 2 * mm)]
    story += _identity(doc, stored, st, g)
    if s.unannounced:
        story.append(Paragraph("本次为暗访核查。", st["body"]))
    story += [
        Paragraph(f"从 {s.population} 名受助学生中按要求（{s.requested}）抽取 {total.sampled} 名，"
                  f"涉及 {len(schools)} 所学校；已完成全部核查项的 {total.checked} 名"
                  + (f"，尚未完成 {total.sampled - total.checked} 名" if total.sampled > total.checked else "")
                  + f"。共发现不属实 {len(total.false_notes)} 项。", st["indent"]),
        Paragraph("一、各校核查情况（属实 / 不属实）", st["h1"]),
    ]
    rows = [["学校", "抽查", "已核查", *(p.label for p in POINTS)]]
    for r in [*schools, total]:
        rows.append([r.school_name, str(r.sampled), str(r.checked),
                     *(_count(r.points[p.code].truthful, r.points[p.code].false) for p in POINTS)])
    point_w = 20 * mm
    story.append(table(rows, [WIDTH - 28 * mm - 5 * point_w, 14 * mm, 14 * mm, *[point_w] * 5], st, g,
                       center=tuple(range(1, 8)), labels={0: "学校名称"}, total=True))
    story.append(Paragraph("二、不属实情况", st["h1"]))
    if total.false_notes:
        rows = [["学校", "编号", "姓名", "身份证号", "核查项", "情况说明"]]
        by_seq = {x.seq: x for x in s.students}
        rows += [[by_seq[n.seq].school_name, str(n.seq), n.name, mask_id(n.id_number),
                  POINTS_BY_CODE[n.point].label, n.note] for n in total.false_notes]
        story.append(table(rows, [34 * mm, 12 * mm, 18 * mm, 36 * mm, 22 * mm, WIDTH - 122 * mm], st, g,
                           center=(1,), labels={0: "学校名称", 2: "姓名", 5: "情况说明"}))
    else:
        story.append(Paragraph("已核查的各项均属实，没有发现不属实情况。", st["body"]))
    story += [KeepTogether([
        Paragraph("三、核查结论与签字", st["h1"]),
        Paragraph("核查结论：＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿", st["body"]),
        Spacer(1, 4 * mm),
        signature_block(st, ("核查组成员", "核查组成员", "负责人"), "单位盖章"),
        Paragraph(f"{g.esc(doc.school.name, '单位名称')}（盖章）", st["body"]),
    ])]
    return _render(path, story, doc, report_title(stored) + f"（抽查编号 {stored.id}）", g)
