#!/usr/bin/env python3
"""Verify a Rampart evidence pack offline: ``python3 verify.py PACK.zip [--public-key FILE]``.

Needs only Python 3.8+ and ``cryptography``. Every pack carries this file as ``verify.py``;
Rampart imports the same module (``verify_pack``) for ``manage.py verify_pack``.

Checks, reporting every problem: ``manifest.sig`` is an Ed25519 signature over the exact
bytes of ``manifest.json`` by the ``--public-key`` key (without it, by the pack's own
``public_key.pem``, which proves the pack intact but not who made it), and names that
key's id, as the manifest does; the manifest is well formed; each listed file is in the
ZIP with its size and SHA-256 (read in chunks: bounded memory); no other file is; no
member name is unsafe to extract (absolute, ``..``, backslash, drive letter, control
character, duplicate, case collision, symbolic link).

Format 1: ``manifest.json`` is canonical JSON (``canonical_json``) of an object with
``format`` ("rampart-evidence-pack"), ``format_version`` (1), ``key_id``, ``generator``,
``created_at``, ``files`` (``{"path", "size", "sha256"}`` for every member but
``manifest.json`` and ``manifest.sig``) and the generator's own fields. ``manifest.sig``
is ``{"algorithm": "Ed25519", "key_id": ..., "signature": <base64>}``. A key id is the
first 16 hex digits of SHA-256 of the raw 32-byte public key: the id by which Rampart names
its signing keys everywhere (``export_public_key``, the audit trail's checkpoints, backup
manifests). Packs made before that named their key ``"ed25519:"`` + the first 32 hex digits
of the same digest; either name of the key that made the signature is accepted.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import stat
import sys
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any, NamedTuple

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - only outside Rampart
    sys.stderr.write("verify.py needs the 'cryptography' package: python3 -m pip install cryptography\n")
    raise

FORMAT_NAME = "rampart-evidence-pack"
FORMAT_VERSION = 1
ALGORITHM = "Ed25519"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
PUBLIC_KEY_NAME = "public_key.pem"
VERIFIER_NAME = "verify.py"
UNSIGNED_NAMES = frozenset({MANIFEST_NAME, SIGNATURE_NAME})
CHUNK_SIZE = 1 << 20
MAX_MANIFEST_BYTES = 256 << 20
MAX_SMALL_BYTES = 64 << 10
SHIPPED_KEY_NOTE = (
    "signature valid for the key shipped inside the pack; "
    "pass --public-key to check against the organisation's published key"
)
_SHA256_RE = re.compile(r"\A[0-9a-f]{64}\Z")
_DRIVE_RE = re.compile(r"\A[A-Za-z]:")
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc


def canonical_json(value: Any) -> bytes:
    """The one byte encoding of ``value`` that is signed: sorted keys, UTF-8, ``\\n`` at the end."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2, separators=(",", ": "), allow_nan=False)
    return text.encode("utf-8") + b"\n"


KEY_ID_HEX_DIGITS = 16
LEGACY_KEY_ID_PREFIX = "ed25519:"  # packs of the first release: the prefix and 32 hex digits


def _digest(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """The key's id: the first 16 hex digits of SHA-256 of its raw 32 bytes."""
    return _digest(public_key)[:KEY_ID_HEX_DIGITS]


def legacy_key_id(public_key: Ed25519PublicKey) -> str:
    """The id packs of the first release gave the same key: ``ed25519:`` + 32 hex digits."""
    return LEGACY_KEY_ID_PREFIX + _digest(public_key)[:32]


def names_key(key_id: str, public_key: Ed25519PublicKey) -> bool:
    """Does ``key_id`` name ``public_key``, in the current or the first release's form?"""
    return key_id in (key_fingerprint(public_key), legacy_key_id(public_key))


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ``ValueError`` for anything else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def unsafe_path_reason(name: str) -> str | None:
    """Why ``name`` must not be a member of a pack, or ``None`` if it is a safe relative path."""
    if not name:
        return "empty name"
    if "\\" in name:
        return "backslash in name"
    if name.startswith("/"):
        return "absolute path"
    if _DRIVE_RE.match(name):
        return "drive letter"
    if _CONTROL_RE.search(name):
        return "control character in name"
    if name.endswith("/"):
        return "directory entry"
    for part in name.split("/"):
        if not part:
            return "empty path segment"
        if part in (".", ".."):
            return f"{part!r} path segment"
    return None


def collision_key(name: str) -> str:
    """Names with the same key become the same file when extracted on macOS or Windows."""
    return unicodedata.normalize("NFC", name).casefold()


@dataclass
class VerifyReport:
    """The outcome of ``verify_pack``: ``ok`` when ``problems`` is empty."""

    path: str
    files_verified: int = 0
    files_listed: int = 0
    key_id: str | None = None
    key_source: str | None = None  # "argument" (--public-key) or "pack" (public_key.pem)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            lines = [f"OK: {self.files_verified} files verified, signed by key {self.key_id}"]
            if self.key_source == "pack":
                lines.append(f"NOTE: {SHIPPED_KEY_NOTE}")
        else:
            count = len(self.problems)
            lines = [f"FAILED: {count} problem{'s' if count != 1 else ''} in {self.path}"]
            lines.extend(f"  - {problem}" for problem in self.problems)
            if self.key_source == "pack":
                lines.append("NOTE: the signature was checked against the key shipped inside the pack")
        return lines

    def summary(self) -> str:
        return "\n".join(self.lines())


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise ValueError(f"larger than {limit} bytes")
    with archive.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data


def _hash_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with archive.open(info) as member:
        while True:
            chunk = member.read(CHUNK_SIZE)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _check_members(archive: zipfile.ZipFile, report: VerifyReport) -> dict[str, zipfile.ZipInfo]:
    """Members by name; unsafe, duplicate, encrypted and symlinked members are problems."""
    members: dict[str, zipfile.ZipInfo] = {}
    folded: dict[str, str] = {}
    for info in archive.infolist():
        name = info.filename
        reason = unsafe_path_reason(name)
        if reason:
            report.problems.append(f"unsafe path in zip: {name!r} ({reason})")
        if name in members:
            report.problems.append(f"unsafe path in zip: {name!r} appears more than once")
            continue
        key = collision_key(name)
        if key in folded:
            report.problems.append(f"unsafe path in zip: {name!r} collides with {folded[key]!r} when extracted")
        folded.setdefault(key, name)
        if stat.S_ISLNK(info.external_attr >> 16):
            report.problems.append(f"unsafe path in zip: {name!r} is a symbolic link")
        if info.flag_bits & 0x1:
            report.problems.append(f"encrypted member in zip: {name!r}")
        members[name] = info
    return members


class Entry(NamedTuple):
    path: str
    size: int
    sha256: str


def _parse_manifest(data: bytes, report: VerifyReport) -> tuple[dict[str, Any] | None, list[Entry] | None, set[str]]:
    """The manifest, its valid file entries (``None`` without a file list) and every path it names.

    Every defect becomes a problem.
    """
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        report.problems.append(f"malformed manifest: not valid UTF-8 JSON ({exc})")
        return None, None, set()
    if not isinstance(manifest, dict):
        report.problems.append("malformed manifest: not a JSON object")
        return None, None, set()
    if manifest.get("format") != FORMAT_NAME:
        report.problems.append(f"malformed manifest: format is {manifest.get('format')!r}, not {FORMAT_NAME!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        version = manifest.get("format_version")
        report.problems.append(f"malformed manifest: unsupported format_version {version!r}")
    if not isinstance(manifest.get("key_id"), str):
        report.problems.append("malformed manifest: key_id missing")
    files = manifest.get("files")
    if not isinstance(files, list):
        report.problems.append("malformed manifest: 'files' is not a list")
        return manifest, None, set()
    entries: list[Entry] = []
    seen: set[str] = set()
    named: set[str] = set()
    for index, entry in enumerate(files):
        path = entry.get("path") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        sha256 = entry.get("sha256") if isinstance(entry, dict) else None
        if isinstance(path, str):
            named.add(path)
        if not isinstance(path, str) or not isinstance(sha256, str) or type(size) is not int:
            report.problems.append(f"malformed manifest: files[{index}] needs path, size and sha256")
            continue
        reason = unsafe_path_reason(path)
        if reason or path in UNSIGNED_NAMES:
            report.problems.append(f"malformed manifest: unsafe path {path!r} ({reason or 'reserved name'})")
            continue
        if path in seen:
            report.problems.append(f"malformed manifest: {path!r} listed more than once")
            continue
        if size < 0 or not _SHA256_RE.match(sha256):
            report.problems.append(f"malformed manifest: bad size or sha256 for {path!r}")
            continue
        seen.add(path)
        entries.append(Entry(path, size, sha256))
    report.files_listed = len(entries)
    return manifest, entries, named


def _parse_signature(data: bytes, report: VerifyReport) -> tuple[str, bytes] | None:
    try:
        document = json.loads(data.decode("utf-8"))
        key_id = document["key_id"]
        algorithm = document["algorithm"]
        signature = base64.b64decode(document["signature"], validate=True)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        report.problems.append(f"malformed manifest.sig ({exc.__class__.__name__}: {exc})")
        return None
    if algorithm != ALGORITHM or not isinstance(key_id, str):
        report.problems.append(f"malformed manifest.sig: algorithm {algorithm!r}, expected {ALGORITHM!r}")
        return None
    return key_id, signature


def _valid(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _check_signature(
    manifest_bytes: bytes,
    signature: tuple[str, bytes],
    key: Ed25519PublicKey,
    pack_key: Ed25519PublicKey | None,
    report: VerifyReport,
) -> bool:
    """Whether the signature is valid for ``key``; an invalid one is explained in ``report``."""
    claimed_id, sig = signature
    expected_id = key_fingerprint(key)
    if _valid(key, sig, manifest_bytes):
        if not names_key(claimed_id, key):
            report.problems.append(f"manifest.sig names key {claimed_id}, but the signature was made by {expected_id}")
        return True
    if report.key_source == "argument":
        if pack_key is not None and _valid(pack_key, sig, manifest_bytes):
            other = key_fingerprint(pack_key)
            report.problems.append(
                f"signed by key {other} (the pack's public_key.pem), not by the key given with "
                f"--public-key ({expected_id})"
            )
            return False
        origin = "the key given with --public-key"
    else:
        origin = "the pack's public_key.pem"
    if not names_key(claimed_id, key):
        report.problems.append(
            f"signature by an unknown key: manifest.sig names {claimed_id}, which is not {origin} "
            f"({expected_id}), and the signature does not verify"
        )
    else:
        report.problems.append(f"manifest.json was edited after signing: signature invalid for key {expected_id}")
    return False


def _check_files(
    archive: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    entries: list[Entry],
    named: set[str],
    report: VerifyReport,
) -> None:
    """Each entry against its member, then the members no entry names."""
    for path, size, sha256 in entries:
        info = members.get(path)
        if info is None:
            report.problems.append(f"missing file: {path}")
            continue
        if info.file_size != size:
            report.problems.append(f"altered file: {path} (size {info.file_size}, manifest says {size})")
            continue
        try:
            actual_size, actual_sha256 = _hash_member(archive, info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            report.problems.append(f"altered file: {path} (cannot be read: {exc})")
            continue
        if actual_size != size:
            report.problems.append(f"altered file: {path} (size {actual_size}, manifest says {size})")
        elif actual_sha256 != sha256:
            report.problems.append(f"altered file: {path} (SHA-256 mismatch)")
        else:
            report.files_verified += 1
    for name in members:
        if name not in named and name not in UNSIGNED_NAMES:
            report.problems.append(f"extra file not in manifest: {name}")


def _load_pack_key(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], report: VerifyReport, *, required: bool
) -> Ed25519PublicKey | None:
    info = members.get(PUBLIC_KEY_NAME)
    if info is None:
        if required:
            report.problems.append(
                f"no key to check the signature: the pack has no {PUBLIC_KEY_NAME}; pass --public-key"
            )
        return None
    try:
        return load_public_key(_read_small(archive, info, MAX_SMALL_BYTES))
    except (ValueError, TypeError, zipfile.BadZipFile, zlib.error, OSError) as exc:
        if required:
            report.problems.append(f"the pack's {PUBLIC_KEY_NAME} is not a usable Ed25519 key ({exc})")
        return None


def verify_pack(path: str | os.PathLike[str], public_key_pem: bytes | None = None) -> VerifyReport:
    """Check the pack at ``path``; against ``public_key_pem`` if given, else the pack's own key.

    ``ValueError`` if ``public_key_pem`` is not an Ed25519 public key; every defect of the
    pack itself is reported in the returned ``VerifyReport``.
    """
    report = VerifyReport(path=str(path))
    given_key = load_public_key(public_key_pem) if public_key_pem is not None else None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problems.append(f"not a readable ZIP file ({exc})")
        return report
    with archive:
        members = _check_members(archive, report)
        manifest_bytes: bytes | None = None
        signature: tuple[str, bytes] | None = None
        for name in (MANIFEST_NAME, SIGNATURE_NAME):
            info = members.get(name)
            if info is None:
                report.problems.append(f"missing file: {name}")
                continue
            try:
                data = _read_small(archive, info, MAX_MANIFEST_BYTES if name == MANIFEST_NAME else MAX_SMALL_BYTES)
            except (ValueError, zipfile.BadZipFile, zlib.error, OSError) as exc:
                report.problems.append(f"cannot read {name} ({exc})")
                continue
            if name == MANIFEST_NAME:
                manifest_bytes = data
            else:
                signature = _parse_signature(data, report)
        manifest, entries, named = (
            _parse_manifest(manifest_bytes, report) if manifest_bytes is not None else (None, None, set())
        )
        pack_key = _load_pack_key(archive, members, report, required=given_key is None)
        key = given_key or pack_key
        report.key_source = "argument" if given_key is not None else ("pack" if pack_key is not None else None)
        if key is not None:
            report.key_id = key_fingerprint(key)
            if (
                signature is not None
                and manifest_bytes is not None
                and _check_signature(manifest_bytes, signature, key, pack_key, report)
            ):
                manifest_key = manifest.get("key_id") if manifest is not None else None
                if isinstance(manifest_key, str) and not names_key(manifest_key, key):
                    report.problems.append(f"manifest names key {manifest_key}, not the signing key {report.key_id}")
        if entries is not None:
            _check_files(archive, members, entries, named, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Rampart evidence pack (signature, manifest, every file).")
    parser.add_argument("pack", help="the evidence pack (.zip)")
    parser.add_argument(
        "--public-key",
        metavar="FILE",
        help="the organisation's published Ed25519 public key (PEM), obtained separately from the pack",
    )
    args = parser.parse_args(argv)
    public_key_pem = None
    if args.public_key:
        try:
            with open(args.public_key, "rb") as handle:
                public_key_pem = handle.read(MAX_SMALL_BYTES)
            report = verify_pack(args.pack, public_key_pem)
        except (OSError, ValueError, TypeError) as exc:
            print(f"ERROR: cannot use --public-key {args.public_key}: {exc}", file=sys.stderr)
            return 2
    else:
        report = verify_pack(args.pack)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
