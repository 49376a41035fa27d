"""Verifying a set: the manifest's signature, then every file's size and SHA-256 as stored, and,
with an identity, a full decryption (every chunk authenticated, plaintext size and SHA-256,
zstd checksum, the archive readable to its end)."""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import zstandard
from django.utils import timezone

from backups.age import AgeError, Identity
from backups.destinations import MANIFEST_NAME, Destination, DestinationError
from backups.manifest import ManifestError, parse, signature_problem
from backups.models import BackupSet
from backups.pipeline import hash_stream, open_plaintext


@dataclass
class VerifyReport:
    set_id: str
    full: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        kind = "full decryption" if self.full else "sizes, hashes and signature"
        if self.ok:
            return f"OK set {self.set_id} ({kind}): " + "; ".join(self.notes)
        return f"FAILED set {self.set_id} ({kind}): " + "; ".join(self.problems)


def read_manifest(destination: Destination, set_id: str) -> dict[str, Any]:
    """The parsed manifest of a set; ``ManifestError`` when there is none (incomplete set) or it is unreadable."""
    size = destination.size(set_id, MANIFEST_NAME)
    if size is None:
        raise ManifestError("no manifest: the set is incomplete (its backup did not finish)")
    with destination.open(set_id, MANIFEST_NAME) as handle:
        return parse(handle.read())


def _check_entry_shape(entry: Any) -> str | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return "a file entry of the manifest is malformed"
    for key in ("plaintext_size", "ciphertext_size"):
        if not isinstance(entry.get(key), int):
            return f"{entry['name']}: {key} is missing from the manifest"
    for key in ("plaintext_sha256", "ciphertext_sha256"):
        if not isinstance(entry.get(key), str):
            return f"{entry['name']}: {key} is missing from the manifest"
    return None


def _check_stored(destination: Destination, set_id: str, entry: dict[str, Any], report: VerifyReport) -> bool:
    name = entry["name"]
    size = destination.size(set_id, name)
    if size is None:
        report.problems.append(f"{name} is missing")
        return False
    if size != entry["ciphertext_size"]:
        report.problems.append(
            f"{name} has {size} bytes, the manifest says {entry['ciphertext_size']} (truncated or grown)"
        )
        return False
    with destination.open(set_id, name) as handle:
        _, digest = hash_stream(handle)
    if digest != entry["ciphertext_sha256"]:
        report.problems.append(
            f"{name}: SHA-256 {digest[:16]}… differs from the manifest's {entry['ciphertext_sha256'][:16]}…"
        )
        return False
    return True


def _check_decrypted(
    destination: Destination, set_id: str, entry: dict[str, Any], identities: Sequence[Identity], report: VerifyReport
) -> None:
    name = entry["name"]
    try:
        with open_plaintext(destination, set_id, entry, identities) as plain:
            if entry.get("kind") == "files":
                members = 0
                with tarfile.open(fileobj=plain.stream, mode="r|") as tar:
                    for member in tar:
                        members += int(member.isfile())
                if isinstance(entry.get("members"), int) and members != entry["members"]:
                    report.problems.append(
                        f"{name}: the archive holds {members} files, the manifest says {entry['members']}"
                    )
            else:
                hash_stream(plain.stream)  # type: ignore[arg-type]
            stats = plain.finish()
    except (AgeError, zstandard.ZstdError, tarfile.TarError, OSError) as exc:
        report.problems.append(f"{name} does not decrypt: {exc}")
        return
    if stats.plaintext_size != entry["plaintext_size"] or stats.plaintext_sha256 != entry["plaintext_sha256"]:
        report.problems.append(f"{name}: the decrypted content differs from the manifest's size or SHA-256")


def verify_files(
    destination: Destination,
    set_id: str,
    *,
    identities: Sequence[Identity] | None = None,
    recorded_manifest: dict[str, Any] | None = None,
) -> VerifyReport:
    """Check one set in its destination; with ``identities``, decrypt every file too."""
    report = VerifyReport(set_id=set_id, full=bool(identities))
    try:
        manifest = read_manifest(destination, set_id)
    except (ManifestError, DestinationError, OSError) as exc:
        report.problems.append(str(exc))
        return report
    report.manifest = manifest
    problem = signature_problem(manifest)
    if problem:
        report.problems.append(problem)
    if manifest.get("set_id") != set_id:
        report.problems.append(f"the manifest is the one of set {manifest.get('set_id')!r}, not of {set_id} (swapped)")
    if recorded_manifest and recorded_manifest != manifest:
        report.problems.append("the manifest differs from the one recorded when the set was made")
    entries = manifest["files"]
    listed = set()
    for entry in entries:
        shape = _check_entry_shape(entry)
        if shape:
            report.problems.append(shape)
            continue
        listed.add(entry["name"])
        try:
            stored_ok = _check_stored(destination, set_id, entry, report)
        except (DestinationError, OSError) as exc:
            report.problems.append(f"{entry['name']} cannot be read: {exc}")
            continue
        if stored_ok and identities:
            _check_decrypted(destination, set_id, entry, identities, report)
    extra = sorted(set(destination.names(set_id)) - listed - {MANIFEST_NAME})
    if extra:
        report.problems.append(f"files not in the manifest: {', '.join(extra)}")
    total = sum(int(e.get("ciphertext_size", 0)) for e in entries if isinstance(e, dict))
    report.notes.append(
        f"{len(entries)} file(s), {total} bytes, signed by key {manifest.get('signature', {}).get('key_id', '?')}"
    )
    if identities and report.ok:
        report.notes.append("every file decrypted and matched")
    return report


def record_verification(backup_set: BackupSet, report: VerifyReport) -> BackupSet:
    """Keep the outcome on the set's row (what the pages, the retention and the evidence read)."""
    values = {
        "verified_at": timezone.now(),
        "verify_ok": report.ok,
        "verify_full": report.full,
        "verify_detail": report.summary()[:10_000],
    }
    for name, value in values.items():
        setattr(backup_set, name, value)
    backup_set.save(update_fields=list(values))
    return backup_set
