"""The Excel workbook for the education bureau (学生资助名册 and its companions).

Sheets: 学生资助名册 (one row per student), 资助项目明细 (one row per granted
item), 汇总 (per item, per funding source, per stage), 核查情况 (findings),
说明 (where the numbers come from). Full ID numbers are written (the bureau
needs them); bank cards are masked.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from core.checks.base import SEVERITY_LABELS, STATE_LABELS, FindingState
from core.exports.data import ExportData
from core.exports.output import (
    DRAFT_NOTE,
    item_sums,
    mask_card,
    source_label,
    sources,
    stage_sums,
    status_label,
    time_label,
)
from core.exports.xlsx_common import (
    BOLD,
    DRAFT_FONT,
    TOTAL_FILL,
    Money,
    fit_columns,
    mark_demo,
    put_text,
    save_workbook,
    setup_print,
    write_header,
    write_row,
    write_title,
)
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


def _title(data: ExportData, what: str) -> str:
    return f"{data.school.name} {data.school.year_label} {what}"


def _status(data: ExportData, verified: bool, pending: list[str]) -> str:
    text = "已核准" if verified else "未核准"
    if pending:
        text += f"（{'、'.join(pending)}待补充）"
    return text


def _roster(ws: Worksheet, data: ExportData) -> None:
    items = data.policy.items
    headers = [*ROSTER_FIXED, *(i.name for i in items), "合计", "核准状态", "银行卡号（已遮盖）"]
    write_title(ws, _title(data, "学生资助名册"), len(headers), data.draft)
    write_header(ws, HEADER_ROW, headers)
    row = HEADER_ROW
    for n, (st, r) in enumerate(data.pairs(), start=1):
        amounts = {d.code: d.amount_fen for d in r.granted}
        row += 1
        write_row(ws, row, [
            n, st.name, st.id_number, st.gender, st.student_no, st.stage, st.grade, st.class_name,
            st.location, st.ownership, st.category_label,
            *(Money(amounts[i.code]) if i.code in amounts else None for i in items),
            Money(r.total_fen) if r.granted else None,
            _status(data, st.verified, [d.name for d in r.pending]),
            mask_card(st.bank_card),
        ])
    by_item = data.totals.by_item
    write_row(ws, row + 1, ["合计", f"{data.totals.students_granted}人受助", *[""] * (len(ROSTER_FIXED) - 2),
                            *(Money(by_item.get(i.code, 0)) for i in items), Money(data.totals.total), "", ""],
              bold=True, fill=TOTAL_FILL)
    fit_columns(ws, skip_rows=[1])
    setup_print(ws, header_row=HEADER_ROW, school=data.school.name, title=SHEET_ROSTER, draft=data.draft)


def _detail(ws: Worksheet, data: ExportData) -> None:
    srcs = sources(data)
    headers = ["序号", "姓名", "身份证号", "项目代码", "项目名称", "金额", *(source_label(s) for s in srcs)]
    write_title(ws, _title(data, "资助项目明细"), len(headers), data.draft)
    write_header(ws, HEADER_ROW, headers)
    row, n = HEADER_ROW, 0
    for st, r in data.pairs():
        for d in r.granted:
            n += 1
            row += 1
            write_row(ws, row, [n, st.name, st.id_number, d.code, d.name, Money(d.amount_fen),
                                *(Money(d.shares.get(s, 0)) for s in srcs)])
    write_row(ws, row + 1, ["合计", f"{n}项", "", "", "", Money(data.totals.total),
                            *(Money(data.totals.by_source.get(s, 0)) for s in srcs)], bold=True, fill=TOTAL_FILL)
    fit_columns(ws, skip_rows=[1])
    setup_print(ws, header_row=HEADER_ROW, school=data.school.name, title=SHEET_DETAIL, draft=data.draft)


def _section(ws: Worksheet, row: int, title: str) -> int:
    put_text(ws, row, 1, title).font = BOLD
    return row + 1


def _totals(ws: Worksheet, data: ExportData) -> None:
    srcs = sources(data)
    item_headers = ["项目代码", "项目名称", "受助人数", "金额", *(source_label(s) for s in srcs)]
    write_title(ws, _title(data, "资助汇总"), len(item_headers), data.draft)
    row = _section(ws, 3, "一、按资助项目")
    write_header(ws, row, item_headers)
    for s in item_sums(data):
        row += 1
        write_row(ws, row, [s.code, s.name, s.students, Money(s.amount_fen),
                            *(Money(s.shares.get(src, 0)) for src in srcs)])
    row += 1
    write_row(ws, row, ["合计", "", data.totals.students_granted, Money(data.totals.total),
                        *(Money(data.totals.by_source.get(src, 0)) for src in srcs)], bold=True, fill=TOTAL_FILL)
    put_text(ws, row + 1, 1, "注：合计行的受助人数为受助学生人数（一人可享受多个项目）。").font = Font(
        name="宋体", italic=True, color="666666")

    row = _section(ws, row + 3, "二、按资金来源")
    write_header(ws, row, ["资金来源", "", "", "金额"])
    for src in srcs:
        row += 1
        write_row(ws, row, [source_label(src), "", "", Money(data.totals.by_source.get(src, 0))])
    row += 1
    write_row(ws, row, ["合计", "", "", Money(data.totals.total)], bold=True, fill=TOTAL_FILL)

    row = _section(ws, row + 2, "三、按学段")
    write_header(ws, row, ["学段", "学生人数", "受助人数", "金额"])
    for st in stage_sums(data):
        row += 1
        write_row(ws, row, [st.stage, st.students, st.subsidised, Money(st.amount_fen)])
    row += 1
    write_row(ws, row, ["合计", len(data.students), data.totals.students_granted, Money(data.totals.total)],
              bold=True, fill=TOTAL_FILL)
    fit_columns(ws, skip_rows=[1])
    setup_print(ws, header_row=4, school=data.school.name, title=SHEET_TOTALS, draft=data.draft)
    ws.freeze_panes = "A3"


def _findings(ws: Worksheet, data: ExportData) -> None:
    headers = ["序号", "处理状态", "级别", "检查项目", "姓名", "身份证号", "问题说明", "确认理由"]
    write_title(ws, _title(data, "核查情况"), len(headers), data.draft)
    write_header(ws, HEADER_ROW, headers)
    order = {FindingState.OPEN: 0, FindingState.ACCEPTED: 1, FindingState.FIXED: 2}
    rows = sorted(data.findings, key=lambda f: order.get(f.state, 3))
    for n, f in enumerate(rows, start=1):
        write_row(ws, HEADER_ROW + n, [n, STATE_LABELS.get(f.state, f.state),
                                       SEVERITY_LABELS.get(f.severity, f.severity),
                                       f.title, f.name, f.id_number, f.message, f.reason])
    if not rows:
        put_text(ws, HEADER_ROW + 1, 1, "本次核查未发现问题。")
    fit_columns(ws, skip_rows=[1], maximum=70)
    setup_print(ws, header_row=HEADER_ROW, school=data.school.name, title=SHEET_FINDINGS, draft=data.draft)


def _about(ws: Worksheet, data: ExportData) -> None:
    t, s = data.totals, data.school
    open_n = sum(f.state == FindingState.OPEN for f in data.findings)
    accepted_n = sum(f.state == FindingState.ACCEPTED for f in data.findings)
    write_title(ws, _title(data, "学生资助数据说明"), 2, data.draft)
    row = 2
    if data.draft:
        cell = put_text(ws, row, 1, "草稿")
        cell.font = Font(name="宋体", bold=True, size=28, color="C00000")
        put_text(ws, row, 2, DRAFT_NOTE).font = DRAFT_FONT
        ws.row_dimensions[row].height = 40
        row += 1
    pairs = [
        ("学校", s.name), ("学校代码", s.code), ("学年", s.year_label),
        ("资助政策", data.official.title),
        *([("政策依据", data.official.policy_basis)] if data.official.policy_basis else []),
        *([("政策版本", data.policy_version)] if data.policy_version else []),
        ("政策文件SHA-256", data.policy.sha256),
        ("生成时间", time_label(data)), ("生成人", data.generated_by or "（未记录）"),
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
        row += 1
        write_row(ws, row, [label, value])
        ws.cell(row=row, column=1).font = BOLD
    put_text(ws, row + 2, 1, "说明：身份证号、学籍号为文本格式；金额单位为元，保留两位小数；"
                             "银行卡号只显示前四位和后四位。")
    fit_columns(ws, skip_rows=[1, 2, row + 2], maximum=80)
    ws.column_dimensions["A"].width = 22
    for r in range(3, row + 1):
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="center")
    setup_print(ws, header_row=1, school=s.name, title=SHEET_ABOUT, draft=data.draft, landscape=False)
    ws.freeze_panes = None


def write_workbook(path: str | Path, data: ExportData) -> Path:
    """Write the bureau workbook to ``path`` (atomically) and return the path."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, fill in zip(SHEETS, (_roster, _detail, _totals, _findings, _about), strict=True):
        fill(wb.create_sheet(name), data)
    wb.properties.title = _title(data, "学生资助名册") + ("（草稿）" if data.draft else "")
    wb.properties.keywords = "草稿" if data.draft else ""
    mark_demo(wb, data)
    return save_workbook(wb, path)
