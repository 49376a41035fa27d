"""Decryption: :class:`Decryptor`, a file-like reader, and :func:`decrypt`, a stream copy.

No plaintext leaves this module before it is authenticated: each chunk is
returned only after ChaCha20-Poly1305 has verified it, and the final chunk is
known to be final because its nonce says so, so a file cut at a chunk boundary
is an error rather than a shorter file.
"""

from __future__ import annotations

import io
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .errors import (
    AgeError,
    ChunkAuthenticationError,
    HeaderError,
    NoIdentityMatchError,
    PayloadError,
    TrailingDataError,
    TruncatedError,
    TruncatedOrCorruptedError,
)
from .hashing import BufferPool, DecryptStats, HashLane, Lease
from .header import Header, read_header
from .recipients import Identity, ScryptIdentity
from .stream import (
    BATCH_CHUNKS,
    CHUNK_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    PAYLOAD_NONCE_SIZE,
    TAG_SIZE,
    chunk_nonce,
    payload_key,
    read_full,
    read_into,
    write_all,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_BLOCK = BATCH_CHUNKS * ENCRYPTED_CHUNK_SIZE
# When the end of a file fails to authenticate, look this far back for a valid
# final chunk followed by junk, to tell "bytes were appended" from "corrupted".
_TRAILING_PROBE = 4096


def unwrap_file_key(header: Header, identities: Sequence[Identity]) -> bytes:
    """The file key, from the first identity that can unwrap one of the stanzas."""
    stanzas = header.stanzas
    passphrase_file = any(stanza.type == "scrypt" for stanza in stanzas)
    if passphrase_file and len(stanzas) != 1:
        raise HeaderError("an scrypt stanza must be the only stanza in the header")
    for identity in identities:
        file_key = identity.unwrap(stanzas)
        if file_key is not None:
            return file_key
    if passphrase_file and any(isinstance(identity, ScryptIdentity) for identity in identities):
        raise NoIdentityMatchError("the passphrase is incorrect")
    if passphrase_file:
        raise NoIdentityMatchError("the file is encrypted with a passphrase, and no passphrase was given")
    raise NoIdentityMatchError("no identity matches any recipient of this file")


class Decryptor(io.RawIOBase):
    """A readable file of the plaintext of the age file ``src``.

    The header is read and authenticated by the constructor, which raises if
    no identity fits or the header MAC is wrong. Reading then raises a
    :class:`~backups.age.errors.PayloadError` or
    :class:`~backups.age.errors.TruncatedError` at the first chunk that does
    not authenticate, after returning only the chunks before it. ``src`` is
    not closed.
    """

    def __init__(
        self,
        src: BinaryIO,
        identities: Sequence[Identity],
        *,
        hashing: bool = True,
        threads: bool = True,
    ) -> None:
        super().__init__()
        self._src = src
        self._plaintext = HashLane(enabled=hashing, threaded=threads)
        self._ciphertext = HashLane(enabled=hashing, threaded=threads)
        self._blocks = BufferPool(_BLOCK)
        self._plain = BufferPool(BATCH_CHUNKS * CHUNK_SIZE)
        header = read_header(src)
        self._ciphertext.update(header.raw)
        file_key = unwrap_file_key(header, identities)
        header.verify_mac(file_key)
        nonce = read_full(src, PAYLOAD_NONCE_SIZE)
        if len(nonce) < PAYLOAD_NONCE_SIZE:
            raise TruncatedError("file is truncated: it ends inside the payload nonce")
        self._ciphertext.update(nonce)
        self._aead = ChaCha20Poly1305(payload_key(file_key, nonce))
        self._batches = self._generate()
        self._current = memoryview(b"")
        self._offset = 0
        self._stats: DecryptStats | None = None
        self._error: AgeError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while self._offset >= len(self._current):
            batch = self._next_batch()
            if batch is None:
                return 0
            self._current, self._offset = batch, 0
        size = min(len(view), len(self._current) - self._offset)
        view[:size] = self._current[self._offset : self._offset + size]
        self._offset += size
        return size

    def iter_chunks(self) -> Iterator[bytes]:
        """The rest of the plaintext, in pieces of up to 1 MiB, each authenticated."""
        if self._offset < len(self._current):
            rest = self._current[self._offset :]
            self._current, self._offset = memoryview(b""), 0
            yield bytes(rest)
        while (batch := self._next_batch()) is not None:
            yield bytes(batch)

    def _next_batch(self) -> memoryview | None:
        """The next authenticated batch; ``None`` at the end; the same error again after an error."""
        if self._error is not None:
            raise self._error
        try:
            return next(self._batches, None)
        except AgeError as error:
            self._error = error
            raise

    @property
    def stats(self) -> DecryptStats:
        """Sizes and digests; available once the whole plaintext has been read."""
        if self._stats is None:
            raise AgeError("the decryption is not finished (or it failed)")
        return self._stats

    def close(self) -> None:
        batches = getattr(self, "_batches", None)  # absent when the constructor raised
        if batches is not None and not self.closed:
            batches.close()
        super().close()

    def _read_block(self) -> tuple[memoryview, Lease]:
        """The next block of ciphertext; the lease is held by the hashing lane and by the caller."""
        lease = self._blocks.acquire(holders=2)
        block = memoryview(lease.buffer)[: read_into(self._src, lease.buffer)]
        self._ciphertext.update(block, release=lease.release)
        return block, lease

    def _generate(self) -> Generator[memoryview, None, None]:
        """Authenticated plaintext, a block (up to 16 chunks) at a time."""
        try:
            current, current_lease = self._read_block()
            if not current:
                raise TruncatedError("file is truncated: the payload has no chunk")
            index = 0
            while True:
                if len(current) == _BLOCK:
                    following, following_lease = self._read_block()
                else:
                    following, following_lease = memoryview(b""), None
                starts = range(0, len(current), ENCRYPTED_CHUNK_SIZE)
                last = len(current) - starts[-1]
                lease = self._plain.acquire(holders=2)
                plaintext = memoryview(lease.buffer)[: (len(starts) - 1) * CHUNK_SIZE + max(0, last - TAG_SIZE)]
                done = 0  # plaintext bytes of this block authenticated so far
                try:
                    for offset in starts:
                        chunk = current[offset : offset + ENCRYPTED_CHUNK_SIZE]
                        at_end = not following and offset + ENCRYPTED_CHUNK_SIZE >= len(current)
                        target = plaintext[done : done + max(0, len(chunk) - TAG_SIZE)]
                        try:
                            self._open_into(index, chunk, target, at_end=at_end)
                        except ChunkAuthenticationError:
                            rest = bytes(current[offset:]) + bytes(following)
                            if len(following) < _BLOCK and self._final_chunk_then_junk(index, rest):
                                raise TrailingDataError(f"data follows the final chunk (chunk {index})") from None
                            raise
                        done += len(target)
                        index += 1
                except AgeError:
                    if done:  # hand over what was authenticated before the error
                        self._plaintext.update(plaintext[:done], release=lease.release)
                        yield plaintext[:done].toreadonly()
                    raise
                current_lease.release()
                if done:
                    self._plaintext.update(plaintext[:done], release=lease.release)
                    yield plaintext[:done].toreadonly()
                lease.release()  # the consumer is done with it
                if not following or following_lease is None:
                    break
                current, current_lease = following, following_lease
            self._stats = DecryptStats(
                plaintext_size=self._plaintext.size,
                plaintext_sha256=self._plaintext.hexdigest(),
                ciphertext_size=self._ciphertext.size,
                ciphertext_sha256=self._ciphertext.hexdigest(),
            )
        except BaseException:
            self._plaintext.abandon()
            self._ciphertext.abandon()
            raise

    def _authenticates(self, index: int, chunk: memoryview | bytes, *, final: bool) -> bool:
        try:
            self._aead.decrypt(chunk_nonce(index, final), chunk, None)
        except InvalidTag:
            return False
        return True

    def _open_into(self, index: int, chunk: memoryview, target: memoryview, *, at_end: bool) -> None:
        """Authenticate and decrypt chunk ``index`` into ``target``, or raise."""
        if not at_end:
            try:
                self._aead.decrypt_into(chunk_nonce(index, False), chunk, None, target)
            except InvalidTag:
                if self._authenticates(index, chunk, final=True):
                    raise TrailingDataError(f"data follows the final chunk (chunk {index})") from None
                raise ChunkAuthenticationError(index) from None
            return
        if len(chunk) < TAG_SIZE:
            raise TruncatedError(f"file is truncated: it ends inside chunk {index}")
        try:
            self._aead.decrypt_into(chunk_nonce(index, True), chunk, None, target)
        except InvalidTag:
            if len(chunk) < ENCRYPTED_CHUNK_SIZE:
                raise TruncatedOrCorruptedError(index) from None
            if self._authenticates(index, chunk, final=False):
                raise TruncatedError(
                    f"file is truncated: it ends after chunk {index}, which is not marked as the final chunk"
                ) from None
            raise ChunkAuthenticationError(index) from None
        if not target and index:
            raise PayloadError("the final chunk is empty, which age v1 allows only when the whole file is empty")

    def _final_chunk_then_junk(self, index: int, rest: bytes) -> bool:
        """Whether ``rest`` (chunk ``index`` to the end) is a valid final chunk plus a few bytes."""
        if len(rest) > ENCRYPTED_CHUNK_SIZE + _TRAILING_PROBE:
            return False
        view = memoryview(rest)
        shortest = max(TAG_SIZE, len(rest) - _TRAILING_PROBE)
        longest = min(ENCRYPTED_CHUNK_SIZE, len(rest) - 1)
        return any(self._authenticates(index, view[:end], final=True) for end in range(longest, shortest - 1, -1))


def decrypt(
    src: BinaryIO,
    dst: BinaryIO,
    identities: Sequence[Identity],
    *,
    hashing: bool = True,
    threads: bool = True,
) -> DecryptStats:
    """Decrypt the age file ``src`` into ``dst``, writing only authenticated chunks.

    On an error, ``dst`` holds the plaintext of the chunks before the bad one
    (all authenticated), and nothing of the bad chunk or after it.
    """
    with Decryptor(src, identities, hashing=hashing, threads=threads) as reader:
        for batch in reader._batches:  # views of pooled buffers, valid until the next one
            write_all(dst, batch)
        dst.flush()
        return reader.stats
