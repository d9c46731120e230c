"""公示名单 as an Excel workbook: the same rows and words as the notice PDF (core.exports.notice)."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from core.exports.data import ExportData
from core.exports.notice import TITLE, _lines, _subsidised
from core.exports.output import date_label, grade_label
from core.exports.xlsx_common import TOTAL_FILL, Money, mark_demo, save_workbook, setup_print
from core.exports.xlsx_stream import GAP, Free, Header, Line, Row, note_row, title_row, write_rows

HEADER_ROW = 4       # the title, the notice's text and the objection line above
TOP_WRAP = Alignment(wrap_text=True, vertical="top")


def _rows(data: ExportData) -> Iterator[Row]:
    subsidised = _subsidised(data)
    title, text, objection = _lines(data, subsidised)
    used = {d.code for _, r in subsidised for d in r.granted}
    items = [i for i in data.policy.items if i.code in used]
    headers = ["序号", "姓名", "学校", "年级", *(i.name for i in items), "合计"]
    yield title_row(title, len(headers), draft=data.draft, demo=data.demo)
    for line in (text, objection):
        yield Free(((line, None, TOP_WRAP),), measured=False, height=36, merge=len(headers))
    yield Header(headers)
    school = data.school.name
    for n, (s, r) in enumerate(subsidised, start=1):
        amounts = {d.code: d.amount_fen for d in r.granted}
        yield Line([n, s.name, school, grade_label(s),
                    *(Money(amounts[i.code]) if i.code in amounts else None for i in items), Money(r.total_fen)])
    yield Line(["合计", f"{len(subsidised)}人", "", "",
                *(Money(sum(d.amount_fen for _, r in subsidised for d in r.granted if d.code == i.code))
                  for i in items),
                Money(sum(r.total_fen for _, r in subsidised))], bold=True, fill=TOTAL_FILL)
    yield GAP
    yield note_row(f"{school}　{date_label(data)}", measured=False)


def write_notice_xlsx(path: str | Path, data: ExportData) -> Path:
    """Write the notice list workbook to ``path`` (atomically), streamed (openpyxl write_only)."""
    subsidised = _subsidised(data)
    title, _text, _objection = _lines(data, subsidised)
    ncols = 5 + len({d.code for _, r in subsidised for d in r.granted})
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("公示名单")
    setup_print(ws, header_row=HEADER_ROW, school=data.school.name, title=TITLE, draft=data.draft,
                landscape=ncols > 7)
    write_rows(ws, partial(_rows, data))
    wb.properties.title = title + ("（草稿）" if data.draft else "")
    mark_demo(wb, data)
    return save_workbook(wb, path)
