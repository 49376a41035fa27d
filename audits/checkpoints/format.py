"""The checkpoint format: one signed checkpoint, and reading checkpoints from files.

See ``audits.checkpoints`` for the format and where checkpoints travel.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from core import signing

SIGNED_FIELDS = ("sequence", "entry_hash", "created_at", "key_id")
ALL_FIELDS = frozenset((*SIGNED_FIELDS, "signature"))
MANIFEST_FIELD = "audit_checkpoint"
MANIFEST_LIST_FIELD = "audit_checkpoints"
_HASH = re.compile(r"^[0-9a-f]{64}$")


class CheckpointFormatError(ValueError):
    """A line or object that is not a well-formed checkpoint."""


class CheckpointRefusedError(Exception):
    """No checkpoint is signed for a trail that does not verify."""


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    entry_hash: str
    created_at: str
    key_id: str
    signature: str

    @property
    def label(self) -> str:
        return f"checkpoint #{self.sequence} of {self.created_at} (key {self.key_id})"

    def signed_bytes(self) -> bytes:
        """What the signature covers: the canonical JSON of every field but the signature."""
        return canonical_bytes({name: getattr(self, name) for name in SIGNED_FIELDS})

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(ALL_FIELDS)}

    def as_line(self) -> str:
        return canonical_bytes(self.as_json()).decode("ascii")

    def signature_ok(self, trusted_public_keys: dict[str, str] | None = None) -> bool:
        return signing.verify(self.signed_bytes(), self.signature, self.key_id, trusted_public_keys)

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """A checkpoint from its JSON object; exactly the five fields, each of its type."""
        if not isinstance(data, dict):
            raise CheckpointFormatError("not a JSON object")
        if set(data) != ALL_FIELDS:
            missing, extra = ALL_FIELDS - set(data), set(data) - ALL_FIELDS
            parts = [f"missing {', '.join(sorted(missing))}" if missing else "",
                     f"unexpected {', '.join(sorted(extra))}" if extra else ""]  # fmt: skip
            raise CheckpointFormatError("; ".join(p for p in parts if p))
        sequence = data["sequence"]
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
            raise CheckpointFormatError("sequence is not a whole number")
        for name in ("entry_hash", "created_at", "key_id", "signature"):
            if not isinstance(data[name], str):
                raise CheckpointFormatError(f"{name} is not a string")
        if not _HASH.match(data["entry_hash"]):
            raise CheckpointFormatError("entry_hash is not a SHA-256 in hex")
        if not signing.KEY_ID_PATTERN.match(data["key_id"]):
            raise CheckpointFormatError("key_id is not a key id")
        return cls(**{name: data[name] for name in ALL_FIELDS})

    @classmethod
    def from_line(cls, line: str | bytes) -> Checkpoint:
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise CheckpointFormatError("not JSON") from exc
        return cls.from_json(data)


def checkpoint_as_json(checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint as a JSON object, for a manifest's ``"audit_checkpoint"`` field."""
    return checkpoint.as_json()


def sign_checkpoint(*, sequence: int, entry_hash: str, created_at: datetime | None = None) -> Checkpoint:
    """A checkpoint of ``sequence``/``entry_hash`` signed with the current key (not stored)."""
    when = (created_at or timezone.now()).astimezone(UTC).isoformat(timespec="seconds")
    for _ in range(3):  # the key id is signed too: if a rotation slips in between, sign again
        key_id = signing.current_key_id()
        draft = Checkpoint(sequence=sequence, entry_hash=entry_hash, created_at=when, key_id=key_id, signature="")
        signature = signing.sign(draft.signed_bytes())
        if signature.key_id == key_id:
            return dataclasses.replace(draft, signature=signature.signature_b64)
    raise signing.SigningKeyError("The signing key keeps changing; no checkpoint signed.")


@dataclass(frozen=True)
class Sourced:
    """A checkpoint and where it was read (``file line N``), for reports; ``held``: in this system's file."""

    checkpoint: Checkpoint
    source: str
    held: bool = False


@dataclass
class ReadResult:
    checkpoints: list[Sourced] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def extend(self, other: ReadResult) -> None:
        self.checkpoints.extend(other.checkpoints)
        self.problems.extend(other.problems)


def parse_lines(lines: Iterable[bytes | str], source: str) -> ReadResult:
    result = ReadResult()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            result.checkpoints.append(Sourced(Checkpoint.from_line(line), f"{source} line {number}"))
        except CheckpointFormatError as exc:
            result.problems.append(f"{source} line {number}: not a checkpoint ({exc})")
    return result


def _from_document(data: Any, source: str) -> ReadResult | None:
    """Checkpoints in a JSON document: a checkpoint itself, or a manifest carrying some."""
    result = ReadResult()
    if isinstance(data, dict) and set(data) == ALL_FIELDS:
        items: list[Any] = [data]
    elif isinstance(data, dict) and (MANIFEST_FIELD in data or MANIFEST_LIST_FIELD in data):
        items = [data[MANIFEST_FIELD]] if MANIFEST_FIELD in data else []
        listed = data.get(MANIFEST_LIST_FIELD, [])
        items += listed if isinstance(listed, list) else [listed]
    else:
        return None
    for index, item in enumerate(items, start=1):
        where = source if len(items) == 1 else f"{source} checkpoint {index}"
        try:
            result.checkpoints.append(Sourced(Checkpoint.from_json(item), where))
        except CheckpointFormatError as exc:
            result.problems.append(f"{where}: not a checkpoint ({exc})")
    return result


def _from_bytes(content: bytes, name: str, source: str, *, required: bool) -> ReadResult:
    lowered = name.lower()
    if lowered.endswith(".zip"):
        return _from_zip(content, source)
    if lowered.endswith(".json"):
        try:
            found = _from_document(json.loads(content), source)
        except ValueError:
            found = None
        if found is None:
            return ReadResult(problems=[f"{source}: no checkpoint in it"] if required else [])
        return found
    return parse_lines(content.splitlines(), source)


def _from_zip(content: bytes, source: str) -> ReadResult:
    result = ReadResult()
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return ReadResult(problems=[f"{source}: not a ZIP file"])
    with archive:
        for member in sorted(archive.namelist()):
            if member.lower().endswith((".jsonl", ".json")):
                result.extend(_from_bytes(archive.read(member), member, f"{source}:{member}", required=False))
    if not result.checkpoints and not result.problems:
        result.problems.append(f"{source}: no checkpoint in it")
    return result


def read_checkpoints(path: str | Path) -> ReadResult:
    """Checkpoints from a checkpoint file, a manifest, an evidence pack, or a folder of any of them."""
    root = Path(path)
    if root.is_dir():
        result = ReadResult()
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            if file.suffix.lower() in {".jsonl", ".json", ".zip"}:
                result.extend(_from_bytes(file.read_bytes(), file.name, str(file), required=False))
        if not result.checkpoints and not result.problems:
            result.problems.append(f"{root}: no checkpoint file in this folder")
        return result
    if not root.is_file():
        return ReadResult(problems=[f"{root}: no such file or folder"])
    return _from_bytes(root.read_bytes(), root.name, str(root), required=True)
