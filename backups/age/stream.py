"""The age v1 payload: ChaCha20-Poly1305 STREAM over 64 KiB chunks.

The payload is a 16-byte nonce, then chunks of 64 KiB of plaintext, each
encrypted with the payload key ``HKDF-SHA-256(file key, salt=nonce,
info="payload")`` and a 12-byte nonce: an 11-byte big-endian chunk counter and
a last byte that is 1 for the final chunk, 0 before. The final chunk is shorter
than or equal to 64 KiB and is empty only when the whole plaintext is.
"""

from __future__ import annotations

from typing import BinaryIO

from .primitives import hkdf_sha256

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
PAYLOAD_NONCE_SIZE = 16
BATCH_CHUNKS = 16  # how many chunks a read covers (1 MiB)
_MAX_COUNTER = 1 << 88


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    return hkdf_sha256(file_key, nonce, b"payload")


def chunk_nonce(index: int, final: bool) -> bytes:
    """The ChaCha20-Poly1305 nonce of chunk ``index``."""
    if index >= _MAX_COUNTER:  # pragma: no cover - 2^88 chunks
        raise OverflowError("age payload chunk counter overflow")
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def read_full(src: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at the end of ``src`` (pipes may return short reads)."""
    data = src.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    total = len(data)
    while total < size:
        more = src.read(size - total)
        if not more:
            break
        parts.append(more)
        total += len(more)
    return b"".join(parts)


def read_into(src: BinaryIO, buffer: bytearray | memoryview) -> int:
    """Fill ``buffer`` from ``src``; fewer bytes only at the end of ``src``. Returns the count."""
    view = memoryview(buffer)
    readinto = getattr(src, "readinto", None)
    filled = 0
    while filled < len(view):
        if readinto is not None:
            count = readinto(view[filled:])
            if count is None:
                raise OSError("non-blocking sources are not supported")
        else:
            data = src.read(len(view) - filled)
            count = len(data)
            view[filled : filled + count] = data
        if not count:
            break
        filled += count
    return filled


def write_all(dst: BinaryIO, data: bytes | bytearray | memoryview) -> None:
    """Write all of ``data``, even to a raw stream that accepts only part of it at a time."""
    written = dst.write(data)
    if written is None:
        raise OSError("non-blocking destinations are not supported")
    if written >= len(data):
        return
    view = memoryview(data)
    while written < len(data):
        more = dst.write(view[written:])
        if not more:
            raise OSError("the destination accepted no more data")
        written += more
