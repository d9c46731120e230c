"""公示名单: the public notice list of subsidised students (PDF; its Excel twin is in notice_xlsx).

Only name, school, grade, items and amounts are shown: never an ID number,
telephone, bank card or address of a student. The header states the notice
period and how to object; the county supervision phone is public.
"""
from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from core.engine import StudentResult
from core.exports.data import ExportData, StudentInfo
from core.exports.output import date_label, grade_label
from core.exports.pdf_canvas import ruled_table
from core.exports.pdf_common import Glyphs, PageSpec, build_pdf, styles
from core.money import format_fen

TITLE = "学生资助公示名单"
PERIOD = "公示期不少于5个工作日"


def _subsidised(data: ExportData) -> list[tuple[StudentInfo, StudentResult]]:
    """The students with a granted item (a pair made only for those: a county lists one in seven)."""
    return [(s, r) for s, r in zip(data.students, data.results, strict=True) if r.granted]


def _lines(data: ExportData, rows: list[tuple[StudentInfo, StudentResult]]) -> tuple[str, str, str]:
    """(title, notice text, objection line) — plain text, shared by PDF and Excel."""
    s = data.school
    title = f"{s.name}{s.year_label}{TITLE}"
    total = sum(r.total_fen for _, r in rows)
    basis = f"（{data.official.policy_basis}）" if data.official.policy_basis else ""
    text = (f"根据《{data.official.title}》{basis}，经学校逐项核对，现将本校{s.year_label}拟享受资助的学生名单予以公示"
            f"（共 {len(rows)} 人，资助金额合计 {format_fen(total)} 元）。{PERIOD}，自 {date_label(data)} 起。")
    contacts = []
    if s.contact_phone:
        contacts.append(f"向学校反映（电话：{s.contact_phone}）")
    if s.supervision_phone:
        contacts.append(f"拨打县教育资助监督电话 {s.supervision_phone}")
    objection = "公示期内如有异议，请" + ("，或".join(contacts) if contacts else "向学校或县教育主管部门反映") + "。"
    return title, text, objection


def _row(n: int, s: StudentInfo, r: StudentResult, school: str) -> list[str]:
    """A student's line of the list (the granted items computed once)."""
    granted = r.granted
    return [str(n), s.name, school, grade_label(s), "；".join(f"{d.name} {format_fen(d.amount_fen)}" for d in granted),
            format_fen(sum(d.amount_fen for d in granted))]


def write_notice_pdf(path: str | Path, data: ExportData) -> list[str]:
    """Write the notice list PDF to ``path`` (atomically); returns glyph warnings."""
    st = styles()
    g = Glyphs()
    subsidised = _subsidised(data)
    title, text, objection = _lines(data, subsidised)
    story: list[Flowable] = [
        Paragraph(g.esc(title, "标题"), st["subtitle"]),
        Spacer(1, 4 * mm),
        Paragraph(g.esc(text, "公示说明"), st["indent"]),
        Paragraph(g.esc(objection, "公示说明"), st["indent"]),
        Spacer(1, 3 * mm),
    ]
    rows = [["序号", "姓名", "学校", "年级", "资助项目及金额（元）", "合计（元）"]]
    rows += [_row(n, s, r, data.school.name) for n, (s, r) in enumerate(subsidised, start=1)]
    rows.append(["合计", f"{len(subsidised)}人", "", "", "", format_fen(sum(r.total_fen for _, r in subsidised))])
    story.append(ruled_table(rows, [11 * mm, 19 * mm, 30 * mm, 26 * mm, 66 * mm, 22 * mm], g,
                             center=(0,), right=(5,), total=True, labels={1: "姓名", 2: "学校名称"}))
    story += [Spacer(1, 10 * mm), Paragraph(g.esc(data.school.name, "学校名称"), st["right"]),
              Paragraph(date_label(data), st["right"])]
    spec = PageSpec(data.school.name, TITLE, data.draft)
    return build_pdf(path, story, spec, data, g)
