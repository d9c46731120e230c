"""The stored zip the halves hand calamine (core.importers.stored_zip): read back by zipfile and by
python-calamine as the archive it stands for; a wrong CRC is reported by both; the reader serves the
pieces as one file."""
from __future__ import annotations

import io
import zipfile
import zlib

import pytest
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.importers.stored_zip import PiecesReader, archive, crc_of


def _members(path) -> list[tuple[str, list, int]]:
    """The parts of an .xlsx as stored members, each part's data in pieces of 100 bytes (memoryviews)."""
    with zipfile.ZipFile(path) as z:
        out = []
        for name in z.namelist():
            data = memoryview(z.read(name))
            pieces = [data[i:i + 100] for i in range(0, len(data), 100)] + [b""]
            out.append((name, pieces, zlib.crc32(data)))
        return out


def _xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "学生"
    for i in range(1, 60):
        ws.append([f"学生{i}", i, i * 0.5, i % 2 == 0])
    path = tmp_path / "w.xlsx"
    wb.save(path)
    return path


def test_zipfile_and_calamine_read_it_back(tmp_path):
    path = _xlsx(tmp_path)
    members = [*_members(path), ("xl/备注 ü.xml", [b"<a/>"], zlib.crc32(b"<a/>")), ("empty.xml", [], 0)]
    pieces = archive(members)
    with zipfile.ZipFile(PiecesReader(pieces)) as z:
        assert z.testzip() is None
        assert z.namelist() == [name for name, _p, _c in members]
        assert all(z.getinfo(name).compress_type == zipfile.ZIP_STORED for name in z.namelist())
        assert z.read("xl/备注 ü.xml") == b"<a/>" and z.read("empty.xml") == b""
        with zipfile.ZipFile(path) as original:
            assert all(z.read(n) == original.read(n) for n in original.namelist())
    book = python_calamine.CalamineWorkbook.from_filelike(PiecesReader(pieces))
    whole = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["学生"]
    assert book.get_sheet_by_index(0).to_python() == whole.get_sheet_by_index(0).to_python()


def test_a_wrong_crc_is_reported_by_zipfile_and_calamine(tmp_path):
    members = [(n, p, c ^ 1 if n.startswith("xl/worksheets/") else c) for n, p, c in _members(_xlsx(tmp_path))]
    pieces = archive(members)
    with zipfile.ZipFile(PiecesReader(pieces)) as z:
        assert z.testzip() == "xl/worksheets/sheet1.xml"
    with pytest.raises(python_calamine.CalamineError, match=r"(?i)checksum|crc"):
        python_calamine.CalamineWorkbook.from_filelike(PiecesReader(pieces)).get_sheet_by_index(0)


def test_the_crc_of_pieces_is_the_crc_of_their_bytes():
    data = bytes(range(256)) * 50
    assert crc_of([data[:7], memoryview(data)[7:4000], data[4000:]]) == zlib.crc32(data)
    assert crc_of([data[100:]], crc_of([data[:100]])) == zlib.crc32(data)


_OPS = st.lists(st.one_of(st.tuples(st.just("read"), st.integers(-1, 300)),
                          st.tuples(st.just("seek"), st.integers(0, 400), st.sampled_from([0, 1, 2]))),
                max_size=30)


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(0, 90), max_size=8), ops=_OPS)
def test_the_reader_is_the_joined_pieces(sizes, ops):
    data, pieces, _ends = _cut(sizes)
    ours, theirs = PiecesReader(pieces), io.BytesIO(data)
    for op in ops:
        if op[0] == "read":
            assert ours.read(op[1]) == theirs.read(op[1])
        else:
            _seek_both(ours, theirs, op, len(data))
        assert ours.tell() == theirs.tell()


def _cut(sizes: list[int]) -> tuple[bytes, list, set[int]]:
    """Data of ``sum(sizes)`` bytes, its pieces of those sizes (every odd-sized one a memoryview), and
    where each piece ends."""
    data = bytes(i % 251 for i in range(sum(sizes)))
    pieces, at, ends = [], 0, set()
    for size in sizes:
        pieces.append(memoryview(data)[at:at + size] if size % 2 else data[at:at + size])
        at += size
        ends.add(at)
    return data, pieces, ends


def _seek_both(ours: PiecesReader, theirs: io.BytesIO, op: tuple, size: int) -> None:
    """The seek ``op`` on both readers (one BytesIO refuses, before the start, is skipped)."""
    offset = op[1] if op[2] == 0 else op[1] - 200
    if (op[2] == 1 and theirs.tell() + offset < 0) or (op[2] == 2 and size + offset < 0):
        return
    assert ours.seek(offset, op[2]) == theirs.seek(offset, op[2])


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(0, 90), max_size=8), ops=_OPS)
def test_the_short_reader_gives_the_joined_pieces_in_short_reads(sizes, ops):
    """``short``: each read gives a prefix of what a full read gives (at most the rest of the piece it
    starts in), nothing only at the end; read on, the reads join into the whole file."""
    data, pieces, ends = _cut(sizes)
    ours, theirs = PiecesReader(pieces, short=True), io.BytesIO(data)
    for op in ops:
        if op[0] == "read":
            at = ours.tell()
            got, full = ours.read(op[1]), theirs.read(op[1])
            assert type(got) is bytes and full.startswith(got) and (got or not full)
            assert len(got) == len(full) or at + len(got) in ends      # short only at a piece's end
            theirs.seek(at + len(got))
        else:
            _seek_both(ours, theirs, op, len(data))
        assert ours.tell() == theirs.tell()
    rest = b"".join(iter(lambda: ours.read(7), b""))
    assert rest == theirs.read()


def test_the_short_reader_hands_a_whole_piece_over_without_a_copy():
    first, second, third = b"a" * 40, b"b" * 30, bytearray(b"c" * 20)
    reader = PiecesReader([first, memoryview(second)[:25], third, b"", second], short=True)
    assert reader.read(100) is first                          # the whole piece: that very object
    assert reader.read(10) == b"b" * 10 and reader.read(100) == b"b" * 15    # a view: copied, to its end
    assert reader.read(100) == b"c" * 20                      # a bytearray: copied as bytes
    reader.seek(5, io.SEEK_CUR)
    assert reader.read(100) == b"b" * 25 and reader.read(100) == b""
    reader.seek(0)
    assert reader.read(39) == b"a" * 39 and reader.read(1) == b"a"


def test_calamine_reads_the_short_reader(tmp_path):
    path = _xlsx(tmp_path)
    book = python_calamine.CalamineWorkbook.from_filelike(PiecesReader(archive(_members(path)), short=True))
    whole = python_calamine.CalamineWorkbook.from_path(str(path))
    assert book.get_sheet_by_index(0).to_python() == whole.get_sheet_by_index(0).to_python()


def test_the_short_reader_reads_everything_when_asked_for_everything():
    pieces = [b"a" * 40, memoryview(b"b" * 30)[:25], b"c" * 20]
    for ask in (-1, None):
        reader = PiecesReader(pieces, short=True)
        reader.read(3)
        assert reader.read(ask) == b"a" * 37 + b"b" * 25 + b"c" * 20 and reader.read(5) == b""
