"""A zip archive of stored (uncompressed) members, made of the pieces it is written from (no copy).

For ``core.importers.halves``: each half of a big sheet is handed to calamine as such an archive,
its sheet member being the very pieces of XML the pre-check measured and their CRC-32 computed as
they arrived (``zipfile`` would compute it again, and copy every piece into its buffer). Only what
calamine and ``zipfile`` read: local headers, the data, the central directory and its end record;
no data descriptors, no zip64 (the pre-check's unpacked budget is far below 4 GB and its member
count below 65,535). ``PiecesReader`` serves the archive to calamine's ``from_filelike`` as a
file-like object, in whole pieces where it can (``short``).
"""
from __future__ import annotations

import bisect
import io
import struct
import zlib
from collections.abc import Iterable, Sequence

Piece = bytes | memoryview

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_VERSION = 20
_DOS_DATE = (1 << 5) | 1           # 1980-01-01, 00:00
_UTF8 = 0x800
LIMIT = 0xFFFFFFFF                # (sizes and offsets beyond it would need zip64)


def crc_of(pieces: Iterable[Piece], crc: int = 0) -> int:
    """The CRC-32 of the pieces in order, continued from ``crc``."""
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    return crc


def _name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8


def archive(members: Sequence[tuple[str, Sequence[Piece], int]]) -> list[Piece]:
    """The pieces of a zip holding each (name, data pieces, CRC-32 of the data) stored, in order.
    The CRC is the caller's: a wrong one is what a reader (zipfile, calamine) reports as corrupt."""
    out: list[Piece] = []
    central: list[bytes] = []
    offset = 0
    for name, pieces, crc in members:
        raw, flags = _name(name)
        size = sum(len(p) for p in pieces)
        if size > LIMIT or offset > LIMIT:
            raise ValueError("a stored zip beyond 4 GB needs zip64")
        header = _LOCAL.pack(0x04034B50, _VERSION, flags, 0, 0, _DOS_DATE, crc, size, size, len(raw), 0) + raw
        central.append(_CENTRAL.pack(0x02014B50, _VERSION, _VERSION, flags, 0, 0, _DOS_DATE, crc, size, size,
                                     len(raw), 0, 0, 0, 0, 0, offset) + raw)
        out.append(header)
        out.extend(p for p in pieces if len(p))
        offset += len(header) + size
    directory = b"".join(central)
    if offset > LIMIT:
        raise ValueError("a stored zip beyond 4 GB needs zip64")
    out.append(directory + _END.pack(0x06054B50, 0, 0, len(members), len(members), len(directory), offset, 0))
    return out


class PiecesReader(io.RawIOBase):
    """The pieces read as one seekable binary file (each ``read`` copies what it returns, once).

    ``short``: a read of a size returns at most the rest of the piece it starts in (a short read, which a raw
    file may give and calamine's reader takes: it reads on until it gets nothing), and a whole piece
    that is a ``bytes`` object is returned as that very object, not a copy. calamine reads the whole
    archive with requests doubling up to half its size; answered in whole pieces, the sheet's 30-odd
    MB are copied once (into calamine's buffer) instead of twice, each time into new memory
    (docs/BENCHMARKS.md "Session 28"). Not for ``zipfile``, which takes a short read for a truncated
    file."""

    def __init__(self, pieces: Sequence[Piece], short: bool = False) -> None:
        super().__init__()
        self.short = short
        self._whole = [p for p in pieces if len(p)]
        self._pieces = [memoryview(p).cast("B") for p in self._whole]
        self._starts: list[int] = []
        total = 0
        for p in self._pieces:
            self._starts.append(total)
            total += len(p)
        self._size, self._pos = total, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        if end <= self._pos:
            return b""
        if self.short and size is not None and size >= 0:     # (a read of everything is whole)
            return self._read_short(end)
        i = bisect.bisect_right(self._starts, self._pos) - 1
        parts: list[memoryview] = []
        pos = self._pos
        while pos < end:
            start, piece = self._starts[i], self._pieces[i]
            parts.append(piece[pos - start:min(len(piece), end - start)])
            pos = start + len(piece)
            i += 1
        self._pos = end
        return parts[0].tobytes() if len(parts) == 1 else b"".join(parts)

    def _read_short(self, end: int) -> bytes:
        """Up to ``end``, within the piece the position is in (see ``short``)."""
        i = bisect.bisect_right(self._starts, self._pos) - 1
        start, piece, whole = self._starts[i], self._pieces[i], self._whole[i]
        lo, hi = self._pos - start, min(end - start, len(piece))
        self._pos = start + hi
        if lo == 0 and hi == len(piece) and type(whole) is bytes:
            return whole
        return piece[lo:hi].tobytes()

    def readinto(self, buffer: memoryview) -> int:   # type: ignore[override]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._pieces, self._whole, self._starts = [], [], []
        super().close()
