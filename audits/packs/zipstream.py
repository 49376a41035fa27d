"""A minimal streaming ZIP writer for members whose data arrives already compressed.

``zipfile`` compresses inside ``write``, one member at a time, on the calling thread;
the pack writer deflates chunks on worker threads instead, so it needs a container
writer that takes raw member data plus the CRC-32 and sizes computed alongside.

Layout (APPNOTE 6.3): local header, data, then either the header patched in place
(seekable targets) or a data descriptor (flag bit 3, for pipes and sockets); at the
end the central directory, with ZIP64 records wherever a size, an offset or the
entry count needs them. Names are UTF-8 (flag bit 11 when not ASCII).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

STORED = 0
DEFLATED = 8
#: Sizes and offsets from this value up need ZIP64 fields.
ZIP64_LIMIT = 0xFFFFFFFF
#: Entry counts from this value up need the ZIP64 end of central directory.
ZIP64_COUNT_LIMIT = 0xFFFF
#: A member whose expected size reaches this gets ZIP64 in its local header (deflate may grow data).
ZIP64_MEMBER_FROM = 1 << 31

_MAX32 = 0xFFFFFFFF  # "see the ZIP64 extra field" in a 32-bit size or offset
_MAX16 = 0xFFFF
_FLAG_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800
_VERSION_MADE_BY = (3 << 8) | 45  # Unix, spec 4.5
_UNIX_FILE = 0o100644 << 16


@dataclass
class _Member:
    name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    offset: int
    zip64: bool
    crc: int = 0
    compressed_size: int = 0
    size: int = 0


def _dos_date_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((max(year, 1980) - 1980) << 9) | (month << 5) | day


class ZipStream:
    """``start(name, ...)``, ``write(data)`` any number of times, ``end(crc, size)``; then ``close()``."""

    def __init__(self, fp: IO[bytes], date_time: tuple[int, int, int, int, int, int]) -> None:
        self._fp = fp
        try:
            self._seekable = fp.seekable()
            self._offset = fp.tell() if self._seekable else 0
        except (AttributeError, OSError):
            self._seekable, self._offset = False, 0
        self._dos_time, self._dos_date = _dos_date_time(date_time)
        self._members: list[_Member] = []
        self._current: _Member | None = None
        self.closed = False

    @property
    def offset(self) -> int:
        return self._offset

    def _put(self, data: bytes | memoryview) -> None:
        self._fp.write(data)
        self._offset += len(data)

    def start(self, name: str, *, deflated: bool, size_hint: int | None) -> None:
        if self._current is not None or self.closed:
            raise ValueError("a member is already open, or the archive is closed")
        encoded = name.encode("utf-8")
        flags = 0 if name.isascii() else _FLAG_UTF8
        if not self._seekable:
            flags |= _FLAG_DESCRIPTOR
        zip64 = size_hint is None or size_hint >= ZIP64_MEMBER_FROM
        member = _Member(
            encoded,
            flags,
            DEFLATED if deflated else STORED,
            self._dos_time,
            self._dos_date,
            self._offset,
            zip64,
        )
        extra = struct.pack("<HHQQ", 1, 16, 0, 0) if zip64 else b""
        sizes = _MAX32 if zip64 else 0
        header = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            45 if zip64 else 20,
            flags,
            member.method,
            member.dos_time,
            member.dos_date,
            0,
            sizes,
            sizes,
            len(encoded),
            len(extra),
        )
        self._put(header + encoded + extra)
        self._current = member

    def write(self, data: bytes | memoryview) -> None:
        """Member data as stored in the archive (already deflated for deflated members)."""
        if self._current is None:
            raise ValueError("no open member")
        self._put(data)
        self._current.compressed_size += len(data)

    def end(self, crc: int, size: int) -> None:
        member = self._current
        if member is None:
            raise ValueError("no open member")
        member.crc, member.size = crc, size
        if not member.zip64 and max(size, member.compressed_size) >= ZIP64_LIMIT:
            raise ValueError(f"member {member.name!r} grew past 4 GiB without ZIP64 headers")
        if member.flags & _FLAG_DESCRIPTOR:
            fmt = "<IIQQ" if member.zip64 else "<IIII"
            self._put(struct.pack(fmt, 0x08074B50, crc, member.compressed_size, size))
        else:
            self._fp.seek(member.offset + 14)
            if member.zip64:
                self._fp.write(struct.pack("<I", crc))
                self._fp.seek(member.offset + 30 + len(member.name) + 4)
                self._fp.write(struct.pack("<QQ", size, member.compressed_size))
            else:
                self._fp.write(struct.pack("<III", crc, member.compressed_size, size))
            self._fp.seek(self._offset)
        self._members.append(member)
        self._current = None

    def close(self) -> None:
        """Write the central directory and the end records."""
        if self._current is not None:
            raise ValueError("a member is still open")
        start = self._offset
        for member in self._members:
            self._put(self._central_entry(member))
        size = self._offset - start
        count = len(self._members)
        if count >= ZIP64_COUNT_LIMIT or start >= ZIP64_LIMIT or size >= ZIP64_LIMIT:
            end64 = self._offset
            self._put(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, _VERSION_MADE_BY, 45, 0, 0, count, count, size, start))
            self._put(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
        self._put(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                count if count < ZIP64_COUNT_LIMIT else _MAX16,
                count if count < ZIP64_COUNT_LIMIT else _MAX16,
                size if size < ZIP64_LIMIT else _MAX32,
                start if start < ZIP64_LIMIT else _MAX32,
                0,
            )
        )
        self.closed = True

    @staticmethod
    def _central_entry(member: _Member) -> bytes:
        fields = []
        size, compressed, offset = member.size, member.compressed_size, member.offset
        if size >= ZIP64_LIMIT or member.zip64:
            fields.append(size)
            size = _MAX32
        if compressed >= ZIP64_LIMIT or member.zip64:
            fields.append(compressed)
            compressed = _MAX32
        if offset >= ZIP64_LIMIT:
            fields.append(offset)
            offset = _MAX32
        extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
        header = struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            _VERSION_MADE_BY,
            45 if extra else 20,
            member.flags,
            member.method,
            member.dos_time,
            member.dos_date,
            member.crc,
            compressed,
            size,
            len(member.name),
            len(extra),
            0,
            0,
            0,
            _UNIX_FILE,
            offset,
        )
        return header + member.name + extra
