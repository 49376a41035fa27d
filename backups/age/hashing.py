"""Sizes and SHA-256 digests of the plaintext and ciphertext, computed in the same pass.

SHA-256 costs more than ChaCha20-Poly1305 here, so each digest can run on its
own thread (``hashlib`` releases the GIL on large buffers). Data goes to the
thread through a short queue, and the 1 MiB buffers the encryptor and the
decryptor work in come from a :class:`BufferPool` and go back to it once
hashed: memory stays bounded to a few MiB whatever the size of the stream,
and no large buffer is allocated (and page-faulted in) per block.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

_BATCH_BYTES = 1024 * 1024
_QUEUE_DEPTH = 4
POOL_LIMIT = _QUEUE_DEPTH + 3  # in the queue, being hashed, and held by the producer

Data = bytes | bytearray | memoryview
Release = Callable[[], None]


@dataclass(frozen=True)
class StreamStats:
    """What went in and came out; the digests are ``None`` when hashing was turned off."""

    plaintext_size: int
    plaintext_sha256: str | None
    ciphertext_size: int
    ciphertext_sha256: str | None


EncryptStats = StreamStats
DecryptStats = StreamStats


class Lease:
    """A buffer of a :class:`BufferPool`, back in the pool once every holder has released it."""

    __slots__ = ("_holders", "_lock", "_pool", "buffer")

    def __init__(self, pool: BufferPool, buffer: bytearray, holders: int) -> None:
        self.buffer = buffer
        self._pool = pool
        self._holders = holders
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            last = self._holders == 0
        if last:
            self._pool.give_back(self.buffer)


class BufferPool:
    """At most ``limit`` bytearrays of ``size`` bytes; :meth:`acquire` waits when all are out."""

    def __init__(self, size: int, limit: int = POOL_LIMIT) -> None:
        self.size = size
        self._limit = limit
        self._created = 0
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()

    def acquire(self, holders: int = 1) -> Lease:
        try:
            buffer = self._free.get_nowait()
        except queue.Empty:
            if self._created < self._limit:
                self._created += 1
                buffer = bytearray(self.size)
            else:
                buffer = self._free.get()  # a hashing thread will give one back
        return Lease(self, buffer, holders)

    def give_back(self, buffer: bytearray) -> None:
        self._free.put(buffer)


class HashLane:
    """Counts the bytes of one stream and, if ``enabled``, hashes them.

    With ``threaded``, data is hashed later on a worker thread. Data given
    with a ``release`` callback must not change until the lane calls it (after
    hashing); other data is kept if it is ``bytes`` and copied otherwise, and
    handed over in batches of about 1 MiB.
    """

    def __init__(self, *, enabled: bool = True, threaded: bool = True) -> None:
        self.size = 0
        self._sha = hashlib.sha256() if enabled else None
        self._threaded = threaded
        self._batch: list[tuple[Data, Release | None]] = []
        self._batch_size = 0
        self._queue: queue.Queue[list[tuple[Data, Release | None]] | None] = queue.Queue(_QUEUE_DEPTH)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def update(self, data: Data, *, release: Release | None = None) -> None:
        self.size += len(data)
        if self._sha is None or not self._threaded:
            if self._sha is not None:
                self._sha.update(data)
            if release is not None:
                release()
            return
        if release is None and not isinstance(data, bytes):
            data = bytes(data)
        self._batch.append((data, release))
        self._batch_size += len(data)
        if release is not None or self._batch_size >= _BATCH_BYTES:
            self._submit()

    def _submit(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="age-sha256", daemon=True)
            self._thread.start()
        self._queue.put(self._batch)
        self._batch = []
        self._batch_size = 0

    def _run(self) -> None:
        sha = self._sha
        while (batch := self._queue.get()) is not None:
            for data, release in batch:
                try:
                    if sha is not None and self._error is None:
                        sha.update(data)
                except BaseException as error:  # pragma: no cover - hashing bytes does not fail
                    self._error = error
                finally:
                    if release is not None:
                        release()

    def _stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def hexdigest(self) -> str | None:
        """Finish: the SHA-256 of everything given to :meth:`update` (``None`` if disabled)."""
        if self._sha is None:
            return None
        if self._thread is None:  # less than a batch came in: no thread was needed
            for data, release in self._batch:
                self._sha.update(data)
                if release is not None:
                    release()
        elif self._batch:
            self._submit()
        self._batch = []
        self._stop()
        if self._error is not None:
            raise self._error
        return self._sha.hexdigest()

    def abandon(self) -> None:
        """Stop the worker thread without finishing the digest."""
        self._batch = []
        self._stop()
