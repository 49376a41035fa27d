"""Where backup sets are written: a local folder, or any Django storage (S3-compatible ones included).

A plan's destination is one text:

- empty: the local backup folder, ``settings.RAMPART_BACKUP_DIR`` (default ``var/backups``);
- an alias of ``settings.STORAGES`` (e.g. ``backups-s3`` configured with django-storages'
  ``S3Storage``); a ``FileSystemStorage`` alias is written as a local folder;
- an absolute folder path.

Each set is a folder (a key prefix) named by its set id, holding its files and, last, its
``manifest.json``. A file never appears under its final name before it is complete:

- locally, it is written to a hidden temporary name in the set's folder, flushed to disk
  (``fsync``), renamed, and the folder is flushed too;
- in a storage, the ciphertext is spooled to a private local file and handed to the storage
  in one ``save`` once complete (an object store creates the object atomically, so a crash
  leaves no partial object under the name).

So a set whose ``manifest.json`` is there is complete, whatever moment a process was killed.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from backups.filestore import TEMP_PREFIX, backed_up_storages, storage_root

MANIFEST_NAME = "manifest.json"
SET_ID_PATTERN = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


class DestinationError(Exception):
    """A destination that cannot be used, with a message a person can act on."""


def backup_dir() -> Path:
    configured = getattr(settings, "RAMPART_BACKUP_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "backups"


def work_dir() -> Path:
    """A private local folder for spooled ciphertext and database snapshots (created 0700)."""
    configured = getattr(settings, "RAMPART_BACKUP_WORK_DIR", None)
    folder = Path(configured) if configured else Path(settings.VAR_DIR) / "backup-work"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _forbidden_aliases() -> dict[str, str]:
    """Storages that must never receive backups: the backed-up ones (a backup would land in the
    next backup) and the static files (served to anyone)."""
    forbidden = dict.fromkeys(backed_up_storages(), "it holds stored files that are being backed up")
    forbidden["staticfiles"] = "it is public"
    return forbidden


def validate_destination(spec: str) -> None:
    """Raise ``DestinationError`` unless ``spec`` names a usable destination (nothing is written)."""
    spec = spec.strip()
    if not spec:
        return
    forbidden = _forbidden_aliases()
    if spec in forbidden:
        raise DestinationError(f"Backups cannot go to the storage {spec!r}: {forbidden[spec]}.")
    if spec in settings.STORAGES:
        return
    if not spec.startswith("/"):
        known = ", ".join(sorted(a for a in settings.STORAGES if a not in forbidden)) or "none is configured"
        raise DestinationError(
            f"Unknown destination {spec!r}: give an absolute folder path, or the name of a storage "
            f"from the STORAGES setting ({known}), or leave it empty for the local backup folder."
        )
    path = Path(spec).resolve()
    for alias in backed_up_storages():
        root = storage_root(alias)
        if root is not None and (path == root.resolve() or root.resolve() in path.parents):
            raise DestinationError(f"The folder {spec} is inside the stored files ({root}), which are backed up.")


class NewFile(Protocol):
    """A file being written: invisible under its name until ``commit``; ``abort`` leaves nothing."""

    def write(self, data: bytes | bytearray | memoryview) -> int: ...

    def flush(self) -> None: ...

    def commit(self) -> str: ...

    def abort(self) -> None: ...


class Destination(Protocol):
    spec: str

    def describe(self) -> str: ...

    def location(self, set_id: str, name: str = "") -> str: ...

    def new_file(self, set_id: str, name: str) -> NewFile: ...

    def open(self, set_id: str, name: str) -> BinaryIO: ...

    def size(self, set_id: str, name: str) -> int | None: ...

    def names(self, set_id: str) -> list[str]: ...

    def set_ids(self) -> list[str]: ...

    def delete_set(self, set_id: str) -> None: ...


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> int:
    view = memoryview(data).cast("B")
    total = len(view)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    return total


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_name(set_id: str, name: str = "") -> None:
    """Set ids and file names are ours, but a manifest read from a destination could name anything."""
    if not SET_ID_PATTERN.match(set_id):
        raise DestinationError(f"{set_id!r} is not a set id.")
    if name and (name.startswith(".") or "/" in name or "\\" in name or name in ("", "..")):
        raise DestinationError(f"{name!r} is not a file name of a backup set.")


class LocalFile:
    """A new file in a local folder: a hidden temporary name, fsync, rename, fsync of the folder."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.temp = folder / f"{TEMP_PREFIX}{name}-{secrets.token_hex(4)}"
        self._fd: int | None = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._fd is None:
            raise ValueError("write to a finished file")
        return _write_all(self._fd, data)

    def flush(self) -> None:
        """Nothing is buffered here; ``commit`` flushes to disk."""

    def commit(self) -> str:
        if self._fd is None:
            raise ValueError("commit of a finished file")
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        final = self.folder / self.name
        os.replace(self.temp, final)
        _fsync_dir(self.folder)
        return str(final)

    def abort(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


class LocalDestination:
    """A folder on this machine (or a mounted one): one sub-folder per set."""

    def __init__(self, root: Path, spec: str = "") -> None:
        self.root, self.spec = root, spec

    def describe(self) -> str:
        return f"folder {self.root}"

    def location(self, set_id: str, name: str = "") -> str:
        return str(self.root / set_id / name) if name else str(self.root / set_id)

    def _folder(self, set_id: str) -> Path:
        _check_name(set_id)
        return self.root / set_id

    def new_file(self, set_id: str, name: str) -> LocalFile:
        _check_name(set_id, name)
        folder = self._folder(set_id)
        if not folder.is_dir():
            fresh = not self.root.is_dir()
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _fsync_dir(self.root)
            if fresh:
                _fsync_dir(self.root.parent)
        return LocalFile(folder, name)

    def open(self, set_id: str, name: str) -> BinaryIO:
        _check_name(set_id, name)
        return (self._folder(set_id) / name).open("rb")

    def size(self, set_id: str, name: str) -> int | None:
        _check_name(set_id, name)
        try:
            return (self._folder(set_id) / name).stat().st_size
        except FileNotFoundError:
            return None

    def names(self, set_id: str) -> list[str]:
        folder = self._folder(set_id)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))

    def set_ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and SET_ID_PATTERN.match(p.name))

    def delete_set(self, set_id: str) -> None:
        """The manifest goes first, so a set half deleted never looks complete."""
        folder = self._folder(set_id)
        with contextlib.suppress(FileNotFoundError):
            (folder / MANIFEST_NAME).unlink()
            _fsync_dir(folder)
        shutil.rmtree(folder, ignore_errors=True)


class SpooledStorageFile:
    """A new object in a Django storage: spooled to a private local file, saved in one call at commit."""

    def __init__(self, storage: Storage, key: str, location: str) -> None:
        self.storage, self.key, self.where = storage, key, location
        self.local = LocalFile(work_dir(), f"spool-{secrets.token_hex(8)}")

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return self.local.write(data)

    def flush(self) -> None:
        self.local.flush()

    def commit(self) -> str:
        path = Path(self.local.commit())
        try:
            with path.open("rb") as handle:
                saved = self.storage.save(self.key, File(handle, name=self.key))
        finally:
            path.unlink(missing_ok=True)
        if saved != self.key:
            with contextlib.suppress(Exception):
                self.storage.delete(saved)
            raise DestinationError(f"The storage renamed {self.key} to {saved}; it must allow overwriting names.")
        return self.where

    def abort(self) -> None:
        self.local.abort()


class StorageDestination:
    """A Django storage that is not a local folder (S3 and the like): one key prefix per set."""

    def __init__(self, storage: Storage, alias: str) -> None:
        self.storage, self.alias, self.spec = storage, alias, alias

    def describe(self) -> str:
        return f"storage {self.alias}"

    def _key(self, set_id: str, name: str) -> str:
        _check_name(set_id, name)
        return f"{set_id}/{name}"

    def location(self, set_id: str, name: str = "") -> str:
        return f"{self.alias}:{set_id}/{name}"

    def new_file(self, set_id: str, name: str) -> SpooledStorageFile:
        key = self._key(set_id, name)
        return SpooledStorageFile(self.storage, key, self.location(set_id, name))

    def open(self, set_id: str, name: str) -> BinaryIO:
        handle = self.storage.open(self._key(set_id, name), "rb")
        return handle  # type: ignore[return-value]

    def size(self, set_id: str, name: str) -> int | None:
        key = self._key(set_id, name)
        if not self.storage.exists(key):
            return None
        return int(self.storage.size(key))

    def names(self, set_id: str) -> list[str]:
        _check_name(set_id)
        try:
            _, files = self.storage.listdir(set_id)
        except FileNotFoundError:
            return []
        return sorted(name for name in files if not name.startswith("."))

    def set_ids(self) -> list[str]:
        try:
            folders, _ = self.storage.listdir("")
        except FileNotFoundError:
            return []
        return sorted(name.rstrip("/") for name in folders if SET_ID_PATTERN.match(name.rstrip("/")))

    def delete_set(self, set_id: str) -> None:
        names = self.names(set_id)
        if MANIFEST_NAME in names:
            self.storage.delete(self._key(set_id, MANIFEST_NAME))
        for name in names:
            if name != MANIFEST_NAME:
                self.storage.delete(self._key(set_id, name))


def open_destination(spec: str) -> Destination:
    """The destination ``spec`` names (see the module docstring); ``DestinationError`` if unusable."""
    spec = (spec or "").strip()
    validate_destination(spec)
    if not spec:
        return LocalDestination(backup_dir(), "")
    if spec in settings.STORAGES:
        storage = storages[spec]
        if isinstance(storage, FileSystemStorage):
            return LocalDestination(Path(storage.location), spec)
        return StorageDestination(storage, spec)
    return LocalDestination(Path(spec), spec)
