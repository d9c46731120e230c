"""公示名单: the public notice list of subsidised students (PDF; its Excel twin is in notice_xlsx).

Only name, school, grade, items and amounts are shown: never an ID number,
telephone, bank card or address of a student. The header states the notice
period and how to object; the county supervision phone is public.
"""
from __future__ import annotations

from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from core.bulk import gc_paused
from core.engine import StudentResult
from core.exports.data import ExportData, StudentInfo
from core.exports.notice_text import TITLE, notice_lines, subsidised
from core.exports.output import date_label, grade_label, policy_line
from core.exports.pdf_canvas import ruled_table
from core.exports.pdf_common import Glyphs, PageSpec, build_pdf, styles
from core.exports.rare_names import RareNames
from core.money import format_fen


def _row(n: int, s: StudentInfo, r: StudentResult, school: str) -> list[str]:
    """A student's line of the list (the granted items computed once)."""
    granted = r.granted
    return [str(n), s.name, school, grade_label(s), "；".join(f"{d.name} {format_fen(d.amount_fen)}" for d in granted),
            format_fen(sum(d.amount_fen for d in granted))]


@gc_paused()     # a full collection walks every student of ``data``: 0.3-1 s at county size
def write_notice_pdf(path: str | Path, data: ExportData) -> list[str]:
    """Write the notice list PDF to ``path`` (atomically); returns glyph warnings."""
    st = styles()
    listed = subsidised(data)
    rare = RareNames().students(s for s, _ in listed)
    g = Glyphs(rare.texts)
    title, text, objection = notice_lines(data, listed)
    story: list[Flowable] = [
        Paragraph(g.esc(title, "标题"), st["subtitle"]),
        Spacer(1, 4 * mm),
        Paragraph(g.esc(text, "公示说明"), st["indent"]),
        Paragraph(g.esc(objection, "公示说明"), st["indent"]),
        Paragraph(g.esc(policy_line(data), "政策名称"), st["small"]),
        Spacer(1, 3 * mm),
    ]
    rows = [["序号", "姓名", "学校", "年级", "资助项目及金额（元）", "合计（元）"]]
    rows += [_row(n, s, r, data.school.name) for n, (s, r) in enumerate(listed, start=1)]
    rows.append(["合计", f"{len(listed)}人", "", "", "", format_fen(sum(r.total_fen for _, r in listed))])
    sign = [Spacer(1, 10 * mm), Paragraph(g.esc(data.school.name, "学校名称"), st["right"]),
            Paragraph(date_label(data), st["right"])]       # on the page of the list's last rows
    story.append(ruled_table(rows, [11 * mm, 19 * mm, 30 * mm, 26 * mm, 66 * mm, 22 * mm], g,
                             center=(0,), right=(5,), total=True, labels={1: "姓名", 2: "学校名称"}, after=sign))
    spec = PageSpec(data.school.name, TITLE, data.draft)
    return rare.lines + build_pdf(path, story, spec, data, g)
