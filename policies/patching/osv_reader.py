"""Read OSV records from a folder of ``*.json`` files or from an ecosystem ``all.zip``.

OSV publishes one zip per ecosystem (``<ecosystem>/all.zip``) holding one JSON file per
advisory. ``iter_osv`` streams it: the zip's central directory is read, then one member
at a time is decompressed and parsed, so memory holds one record, never the archive.

A malformed record raises ``OSVFormatError`` naming the file (``all.zip:GHSA-xxxx.json``)
and the JSON path; pass an ``errors`` list to collect those and go on with the rest
instead (a bulk import should not fail on one bad record of twenty thousand).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from policies.patching.advisories import Advisory
from policies.patching.osv import OSVFormatError, parse_osv

#: A single advisory bigger than this (uncompressed) is refused: OSV records are a few KiB,
#: and the cap keeps a hostile archive from exhausting memory.
MAX_RECORD_BYTES = 16 * 1024 * 1024


def _parse_or_collect(data: bytes, source: str, errors: list[OSVFormatError] | None) -> Advisory | None:
    try:
        return parse_osv(data, source)
    except OSVFormatError as error:
        if errors is None:
            raise
        errors.append(error)
        return None


def _iter_zip(archive: zipfile.ZipFile, name: str, errors: list[OSVFormatError] | None) -> Iterator[Advisory]:
    for info in archive.infolist():
        if info.is_dir() or not info.filename.lower().endswith(".json"):
            continue
        source = f"{name}:{info.filename}"
        if info.file_size > MAX_RECORD_BYTES:
            error = OSVFormatError(source, "$", f"record of {info.file_size} bytes is over {MAX_RECORD_BYTES}")
            if errors is None:
                raise error
            errors.append(error)
            continue
        with archive.open(info) as member:
            data = member.read(MAX_RECORD_BYTES + 1)
        advisory = _parse_or_collect(data, source, errors)
        if advisory is not None:
            yield advisory


def iter_osv(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    errors: list[OSVFormatError] | None = None,
) -> Iterator[Advisory]:
    """Advisories from a folder (``*.json``, sub-folders included, in name order), a zip
    file or binary file object (``all.zip``), or a single ``.json`` file.

    Raises ``OSVFormatError`` for a malformed record (unless ``errors`` collects them),
    ``FileNotFoundError`` for a missing path and ``zipfile.BadZipFile`` for a file that is
    neither JSON nor a zip.
    """
    if not isinstance(source, str | os.PathLike):
        with zipfile.ZipFile(source) as archive:
            yield from _iter_zip(archive, getattr(source, "name", "<zip>"), errors)
        return
    path = Path(source)
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            if file.is_file():
                advisory = _parse_or_collect(file.read_bytes(), str(file), errors)
                if advisory is not None:
                    yield advisory
        return
    if not path.exists():
        raise FileNotFoundError(f"no OSV folder or archive at {path}")
    if path.suffix.lower() == ".json":
        advisory = _parse_or_collect(path.read_bytes(), str(path), errors)
        if advisory is not None:
            yield advisory
        return
    with zipfile.ZipFile(path) as archive:
        yield from _iter_zip(archive, str(path), errors)
