"""Building ``manifest.json`` and ``manifest.sig`` (the format is described in ``FORMAT.md``).

The encoding, the key id and the path rules come from ``verify_standalone``, so the
writer and the verifier shipped in every pack cannot drift apart.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audits.packs.verify_standalone import (
    ALGORITHM,
    FORMAT_NAME,
    FORMAT_VERSION,
    canonical_json,
)

#: Set by the writer; a caller's manifest fields may not name them.
RESERVED_FIELDS = frozenset({"format", "format_version", "files", "generator"})


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


def build_manifest(
    files: Iterable[FileEntry],
    fields: Mapping[str, Any],
    *,
    generator: str,
    key_id: str,
    created_at: datetime | None = None,
) -> bytes:
    """The canonical bytes of ``manifest.json``.

    ``fields`` are the caller's (engagement, scope, period ...), any JSON values. A
    ``key_id`` among them must be the signing key's; ``created_at`` defaults to now (UTC).
    """
    clash = RESERVED_FIELDS.intersection(fields)
    if clash:
        raise ValueError(f"manifest fields reserved for the writer: {', '.join(sorted(clash))}")
    if fields.get("key_id", key_id) != key_id:
        raise ValueError(f"manifest field key_id {fields['key_id']!r} is not the signing key {key_id!r}")
    document: dict[str, Any] = dict(fields)
    if "created_at" not in document:
        document["created_at"] = (created_at or datetime.now(UTC)).isoformat(timespec="seconds")
    document.update(
        format=FORMAT_NAME,
        format_version=FORMAT_VERSION,
        generator=generator,
        key_id=key_id,
        files=[entry.as_json() for entry in files],
    )
    return canonical_json(document)


def signature_document(key_id: str, signature: bytes) -> bytes:
    """The bytes of ``manifest.sig``."""
    return canonical_json(
        {"algorithm": ALGORITHM, "key_id": key_id, "signature": base64.b64encode(signature).decode("ascii")}
    )
