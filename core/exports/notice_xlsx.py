"""公示名单 as an Excel workbook: the same rows and words as the notice PDF (core.exports.notice)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from core.bulk import gc_paused
from core.engine import ItemDecision
from core.exports.data import ExportData, StudentInfo
from core.exports.notice_text import TITLE, notice_lines, subsidised
from core.exports.output import date_label, grade_label, policy_line
from core.exports.xlsx_common import FONT_NAME, TOTAL_FILL, Money, mark_demo, save_workbook, setup_print
from core.exports.xlsx_stream import GAP, Free, Header, Line, Row, note_row, title_row, write_rows
from core.policy import Item

HEADER_ROW = 5       # the title, the notice's text, the objection line and the policy line above
TOP_WRAP = Alignment(wrap_text=True, vertical="top")
SMALL = Font(name=FONT_NAME, size=9, color="666666")      # the policy line


def _rows(data: ExportData, lines: tuple[str, str, str], items: list[Item],
          granted: list[tuple[StudentInfo, list[ItemDecision]]]) -> Iterator[Row]:
    title, text, objection = lines
    headers = ["序号", "姓名", "学校", "年级", *(i.name for i in items), "合计"]
    yield title_row(title, len(headers), draft=data.draft, demo=data.demo)
    for line in (text, objection):
        yield Free(((line, None, TOP_WRAP),), measured=False, height=36, merge=len(headers))
    # wrapped in two lines' height: a long 政策名称 (up to 100 characters) is not cut at the merged width
    yield Free(((policy_line(data), SMALL, TOP_WRAP),), measured=False, height=24, merge=len(headers))
    yield Header(headers)
    school = data.school.name
    by_item: dict[str, int] = {}
    for n, (s, decisions) in enumerate(granted, start=1):
        amounts = {d.code: d.amount_fen for d in decisions}
        for d in decisions:
            by_item[d.code] = by_item.get(d.code, 0) + d.amount_fen
        yield Line([n, s.name, school, grade_label(s),
                    *(Money(amounts[i.code]) if i.code in amounts else None for i in items),
                    Money(sum(d.amount_fen for d in decisions))])
    yield Line(["合计", f"{len(granted)}人", "", "", *(Money(by_item.get(i.code, 0)) for i in items),
                Money(sum(by_item.values()))], bold=True, fill=TOTAL_FILL)
    yield GAP
    yield note_row(f"{school}　{date_label(data)}", measured=False)


@gc_paused()
def write_notice_xlsx(path: str | Path, data: ExportData) -> Path:
    """Write the notice list workbook to ``path`` (atomically), streamed (openpyxl write_only)."""
    listed = subsidised(data)
    lines = notice_lines(data, listed)
    granted = [(s, r.granted) for s, r in listed]       # (the engine makes the list at each call)
    used = {d.code for _, decisions in granted for d in decisions}
    items = [i for i in data.policy.items if i.code in used]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("公示名单")
    setup_print(ws, header_row=HEADER_ROW, school=data.school.name, title=TITLE, draft=data.draft,
                landscape=len(items) + 5 > 7)
    rows = list(_rows(data, lines, items, granted))     # one row per listed student: made once, not per pass
    write_rows(ws, lambda: rows)
    wb.properties.title = lines[0] + ("（草稿）" if data.draft else "")
    mark_demo(wb, data)
    return save_workbook(wb, path)
