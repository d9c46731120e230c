"""The Excel workbook for the education bureau (学生资助名册 and its companions).

Sheets: 学生资助名册 (one row per student), 资助项目明细 (one row per granted
item), 汇总 (per item, per funding source, per stage), 核查情况 (findings),
说明 (where the numbers come from). Full ID numbers are written (the bureau
needs them); bank cards are masked.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from core.bulk import gc_paused
from core.checks.base import REMOVED_LABEL, SEVERITY_LABELS, STATE_LABELS, FindingState
from core.exports.data import ExportData
from core.exports.output import (
    DRAFT_NOTE,
    generated_by_label,
    item_sums,
    mask_card,
    source_label,
    sources,
    stage_sums,
    status_label,
    time_label,
)
from core.exports.xlsx_common import BOLD, DRAFT_FONT, TOTAL_FILL, Money, mark_demo, save_workbook, setup_print
from core.exports.xlsx_stream import GAP, Free, Header, Line, Row, note_row, title_row, write_rows
from core.money import format_fen

SHEET_ROSTER = "学生资助名册"
SHEET_DETAIL = "资助项目明细"
SHEET_TOTALS = "汇总"
SHEET_FINDINGS = "核查情况"
SHEET_ABOUT = "说明"
SHEETS = (SHEET_ROSTER, SHEET_DETAIL, SHEET_TOTALS, SHEET_FINDINGS, SHEET_ABOUT)

ROSTER_FIXED = ("序号", "姓名", "身份证号", "性别", "学籍号", "学段", "年级", "班级", "就读地",
                "学校性质", "家庭类别")
HEADER_ROW = 2   # row 1 is the title on every list sheet
NOTE_FONT = Font(name="宋体", italic=True, color="666666")
DRAFT_MARK_FONT = Font(name="宋体", bold=True, size=28, color="C00000")
WRAP = Alignment(wrap_text=True, vertical="center")


def _title(data: ExportData, what: str) -> str:
    return f"{data.school.name} {data.school.year_label} {what}"


def _status(data: ExportData, verified: bool, pending: list[str]) -> str:
    text = "已核准" if verified else "未核准"
    if pending:
        text += f"（{'、'.join(pending)}待补充）"
    return text


def _roster(data: ExportData) -> Iterator[Row]:
    items = data.policy.items
    headers = [*ROSTER_FIXED, *(i.name for i in items), "合计", "核准状态", "银行卡号（已遮盖）"]
    yield title_row(_title(data, "学生资助名册"), len(headers), draft=data.draft, demo=data.demo)
    yield Header(headers)
    for n, (st, r) in enumerate(data.pairs(), start=1):
        granted = r.granted
        amounts = {d.code: d.amount_fen for d in granted}
        yield Line([
            n, st.name, st.id_number, st.gender, st.student_no, st.stage, st.grade, st.class_name,
            st.location, st.ownership, st.category_label,
            *(Money(amounts[i.code]) if i.code in amounts else None for i in items),
            Money(sum(d.amount_fen for d in granted)) if granted else None,
            _status(data, st.verified, [d.name for d in r.pending]),
            mask_card(st.bank_card),
        ])
    by_item = data.totals.by_item
    yield Line(["合计", f"{data.totals.students_granted}人受助", *[""] * (len(ROSTER_FIXED) - 2),
                *(Money(by_item.get(i.code, 0)) for i in items), Money(data.totals.total), "", ""],
               bold=True, fill=TOTAL_FILL)


def _detail(data: ExportData) -> Iterator[Row]:
    srcs = sources(data)
    headers = ["序号", "姓名", "身份证号", "项目代码", "项目名称", "金额", *(source_label(s) for s in srcs)]
    yield title_row(_title(data, "资助项目明细"), len(headers), draft=data.draft, demo=data.demo)
    yield Header(headers)
    n = 0
    for st, r in data.pairs():
        for d in r.granted:
            n += 1
            yield Line([n, st.name, st.id_number, d.code, d.name, Money(d.amount_fen),
                        *(Money(d.shares.get(s, 0)) for s in srcs)])
    yield Line(["合计", f"{n}项", "", "", "", Money(data.totals.total),
                *(Money(data.totals.by_source.get(s, 0)) for s in srcs)], bold=True, fill=TOTAL_FILL)


def _totals(data: ExportData) -> Iterator[Row]:
    srcs = sources(data)
    item_headers = ["项目代码", "项目名称", "受助人数", "金额", *(source_label(s) for s in srcs)]
    yield title_row(_title(data, "资助汇总"), len(item_headers), draft=data.draft, demo=data.demo)
    yield GAP
    yield note_row("一、按资助项目", BOLD)
    yield Header(item_headers)
    for s in item_sums(data):
        yield Line([s.code, s.name, s.students, Money(s.amount_fen), *(Money(s.shares.get(src, 0)) for src in srcs)])
    yield Line(["合计", "", data.totals.students_granted, Money(data.totals.total),
                *(Money(data.totals.by_source.get(src, 0)) for src in srcs)], bold=True, fill=TOTAL_FILL)
    yield note_row("注：合计行的受助人数为受助学生人数（一人可享受多个项目）。", NOTE_FONT)
    yield GAP

    yield note_row("二、按资金来源", BOLD)
    yield Header(["资金来源", "", "", "金额"])
    for src in srcs:
        yield Line([source_label(src), "", "", Money(data.totals.by_source.get(src, 0))])
    yield Line(["合计", "", "", Money(data.totals.total)], bold=True, fill=TOTAL_FILL)
    yield GAP

    yield note_row("三、按学段", BOLD)
    yield Header(["学段", "学生人数", "受助人数", "金额"])
    for st in stage_sums(data):
        yield Line([st.stage, st.students, st.subsidised, Money(st.amount_fen)])
    yield Line(["合计", len(data.students), data.totals.students_granted, Money(data.totals.total)],
               bold=True, fill=TOTAL_FILL)


def _findings(data: ExportData) -> Iterator[Row]:
    headers = ["序号", "处理状态", "级别", "检查项目", "姓名", "身份证号", "问题说明", "确认理由"]
    yield title_row(_title(data, "核查情况"), len(headers), draft=data.draft, demo=data.demo)
    yield Header(headers)
    order = {FindingState.OPEN: 0, FindingState.ACCEPTED: 1, FindingState.FIXED: 2}
    rows = sorted(data.findings, key=lambda f: order.get(f.state, 3))
    for n, f in enumerate(rows, start=1):
        state = REMOVED_LABEL if f.removed and f.state == FindingState.FIXED else STATE_LABELS.get(f.state, f.state)
        yield Line([n, state, SEVERITY_LABELS.get(f.severity, f.severity),
                    f.title, f.name, f.id_number, f.message, f.reason])
    if not rows:
        yield note_row("本次核查未发现问题。")


def _about(data: ExportData) -> Iterator[Row]:
    t, s = data.totals, data.school
    open_n = sum(f.state == FindingState.OPEN for f in data.findings)
    accepted_n = sum(f.state == FindingState.ACCEPTED for f in data.findings)
    yield title_row(_title(data, "学生资助数据说明"), 2, draft=data.draft, demo=data.demo)
    if data.draft:
        yield Free((("草稿", DRAFT_MARK_FONT, None), (DRAFT_NOTE, DRAFT_FONT, None)), measured=False, height=40)
        yield Free(((None, None, None), (None, None, WRAP)))      # (an empty row, as the draft sheet always had)
    else:
        yield GAP
    pairs = [
        ("学校", s.name), ("学校代码", s.code), ("学年", s.year_label),
        ("资助政策", data.official.title),
        *([("政策依据", data.official.policy_basis)] if data.official.policy_basis else []),
        *([("政策版本", data.policy_version)] if data.policy_version else []),
        ("政策文件SHA-256", data.policy.sha256),
        ("生成时间", time_label(data)), ("生成人", generated_by_label(data.official.clerk, data.generated_by)),
        ("程序版本", f"Zizhu {data.program_version}"),
        ("学生人数", str(len(data.students))), ("受助学生人数", str(t.students_granted)),
        ("资助金额合计（元）", format_fen(t.total)),
        *((f"其中{source_label(src)}（元）", format_fen(t.by_source.get(src, 0))) for src in sources(data)),
        ("待补充的资助项目", f"{t.pending}项"),
        ("核查问题", f"未处理{open_n}条，已接受{accepted_n}条"),
        ("签名公钥指纹", data.signer_fingerprint or "未签名"),
        ("状态", status_label(data)),
    ]
    for label, value in pairs:
        yield Line([label, value], fonts=(BOLD,), aligns=(None, WRAP))
    yield GAP
    yield note_row("说明：身份证号、学籍号为文本格式；金额单位为元，保留两位小数；银行卡号只显示前四位和后四位。",
                   measured=False)


@gc_paused()
def write_workbook(path: str | Path, data: ExportData) -> Path:
    """Write the bureau workbook to ``path`` (atomically) and return the path. The sheets
    are streamed (openpyxl write_only): memory stays flat in the number of students."""
    wb = Workbook(write_only=True)
    school = data.school.name
    for name, rows, header_row in ((SHEET_ROSTER, _roster, HEADER_ROW), (SHEET_DETAIL, _detail, HEADER_ROW),
                                   (SHEET_TOTALS, _totals, 4), (SHEET_FINDINGS, _findings, HEADER_ROW),
                                   (SHEET_ABOUT, _about, 1)):
        ws = wb.create_sheet(name)
        setup_print(ws, header_row=header_row, school=school, title=name, draft=data.draft,
                    landscape=name != SHEET_ABOUT)
        if name == SHEET_TOTALS:
            ws.freeze_panes = "A3"
        elif name == SHEET_ABOUT:
            ws.freeze_panes = None
        write_rows(ws, partial(rows, data), maximum={SHEET_FINDINGS: 70, SHEET_ABOUT: 80}.get(name, 60),
                   widths={"A": 22} if name == SHEET_ABOUT else None)
    wb.properties.title = _title(data, "学生资助名册") + ("（草稿）" if data.draft else "")
    wb.properties.keywords = "草稿" if data.draft else ""
    mark_demo(wb, data)
    return save_workbook(wb, path)
