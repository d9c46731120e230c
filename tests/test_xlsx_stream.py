"""Streamed workbooks (core.exports.xlsx_stream): the sheets are written row by row with
openpyxl's write_only mode, so the memory a workbook needs does not grow with the students;
the columns are sized before the first row as fit_columns sized them after the last; the
layout (merged title, row heights, print set-up) is what the normal mode wrote."""
from __future__ import annotations

import gc
import tracemalloc
import warnings

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet import _writer as openpyxl_writer

from core.errors import OutputFileError
from core.exports.sample import sample_export_data
from core.exports.workbook import write_workbook
from core.exports.xlsx_common import (
    BOLD,
    TOTAL_FILL,
    Money,
    cell_width,
    fit_columns,
    money_width,
    put_text,
    save_workbook,
    setup_print,
    text_width,
    write_header,
    write_row,
    write_title,
)
from core.exports.xlsx_stream import GAP, Free, Header, Line, note_row, title_row, write_rows

ITALIC = Font(name="宋体", italic=True)
WRAP = Alignment(wrap_text=True)


def rows():
    yield title_row("一个很长很长很长很长很长很长很长很长很长的标题", 4, draft=True)
    yield Header(["序号", "姓名", "一个很长很长很长很长的表头", "金额"])
    yield Line([1, "张三", None, Money(123456789)])
    yield Line([2, "=1+2", "", Money(-50)], bold=True, fill=TOTAL_FILL)
    yield GAP
    yield note_row("注：一行计入列宽的说明文字", ITALIC)
    yield note_row("不计入列宽的一行很长很长很长很长很长很长很长很长的落款", measured=False)
    yield Free((("加粗", BOLD, None), ("换行的很长很长很长很长的文字", None, WRAP)))


def same_rows_in_normal_mode(ws):
    """What the same rows were written as before: cells first, widths after."""
    write_title(ws, "一个很长很长很长很长很长很长很长很长很长的标题", 4, True)
    write_header(ws, 2, ["序号", "姓名", "一个很长很长很长很长的表头", "金额"])
    write_row(ws, 3, [1, "张三", None, Money(123456789)])
    write_row(ws, 4, [2, "=1+2", "", Money(-50)], bold=True, fill=TOTAL_FILL)
    put_text(ws, 6, 1, "注：一行计入列宽的说明文字").font = ITALIC
    put_text(ws, 7, 1, "不计入列宽的一行很长很长很长很长很长很长很长很长的落款")
    put_text(ws, 8, 1, "加粗").font = BOLD
    put_text(ws, 8, 2, "换行的很长很长很长很长的文字").alignment = WRAP
    fit_columns(ws, skip_rows=[1, 7])


def dump(path):
    ws = load_workbook(path).active
    cells = {c.coordinate: (c.value, c.data_type, c.font.b, c.font.i, c.font.color and c.font.color.rgb,
                            c.fill.fill_type, c.border.left.style, c.alignment.horizontal,
                            c.alignment.wrap_text, c.number_format)
             for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}
    return {"cells": cells, "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
            "freeze": ws.freeze_panes, "titles": ws.print_title_rows,
            "page": (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.oddHeader.center.text)}


def test_a_streamed_sheet_is_the_sheet_the_normal_mode_wrote(tmp_path):
    streamed = Workbook(write_only=True)
    ws = streamed.create_sheet("表")
    setup_print(ws, header_row=2, school="学校", title="名册", draft=True)
    write_rows(ws, rows)
    save_workbook(streamed, tmp_path / "streamed.xlsx")

    normal = Workbook()
    ws = normal.active
    ws.title = "表"
    same_rows_in_normal_mode(ws)
    setup_print(ws, header_row=2, school="学校", title="名册", draft=True)
    save_workbook(normal, tmp_path / "normal.xlsx")

    got, expected = dump(tmp_path / "streamed.xlsx"), dump(tmp_path / "normal.xlsx")
    assert got == expected
    assert got["merged"] == ["A1:D1"]
    assert got["heights"] == {1: 24, 2: 30}
    assert got["freeze"] == "A3" and got["titles"] == "$2:$2"
    assert got["cells"]["B4"][:2] == ("=1+2", "s")                     # text, never a formula
    assert got["cells"]["C3"][0] is None and got["cells"]["C3"][6] == "thin"   # the empty cell keeps its border
    assert got["widths"]["A"] == 26 + 2                                   # the italic note (not bold)
    assert got["widths"]["D"] == 12 + 2                                   # "1,234,567.89"; the bold "-0.50" is 5 + 2
    assert got["widths"]["C"] == 16 + 2                                   # the long header wraps: 16 at most
    assert got["widths"]["B"] == 16 + 2                                   # the wrapping note in B: 16 at most


def test_widths_fixed_by_letter_and_the_bounds(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("表")
    write_rows(ws, lambda: [Line(["一" * 50, "x"])], maximum=40, widths={"B": 22})
    save_workbook(wb, tmp_path / "w.xlsx")
    dims = load_workbook(tmp_path / "w.xlsx").active.column_dimensions
    assert (dims["A"].width, dims["B"].width) == (40, 22)


def test_money_width_is_the_width_of_the_yuan_text():
    from decimal import Decimal
    for fen in (0, 5, -5, -50, 99, 100, 123456, -123456789, 10 ** 14):
        yuan = Decimal(fen).scaleb(-2)
        assert money_width(fen) == text_width(yuan) == len(f"{yuan:,.2f}")
        assert cell_width(Money(fen), True, False) == money_width(fen) + 2


def test_workbook_memory_does_not_grow_with_the_students(tmp_path):
    """The normal mode held every cell until the file was written: about 11 KB a student
    (588 MB at 50,000); streamed, a sheet holds one row at a time."""
    small_data, large_data = sample_export_data(100, seed=5), sample_export_data(500, seed=5)
    write_workbook(tmp_path / "warm.xlsx", small_data)

    def peak(data, name):
        gc.collect()
        tracemalloc.start()
        try:
            write_workbook(tmp_path / name, data)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(small_data, "small.xlsx"), peak(large_data, "large.xlsx")
    per_student = (large - small) / 400
    assert per_student < 1000, per_student
    assert load_workbook(tmp_path / "large.xlsx")["学生资助名册"].max_row == 500 + 3


def test_a_workbook_that_cannot_be_saved_leaves_no_temporary_file(tmp_path):
    before = list(openpyxl_writer.ALL_TEMP_FILES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # no half-written sheet left for the collector
        with pytest.raises(OutputFileError):
            write_workbook(tmp_path / "missing" / "w.xlsx", sample_export_data(20))
        gc.collect()
    assert before == openpyxl_writer.ALL_TEMP_FILES


@pytest.mark.parametrize("streamed", [False, True])
def test_money_cells_hold_the_exact_decimal_text(tmp_path, streamed):
    """openpyxl writes a number through "%.16g" of a float: 600.07 became 600.0700000000001 in the
    sheet's XML (money review, session 17). A money cell now holds its exact text, as a number."""
    import re
    import zipfile
    amounts = [60007, 7, 803, -1, 123456789, 0]
    path = tmp_path / "m.xlsx"
    wb = Workbook(write_only=streamed)
    if streamed:
        ws = wb.create_sheet("S")
        write_rows(ws, lambda: iter([Line([Money(f) for f in amounts])]))
    else:
        write_row(wb.active, 1, [Money(f) for f in amounts])
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read(next(n for n in z.namelist() if n.startswith("xl/worksheets/"))).decode()
    assert re.findall(r"<v>([^<]*)</v>", xml) == ["600.07", "0.07", "8.03", "-0.01", "1234567.89", "0.00"]
    assert [c.value for c in next(load_workbook(path).active.iter_rows())] == [600.07, 0.07, 8.03, -0.01,
                                                                                1234567.89, 0]
