"""专项核查结果登记表: the workbook a clerk fills in from the paper checklists and imports.

One row per sampled student (编号 as printed on the checklist, school, name, masked
ID), and per point a 属实/不属实 cell (a dropdown) with a 说明 cell beside it. Results
already entered are filled in, so the sheet can be re-made and completed in rounds.
Reading it back is all-or-nothing: every problem is listed with its row and column,
and a file with any problem enters nothing. An empty cell leaves the point as it was.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.errors import ValidationError
from core.exports.xlsx_common import (
    fit_columns,
    put_text,
    save_workbook,
    setup_print,
    write_header,
    write_row,
    write_title,
)
from core.idnumber import mask_id
from core.importers.common import cell_text
from core.importers.reader import Table, column_letter
from core.spotcheck import FALSE_LABEL, POINTS, TRUE_LABEL, PointResult, StoredSample, check_result

SHEET = "核查结果"
HEADER_ROW = 4
FIXED = ("编号", "学校", "姓名", "身份证号")
NOTE = "说明"
_SAMPLE_RE = re.compile(r"抽查编号[：:]\s*(\d+)")
MAX_PROBLEMS = 20


def headers() -> list[str]:
    out = list(FIXED)
    for p in POINTS:
        out += [p.label, p.label + NOTE]
    return out


def write_results_sheet(path: str | Path, stored: StoredSample, receiver: str) -> Path:
    """The results workbook of ``stored`` (entered results filled in)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    cols = headers()
    kind = "暗访" if stored.sample.unannounced else "专项核查"
    write_title(ws, f"{kind}结果登记表（抽查编号：{stored.id}）", len(cols), False)
    put_text(ws, 2, 1, f"抽查编号：{stored.id}；随机种子：{stored.sample.seed}；{receiver}")
    put_text(ws, 3, 1, f"每个核查项填“{TRUE_LABEL}”或“{FALSE_LABEL}”（可从下拉列表选择），"
                       "不属实的须在右侧“说明”中写明情况；未核查的留空。请不要改动编号、姓名两列。"
                       "填好后用 consolidate results-import 导入。")
    write_header(ws, HEADER_ROW, cols)
    for i, c in enumerate(stored.checked()):
        x = c.student
        values: list[str] = [str(x.seq), x.school_name, x.name, mask_id(x.id_number)]
        for p in POINTS:
            r = c.results.get(p.code)
            values += ["", ""] if r is None else [TRUE_LABEL if r.truthful else FALSE_LABEL, r.note]
        write_row(ws, HEADER_ROW + 1 + i, values)
    last = HEADER_ROW + max(len(stored.sample.students), 1)
    dv = DataValidation(type="list", formula1=f'"{TRUE_LABEL},{FALSE_LABEL}"', allow_blank=True)
    dv.errorStyle = "stop"
    dv.error = f"请填写“{TRUE_LABEL}”或“{FALSE_LABEL}”，未核查的留空"
    dv.showErrorMessage = True
    for j in range(len(POINTS)):
        letter = get_column_letter(len(FIXED) + 1 + 2 * j)
        dv.add(f"{letter}{HEADER_ROW + 1}:{letter}{last}")
    ws.add_data_validation(dv)
    fit_columns(ws, skip_rows=(1, 2, 3))
    for j in range(len(POINTS)):
        ws.column_dimensions[get_column_letter(len(FIXED) + 2 + 2 * j)].width = 24
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        for cell in row:
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    setup_print(ws, header_row=HEADER_ROW, school=receiver, title=f"{kind}结果登记表", draft=False)
    return save_workbook(wb, path)


@dataclass(frozen=True)
class SheetResults:
    entries: tuple[tuple[int, PointResult], ...]     # (编号, result) of every filled cell
    rows: int                                         # student rows read


def _fail(table: Table, problems: list[str]) -> ValidationError:
    shown = problems[:MAX_PROBLEMS] + ([f"……另有 {len(problems) - MAX_PROBLEMS} 处"] if len(problems) > MAX_PROBLEMS
                                        else [])
    return ValidationError(f"结果登记表“{table.file_name}”有 {len(problems)} 处问题，没有导入任何结果：\n"
                           + "\n".join(shown), "请改正后重新导入（每处问题都写明了行和列）")


def read_results(table: Table, stored: StoredSample) -> SheetResults:
    """The filled cells of a results workbook made for ``stored``; ValidationError listing every problem."""
    rows = table.rows
    header_at = next((i for i, r in enumerate(rows[:10]) if r and cell_text(r[0]) == FIXED[0]), None)
    marks = [m for r in rows[:header_at or 10] for v in r if (m := _SAMPLE_RE.search(cell_text(v)))]
    if header_at is None or not marks:
        raise ValidationError(f"“{table.file_name}”不是核查结果登记表（没有找到“抽查编号”和“编号”表头）",
                              f"请用 consolidate results-sheet {stored.id} 文件.xlsx 生成登记表，填好后再导入")
    if int(marks[0].group(1)) != stored.id:
        other = marks[0].group(1)
        raise ValidationError(f"“{table.file_name}”是抽查编号 {other} 的登记表，不是抽查编号 {stored.id} 的",
                              f"请导入抽查编号 {stored.id} 的登记表，或把命令中的抽查编号改为 {other}")
    head = [cell_text(v) for v in rows[header_at]]
    cols = headers()
    if head[:len(cols)] != cols:
        missing = [c for c in cols if c not in head]
        lacking = f"，缺少：{'、'.join(missing)}" if missing else ""
        raise ValidationError(f"“{table.file_name}”的表头被改动了{lacking}",
                              "请重新生成登记表，只在核查项和说明列中填写")
    by_seq = {x.seq: x for x in stored.sample.students}
    seen: set[int] = set()
    problems: list[str] = []
    entries: list[tuple[int, PointResult]] = []
    n = 0
    for i in range(header_at + 1, len(rows)):
        cells = [cell_text(v) for v in rows[i]] + [""] * len(cols)
        if not any(cells[:len(cols)]):
            continue
        n += 1
        line = i + 1
        seq_text, name = cells[0], cells[2]
        x = by_seq.get(int(seq_text)) if seq_text.isdigit() else None
        if x is None:
            problems.append(f"第 {line} 行：编号“{seq_text}”不在抽查编号 {stored.id} 的名单中")
            continue
        if name != x.name:
            problems.append(f"第 {line} 行：编号 {x.seq} 的学生是“{x.name}”，表中写的是“{name}”"
                            "（请不要改动编号和姓名）")
            continue
        if x.seq in seen:
            problems.append(f"第 {line} 行：编号 {x.seq} 出现了两次")
            continue
        seen.add(x.seq)
        for j, p in enumerate(POINTS):
            at = len(FIXED) + 2 * j
            value, note = cells[at].replace(" ", ""), cells[at + 1].strip()
            where = f"第 {line} 行 {column_letter(at)} 列（{p.label}）"
            if not value:
                if note:
                    problems.append(f"{where}：写了说明但没有填“{TRUE_LABEL}”或“{FALSE_LABEL}”")
                continue
            if value not in (TRUE_LABEL, FALSE_LABEL):
                problems.append(f"{where}：“{value}”应为“{TRUE_LABEL}”或“{FALSE_LABEL}”")
                continue
            try:
                entries.append((x.seq, check_result(p, value == TRUE_LABEL, note)))
            except ValidationError as exc:
                problems.append(f"{where}：{exc.message}")
    if problems:
        raise _fail(table, problems)
    return SheetResults(tuple(entries), n)
