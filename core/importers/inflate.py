"""A zip member's deflated data, inflated by python-isal (Intel ISA-L's inflate) for the pre-check.

The pre-check (``core.importers.limits.stream``) inflates every XML member of a workbook before
python-calamine sees the file, and at county size that is most of its time: a 62 MB student sheet
takes 0.068 s in zlib's inflate and 0.024 s in ISA-L's, a 108 MB roster 0.10 s and 0.036 s (measured
on the bench data, session 26). The inflate runs on a helper thread beside the scan of the chunk
before (``core.bulk.prefetched``); each call still takes Python's lock to return, so the faster it
returns the less the two threads wait for each other. Measured on the bench data, ten runs each,
alternating: the whole pre-check's median went from 0.28 s to 0.21 s for the student list and from
0.54 s to 0.46 s for the roster. (Compressed data is read 128 KB at a time: 256 KB and 64 KB measured no
better.)

What ``zipfile`` checks is checked here too, so that a file it would refuse is refused the same way
(``zipfile.BadZipFile``, which ``limits.stream`` turns into the one message for a damaged file):
the local header's signature and name, no encryption, no more data than the directory declares,
a complete deflate stream, and the declared size and CRC-32 at the end. The data is read through a
file of its own (the archive's path), so that no other reader of the archive's shared file is disturbed.
"""
from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from isal import isal_zlib

# a deflate stream that is not one (the stubs type it as an instance)
InflateError = cast("type[Exception]", isal_zlib.error)

_LOCAL = struct.Struct("<4sHHHHHIIIHH")      # a member's local file header (APPNOTE 4.3.7)
_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED, _UTF8 = 0x1, 0x800
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
    if (flags | info.flag_bits) & _ENCRYPTED:
        raise _damaged("encrypted member")
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
    inflate = isal_zlib.decompressobj(-15)
    crc = total = have = 0
    pending: list[bytes] = []          # output not given yet (less than ``chunk``)
    with open(path, "rb") as fp:
        fp.seek(_data_offset(fp, info))
        left = info.compress_size
        full = False          # the last call gave all it was allowed: ISA-L may hold more of that input's output
        while True:
            data = inflate.unconsumed_tail
            if not data and not full:
                if left <= 0:
                    break
                data = fp.read(min(left, READ))
                if not data:
                    raise _damaged("truncated member data")
                left -= len(data)
            want = chunk - have
            out = inflate.decompress(data, want)
            full = len(out) == want
            if out:
                total += len(out)
                if total > info.file_size:
                    raise _damaged("more data than declared")
                crc = isal_zlib.crc32(out, crc)
                if full and not pending:
                    yield out
                    continue
                pending.append(out)
                have += len(out)
                if full:
                    yield b"".join(pending)
                    pending, have = [], 0
            elif inflate.eof:
                break
    if not inflate.eof or total != info.file_size or crc != info.CRC:
        raise _damaged(f"bad CRC-32 or size for {info.filename}")
    if pending:
        yield b"".join(pending)
