"""公示名单 as an Excel workbook: the same rows and words as the notice PDF (core.exports.notice)."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from core.exports.data import ExportData
from core.exports.notice import TITLE, _lines, _subsidised
from core.exports.output import date_label, grade_label
from core.exports.xlsx_common import (
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


def write_notice_xlsx(path: str | Path, data: ExportData) -> Path:
    """Write the notice list workbook to ``path`` (atomically)."""
    subsidised = _subsidised(data)
    title, text, objection = _lines(data, subsidised)
    used = {d.code for _, r in subsidised for d in r.granted}
    items = [i for i in data.policy.items if i.code in used]
    headers = ["序号", "姓名", "学校", "年级", *(i.name for i in items), "合计"]
    wb = Workbook()
    ws = wb.active
    ws.title = "公示名单"
    write_title(ws, title, len(headers), data.draft)
    for row, line in ((2, text), (3, objection)):
        cell = put_text(ws, row, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(headers))
        ws.row_dimensions[row].height = 36
    header_row = 4
    write_header(ws, header_row, headers)
    row = header_row
    for n, (s, r) in enumerate(subsidised, start=1):
        amounts = {d.code: d.amount_fen for d in r.granted}
        row += 1
        write_row(ws, row, [n, s.name, data.school.name, grade_label(s),
                            *(Money(amounts[i.code]) if i.code in amounts else None for i in items),
                            Money(r.total_fen)])
    write_row(ws, row + 1, ["合计", f"{len(subsidised)}人", "", "",
                            *(Money(sum(d.amount_fen for _, r in subsidised for d in r.granted if d.code == i.code))
                              for i in items),
                            Money(sum(r.total_fen for _, r in subsidised))], bold=True, fill=TOTAL_FILL)
    put_text(ws, row + 3, 1, f"{data.school.name}　{date_label(data)}")
    fit_columns(ws, skip_rows=[1, 2, 3, row + 3])
    setup_print(ws, header_row=header_row, school=data.school.name, title=TITLE, draft=data.draft,
                landscape=len(headers) > 7)
    wb.properties.title = title + ("（草稿）" if data.draft else "")
    mark_demo(wb, data)
    return save_workbook(wb, path)
