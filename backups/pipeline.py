"""One file of a set, in and out: source -> (zstd) -> age -> destination, and back.

Writing computes the plaintext and ciphertext sizes and SHA-256 in the same pass (the
``backups.age`` encryptor hashes on worker threads) and commits the file under its name only
after everything succeeded, including the producer's own last check (``pg_dump``'s exit code).
Reading authenticates every chunk before it is handed on, and zstd's checksum catches a
damaged frame.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

import zstandard

from backups.age import Decryptor, Encryptor, Identity, Recipient, StreamStats, encrypt
from backups.destinations import Destination

ZSTD_LEVEL = 1  # zstd's fast level: on the benchmark data as small as level 3, at about twice its speed
ZSTD_THREADS = 0  # in the caller's thread: worker threads cost 60 MiB more and gained nothing on 2 cores
BLOCK = 1024 * 1024
Produce = Callable[[IO[bytes]], Any]


class Progress:
    """Counts bytes and calls ``report(done)`` at most every ``interval`` seconds (and at ``final``)."""

    def __init__(self, report: Callable[[int], None] | None = None, interval: float = 0.5) -> None:
        self.report, self.interval = report, interval
        self.done = 0
        self._last = 0.0

    def __call__(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.report is not None and now - self._last >= self.interval:
            self._last = now
            self.report(self.done)

    def final(self) -> None:
        if self.report is not None:
            self.report(self.done)


class CountingReader:
    """A readable that counts what is read through it (for progress)."""

    def __init__(self, raw: IO[bytes], on_bytes: Callable[[int], None]) -> None:
        self.raw, self.on_bytes = raw, on_bytes

    def readinto(self, buffer: Any) -> int:
        count = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            self.on_bytes(count)
        return int(count or 0)

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if data:
            self.on_bytes(len(data))
        return data


@dataclass(frozen=True)
class WrittenFile:
    name: str
    location: str
    entry: dict[str, Any]


def write_file(
    destination: Destination,
    set_id: str,
    name: str,
    recipients: Sequence[Recipient],
    *,
    compress: bool,
    source: IO[bytes] | None = None,
    produce: Produce | None = None,
    before_commit: Callable[[], None] | None = None,
    entry: dict[str, Any] | None = None,
) -> WrittenFile:
    """Encrypt ``source`` (a readable) or what ``produce(writer)`` writes into ``destination``.

    The file appears under ``name`` only once complete; any failure leaves nothing there.
    """
    if (source is None) == (produce is None):
        raise ValueError("give exactly one of source or produce")
    new = destination.new_file(set_id, name)
    try:
        if source is not None and not compress:
            stats = encrypt(source, new, recipients)  # type: ignore[arg-type]
        else:
            writer = Encryptor(new, recipients)  # type: ignore[arg-type]
            with writer:
                if compress:
                    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True, threads=ZSTD_THREADS)
                    if source is not None:
                        compressor.copy_stream(source, writer, read_size=BLOCK, write_size=BLOCK)  # type: ignore[arg-type]
                    elif produce is not None:
                        with compressor.stream_writer(writer, closefd=False, write_size=BLOCK) as packed:  # type: ignore[arg-type]
                            produce(packed)
                elif produce is not None:
                    produce(writer)  # type: ignore[arg-type]
            stats = writer.stats
        if before_commit is not None:
            before_commit()
        location = new.commit()
    except BaseException:
        new.abort()
        raise
    details = {
        "name": name,
        "compression": "zstd" if compress else "none",
        **(entry or {}),
        "plaintext_size": stats.plaintext_size,
        "plaintext_sha256": stats.plaintext_sha256,
        "ciphertext_size": stats.ciphertext_size,
        "ciphertext_sha256": stats.ciphertext_sha256,
    }
    return WrittenFile(name, location, details)


@dataclass
class Plaintext:
    """The decrypted (and decompressed) content of one file of a set, authenticated as it is read."""

    stream: IO[bytes]
    decryptor: Decryptor

    def finish(self) -> StreamStats:
        """Read what is left of the age payload (the last chunk is authenticated there); its stats."""
        while self.decryptor.read(BLOCK):
            pass
        return self.decryptor.stats


@contextlib.contextmanager
def open_plaintext(
    destination: Destination, set_id: str, entry: dict[str, Any], identities: Sequence[Identity]
) -> Iterator[Plaintext]:
    """Read ``stream`` to its end, then ``finish()``: zstd's checksum and age's last chunk are checked there."""
    with destination.open(set_id, str(entry["name"])) as raw:
        decryptor = Decryptor(raw, identities)
        try:
            if entry.get("compression") == "zstd":
                reader = zstandard.ZstdDecompressor().stream_reader(decryptor, read_size=BLOCK, closefd=False)  # type: ignore[arg-type]
                with reader:
                    yield Plaintext(reader, decryptor)  # type: ignore[arg-type]
            else:
                yield Plaintext(decryptor, decryptor)  # type: ignore[arg-type]
        finally:
            decryptor.close()


def hash_stream(handle: BinaryIO) -> tuple[int, str]:
    """Size and SHA-256 of everything ``handle`` holds from where it is."""
    import hashlib

    sha = hashlib.sha256()
    size = 0
    while block := handle.read(BLOCK):
        sha.update(block)
        size += len(block)
    return size, sha.hexdigest()
