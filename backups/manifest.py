"""The manifest of a backup set: what the set holds, signed with the instance's Ed25519 key.

``manifest.json`` is one JSON object. Its ``signature`` member (``key_id``, ``algorithm``,
``value`` in base64) signs the canonical JSON (sorted keys, no spaces, ASCII) of every other
member, so any change to any field, a file's hash included, breaks it. The other members:

``format``/``version``
    ``rampart-backup`` / 1.
``set_id``, ``plan`` (``id``, ``name``), ``started_at``, ``finished_at`` (UTC, ISO 8601)
``rampart_version``
``compression``
    ``zstd`` or ``none`` (applied before encryption).
``recipients``
    the age public keys each file is encrypted to.
``database`` (when the set holds one)
    ``vendor`` (``sqlite``/``postgresql``), ``format``, ``migrations`` (applied migrations per
    app, as in the snapshot) and ``row_counts`` (rows per table, as in the snapshot).
``files``
    one object per file: ``name``, ``kind`` (``database``/``files``), ``format``,
    ``plaintext_size``/``plaintext_sha256`` (what went into age, after compression) and
    ``ciphertext_size``/``ciphertext_sha256`` (the file as stored); ``members`` for an archive.
``audit_checkpoint`` (and any other extra registered in ``core.hooks``)
    a signed checkpoint of the audit trail taken before the database snapshot, which
    ``manage.py verify_audit_trail --checkpoints manifest.json`` checks.

The manifest is written last: a set without one is incomplete.
"""

from __future__ import annotations

import functools
import json
import tomllib
from typing import Any

from django.conf import settings

from core import signing

FORMAT = "rampart-backup"
VERSION = 1
SIGNATURE = "signature"
ALGORITHM = "ed25519"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


class ManifestError(Exception):
    """A manifest that cannot be read or whose signature does not verify."""


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


@functools.lru_cache(maxsize=1)
def rampart_version() -> str:
    try:
        with (settings.BASE_DIR / "pyproject.toml").open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def sign_manifest(body: dict[str, Any]) -> dict[str, Any]:
    """The manifest ``body`` with its signature member added."""
    unsigned = {key: value for key, value in body.items() if key != SIGNATURE}
    signature = signing.sign(canonical_bytes(unsigned))
    return {
        **unsigned,
        SIGNATURE: {"algorithm": ALGORITHM, "key_id": signature.key_id, "value": signature.signature_b64},
    }


def encode(manifest: dict[str, Any]) -> bytes:
    """The bytes of ``manifest.json``: readable (indented) JSON; the signature is over the canonical form."""
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=True).encode("ascii") + b"\n"


def parse(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError("The manifest is larger than any manifest Rampart writes.")
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise ManifestError(f"The manifest is not JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ManifestError("This is not a Rampart backup manifest.")
    if manifest.get("version") != VERSION:
        raise ManifestError(f"Manifest version {manifest.get('version')!r} is not one this Rampart reads ({VERSION}).")
    if not isinstance(manifest.get("files"), list):
        raise ManifestError("The manifest lists no files.")
    return manifest


def signature_problem(manifest: dict[str, Any], trusted_public_keys: dict[str, str] | None = None) -> str | None:
    """Why the manifest's signature does not verify, or ``None`` when it does."""
    signature = manifest.get(SIGNATURE)
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return "the manifest is not signed"
    key_id, value = signature.get("key_id"), signature.get("value")
    if not isinstance(key_id, str) or not isinstance(value, str):
        return "the manifest's signature is malformed"
    keys = signing.known_public_keys() if trusted_public_keys is None else trusted_public_keys
    if key_id not in keys:
        return f"the manifest is signed with key {key_id}, which this instance does not know"
    unsigned = {key: item for key, item in manifest.items() if key != SIGNATURE}
    if not signing.verify(canonical_bytes(unsigned), value, key_id, keys):
        return "the manifest's signature does not verify (the manifest was changed after it was signed)"
    return None
