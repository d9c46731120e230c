"""Read the first visible non-empty sheet of a spreadsheet (the first with a header row, when
the first has none: a 填表说明 sheet) or a CSV file into a Table.

Spreadsheets (.xlsx .xlsm .xls .ods) are read by python-calamine, which keeps
cell types: str, int, float, bool, date/datetime (and rarely time/timedelta).
An empty cell is "" as calamine gives it. CSV cells are always str.
Row ``i`` of ``Table.rows`` is line ``i + 1`` of the file: leading empty
rows and columns are kept, so line numbers and column letters match what
the clerk sees in Excel.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine

from core.bulk import gc_paused, warmed_alongside
from core.errors import InputFileError, os_reason
from core.importers import limits
from core.importers.halves import calamine_failed, read_halves
from core.paths import IMPORTED_FILE, protect

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv",)
SUPPORTED_SUFFIXES = SPREADSHEET_SUFFIXES + CSV_SUFFIXES

Warm = Callable[[], object] | None      # read_table's warm-up (see there)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESAVE = "请用Excel（或WPS表格）打开该文件，另存为 .xlsx 格式后重试"


@dataclass
class Table:
    """The cells of one sheet. ``rows[i]`` is line ``i + 1`` of the file."""

    path: str
    sheet: str
    rows: list[list[Any]] = field(default_factory=list)
    # 0-based (row, column) of cells read as "" that are not empty: formula cells without a computed
    # value, and the error values (``errors``)
    uncomputed: set[tuple[int, int]] = field(default_factory=set)
    sheets: int = 1           # how many sheets the workbook has (its sheet is named when more than one)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)   # error values: (row, column) -> "#N/A"
    hidden: frozenset[int] = frozenset()                  # 0-based rows hidden in the sheet (or filtered out)
    merged: tuple[tuple[int, int, int, int], ...] = ()    # merged ranges: first row, column, last row, column

    @property
    def file_name(self) -> str:
        return Path(self.path).name


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA" (as Excel names columns)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _error(path: Path, what: str, hint: str) -> InputFileError:
    return InputFileError(f"文件“{path.name}”无法读取：{what}", hint)


@gc_paused()
def read_table(path: str | os.PathLike[str], warm: Warm = None) -> Table:
    """Read the first non-empty sheet of ``path``. ``warm`` (loading what the caller needs next)
    runs on a helper thread while calamine parses the sheet (calamine releases the GIL).

    Raises InputFileError (Chinese message naming the file and what to do)
    when the file is missing, of an unsupported type, corrupt, protected by a
    password or empty.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.exists():
        raise InputFileError(f"找不到文件“{p}”", "请确认文件没有被移动或改名，然后重新选择")
    if p.is_dir():
        raise InputFileError(f"“{p}”是一个文件夹，不是表格文件", "请选择一个 .xlsx、.xls、.ods 或 .csv 文件")
    if suffix not in SUPPORTED_SUFFIXES:
        raise _error(p, f"不支持“{suffix or '无扩展名'}”格式的文件",
                     "请选择 Excel（.xlsx/.xls）、WPS/LibreOffice 表格（.ods）或 CSV 文件；"
                     "其他格式请先用Excel另存为 .xlsx")
    try:
        with p.open("rb") as fh:
            head = fh.read(1024)
    except PermissionError:
        raise _error(p, "没有读取权限，或文件正被其他程序占用",
                     "请关闭正在打开该文件的Excel/WPS后重试") from None
    except OSError as exc:
        raise _error(p, f"读取出错（{os_reason(exc)}）", "请把文件复制到本机硬盘后重试") from None
    if not head:
        raise _error(p, "文件是空的（0字节）", "请确认选择了正确的文件")
    table = _read_csv(p) if suffix in CSV_SUFFIXES else _read_spreadsheet(p, suffix, head, warm)
    protect([p], IMPORTED_FILE)      # no output of this process replaces the list it read (core.paths)
    return table


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(b"<") and (b"<html" in start or b"<table" in start or b"<!doctype" in start)


def _read_spreadsheet(p: Path, suffix: str, head: bytes, warm: Warm = None) -> Table:
    if _looks_like_html(head):
        raise _error(p, "这个文件实际上是网页（HTML）格式，只是扩展名为 " + suffix, _RESAVE)
    if not head.startswith(_ZIP_MAGIC) and not head.startswith(_OLE_MAGIC):
        raise _error(p, "不是有效的Excel文件，可能已损坏或扩展名与实际格式不符", _RESAVE)
    # Never hand calamine a file that is beyond the limits: it would abort the process.
    checked = limits.precheck_spreadsheet(p, head)
    with warmed_alongside(warm):
        return _read_checked(p, head, checked)


def _read_checked(p: Path, head: bytes, checked: limits.Precheck) -> Table:
    if checked.split is not None:          # a big regular sheet: calamine on two threads
        halves = read_halves(p, checked)
        if halves is not None:
            return _marked(Table(str(p), *halves), checked)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(p))
    except python_calamine.PasswordError:
        raise _error(p, "文件设置了打开密码", "请在Excel中取消密码保护，保存后重试") from None
    except PermissionError:
        raise _error(p, "没有读取权限，或文件正被其他程序占用",
                     "请关闭正在打开该文件的Excel/WPS后重试") from None
    except BaseException as exc:  # calamine raises several error types (re-raised unless its own)
        if not calamine_failed(exc):
            raise
        workbook = _read_by_content(p, head)
    try:
        return _marked(_first_non_empty_sheet(p, workbook), checked)
    finally:
        with contextlib.suppress(Exception):  # closing is best effort
            workbook.close()


def _marked(table: Table, checked: limits.Precheck) -> Table:
    """``table`` with what the pre-check saw in its sheet that calamine does not give (formula cells
    without a value, error values, hidden rows, merged cells)."""
    table.uncomputed = set(checked.uncomputed.get(table.sheet, ()))
    marks = checked.marks.get(table.sheet)
    if marks:
        table.errors = dict(marks.errors)
        table.uncomputed |= table.errors.keys()
        table.hidden = frozenset(marks.hidden)
        table.merged = tuple(marks.merged)
    if table.uncomputed:        # calamine drops trailing rows of cells read as empty
        last = max(r for r, _c in table.uncomputed)
        table.rows.extend([] for _ in range(last + 1 - len(table.rows)))
    return table


def _read_by_content(p: Path, head: bytes) -> Any:
    """Second try for a file whose extension lies (an .xlsx saved as .xls)."""
    if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        try:
            with p.open("rb") as fh:
                return python_calamine.CalamineWorkbook.from_filelike(fh)
        except python_calamine.PasswordError:
            raise _error(p, "文件设置了打开密码", "请在Excel中取消密码保护，保存后重试") from None
        except BaseException as exc:
            if not calamine_failed(exc):
                raise
    raise _error(p, "不是有效的Excel文件，可能已损坏或扩展名与实际格式不符", _RESAVE)


def _visible(workbook: Any, index: int) -> bool:
    """Whether sheet ``index`` is visible (a hidden or "very hidden" sheet is last year's list or
    a lookup table, never the list to import)."""
    try:
        return str(workbook.sheets_metadata[index].visible).endswith(".Visible")
    except (AttributeError, IndexError):
        return True


def _sheet_rows(workbook: Any, index: int) -> list[list[Any]] | None:
    """The rows of sheet ``index``; None for an empty, chart or broken sheet."""
    try:
        rows = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except BaseException as exc:  # chart sheets and broken sheets are skipped
        if not calamine_failed(exc):
            raise
        return None
    return rows if any(cell != "" and cell is not None for row in rows for cell in row) else None


def _first_non_empty_sheet(p: Path, workbook: Any) -> Table:
    """The first visible non-empty sheet — or, when it has no header row (a 填表说明 sheet first),
    the first later visible sheet that has one."""
    from core.importers.header import has_header_row
    names = list(workbook.sheet_names)
    first: Table | None = None
    for index, name in enumerate(names):
        if not _visible(workbook, index):
            continue
        rows = _sheet_rows(workbook, index)
        if rows is None:
            continue
        table = Table(str(p), name, rows, sheets=len(names))
        if has_header_row(rows):
            return table
        first = first or table
    if first is not None:
        return first
    raise _error(p, "所有工作表都是空的（隐藏的工作表不读取）", "请确认选择了正确的文件，并且数据在第一个工作表中")


def _decode(p: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _error(p, "无法识别文件的文字编码（既不是UTF-8也不是GBK）",
                 "请用Excel打开后另存为 .xlsx，或另存为“CSV UTF-8（逗号分隔）”后重试")


def _csv_rows(p: Path, text: str, delimiter: str) -> list[list[str]]:
    """The CSV's rows, refused beyond the row and column limits while reading, and refused when
    a quoted cell is still open at the end of the file (one stray quote would swallow every row
    after it into that cell) or the csv module finds the text malformed."""
    rows: list[list[str]] = []
    ended = False

    def lines() -> Iterator[str]:
        nonlocal ended
        yield from io.StringIO(text, newline="")
        ended = True        # asked for more: a record still open (a quoted cell) at the end

    reader = csv.reader(lines(), delimiter=delimiter)
    start = 1               # the physical line (as a text editor counts) where the next record starts
    try:
        for row in reader:
            if ended:
                raise _open_quote(p, len(rows) + 1, start, reader.line_num, row)
            if len(rows) >= limits.MAX_ROWS:
                raise limits.refuse(p, f"超过 {limits.MAX_ROWS} 行")
            if len(row) > limits.MAX_COLUMNS:
                used = len(row)
                while used and not row[used - 1].strip():
                    used -= 1
                if used > limits.MAX_COLUMNS or len(row) > limits.MAX_CSV_CELLS_PER_ROW:
                    raise limits.refuse(p, f"第 {len(rows) + 1} 行有 {max(used, len(row))} 列，超过上限 "
                                           f"{limits.MAX_COLUMNS} 列")
            rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _malformed(p, len(rows) + 1, start, exc) from None
    return rows


def _in_notepad(line: int, physical: int) -> str:
    """Where a text editor shows ``line`` (a record) when earlier cells hold line breaks."""
    return "" if line == physical else f"（用记事本打开时是第{physical}行）"


def _open_quote(p: Path, line: int, physical: int, last_physical: int, row: list[str]) -> InputFileError:
    """The file ended inside the quoted cell that ends ``row`` (record ``line``, starting on
    ``physical``): its opening quote has no closing one."""
    cell = row[-1].splitlines()[0] if row and row[-1] else ""
    where = f"第{line}行{column_letter(len(row) - 1)}列"
    shown = f"“\"{cell[:20]}{'…' if len(cell) > 20 else ''}”"
    after = last_physical - physical
    return _error(
        p, f"{where}{_in_notepad(line, physical)}的单元格{shown}以英文双引号（\"）开头，却直到文件末尾都没有"
           "结束的引号" + (f"，其后 {after} 行都会被当成这一个单元格的内容" if after else ""),
        f"请用记事本打开该文件，删除第{physical}行这个多余的英文双引号（如果引号确实是内容的一部分，"
        "就在这个单元格内容的末尾补上一个英文双引号），保存后重新导入；"
        "也可以在原来的Excel/WPS表格中改正这个单元格，再另存为CSV")


def _malformed(p: Path, line: int, physical: int, exc: csv.Error) -> InputFileError:
    """A csv.Error for record ``line`` (starting on ``physical``) in Chinese (its own words kept)."""
    where = f"第{line}行{_in_notepad(line, physical)}"
    if "field larger than field limit" in str(exc):
        return _error(
            p, f"{where}有一个单元格超过 {csv.field_size_limit()} 个字符（{exc}）。"
               "这通常是因为某个单元格开头多了一个英文双引号（\"），后面各行都被连进了这个单元格",
            f"请用记事本打开该文件，检查第{physical}行及其后的英文双引号，删除多余的引号后保存并重新导入；"
            "或者用Excel（或WPS表格）改正后另存为 .xlsx 再导入")
    return _error(p, f"{where}不符合CSV文件的格式（{exc}）", _RESAVE)


_DELIMITERS = (",", "\t", ";")     # on a tie, the first: a comma


def _delimiter(text: str) -> str:
    """The CSV's delimiter: the one of comma, tab and semicolon (Excel in a European locale writes
    semicolons) that cuts the most of its first 20 lines into the same number of cells, two or
    more (a title line above the header has none; a note "a;b;c" in a comma file cuts only its
    own line so)."""
    head = text[:1 << 16].split("\n", 20)[:20]
    best, best_score = _DELIMITERS[0], (0, 0)
    for d in _DELIMITERS:
        try:
            widths = [len(cells) for cells in csv.reader(head, delimiter=d) if len(cells) > 1]
        except csv.Error:       # malformed in this reading: told by the reading itself (_csv_rows)
            continue
        if widths:
            mode = max(set(widths), key=lambda w: (widths.count(w), w))
            score = (widths.count(mode), mode)
            if score > best_score:
                best, best_score = d, score
    return best


def _read_csv(p: Path) -> Table:
    limits.check_size(p, limits.MAX_CSV_BYTES, "CSV")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise _error(p, f"读取出错（{os_reason(exc)}）", "请关闭正在打开该文件的程序后重试") from None
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise _error(p, "这是一个Excel文件，但扩展名是 .csv", "请把扩展名改为 .xlsx（或 .xls）后重试")
    text = _decode(p, data)
    if "\x00" in text:
        raise _error(p, "不是文本格式的CSV文件", _RESAVE)
    rows = _csv_rows(p, text, _delimiter(text))
    if not any(cell.strip() for row in rows for cell in row):
        raise _error(p, "文件中没有任何数据", "请确认选择了正确的文件")
    return Table(str(p), p.stem, rows)
