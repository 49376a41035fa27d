"""Streaming writer of signed evidence packs (one ZIP, verifiable offline).

Each source is read once, in chunks of ``CHUNK_SIZE``: the same pass feeds SHA-256 and
the ZIP's CRC-32 on this thread, while deflate runs on worker threads
(``pipeline.DeflatePipeline``), so memory stays bounded whatever the size of the files
and both cores work. Whether a member is deflated is decided per file
(``compression.should_deflate``).

A pack written to a path goes to a temporary ``<name>.<random>.partial`` in the same
directory, is fsynced and only renamed to its final name by ``finish``: a crash
mid-build never leaves a file under the final name (a stale ``.partial`` may stay
behind after a hard kill). ``abort`` (or leaving a ``with`` block without
``finish``, or any error while writing a member) removes the partial file.

``finish`` adds, after the caller's members: ``verify.py`` (this package's
standalone verifier), ``public_key.pem``, then ``manifest.json`` and ``manifest.sig``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO

from cryptography.exceptions import InvalidSignature

from audits.packs import verify_standalone
from audits.packs.compression import should_deflate
from audits.packs.manifest import FileEntry, build_manifest, signature_document
from audits.packs.pipeline import DeflatePipeline
from audits.packs.verify_standalone import (
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    SIGNATURE_NAME,
    VERIFIER_NAME,
    collision_key,
    key_fingerprint,
    load_public_key,
    unsafe_path_reason,
)
from audits.packs.zipstream import ZipStream

CHUNK_SIZE = 1 << 20
#: zlib level for deflated members: 1 is ~2x faster than 6 on logs for ~40% more output.
DEFAULT_LEVEL = 1
#: Deflate worker threads by default: one per core, at most two.
DEFAULT_THREADS = min(2, os.cpu_count() or 1)
RESERVED_NAMES = frozenset({MANIFEST_NAME, SIGNATURE_NAME, PUBLIC_KEY_NAME, VERIFIER_NAME})
_RESERVED_KEYS = frozenset(collision_key(name) for name in RESERVED_NAMES)

Signer = Callable[[bytes], tuple[str, bytes]]
Chunk = bytes | bytearray | memoryview


class PackError(Exception):
    """The pack cannot be written as asked (bad name, wrong key, writer already closed)."""


@dataclass(frozen=True)
class PackSummary:
    path: Path | None  # None when written to a file object
    files: int  # members listed in the manifest (verify.py and public_key.pem included)
    total_size: int  # their uncompressed bytes
    pack_size: int
    key_id: str
    manifest_sha256: str


class PackWriter:
    """``PackWriter(path_or_fileobj, generator=..., sign=..., public_key_pem=...)``.

    ``sign(data) -> (key_id, signature)`` signs with Ed25519; ``public_key_pem`` is its
    public key, shipped as ``public_key.pem`` and used to check the signature before
    the pack is completed. A file object target may be unseekable (a pipe, a
    response): members then carry data descriptors. ``threads=0`` deflates on the
    calling thread. Usable as a context manager (aborts unless finished).
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | IO[bytes],
        *,
        generator: str,
        sign: Signer,
        public_key_pem: bytes,
        compress_level: int = DEFAULT_LEVEL,
        chunk_size: int = CHUNK_SIZE,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        self._public_key = load_public_key(public_key_pem)
        self._public_key_pem = public_key_pem
        self.key_id = key_fingerprint(self._public_key)
        self._sign = sign
        self._generator = generator
        self._chunk_size = chunk_size
        self._entries: list[FileEntry] = []
        self._names: set[str] = set()
        now = datetime.now(UTC)
        date_time = (now.year, now.month, now.day, now.hour, now.minute, now.second)
        self._closed = False
        self._final: Path | None = None
        self._partial: Path | None = None
        if isinstance(target, str | os.PathLike):
            self._final = Path(target)
            fd, partial = tempfile.mkstemp(prefix=f"{self._final.name}.", suffix=".partial", dir=self._final.parent)
            self._partial = Path(partial)
            self._fp: IO[bytes] = os.fdopen(fd, "wb")
        else:
            self._fp = target
        self._archive = ZipStream(self._fp, date_time)
        self._pipeline = DeflatePipeline(self._archive, level=compress_level, threads=threads)

    # -- adding members -------------------------------------------------------------

    def add_bytes(self, arcname: str, data: bytes, *, compress: bool | None = None) -> FileEntry:
        self._claim(arcname)
        return self._write_member(arcname, _slices(bytes(data), self._chunk_size), compress, len(data))

    def add_file(
        self, arcname: str, source: str | os.PathLike[str] | BinaryIO, *, compress: bool | None = None
    ) -> FileEntry:
        """A file by path, or a binary stream read from its current position (left open)."""
        self._claim(arcname)
        if isinstance(source, str | os.PathLike):
            with open(source, "rb", buffering=0) as handle:
                size = os.fstat(handle.fileno()).st_size
                return self._write_member(arcname, _read_chunks(handle, self._chunk_size), compress, size)
        return self._write_member(arcname, _read_chunks(source, self._chunk_size), compress, None)

    def add_stream(self, arcname: str, chunks: Iterable[Chunk], *, compress: bool | None = None) -> FileEntry:
        """A member from an iterable of byte chunks of any sizes (regrouped into ``chunk_size`` pieces)."""
        self._claim(arcname)
        return self._write_member(arcname, _regroup(chunks, self._chunk_size), compress, None)

    # -- completing -----------------------------------------------------------------

    def finish(self, manifest_fields: Mapping[str, Any]) -> PackSummary:
        """Add verify.py, public_key.pem, manifest.json and manifest.sig; close, fsync, rename."""
        self._check_open()
        try:
            with open(verify_standalone.__file__, "rb") as verifier:
                self._write_member(VERIFIER_NAME, _read_chunks(verifier, self._chunk_size), None, None)
            self._write_member(PUBLIC_KEY_NAME, iter((self._public_key_pem,)), None, len(self._public_key_pem))
            manifest = build_manifest(self._entries, manifest_fields, generator=self._generator, key_id=self.key_id)
            key_id, signature = self._sign(manifest)
            if key_id != self.key_id:
                raise PackError(f"the signer names key {key_id!r}, but public_key_pem is key {self.key_id!r}")
            try:
                self._public_key.verify(signature, manifest)
            except InvalidSignature:
                raise PackError(f"the signature does not verify with public_key_pem (key {self.key_id})") from None
            self._write_member(MANIFEST_NAME, iter((manifest,)), True, len(manifest), listed=False)
            sig_document = signature_document(key_id, signature)
            self._write_member(SIGNATURE_NAME, iter((sig_document,)), True, len(sig_document), listed=False)
            self._pipeline.drain()
            self._pipeline.close()
            self._archive.close()
            self._fp.flush()
            if self._final is not None and self._partial is not None:
                os.fsync(self._fp.fileno())
                self._fp.close()
                os.replace(self._partial, self._final)
                _fsync_directory(self._final.parent)
            self._closed = True
        except BaseException:
            self.abort()
            raise
        return PackSummary(
            path=self._final,
            files=len(self._entries),
            total_size=sum(entry.size for entry in self._entries),
            pack_size=self._archive.offset,
            key_id=self.key_id,
            manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        )

    def abort(self) -> None:
        """Give up: the partial file is removed (a caller's file object is left as it is)."""
        if self._closed:
            return
        self._closed = True
        self._pipeline.close()
        if self._partial is not None:
            with contextlib.suppress(OSError):
                self._fp.close()
            with contextlib.suppress(FileNotFoundError):
                self._partial.unlink()

    def __enter__(self) -> PackWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.abort()

    # -- internals ------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise PackError("the pack is already finished or aborted")

    def _claim(self, arcname: str) -> None:
        self._check_open()
        reason = unsafe_path_reason(arcname)
        if reason:
            raise PackError(f"unsafe member name {arcname!r}: {reason}")
        key = collision_key(arcname)
        if key in _RESERVED_KEYS:
            raise PackError(f"{arcname!r} is reserved for the pack itself")
        if key in self._names:
            raise PackError(f"duplicate member name {arcname!r}")
        self._names.add(key)

    def _write_member(
        self, arcname: str, chunks: Iterator[bytes], compress: bool | None, size: int | None, *, listed: bool = True
    ) -> FileEntry:
        """One member, hashed (SHA-256, CRC-32) in the same pass as it is handed to the pipeline."""
        self._check_open()
        digest = hashlib.sha256()
        crc = 0
        written = 0
        try:
            first = next(chunks, b"")
            deflate = should_deflate(arcname, first) if compress is None else compress
            self._pipeline.start(arcname, deflated=deflate, size_hint=size)
            for chunk in _chain(first, chunks):
                digest.update(chunk)
                crc = zlib.crc32(chunk, crc)
                written += len(chunk)
                self._pipeline.chunk(chunk)
            self._pipeline.end(crc, written)
        except BaseException:
            self.abort()
            raise
        entry = FileEntry(arcname, written, digest.hexdigest())
        if listed:
            self._entries.append(entry)
        return entry


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    for chunk in rest:
        if chunk:
            yield chunk


def _slices(data: bytes, size: int) -> Iterator[bytes]:
    if len(data) <= size:
        yield data
        return
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield view[start : start + size].tobytes()


def _read_chunks(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """Fresh ``bytes`` of up to ``size`` (read straight into them, no copy; the pipeline may keep them)."""
    while True:
        data = handle.read(size)
        if not data:
            return
        yield data


def _regroup(chunks: Iterable[Chunk], size: int) -> Iterator[bytes]:
    """Chunks of any sizes as immutable pieces of about ``size`` bytes (small ones joined)."""
    parts: list[bytes] = []
    held = 0
    for chunk in chunks:
        piece = chunk if isinstance(chunk, bytes) else bytes(chunk)
        if not piece:
            continue
        parts.append(piece)
        held += len(piece)
        if held >= size:
            yield parts[0] if len(parts) == 1 else b"".join(parts)
            parts, held = [], 0
    if parts:
        yield b"".join(parts)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
