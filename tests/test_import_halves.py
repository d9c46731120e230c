"""A big regular sheet read by calamine in two halves on two threads (core.importers.halves)
gives the table calamine gives for the whole file, and never sees a byte the pre-check did not
measure: a file beyond the limits is refused before calamine is called at all."""
from __future__ import annotations

import os
import threading
import zipfile
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from test_import_identity import _write as write_rows
from test_spreadsheet_safety import inline, write_xlsx

from core.errors import InputFileError
from core.importers import halves, inflate, limits
from core.importers.reader import read_table


def typed(rows: list[list]) -> list[list]:
    return [[(type(c), c) for c in r] for r in rows]


@pytest.fixture
def calls(monkeypatch):
    """How often calamine opened a path / a file-like object (thread-safe appends)."""
    seen: dict[str, list] = {"from_path": [], "from_filelike": []}
    for name in seen:
        real = getattr(python_calamine.CalamineWorkbook, name)
        monkeypatch.setattr(python_calamine.CalamineWorkbook, name,
                            lambda source, _real=real, _seen=seen[name]: _seen.append(source) or _real(source))
    return seen


@pytest.fixture
def split(monkeypatch):
    """Halves for any sheet (not only from 8 MB on), read in small chunks so that even a test's
    sheet has a middle chunk."""
    def on(chunk: int = 512) -> None:
        monkeypatch.setattr(limits, "SPLIT_MIN", 0)
        monkeypatch.setattr(limits, "CHUNK", chunk)
        monkeypatch.setattr(halves, "spare_core", lambda since=None: True)      # whatever the machine's load
    return on


def _workbook(path: Path) -> Path:
    """A title, a header, typed rows A–F; then every other row empty and the others in C–F only,
    the last few reaching column J: the cut falls among those, so the second half starts below an
    empty row, right of column A, and is wider than the first."""
    wb = Workbook()
    ws = wb.active
    ws.title = "学生"
    ws.append(["学生名单"])
    ws.append(["姓名", "身份证号", "出生日期", "学费", "是否", "时间"])
    for i in range(3, 41):
        ws.append([f"学生{i}", f"4228{i:014d}", date(2008, 1 + i % 12, 1 + i % 28), i * 1.5, i % 2 == 0,
                   datetime(2024, 1, 1, i % 24, 30)])
    for i in range(41, 401, 2):
        for col, value in ((3, f"班{i}"), (4, i), (6, None if i % 3 else "x")):
            ws.cell(row=i, column=col, value=value)
        if i > 390:
            ws.cell(row=i, column=10, value=f"备注{i}")
    wb.save(path)
    return path


def test_the_halves_give_the_whole_sheets_table(tmp_path, split, calls, monkeypatch):
    path = _workbook(tmp_path / "s.xlsx")
    plain = read_table(path)
    assert len(calls["from_path"]) == 1 and not calls["from_filelike"]
    split()
    checked = limits.precheck_spreadsheet(path, path.read_bytes()[:1024])
    assert checked.split is not None and checked.split.complete and not calls["from_filelike"]
    joined = []
    real = halves._joined
    monkeypatch.setattr(halves, "_joined", lambda a, b: joined.append((a[1:3], b[1:3])) or real(a, b))
    table = read_table(path)
    assert len(calls["from_filelike"]) == 2 and len(calls["from_path"]) == 1     # the halves, not the file
    assert all(source.short for source in calls["from_filelike"])     # served in whole pieces (stored_zip)
    assert typed(table.rows) == typed(plain.rows) and table.sheet == plain.sheet == "学生"
    assert len(table.rows) == 399 and {len(r) for r in table.rows} == {10}
    [((a_start, a_end), (b_start, b_end))] = joined
    assert a_start == (0, 0) and b_start[1] == 2 and b_start[0] == a_end[0] + 2 and a_end[1] < b_end[1] == 9


def test_the_halves_are_put_back_by_position():
    a = ("S", (1, 0), (2, 1), [["a", 1], ["b", 2]])
    b = ("S", (4, 2), (5, 3), [["c", 3], ["d", 4]])
    name, rows = halves._joined(a, b)
    assert name == "S" and rows == [["", "", "", ""], ["a", 1, "", ""], ["b", 2, "", ""], ["", "", "", ""],
                                    ["", "", "c", 3], ["", "", "d", 4]]
    assert halves._joined(b, a) is None                          # rows out of order across the cut
    assert halves._joined(a, ("", (0, 0), (0, 0), [])) is None    # an empty half


_CELLS = st.one_of(st.none(), st.text("甲乙 ab1", max_size=4), st.integers(-5, 10**6),
                   st.floats(-1e6, 1e6, allow_nan=False), st.booleans(),
                   st.dates(date(1990, 1, 1), date(2030, 12, 31)))


def _cuttable_chunk(path: Path) -> int:
    """A chunk size from 512 bytes on at which the sheet is cut in halves: ``Split`` wants
    ``<sheetData>`` whole in the first chunk and a row end in the chunk planned for the cut."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    for chunk in range(512, 1024):
        chunks = [xml[i:i + chunk] for i in range(0, len(xml), chunk)]
        at = halves.cut_chunk(len(chunks))
        if at > 0 and b"<sheetData>" in chunks[0] and b"</row>" in chunks[at]:
            return chunk
    raise AssertionError(f"no chunk size cuts this sheet of {len(xml)} bytes")


_ROWS = st.lists(_CELLS, min_size=1, max_size=7).filter(lambda r: any(c not in (None, "") for c in r))


def test_any_sheet_reads_the_same_in_halves(tmp_path_factory, split, monkeypatch):
    """Any grid gives the whole file's table through the halves — and the halves are really used
    (no example passes by reading the whole file twice): rows enough for several chunks, each row
    with a value, so that the middle chunk ends a row and neither half is empty."""
    split()
    joined: list[bool] = []
    real = halves._joined

    def counted(a, b):
        rows = real(a, b)
        joined.append(rows is not None)
        return rows
    monkeypatch.setattr(halves, "_joined", counted)
    examples: list[bool] = []

    @settings(max_examples=25, deadline=None)
    @given(grid=st.lists(_ROWS, min_size=40, max_size=80))
    def reads_the_same(grid):
        path = write_rows(tmp_path_factory.mktemp("h") / "g.xlsx", grid)
        with monkeypatch.context() as m:
            m.setattr(limits, "SPLIT_MIN", 1 << 62)        # the whole file, as without halves
            plain = read_table(path)
        assert not joined
        with monkeypatch.context() as m:
            m.setattr(limits, "CHUNK", _cuttable_chunk(path))
            table = read_table(path)
        assert typed(table.rows) == typed(plain.rows) and table.sheet == plain.sheet
        examples.append(joined == [True])
        joined.clear()

    reads_the_same()
    assert len(examples) >= 20 and all(examples), examples


def test_rows_out_of_order_are_read_from_the_whole_file(tmp_path, split, calls):
    rows = "".join(f'<row r="{i}">{inline(f"A{i}", f"x{i}")}<c r="B{i}"><v>{i}</v></c></row>'
                   for i in range(300, 0, -1))
    path = write_xlsx(tmp_path / "rev.xlsx", rows)
    plain = read_table(path)
    split()
    table = read_table(path)
    assert len(calls["from_filelike"]) == 2 and len(calls["from_path"]) == 2    # tried, then the file
    assert typed(table.rows) == typed(plain.rows) and table.rows[0] == ["x1", 1]


def test_a_failing_half_reads_the_whole_file(tmp_path, split, calls, monkeypatch):
    path = _workbook(tmp_path / "s.xlsx")
    plain = read_table(path)
    split()
    real = halves._rows

    def fails_once(workbook):
        if not getattr(fails_once, "done", False):
            fails_once.done = True
            raise python_calamine.CalamineError("broken half")
        return real(workbook)
    monkeypatch.setattr(halves, "_rows", fails_once)
    assert typed(read_table(path).rows) == typed(plain.rows)
    assert len(calls["from_path"]) == 2


def test_a_panic_in_the_first_half_gives_the_whole_files_error(tmp_path, split, calls):
    """calamine panics on a cell (-1e15 as a date) in the first half: pyo3's PanicException, a
    BaseException, is not let through; the whole file is read and gives its own message."""
    wb = Workbook()
    ws = wb.active
    for i in range(1, 401):
        ws.append([f"学生{i}", i])
    ws.cell(row=5, column=3, value=-1e15).number_format = "yyyy-mm-dd"
    path = tmp_path / "panic.xlsx"
    wb.save(path)
    with pytest.raises(InputFileError) as whole:
        read_table(path)
    split(1024)
    with pytest.raises(InputFileError) as halved:
        read_table(path)
    assert halved.value.message == whole.value.message and "所有工作表都是空的" in whole.value.message
    assert len(calls["from_filelike"]) == 2 and len(calls["from_path"]) == 2    # tried, then the file


def test_a_helper_thread_that_cannot_start_reads_the_whole_file(tmp_path, split, calls, monkeypatch):
    class NoThread(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")
    path = _workbook(tmp_path / "s.xlsx")
    plain = read_table(path)
    split()
    monkeypatch.setattr(halves, "threading", SimpleNamespace(Thread=NoThread, Event=threading.Event))
    assert typed(read_table(path).rows) == typed(plain.rows)
    assert not calls["from_filelike"] and len(calls["from_path"]) == 2


def test_the_halves_hold_only_the_parts_calamine_reads(tmp_path, split, calls, monkeypatch):
    """A picture, printer settings, macros are not copied into the halves (each would be copied in
    memory twice, and again by calamine): only the .xml and .rels parts the pre-check measured."""
    path = _workbook(tmp_path / "s.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as z:
        z.writestr("xl/media/image1.png", os.urandom(4 * 1024 * 1024))
        z.writestr("xl/printerSettings/printerSettings1.bin", bytes(4096))
        z.writestr("xl/vbaProject.bin", bytes(4096))
    with zipfile.ZipFile(path) as z:
        measured = sorted(n for n in z.namelist() if n.endswith((".xml", ".rels")))
    assert "xl/worksheets/sheet1.xml" in measured and "xl/styles.xml" in measured
    plain = read_table(path)
    split()
    zipped: list[tuple[int, list[str]]] = []
    real = halves._open

    def spy(reader):
        with zipfile.ZipFile(reader) as z:
            assert z.testzip() is None                                  # every CRC right
            zipped.append((reader.seek(0, os.SEEK_END), sorted(z.namelist())))
        reader.seek(0)
        return real(reader)
    monkeypatch.setattr(halves, "_open", spy)
    table = read_table(path)
    assert len(calls["from_filelike"]) == 2 and len(calls["from_path"]) == 1     # the halves, not the file
    assert all(source.short for source in calls["from_filelike"])     # served in whole pieces (stored_zip)
    assert typed(table.rows) == typed(plain.rows)
    assert [names for _size, names in zipped] == [measured, measured]
    assert all(size < 1024 * 1024 for size, _names in zipped)


def test_a_sheet_of_empty_cells_is_empty_in_halves_too(tmp_path, split, calls):
    rows = "".join(f'<row r="{i}">{inline(f"A{i}", "")}</row>' for i in range(1, 301))
    path = write_xlsx(tmp_path / "blank.xlsx", rows)
    with pytest.raises(InputFileError) as whole:
        read_table(path)
    split()
    with pytest.raises(InputFileError) as halved:
        read_table(path)
    assert halved.value.message == whole.value.message and "所有工作表都是空的" in whole.value.message
    assert len(calls["from_filelike"]) == 2 and len(calls["from_path"]) == 2    # tried, then the file


def test_no_free_core_reads_the_whole_file(tmp_path, split, calls, monkeypatch):
    path = _workbook(tmp_path / "s.xlsx")
    split()
    monkeypatch.setattr(halves, "spare_core", lambda since=None: False)
    read_table(path)
    assert not calls["from_filelike"] and len(calls["from_path"]) == 1


def _regular(count: int) -> str:
    return "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, count + 1))


@pytest.mark.parametrize("halves_on", [False, True])
def test_a_far_cell_or_a_bomb_never_reaches_calamine(tmp_path, split, monkeypatch, halves_on):
    """Whether or not the halves are on: calamine is never called for a file beyond the limits."""
    called: list = []
    for name in ("from_path", "from_filelike"):
        monkeypatch.setattr(python_calamine.CalamineWorkbook, name, lambda *a: called.append(a))
    if halves_on:
        split()
    far = write_xlsx(tmp_path / "far.xlsx", _regular(3000) + '<row r="3001"><c r="XFD1048576"><v>1</v></c></row>')
    with pytest.raises(InputFileError) as err:
        read_table(far)
    assert "太大或范围异常" in err.value.message and "1048576" in err.value.message
    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = write_xlsx(tmp_path / "bomb.xlsx", _regular(40_000))       # 1.6 MB unpacked, 0.3 MB packed
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(InputFileError) as err:
        read_table(bomb)
    assert "解压后超过 1 MB" in err.value.message
    assert not called


def test_the_halves_are_the_measured_xml_and_their_crcs_right(tmp_path, split, monkeypatch):
    """The two stored zips calamine is given hold, as the sheet, exactly the XML the pre-check
    measured — the first half's rows and the sheet's closing tags, the sheet's start and the other
    rows — with the CRC-32 computed as the chunks came (zipfile checks each)."""
    path = _workbook(tmp_path / "s.xlsx")
    plain = read_table(path)
    split()
    with zipfile.ZipFile(path) as z:
        whole = z.read("xl/worksheets/sheet1.xml")
    seen: list[bytes] = []
    real_open = halves._open

    def spy(reader):
        with zipfile.ZipFile(reader) as z:
            assert z.testzip() is None
            seen.append(z.read("xl/worksheets/sheet1.xml"))
        reader.seek(0)
        return real_open(reader)
    monkeypatch.setattr(halves, "_open", spy)
    table = read_table(path)
    assert typed(table.rows) == typed(plain.rows)
    closing = b"</sheetData></worksheet>"
    head = whole[:whole.index(b"<sheetData>") + len(b"<sheetData>")]
    [a] = [xml for xml in seen if xml.endswith(b"</row>" + closing)]
    [b] = [xml for xml in seen if xml is not a]
    assert a.endswith(b"</row>" + closing) and b.startswith(head + b"<row ")
    assert a[:-len(closing)] + b[len(head):] == whole           # every byte the pre-check's, once


def test_a_wrong_crc_of_a_half_reads_the_whole_file(tmp_path, split, calls, monkeypatch):
    """A half whose CRC does not match its XML is refused by calamine (as a corrupt zip) and the
    whole file is read: the CRC written is the one computed, not a stand-in."""
    path = _workbook(tmp_path / "s.xlsx")
    plain = read_table(path)
    split()
    real = halves.Split.halves

    def off_by_one(self):
        (m, a, crc_a), second = real(self)
        return (m, a, crc_a ^ 1), second
    monkeypatch.setattr(halves.Split, "halves", off_by_one)
    assert typed(read_table(path).rows) == typed(plain.rows)
    assert len(calls["from_filelike"]) == 2 and len(calls["from_path"]) == 2    # tried, then the file


def test_a_formula_after_the_cut_reads_the_whole_file(tmp_path, split, calls):
    """A sheet regular up to the cut and not after it (a total row's formula without a value): the
    pieces kept so far are dropped; the whole file is read and the formula noted."""
    rows = _regular(3000) + '<row r="3001"><c r="A3001"><f>SUM(A1:A3000)</f></c></row>'
    path = write_xlsx(tmp_path / "sum.xlsx", rows)
    plain = read_table(path)
    split()
    table = read_table(path)
    assert not calls["from_filelike"] and len(calls["from_path"]) == 2   # no halves: the whole file
    assert typed(table.rows) == typed(plain.rows) and table.uncomputed == plain.uncomputed == {(3000, 0)}


def test_a_prefixed_root_is_closed_by_its_own_name(tmp_path, split, calls, monkeypatch):
    """A worksheet whose root carries a prefix (``<x:worksheet>``, its cells in the default
    namespace): the first half is closed with ``</x:worksheet>`` and the halves give the whole table."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    path = write_xlsx(tmp_path / "x.xlsx", _regular(400))
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace(f'<worksheet xmlns="{ns}">', f'<x:worksheet xmlns:x="{ns}" xmlns="{ns}">')
    parts["xl/worksheets/sheet1.xml"] = sheet.replace("</worksheet>", "</x:worksheet>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    plain = read_table(path)
    split()
    closings: list[bytes] = []
    real = halves._open

    def spy(reader):
        with zipfile.ZipFile(reader) as z:
            closings.append(z.read("xl/worksheets/sheet1.xml")[-40:])
        reader.seek(0)
        return real(reader)
    monkeypatch.setattr(halves, "_open", spy)
    table = read_table(path)
    assert typed(table.rows) == typed(plain.rows) and len(table.rows) == 400
    assert len(calls["from_filelike"]) == 2 and len(calls["from_path"]) == 1
    assert all(c.endswith(b"</sheetData></x:worksheet>") for c in closings)


def test_a_part_named_in_capitals_is_in_both_halves(tmp_path, split, monkeypatch):
    """calamine finds xl/styles.XML as it finds xl/styles.xml: the halves copy it too, or every date
    became a number in them (review, session 17)."""
    rows = [["姓名", "出生日期"], *[[f"学生{i}", date(2006, 10, 12)] for i in range(60)]]
    plain_path = write_rows(tmp_path / "plain.xlsx", rows)
    path = tmp_path / "caps.xlsx"
    with zipfile.ZipFile(plain_path) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename.replace("styles.xml", "styles.XML"), src.read(info))
    with monkeypatch.context() as m:
        m.setattr(limits, "SPLIT_MIN", 1 << 62)        # the whole file, as without halves
        whole = read_table(path)
    assert whole.rows[2][1] == date(2006, 10, 12)
    joined: list[bool] = []
    real = halves._joined
    monkeypatch.setattr(halves, "_joined", lambda a, b: joined.append(True) or real(a, b))
    split(_cuttable_chunk(path))
    assert typed(read_table(path).rows) == typed(whole.rows) and joined == [True]


def test_the_halves_cut_the_sheet_near_its_middle(tmp_path, split, monkeypatch):
    """The cut is at a chunk counted from the sheet's declared size, so the pre-check's stream must give
    chunks of ``CHUNK`` bytes (core.importers.inflate, as zipfile's reads): pieces of other sizes put the
    cut a quarter of the way in, and the second half's calamine took most of the time (session 26)."""
    path = _workbook(tmp_path / "s.xlsx")
    split(512)
    monkeypatch.setattr(inflate, "READ", 97)      # a read inflates to less than a chunk, as at county size
    with zipfile.ZipFile(path) as z:
        size = z.getinfo("xl/worksheets/sheet1.xml").file_size
    checked = limits.precheck_spreadsheet(path, path.read_bytes()[:8])
    assert checked.split is not None and size > 20 * 512
    first = sum(len(p) for p in checked.split.first)
    assert 0.4 * size < first < 0.6 * size
