"""The pre-check's inflate (core.importers.inflate, zlib-ng): the bytes zipfile gives, in pieces of the
size asked (the halves count them), and every damage zipfile refuses refused the same way through limits.stream."""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputFileError
from core.importers import limits
from core.importers.inflate import InflateError, inflated

MEMBERS = {
    "xl/worksheets/sheet1.xml": b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7)
                                         for i in range(1, 40_000)),
    "repeated.xml": b"x" * 3_000_000,            # a ratio of about 1,000: output held back between calls
    "random.bin": os.urandom(200_000),           # incompressible
    "empty.xml": b"",
    "名单/说明.xml": "<备注>中文</备注>".encode(),   # a UTF-8 name (flag bit 11)
}


def _zip(path: Path, members: dict[str, bytes] = MEMBERS) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("chunk", [1, 1000, 65_536, 1 << 20, 8 << 20])
def test_every_member_inflates_to_zipfiles_bytes_in_pieces_of_chunk_bytes_but_the_last(tmp_path, chunk):
    path = _zip(tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if chunk == 1 and info.file_size > 300_000:
                continue                          # (a byte at a time: the small members show it)
            pieces = list(inflated(path, info, chunk))
            assert b"".join(pieces) == z.read(info) == MEMBERS[info.filename]
            assert all(len(p) == chunk for p in pieces[:-1]) and all(0 < len(p) <= chunk for p in pieces[-1:])


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=50_000), repeat=st.integers(1, 200), chunk=st.integers(1, 70_000))
def test_any_data_inflates_to_itself(tmp_path_factory, data, repeat, chunk):
    path = _zip(tmp_path_factory.mktemp("h") / "h.zip", {"m.xml": data * repeat})
    with zipfile.ZipFile(path) as z:
        assert b"".join(inflated(path, z.infolist()[0], chunk)) == data * repeat


def _patched(src: Path, dst: Path, member: str, edit) -> Path:
    """``src`` with ``edit(raw bytes, ZipInfo, offset of its local header)`` applied, as ``dst``."""
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo(member)
    edit(raw, info, info.header_offset)
    dst.write_bytes(bytes(raw))
    return dst


def _data_at(raw: bytearray, at: int) -> int:
    name_len, extra_len = struct.unpack_from("<HH", raw, at + 26)
    return at + 30 + name_len + extra_len


def _central_entry(raw: bytearray, at: int) -> int:
    """Where the central directory's entry of the member whose local header is at ``at`` starts."""
    pos = raw.find(b"PK\x01\x02")
    while struct.unpack_from("<I", raw, pos + 42)[0] != at:
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return pos


def _wrong_crc(raw, info, at):           # the directory's and the local header's CRC both wrong
    wrong = struct.pack("<I", info.CRC ^ 0x1)
    raw[at + 14:at + 18] = wrong
    central = _central_entry(raw, at)
    raw[central + 16:central + 20] = wrong


def _flag(bit: int):
    """A general-purpose flag bit set in the directory (what zipfile reads) and the local header."""
    def edit(raw, info, at):
        raw[at + 6] |= bit
        raw[_central_entry(raw, at) + 8] |= bit
    return edit


def _flipped_data(raw, info, at):        # a byte of the deflate stream changed
    raw[_data_at(raw, at) + info.compress_size // 2] ^= 0xFF


def _bad_signature(raw, info, at):
    raw[at:at + 4] = b"PK\x07\x08"


def _other_name(raw, info, at):          # the local header names another member (same length)
    start = at + 30
    raw[start:start + 1] = b"Y"


def _btype_3(raw, info, at):             # the first block of a reserved type: not a deflate stream
    raw[_data_at(raw, at)] |= 0b110


DAMAGES = {"wrong CRC": _wrong_crc, "a changed byte": _flipped_data, "no local header": _bad_signature,
           "another name": _other_name, "a reserved block type": _btype_3,
           "encrypted": _flag(0x1), "patched data": _flag(0x20)}     # (bits 0 and 5: zipfile refuses both)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_member_is_refused_by_both_and_by_the_precheck_as_damaged(tmp_path, damage):
    src = _zip(tmp_path / "good.xlsx")
    member = "xl/worksheets/sheet1.xml"
    bad = _patched(src, tmp_path / "bad.xlsx", member, DAMAGES[damage])
    with zipfile.ZipFile(bad) as z:
        info = z.getinfo(member)
        with pytest.raises((zipfile.BadZipFile, zlib.error, RuntimeError, EOFError, NotImplementedError)):
            z.read(info)                                       # zipfile refuses it
        with pytest.raises((zipfile.BadZipFile, InflateError)):
            b"".join(inflated(bad, info, 1 << 20))             # and so does the inflate
        with pytest.raises(InputFileError) as refused:
            list(limits.stream(bad, z, info, [limits.MAX_UNPACKED_BYTES]))
    assert f"文件已损坏（部件“{member}”解压出错）" in str(refused.value)


def test_a_directory_that_declares_less_than_the_data_stops_at_the_declared_size(tmp_path):
    """A directory whose sizes lie (smaller than the data): not a byte past the declared size is given."""
    src = _zip(tmp_path / "good.xlsx", {"a.xml": b"a" * 100_000})

    def smaller(raw, info, at):
        pos = raw.find(b"PK\x01\x02")
        struct.pack_into("<I", raw, pos + 24, 1000)            # the central directory's file size
        struct.pack_into("<I", raw, at + 22, 1000)             # and the local header's

    bad = _patched(src, tmp_path / "bad.xlsx", "a.xml", smaller)
    with zipfile.ZipFile(bad) as z:
        info = z.getinfo("a.xml")
        given_bytes = 0
        with pytest.raises(zipfile.BadZipFile):
            for piece in inflated(bad, info, 300):
                given_bytes += len(piece)
        assert given_bytes <= 1000


def test_a_truncated_file_is_refused(tmp_path):
    src = _zip(tmp_path / "good.xlsx", {"a.xml": os.urandom(100_000)})
    with zipfile.ZipFile(src) as z:
        info = z.getinfo("a.xml")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(src.read_bytes()[:_data_at(bytearray(src.read_bytes()), info.header_offset) + 5000])
    with pytest.raises(zipfile.BadZipFile):
        b"".join(inflated(cut, info, 1 << 20))


def test_a_stored_member_is_read_by_zipfile_through_the_precheck(tmp_path):
    path = tmp_path / "s.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.xml", b"<a>1</a>" * 1000)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("a.xml")
        with pytest.raises(ValueError):
            next(inflated(path, info, 100))
        assert b"".join(limits.stream(path, z, info, [limits.MAX_UNPACKED_BYTES])) == b"<a>1</a>" * 1000


def test_the_reserved_block_type_is_the_inflaters_own_error(tmp_path):
    """Not a deflate stream at all: zlib-ng's error (not a size or CRC check), the same message."""
    src = _zip(tmp_path / "good.xlsx")
    member = "xl/worksheets/sheet1.xml"
    bad = _patched(src, tmp_path / "bad.xlsx", member, _btype_3)
    with zipfile.ZipFile(bad) as z, pytest.raises(InflateError):
        b"".join(inflated(bad, z.getinfo(member), 1 << 20))


def test_the_last_piece_waits_for_the_size_and_crc_checks(tmp_path):
    """A member of exactly two chunks with a wrong CRC: the first chunk is given, the second never is
    (zipfile raises within the read that would return it)."""
    src = _zip(tmp_path / "good.xlsx", {"a.xml": os.urandom(4096)})
    bad = _patched(src, tmp_path / "bad.xlsx", "a.xml", _wrong_crc)
    given_pieces = []
    with zipfile.ZipFile(bad) as z, pytest.raises(zipfile.BadZipFile):
        for piece in inflated(bad, z.getinfo("a.xml"), 2048):
            given_pieces.append(piece)
    assert [len(p) for p in given_pieces] == [2048]


def test_data_descriptors_a_longer_local_extra_and_bytes_after_the_stream_are_read_as_zipfile_reads_them(
        tmp_path):
    """A streamed zip (sizes in a data descriptor after the data, flag bit 3), a local header whose extra
    field differs from the directory's, and bytes between the stream's end and the declared compressed
    size: zipfile reads each; so does the inflate."""
    streamed = tmp_path / "streamed.xlsx"
    with streamed.open("wb") as raw, zipfile.ZipFile(_Unseekable(raw), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.xml", MEMBERS["xl/worksheets/sheet1.xml"])     # to a pipe: a data descriptor follows
        z.writestr("b.xml", b"<b/>" * 5000)
    with zipfile.ZipFile(streamed) as z:
        assert z.getinfo("a.xml").flag_bits & 0x8
        for info in z.infolist():
            assert b"".join(inflated(streamed, info, 65_536)) == z.read(info)

    data = b"<row/>" * 10_000
    odd = _one_member_zip(tmp_path / "odd.xlsx", zlib_packed(data), len(data), zlib.crc32(data),
                          extra=b"\xfe\xca\x04\x00abcd",   # a local extra field the directory does not have
                          trailing=b"\x00" * 7)               # counted in the compressed size, after the stream
    with zipfile.ZipFile(odd) as z:
        info = z.getinfo("a.xml")
        assert z.read(info) == data
        assert b"".join(inflated(odd, info, 1000)) == data


def zlib_packed(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


class _Unseekable(io.RawIOBase):
    """A file zipfile cannot seek back in (a pipe): it writes each member's sizes after its data."""

    def __init__(self, raw: io.BufferedWriter) -> None:
        super().__init__()
        self.raw, self.written = raw, 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.written += self.raw.write(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def seekable(self) -> bool:
        return False


def _one_member_zip(path: Path, packed: bytes, size: int, crc: int, extra: bytes = b"",
                    trailing: bytes = b"") -> Path:
    """A zip of one deflated member "a.xml" whose directory declares ``size`` and ``crc``; ``extra``: a
    local extra field only, ``trailing``: bytes after the stream, within the compressed size."""
    name, data = b"a.xml", packed + trailing
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(name),
                        len(extra)) + name + extra + data
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                          len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path


_SAMPLE = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>%d</v></c></row>' % (i, i, i % 97) for i in range(1, 400))


@settings(max_examples=150, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(0, 63), st.integers(0, 7)), min_size=1, max_size=3))
def test_a_damaged_stream_is_read_as_zlib_reads_it_or_refused(tmp_path_factory, flips):
    """Bits flipped in a dynamic block's header and first codes (where a lenient inflater would read an
    invalid code table its own way): whatever zlib refuses, or leaves unfinished (no final block), is
    refused; what zlib reads whole is read alike. calamine inflates a small sheet again from the file, so
    the two must agree (module docstring). (zipfile itself accepts a stream without its final block when
    the size and CRC match: stricter here, and no writer makes one.)"""
    packed = bytearray(zlib_packed(_SAMPLE))
    for at, bit in flips:
        packed[at % len(packed)] ^= 1 << bit
    expected: bytes | None = None
    try:
        reader = zlib.decompressobj(-15)
        whole = reader.decompress(bytes(packed))
        expected = whole if reader.eof else None
    except zlib.error:
        pass
    data = expected if expected is not None else _SAMPLE
    path = _one_member_zip(tmp_path_factory.mktemp("f") / "f.xlsx", bytes(packed), len(data), zlib.crc32(data))
    with zipfile.ZipFile(path) as z:
        try:
            ours: bytes | None = b"".join(inflated(path, z.getinfo("a.xml"), 4096))
        except (zipfile.BadZipFile, InflateError):
            ours = None
    assert ours == expected
