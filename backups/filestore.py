"""The stored files (uploads in the ``default`` storage, evidence in ``evidence``) as one tar archive, and back.

Which storages: ``settings.RAMPART_BACKUP_STORAGES`` (default ``["default", "evidence"]``, those
configured). Each member is named ``<storage alias>/<path in the storage>``. The archive is
written as a stream (``tarfile`` ``w|``) into the compressor or the encryptor, so nothing of it
lands on disk in plaintext. A restore extracts each alias into its own folder with tarfile's
``data`` filter, which refuses absolute paths, ``..``, devices and links leaving the folder.
"""

from __future__ import annotations

import os
import stat
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages

BLOCK = 1024 * 1024
DEFAULT_STORAGES = ("default", "evidence")
TEMP_PREFIX = ".tmp-"


@dataclass
class ArchiveStats:
    members: int = 0
    content_bytes: int = 0
    changed_while_read: int = 0


def backed_up_storages() -> list[str]:
    configured = getattr(settings, "RAMPART_BACKUP_STORAGES", None) or DEFAULT_STORAGES
    return [alias for alias in configured if alias in settings.STORAGES]


def storage_root(alias: str) -> Path | None:
    """The folder of a storage, when it is on this machine."""
    storage = storages[alias]
    return Path(storage.location) if isinstance(storage, FileSystemStorage) else None


def _local_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(TEMP_PREFIX) or path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def _storage_files(storage: Any, prefix: str = "") -> Iterator[str]:
    folders, files = storage.listdir(prefix)
    for name in sorted(files):
        yield f"{prefix}{name}"
    for folder in sorted(folders):
        yield from _storage_files(storage, f"{prefix}{folder}/")


def total_size() -> int:
    """The bytes the archive will hold (for progress)."""
    total = 0
    for alias in backed_up_storages():
        root = storage_root(alias)
        if root is not None:
            total += sum(path.stat().st_size for _, path in _local_files(root))
        else:
            storage = storages[alias]
            total += sum(int(storage.size(name)) for name in _storage_files(storage))
    return total


class _Exactly:
    """``size`` bytes of ``handle``: a file that shrank while read is padded with zeros, one that grew is cut."""

    def __init__(self, handle: IO[bytes], size: int, on_bytes: Callable[[int], None] | None) -> None:
        self.handle, self.left, self.on_bytes = handle, size, on_bytes
        self.short = False

    def read(self, size: int = -1) -> bytes:
        want = self.left if size < 0 else min(size, self.left)
        if want <= 0:
            return b""
        data = self.handle.read(want)
        if len(data) < want:
            self.short = True
            data += b"\0" * (want - len(data))
        self.left -= len(data)
        if self.on_bytes is not None:
            self.on_bytes(len(data))
        return data


class _Archive:
    def __init__(self, tar: tarfile.TarFile, on_bytes: Callable[[int], None] | None) -> None:
        self.tar, self.on_bytes = tar, on_bytes
        self.stats = ArchiveStats()

    def add(self, name: str, handle: IO[bytes], size: int, mtime: float) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode, info.type = size, int(mtime), 0o600, tarfile.REGTYPE
        reader = _Exactly(handle, size, self.on_bytes)
        self.tar.addfile(info, reader)  # type: ignore[arg-type]
        self.stats.members += 1
        self.stats.content_bytes += size
        self.stats.changed_while_read += int(reader.short)

    def add_local(self, alias: str, root: Path) -> None:
        for name, path in _local_files(root):
            try:
                handle = path.open("rb")
            except FileNotFoundError:  # deleted since it was listed
                continue
            with handle:
                info = os.fstat(handle.fileno())
                if stat.S_ISREG(info.st_mode):
                    self.add(f"{alias}/{name}", handle, info.st_size, info.st_mtime)

    def add_storage(self, alias: str) -> None:
        storage = storages[alias]
        for name in _storage_files(storage):
            size = int(storage.size(name))
            mtime = storage.get_modified_time(name).timestamp()
            with storage.open(name, "rb") as handle:
                self.add(f"{alias}/{name}", handle, size, mtime)


def write_archive(sink: IO[bytes], on_bytes: Callable[[int], None] | None = None) -> ArchiveStats:
    """Write every stored file into ``sink`` as a tar stream; ``sink`` is not closed."""
    tar = tarfile.open(fileobj=sink, mode="w|", bufsize=BLOCK, format=tarfile.PAX_FORMAT)  # noqa: SIM115
    tar.copybufsize = BLOCK  # type: ignore[attr-defined]
    archive = _Archive(tar, on_bytes)
    try:
        for alias in backed_up_storages():
            root = storage_root(alias)
            if root is not None:
                archive.add_local(alias, root)
            else:
                archive.add_storage(alias)
    finally:
        tar.close()  # the end-of-archive blocks; the sink stays open
    return archive.stats


def extract_archive(stream: IO[bytes], route: Callable[[str], Path | None]) -> ArchiveStats:
    """Extract a tar stream: each ``<alias>/<path>`` member into ``route(alias)`` (skipped when ``None``)."""
    stats = ArchiveStats()
    made: set[Path] = set()
    with tarfile.open(fileobj=stream, mode="r|", bufsize=BLOCK) as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if len(parts) < 2:
                continue
            root = route(parts[0])
            if root is None:
                continue
            if root not in made:
                root.mkdir(mode=0o700, parents=True, exist_ok=True)
                made.add(root)
            member.name = PurePosixPath(*parts[1:]).as_posix()
            tar.extract(member, root, filter="data")
            if member.isfile():
                stats.members += 1
                stats.content_bytes += member.size
    return stats
