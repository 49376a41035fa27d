"""Evidence files: stored through ``STORAGES["evidence"]``, hashed in the pass that writes them.

``HashingFile`` wraps an upload (or any file): the storage reads it through ``chunks()``,
and each chunk goes through SHA-256 and the size count on its way, so a file is read once
however large it is. Uploads over ``RAMPART_EVIDENCE_MAX_BYTES`` and files that are
programs are refused with a message that says why.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files import File

from core.errors import DomainError

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
#: Programs and scripts a browser or a desktop would run when opened; refused outright.
REFUSED_EXTENSIONS = frozenset(
    {"exe", "dll", "com", "bat", "cmd", "msi", "scr", "ps1", "vbs", "js", "jar", "sh", "app", "apk", "lnk"}
)
REFUSED_MAGIC = (b"MZ", b"\x7fELF", b"#!")


class EvidenceFileError(DomainError):
    """The file cannot be stored as evidence (too large, a program)."""


def max_bytes() -> int:
    return int(getattr(settings, "RAMPART_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_upload(name: str, size: int | None) -> None:
    """Refuse by name and announced size, before anything is stored."""
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if extension in REFUSED_EXTENSIONS:
        raise EvidenceFileError(
            f"Files of type .{extension} are programs and cannot be evidence; "
            "export the result as PDF, text or an image."
        )
    limit = max_bytes()
    if size is not None and size > limit:
        raise EvidenceFileError(f"The file is {size:,} bytes; evidence files may be at most {limit:,} bytes.")


class HashingFile(File):  # type: ignore[type-arg]
    """A file whose ``chunks()`` hash, count and check what they hand out."""

    def __init__(self, file: Any, name: str) -> None:
        super().__init__(file, name)
        self.digest = hashlib.sha256()
        self.written = 0

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        limit = max_bytes()
        first = True
        inner: Any = self.file
        source = inner.chunks(chunk_size) if hasattr(inner, "chunks") else super().chunks(chunk_size)
        for chunk in source:
            if first and chunk.startswith(REFUSED_MAGIC):
                raise EvidenceFileError("The file is a program or a script and cannot be evidence.")
            first = False
            self.written += len(chunk)
            if self.written > limit:
                raise EvidenceFileError(f"The file is larger than {limit:,} bytes, the most an evidence file may be.")
            self.digest.update(chunk)
            yield chunk

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()
