"""公示名单's words and list, shared by its PDF (core.exports.notice) and its workbook
(core.exports.notice_xlsx). No drawing library here: a command writing one of the two files
imports only that file's library (reportlab or openpyxl, about 0.13 s each)."""
from __future__ import annotations

from core.engine import StudentResult
from core.exports.data import ExportData, StudentInfo
from core.exports.output import date_label
from core.money import format_fen

TITLE = "学生资助公示名单"
PERIOD = "公示期不少于5个工作日"


def subsidised(data: ExportData) -> list[tuple[StudentInfo, StudentResult]]:
    """The students with a granted item (a pair made only for those: a county lists one in seven)."""
    return [(s, r) for s, r in zip(data.students, data.results, strict=True) if r.granted]


def notice_lines(data: ExportData, rows: list[tuple[StudentInfo, StudentResult]]) -> tuple[str, str, str]:
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
