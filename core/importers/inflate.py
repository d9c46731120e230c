"""A zip member's deflated data, inflated by python-zlib-ng (zlib-ng's inflate) for the pre-check.

The pre-check (``core.importers.limits.stream``) inflates every XML member of a workbook before
python-calamine sees the file, and at county size that is most of its time: a 62 MB student sheet
takes 0.068 s in zlib's inflate, 0.030 s in zlib-ng's and 0.024 s in ISA-L's (python-isal); a 108 MB
roster 0.10, 0.043 and 0.036 s (measured on the bench data, session 26). The inflate runs on a helper
thread beside the scan of the chunk before (``core.bulk.prefetched``); each call still takes Python's
lock to return, so the faster it returns the less the two threads wait for each other: the whole
pre-check's median went from 0.27 s to 0.21 s for the student list and from 0.54 s to 0.44 s for the
roster (ten runs each, alternating with zipfile's inflate). Compressed data is read 128 KB at a time
(256 KB and 64 KB measured no better).

zlib-ng and not ISA-L, though ISA-L is a little faster: zlib-ng's inflate is zlib's own state machine
(its code-length, Huffman-table and distance checks), so a deflate stream it accepts is one zlib and
calamine's Rust inflater accept and read alike. A sheet below ``limits.SPLIT_MIN`` is inflated again by
calamine from the file, so what was measured must be what calamine reads; a more lenient inflater could
read an invalid stream one way here and another way there (review of session 26).

What ``zipfile`` checks is checked here too, so that a file it would refuse is refused the same way
(``zipfile.BadZipFile``, which ``limits.stream`` turns into the one message for a damaged file): the
local header's signature and name, no encryption and no patched data (flag bits 0, 5, 6), no more data
than the directory declares, a complete deflate stream that makes progress, and the declared size and
CRC-32 before the last piece is given. (Python 3.12's zipfile also refuses members whose data overlap;
here every member's inflated bytes count against the pre-check's unpacked budget, which bounds what
overlapping members can cost.) The data is read through a file of its own (the archive's path), so that
no other reader of the archive's shared file is disturbed.
"""
from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from zlib_ng import zlib_ng

# a deflate stream that is not one
InflateError = cast("type[Exception]", zlib_ng.error)

_LOCAL = struct.Struct("<4sHHHHHIIIHH")      # a member's local file header (APPNOTE 4.3.7)
_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED, _PATCHED, _STRONG, _UTF8 = 0x1, 0x20, 0x40, 0x800
READ = 128 * 1024                           # compressed bytes read at a time


def _damaged(what: str) -> zipfile.BadZipFile:
    return zipfile.BadZipFile(what)


def _data_offset(fp: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where ``info``'s data starts, after its local header (checked as ``ZipFile.open`` checks it)."""
    fp.seek(info.header_offset)
    head = fp.read(_LOCAL.size)
    if len(head) != _LOCAL.size:
        raise _damaged("truncated local header")
    signature, _version, flags, _method, _time, _date, _crc, _csize, _size, name_len, extra_len = _LOCAL.unpack(head)
    if signature != _SIGNATURE:
        raise _damaged("bad local header signature")
    if (flags | info.flag_bits) & (_ENCRYPTED | _STRONG):
        raise _damaged("encrypted member")
    if (flags | info.flag_bits) & _PATCHED:
        raise _damaged("compressed patched data")
    name = fp.read(name_len).decode("utf-8" if flags & _UTF8 else "cp437", "replace")
    if name != info.orig_filename:
        raise _damaged("file name in directory and header differ")
    return int(info.header_offset + _LOCAL.size + name_len + extra_len)


def inflated(path: Path, info: zipfile.ZipInfo, chunk: int) -> Iterator[bytes]:
    """The inflated data of the deflated member ``info`` (of the zip directory read from ``path``), in
    pieces of exactly ``chunk`` bytes but the last, as ``ZipExtFile.read(chunk)`` gives them (the halves
    cut the sheet at a piece counted from the declared size: ``core.importers.halves.Split``). Raises
    ``zipfile.BadZipFile`` (or ``InflateError``) for data that is not what the directory declares; the
    last piece is given only once the size and CRC-32 are checked."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ValueError("not a deflated member")
    inflate = zlib_ng.decompressobj(-15)
    crc = total = have = 0
    pending: list[bytes] = []          # output not given yet (less than ``chunk``)
    with open(path, "rb") as fp:
        fp.seek(_data_offset(fp, info))
        left = info.compress_size
        full = False          # the last call gave all it was allowed: the inflater may hold more of that input's output
        while True:
            data = inflate.unconsumed_tail
            if not data and not full:
                if left <= 0:
                    break
                data = fp.read(min(left, READ))
                if not data:
                    raise _damaged("truncated member data")
                left -= len(data)
            want = max(1, chunk - have)        # (1: a held last piece, anything more is refused)
            out = inflate.decompress(data, want)
            full = len(out) == want
            if out:
                total += len(out)
                if total > info.file_size:
                    raise _damaged("more data than declared")
                crc = zlib_ng.crc32(out, crc)
                if full and not pending and total < info.file_size:
                    yield out
                    continue
                pending.append(out)
                have += len(out)
                if full and total < info.file_size:      # (the last piece waits for the checks below)
                    yield b"".join(pending)
                    pending, have = [], 0
            elif inflate.eof:
                break
            elif data and inflate.unconsumed_tail == data:
                raise _damaged("the deflate stream makes no progress")
    if not inflate.eof or total != info.file_size or crc != info.CRC:
        raise _damaged(f"bad CRC-32 or size for {info.filename}")
    if pending:
        yield b"".join(pending)
