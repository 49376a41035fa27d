"""Encryption: :class:`Encryptor`, a file-like writer, and :func:`encrypt`, a stream copy."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .errors import AgeError, RecipientsError
from .hashing import BufferPool, EncryptStats, HashLane, Release
from .header import encode_header
from .primitives import FILE_KEY_SIZE
from .recipients import Recipient, ScryptRecipient
from .stream import (
    BATCH_CHUNKS,
    CHUNK_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    PAYLOAD_NONCE_SIZE,
    chunk_nonce,
    payload_key,
    read_into,
    write_all,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class Encryptor(io.RawIOBase):
    """A writable file that encrypts what it is given to ``dst`` as an age v1 file.

    The header is written at once; each 64 KiB chunk is encrypted and written
    as soon as the next byte after it arrives. :meth:`close` writes the final
    chunk and does not close ``dst``. Use it as a context manager: when the
    block raises, the file is *not* finished (no final chunk is written, so the
    output can never pass for a complete file) and the exception propagates::

        with Encryptor(dst, [recipient]) as writer:
            shutil.copyfileobj(src, writer)
        writer.stats.ciphertext_sha256

    ``hashing`` computes the SHA-256 of plaintext and ciphertext (see
    :attr:`stats`); ``threads`` lets those digests run on worker threads.
    """

    def __init__(
        self,
        dst: BinaryIO,
        recipients: Sequence[Recipient],
        *,
        hashing: bool = True,
        threads: bool = True,
    ) -> None:
        super().__init__()
        recipients = list(recipients)
        if not recipients:
            raise RecipientsError("at least one recipient is needed")
        if len(recipients) > 1 and any(isinstance(r, ScryptRecipient) for r in recipients):
            raise RecipientsError("a passphrase (scrypt) recipient must be the only recipient of a file")
        file_key = os.urandom(FILE_KEY_SIZE)
        stanzas = [stanza for recipient in recipients for stanza in recipient.wrap(file_key)]
        header = encode_header(stanzas, file_key)
        nonce = os.urandom(PAYLOAD_NONCE_SIZE)
        self._aead = ChaCha20Poly1305(payload_key(file_key, nonce))
        self._dst = dst
        self._plaintext = HashLane(enabled=hashing, threaded=threads)
        self._ciphertext = HashLane(enabled=hashing, threaded=threads)
        self._sealed = BufferPool(BATCH_CHUNKS * ENCRYPTED_CHUNK_SIZE)
        self._pending = bytearray()  # held back: the chunk that may turn out to be the final one
        self._index = 0
        self._finished = False
        self._failed = False
        self._stats: EncryptStats | None = None
        self._output(header + nonce)

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data).cast("B")
        self._write(view, data if isinstance(data, bytes) else view, None)
        return len(view)

    def _write(self, view: memoryview, data: bytes | memoryview, release: Release | None) -> None:
        """Encrypt ``view``; hash ``data`` (the same bytes) and call ``release`` once it is hashed."""
        if self._finished:
            raise ValueError("write to a closed Encryptor")
        if self._failed:
            raise AgeError("this Encryptor failed earlier and cannot go on")
        try:
            if view:
                self._consume(view, len(view))
            self._plaintext.update(data, release=release)
        except BaseException:
            self._failed = True
            raise

    def _consume(self, view: memoryview, size: int) -> None:
        pending = self._pending
        position = 0
        if pending:
            if len(pending) < CHUNK_SIZE:
                position = min(CHUNK_SIZE - len(pending), size)
                pending += view[:position]
            if len(pending) == CHUNK_SIZE and position < size:
                self._seal(pending, final=False)
                pending.clear()
        # Now either nothing is pending, or all of view went into pending.
        # Seal every chunk that has at least one byte after it, a batch at a time.
        count = (size - position - 1) // CHUNK_SIZE
        while count > 0:
            batch = min(count, BATCH_CHUNKS)
            lease = self._sealed.acquire()
            out = memoryview(lease.buffer)[: batch * ENCRYPTED_CHUNK_SIZE]
            for i in range(batch):
                nonce = chunk_nonce(self._index, False)
                target = out[i * ENCRYPTED_CHUNK_SIZE : (i + 1) * ENCRYPTED_CHUNK_SIZE]
                self._aead.encrypt_into(nonce, view[position : position + CHUNK_SIZE], None, target)
                self._index += 1
                position += CHUNK_SIZE
            write_all(self._dst, out)
            self._ciphertext.update(out, release=lease.release)
            count -= batch
        if position < size:
            pending += view[position:]

    def _seal(self, chunk: bytes | bytearray | memoryview, *, final: bool) -> None:
        self._output(self._aead.encrypt(chunk_nonce(self._index, final), chunk, None))
        self._index += 1

    def _output(self, data: bytes) -> None:
        write_all(self._dst, data)
        self._ciphertext.update(data)

    def flush(self) -> None:
        if not self._finished:
            self._dst.flush()

    def close(self) -> None:
        """Write the final chunk (the file is then complete) and flush ``dst``."""
        if self._finished:
            return
        if self._failed:
            self.abort()
            raise AgeError("this Encryptor failed earlier; the output is incomplete")
        try:
            self._seal(self._pending, final=True)
            self._pending.clear()
            self._dst.flush()
            self._stats = EncryptStats(
                plaintext_size=self._plaintext.size,
                plaintext_sha256=self._plaintext.hexdigest(),
                ciphertext_size=self._ciphertext.size,
                ciphertext_sha256=self._ciphertext.hexdigest(),
            )
        except BaseException:
            self.abort()
            raise
        self._finished = True
        super().close()

    def abort(self) -> None:
        """Give up: no final chunk is written, so what was written is not a valid age file."""
        if self._finished:
            return
        self._finished = True
        self._failed = True
        self._pending.clear()
        self._plaintext.abandon()
        self._ciphertext.abandon()
        super().close()

    @property
    def stats(self) -> EncryptStats:
        """Sizes and digests; available once :meth:`close` has succeeded."""
        if self._stats is None:
            raise AgeError("the encryption is not finished (or it failed)")
        return self._stats

    def __enter__(self) -> Encryptor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # io.IOBase.__del__ would call close() and finish a file that was abandoned midway.
        with contextlib.suppress(Exception):  # nothing sensible to do at garbage collection
            self.abort()


def encrypt(
    src: BinaryIO,
    dst: BinaryIO,
    recipients: Sequence[Recipient],
    *,
    hashing: bool = True,
    threads: bool = True,
) -> EncryptStats:
    """Encrypt all of ``src`` to ``dst``; memory stays bounded whatever the size."""
    blocks = BufferPool(BATCH_CHUNKS * CHUNK_SIZE)
    with Encryptor(dst, recipients, hashing=hashing, threads=threads) as writer:
        while True:
            lease = blocks.acquire()
            size = read_into(src, lease.buffer)
            if not size:
                break
            block = memoryview(lease.buffer)[:size]
            writer._write(block, block, lease.release)
    return writer.stats
