"""The pre-check of the formats calamine reads by their records: .xls (BIFF in OLE2) and what a zip
may hold besides .xlsx and .ods (an .xlsb). A cell far away in such a file made calamine allocate
its whole grid and abort the process (found by review, session 15); now the records are measured
first. Files are built here record by record; a regression aborts a child process, never pytest."""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from test_spreadsheet_safety import read_in_subprocess, write_xlsx

from core.errors import InputFileError
from core.importers import limits
from core.importers.reader import read_table

NUMBER, MULBLANK, DIMENSIONS, FILEPASS, BOF, EOF, BOUNDSHEET = 0x0203, 0x00BE, 0x0200, 0x002F, 0x0809, 0x000A, 0x0085


def rec(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def number(row: int, col: int, value: float) -> bytes:
    return rec(NUMBER, struct.pack("<HHHd", row, col, 0, value))


def short_string(text: str) -> bytes:
    """A ShortXLUnicodeString: compressed (Latin-1) when it can be, else UTF-16LE."""
    try:
        return bytes([len(text), 0]) + text.encode("latin-1")
    except UnicodeEncodeError:
        return bytes([len(text), 1]) + text.encode("utf-16-le")


def _stream(sheet: bytes, globals_extra: bytes = b"", name: str = "Sheet1") -> bytes:
    """A BIFF8 workbook stream: the globals (one sheet listed, named ``name``) and the sheet's records."""
    bof = rec(BOF, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))

    def globals_(at: int) -> bytes:
        listed = rec(BOUNDSHEET, struct.pack("<IBB", at, 0, 0) + short_string(name))
        return bof + globals_extra + listed + rec(EOF)
    head = globals_(0)
    sheet_bof = rec(BOF, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
    return globals_(len(head)) + sheet_bof + sheet + rec(EOF)


def ole_file(path: Path, stream: bytes, name: str = "Workbook",
             more: tuple[tuple[str, bytes, bool], ...] = ()) -> Path:
    """``stream`` as the first stream of a minimal OLE2 compound file (512-byte sectors, one FAT sector:
    streams up to about 60 KB in all); ``more``: further streams (name, data, linked into the directory's
    tree or left out of it). The root's child is the first linked stream."""
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    streams = [(name, stream, True), *more]
    padded = [data.ljust(max(4096, (len(data) + 511) // 512 * 512), b"\0") for _n, data, _l in streams]
    fat = [fat_sector, end]
    starts = []
    for data in padded:
        first, count = len(fat), len(data) // 512
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [end]
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
    header += b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108

    def entry(label: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (label + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", none, right, child) + b"\0" * 36 + struct.pack("<II", start, size) + b"\0" * 4)
    linked = [i + 1 for i, (_n, _d, on) in enumerate(streams) if on]
    directory = entry("Root Entry", 5, none, linked[0], end, 0)
    for i, ((label, _data, _on), first) in enumerate(zip(streams, starts, strict=True)):
        sid = i + 1
        after = [k for k in linked if k > sid]
        directory += entry(label, 2, after[0] if sid in linked and after else none, none, first, len(padded[i]))
    blank = b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", none, none, none) + b"\0" * 48
    directory += blank * (4 - len(streams) - 1)
    assert len(directory) == 512
    path.write_bytes(header + struct.pack("<128I", *fat) + directory + b"".join(padded))
    return path


def xls(path: Path, sheet: bytes, globals_extra: bytes = b"", name: str = "Sheet1") -> Path:
    return ole_file(path, _stream(sheet, globals_extra, name))


def test_an_xls_within_the_limits_is_read(tmp_path):
    table = read_table(xls(tmp_path / "ok.xls", number(0, 0, 1.0) + number(3, 199, 7.0)))
    assert table.rows[0][0] == 1.0 and table.rows[3][199] == 7.0


def test_an_xls_cell_far_away_is_refused_before_calamine(tmp_path):
    path = xls(tmp_path / "far.xls", number(0, 0, 1.0) + number(65535, 65535, 2.0))
    assert path.stat().st_size < 6000
    out = read_in_subprocess(path)       # calamine would ask for 137 GB and abort
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "太大或范围异常" in out.stdout and "第 65536 列" in out.stdout


@pytest.mark.parametrize(("records", "said"), [
    (number(0, 0, 1.0) + number(0, 200, 2.0), "第 201 列"),
    # a run of blank cells whose last column is beyond the limit
    (number(0, 0, 1.0) + rec(MULBLANK, struct.pack("<HH", 2, 5) + b"\0\0" * 3 + struct.pack("<H", 400)), "第 401 列"),
    # a declared extent (BIFF8 DIMENSIONS: rows as u32)
    (rec(DIMENSIONS, struct.pack("<IIHHH", 0, 2_000_000, 0, 3, 0)) + number(0, 0, 1.0), "第 2000000 行"),
])
def test_every_record_that_places_a_cell_is_measured(tmp_path, records, said):
    with pytest.raises(InputFileError) as err:
        read_table(xls(tmp_path / "a.xls", records))
    assert said in err.value.message and "另存为新文件" in err.value.hint


def test_the_limits_are_the_other_formats_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 10)
    with pytest.raises(InputFileError) as err:
        read_table(xls(tmp_path / "a.xls", number(0, 0, 1.0) + number(10, 0, 2.0)))
    assert "第 11 行" in err.value.message and "上限 10 行" in err.value.message


def test_an_xls_with_a_password_is_refused_as_such(tmp_path):
    path = xls(tmp_path / "p.xls", number(0, 0, 1.0), globals_extra=rec(FILEPASS, b"\x01\x00" + b"\0" * 52))
    with pytest.raises(InputFileError) as err:
        read_table(path)
    assert "密码" in err.value.message and "取消密码保护" in err.value.hint


def test_a_damaged_xls_is_refused_with_a_message(tmp_path):
    whole = _stream(number(0, 0, 1.0))
    cut = ole_file(tmp_path / "cut.xls", whole[:-4] + struct.pack("<HH", NUMBER, 0xFFFF))   # a record past the end
    with pytest.raises(InputFileError) as err:
        read_table(cut)
    assert "已损坏" in err.value.message
    other = ole_file(tmp_path / "doc.xls", whole, name="WordDocument")
    with pytest.raises(InputFileError) as err:
        read_table(other)
    assert "没有Excel工作簿数据" in err.value.message
    garbage = tmp_path / "g.xls"
    garbage.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\xff" * 3000)
    with pytest.raises(InputFileError) as err:
        read_table(garbage)
    assert "不是有效的Excel文件" in err.value.message


def _xlsb(path: Path) -> Path:
    """A zip holding a binary workbook (.xlsb) with a cell at XFD1048576, named as the caller says."""
    def varint(n: int) -> bytes:
        out = b""
        while True:
            low, n = n & 0x7F, n >> 7
            out += bytes([low | (0x80 if n else 0)])
            if not n:
                return out

    def brec(kind: int, data: bytes = b"") -> bytes:
        return (bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])) + varint(len(data)) + data

    def wide(text: str) -> bytes:
        return struct.pack("<I", len(text)) + text.encode("utf-16-le")
    book = brec(0x9C, struct.pack("<II", 0, 1) + wide("rId1") + wide("Sheet1")) + brec(0x90) + brec(0x9D)
    sheet = brec(0x94, struct.pack("<IIII", 0, 1, 0, 1)) + brec(0x91)
    sheet += brec(0x00, struct.pack("<I", 0) + b"\0" * 8) + brec(0x06, struct.pack("<II", 0, 0) + wide("姓名"))
    sheet += brec(0x00, struct.pack("<I", 1048575) + b"\0" * 8) + brec(0x06, struct.pack("<II", 16383, 0) + wide("x"))
    sheet += brec(0x92)
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"/>')
        z.writestr("xl/workbook.bin", book)
        z.writestr("xl/_rels/workbook.bin.rels", rels)
        z.writestr("xl/worksheets/sheet1.bin", sheet)
    return path


@pytest.mark.parametrize("name", ["名单.xlsx", "名单.xls", "名单.ods"])
def test_a_binary_workbook_in_any_name_is_refused_before_calamine(tmp_path, name):
    out = read_in_subprocess(_xlsb(tmp_path / name))     # calamine's .xlsb reader would ask for 512 GB
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert ".xlsb" in out.stdout


def test_a_zip_that_is_neither_or_both_is_refused(tmp_path):
    neither = tmp_path / "n.xlsx"
    with zipfile.ZipFile(neither, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    both = write_xlsx(tmp_path / "b.xlsx", '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>')
    with zipfile.ZipFile(both, "a") as z:
        z.writestr("content.xml", "<office:document-content/>")
    for path in (neither, both):
        with pytest.raises(InputFileError) as err:
            read_table(path)
        assert "文件结构异常" in err.value.message and "另存为 .xlsx" in err.value.hint


def test_a_sheet_hidden_inside_another_record_is_measured_where_calamine_reads_it(tmp_path):
    """calamine starts each sheet where its BOUNDSHEET record says: a sheet placed inside another
    record's data (never met by a walk from the start) is walked from there too."""
    bof = rec(BOF, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    hidden = rec(BOF, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0)) + number(0, 0, 1.0) \
        + number(65535, 65535, 2.0) + rec(EOF)
    name = b"Sheet1"

    def stream(at: int) -> bytes:
        listed = rec(BOUNDSHEET, struct.pack("<IBB", at, 0, 0) + bytes([len(name), 0]) + name)
        return bof + listed + rec(EOF) + rec(0x00FC, b"\0" * 8 + hidden)      # (inside an SST record's data)
    at = len(stream(0)) - len(hidden)
    path = ole_file(tmp_path / "hidden.xls", stream(at))
    out = read_in_subprocess(path)
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "第 65536 列" in out.stdout


@pytest.mark.parametrize(("first", "last", "said"), [
    (300, 2, "第 302 列"),        # a last column that lies: the cells counted from the first
    (2, 300, "第 301 列"),
])
def test_a_run_of_numbers_is_measured_every_way_it_can_be_read(tmp_path, first, last, said):
    cells = b"".join(struct.pack("<HI", 0, 2) for _ in range(2))           # two RK cells
    run_of = rec(0x00BD, struct.pack("<HH", 1, first) + cells + struct.pack("<H", last))
    with pytest.raises(InputFileError) as err:
        read_table(xls(tmp_path / "a.xls", number(0, 0, 1.0) + run_of))
    assert said in err.value.message


def test_every_workbook_stream_calamine_may_read_is_measured(tmp_path):
    """calamine takes the first "Workbook" of the directory's flat list, linked into its tree or not;
    olefile follows the tree. A harmless linked "Book" beside an unlinked "Workbook" with a far cell."""
    harmless = _stream(number(0, 0, 1.0))
    far = _stream(number(0, 0, 1.0) + number(65535, 65535, 2.0))
    path = ole_file(tmp_path / "two.xls", far, name="Workbook", more=(("Book", harmless, True),))
    data = bytearray(path.read_bytes())              # unlink the first stream: the root's child is "Book"
    root = 512 * 2
    struct.pack_into("<I", data, root + 76, 2)
    path.write_bytes(bytes(data))
    out = read_in_subprocess(path)
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])
    assert "第 65536 列" in out.stdout


def test_a_non_standard_mini_stream_cutoff_is_read_as_calamine_reads_it(tmp_path):
    """calamine always takes 4,096 bytes as the mini stream's cutoff; olefile corrects the header's value
    to it as well, so both read the same bytes (the pre-check refuses any other cutoff olefile keeps)."""
    path = xls(tmp_path / "cut.xls", number(0, 0, 1.0) + number(2, 3, 7.0))
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 56, 8192)           # the header's mini-stream cutoff
    path.write_bytes(bytes(data))
    assert read_table(path).rows[2][3] == 7.0


@pytest.mark.parametrize(("dims", "said"), [
    (struct.pack("<IIHHH", 10, 5, 0, 1, 0), "首尾颠倒"),          # calamine's count would wrap round
    (struct.pack("<IIHHH", 0, 1, 10, 5, 0), "首尾颠倒"),
    (struct.pack("<IIHHH", 0, 1_000_000, 0, 200, 0), "超过 Excel 97-2003 格式的 65536 行"),
])
def test_a_declared_extent_is_measured_as_calamine_counts_it(tmp_path, dims, said):
    out = read_in_subprocess(xls(tmp_path / "d.xls", rec(DIMENSIONS, dims) + number(0, 0, 1.0)))
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr[-2000:])   # calamine: 8 to 171 GB
    assert said in out.stdout


def test_bytes_after_the_workbook_s_last_record_are_no_damage(tmp_path):
    """A writer may leave bytes after the stream's last EOF record: calamine reads such a file, and the
    pre-check, which cannot read a record there either, no longer refuses it."""
    path = ole_file(tmp_path / "tail.xls", _stream(number(0, 0, 1.0) + number(1, 2, 5.0)) + b"\x01\x02\x03\xff\xff\xff")
    assert read_table(path).rows[1][2] == 5.0
