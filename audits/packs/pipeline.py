"""Deflating member chunks on worker threads while the caller keeps reading and hashing.

Each chunk of a deflated member is compressed on its own (primed with the last 32 KiB
of the chunk before it, as pigz does) and ends with a sync flush, so the pieces join
into one valid deflate stream, closed by an empty final block. zlib releases the GIL,
so chunks, also from the next members, deflate on the other cores while the calling
thread reads, hashes (SHA-256, CRC-32; both release the GIL too) and writes the
results in order. At most ``max_pending`` chunks are in flight: memory stays bounded.
"""

from __future__ import annotations

import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from audits.packs.zipstream import ZipStream

WINDOW = 32 << 10
#: An empty final block with fixed codes: the end of a deflate stream after a sync flush.
FINAL_BLOCK = b"\x03\x00"


def deflate_chunk(data: bytes, zdict: bytes, level: int) -> bytes:
    """Raw deflate of ``data`` ending on a byte boundary (sync flush), back-references into ``zdict``."""
    if zdict:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    else:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True)
class _Start:
    name: str
    deflated: bool
    size_hint: int | None


@dataclass(frozen=True)
class _End:
    crc: int
    size: int


_Item = _Start | _End | bytes | Future[bytes]


class DeflatePipeline:
    """Members in, ZIP out: ``start``, ``chunk`` …, ``end``; ``drain`` before closing the archive."""

    def __init__(self, archive: ZipStream, *, level: int, threads: int, max_pending: int | None = None) -> None:
        self._archive = archive
        self._level = level
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="pack-deflate") if threads > 0 else None
        self._max_pending = (2 * threads + 2) if max_pending is None else max_pending
        self._items: deque[_Item] = deque()
        self._pending = 0
        self._deflated = False
        self._previous = b""

    def start(self, name: str, *, deflated: bool, size_hint: int | None) -> None:
        self._deflated = deflated
        self._previous = b""
        self._items.append(_Start(name, deflated, size_hint))

    def chunk(self, data: bytes) -> None:
        """The next piece of the member's data (uncompressed; it must not change afterwards)."""
        if self._deflated:
            zdict = self._previous[-WINDOW:]
            self._previous = data
            if self._pool is not None:
                self._push(self._pool.submit(deflate_chunk, data, zdict, self._level))
            else:
                self._push(deflate_chunk(data, zdict, self._level))
        else:
            self._push(data)

    def end(self, crc: int, size: int) -> None:
        if self._deflated:
            self._push(FINAL_BLOCK)
        self._previous = b""
        self._items.append(_End(crc, size))
        self._write_ready()

    def drain(self) -> None:
        """Wait for every chunk and write it."""
        while self._items:
            self._write_next()

    def close(self) -> None:
        """Stop the workers; chunks not yet deflated are dropped."""
        self._items.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _push(self, data: bytes | Future[bytes]) -> None:
        self._items.append(data)
        self._pending += 1
        while self._pending > self._max_pending:
            self._write_next()
        self._write_ready()

    def _write_ready(self) -> None:
        """Write what needs no waiting, so that memory is released early."""
        while self._items:
            item = self._items[0]
            if isinstance(item, Future) and not item.done():
                return
            self._write_next()

    def _write_next(self) -> None:
        item = self._items.popleft()
        if isinstance(item, _Start):
            self._archive.start(item.name, deflated=item.deflated, size_hint=item.size_hint)
        elif isinstance(item, _End):
            self._archive.end(item.crc, item.size)
        else:
            self._pending -= 1
            self._archive.write(item.result() if isinstance(item, Future) else item)
