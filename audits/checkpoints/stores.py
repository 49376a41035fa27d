"""Where this system keeps its checkpoints: a JSON Lines file, or a Django storage."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

from audits.checkpoints.format import Checkpoint, CheckpointFormatError, ReadResult, parse_lines

STORAGE_PREFIX = "audit-checkpoints"
_TAIL_BYTES = 16_384


class CheckpointStore(Protocol):
    def append(self, checkpoint: Checkpoint) -> None: ...

    def read(self) -> ReadResult: ...

    def lines(self) -> Iterator[bytes]: ...

    def latest(self) -> Checkpoint | None: ...

    def describe(self) -> str: ...


class FileCheckpointStore:
    """One JSON Lines file, appended under an exclusive lock and flushed to disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def append(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                size = handle.seek(0, os.SEEK_END)
                prefix = b""
                if size:  # a line cut short by a crash is closed, not continued
                    handle.seek(size - 1)
                    prefix = b"" if handle.read(1) == b"\n" else b"\n"
                handle.write(prefix + checkpoint.as_line().encode("ascii") + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self) -> ReadResult:
        if not self.path.exists():
            return ReadResult()
        return parse_lines(self.path.read_bytes().splitlines(), str(self.path))

    def lines(self) -> Iterator[bytes]:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            yield from handle

    def latest(self) -> Checkpoint | None:
        """The last well-formed line, read from the end of the file (it grows by one line an hour)."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read().splitlines()
        if size > _TAIL_BYTES:
            tail = tail[1:]  # the first line read may be cut
        return _last_parsed(tail)


class StorageCheckpointStore:
    """A Django storage (S3 ...): objects cannot be appended to, so one object per checkpoint."""

    def __init__(self, storage: Storage, alias: str) -> None:
        self.storage, self.alias = storage, alias

    def describe(self) -> str:
        return f"storage {self.alias!r}, {STORAGE_PREFIX}/"

    def _names(self) -> list[str]:
        try:
            _, files = self.storage.listdir(STORAGE_PREFIX)
        except FileNotFoundError:
            return []
        return sorted(name for name in files if name.endswith(".jsonl"))

    def append(self, checkpoint: Checkpoint) -> None:
        stamp = checkpoint.created_at.replace(":", "").replace("-", "").replace("+0000", "Z")
        name = f"{STORAGE_PREFIX}/{stamp}-{checkpoint.sequence:012d}-{checkpoint.signature[:8].replace('/', '_')}.jsonl"
        self.storage.save(name, ContentFile(checkpoint.as_line().encode("ascii") + b"\n"))

    def _content(self, name: str) -> bytes:
        with self.storage.open(f"{STORAGE_PREFIX}/{name}", "rb") as handle:
            data = handle.read()
        return data if isinstance(data, bytes) else data.encode()

    def read(self) -> ReadResult:
        result = ReadResult()
        for name in self._names():
            result.extend(parse_lines(self._content(name).splitlines(), f"{self.describe()}{name}"))
        return result

    def latest(self) -> Checkpoint | None:
        names = self._names()
        return _last_parsed(self._content(names[-1]).splitlines()) if names else None

    def lines(self) -> Iterator[bytes]:
        for name in self._names():
            content = self._content(name)
            yield content if content.endswith(b"\n") else content + b"\n"


def _last_parsed(lines: list[bytes]) -> Checkpoint | None:
    for line in reversed(lines):
        with contextlib.suppress(CheckpointFormatError):
            return Checkpoint.from_line(line)
    return None


def checkpoint_store() -> CheckpointStore:
    alias = getattr(settings, "RAMPART_CHECKPOINT_STORAGE", "")
    if alias:
        return StorageCheckpointStore(storages[alias], alias)
    configured = getattr(settings, "RAMPART_CHECKPOINT_FILE", None)
    path = Path(configured) if configured else Path(settings.VAR_DIR) / "audit" / "checkpoints.jsonl"
    return FileCheckpointStore(path)


def held_checkpoints() -> ReadResult:
    """The checkpoints this system holds, in its checkpoint file or storage."""
    found = checkpoint_store().read()
    found.checkpoints = [dataclasses.replace(item, held=True) for item in found.checkpoints]
    return found
