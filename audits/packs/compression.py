"""Which pack members are worth deflating, decided per file from its name and first chunk.

Already-compressed formats gain nothing from deflate and cost the most time (zlib
runs about three times slower on random-looking data than on text), so they are
STORED: known extensions first, then well-known magic numbers, then a trial deflate
of the first 4 KiB for anything else. Known text (and raw image and sound)
extensions are deflated without a trial.
"""

from __future__ import annotations

import zlib
from pathlib import PurePosixPath

STORED_EXTENSIONS = frozenset(
    {
        # documents that are zip or deflate containers
        ".pdf", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub", ".jar", ".apk",
        # images
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".heif", ".avif", ".jxl",
        # archives and compressed streams
        ".zip", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".zst", ".lz4", ".lz", ".lzma", ".br",
        ".7z", ".rar", ".cab",
        # audio and video
        ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac",
        # fonts
        ".woff", ".woff2",
    }
)  # fmt: skip

#: Deflated without a trial (text and raw formats): the trial would only cost time.
COMPRESSIBLE_EXTENSIONS = frozenset(
    {
        ".txt", ".log", ".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".xml", ".html", ".htm", ".md", ".rst",
        ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".sql", ".py", ".sh", ".ps1", ".js", ".css", ".svg",
        ".eml", ".pem", ".crt", ".rtf", ".tex", ".bmp", ".wav",
    }
)  # fmt: skip

MAGIC_PREFIXES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"PK\x03\x04",  # zip and the office formats
    b"\x1f\x8b",  # gzip
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\xfd7zXZ\x00",  # xz
    b"BZh",  # bzip2
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"%PDF-",
)

SAMPLE_SIZE = 4 << 10
#: Deflate of the sample must save at least this fraction, or the member is stored.
MIN_SAVING = 0.10
#: Below this size a member is deflated without a trial: the cost is nothing either way.
SMALL_MEMBER = 512


def looks_incompressible(first_chunk: bytes | bytearray | memoryview) -> bool:
    """Whether the start of a member is a compressed format or random-looking data."""
    sample = bytes(memoryview(first_chunk)[:SAMPLE_SIZE])
    if len(sample) < SMALL_MEMBER:
        return False
    if sample.startswith(MAGIC_PREFIXES):
        return True
    return len(zlib.compress(sample, 1)) > len(sample) * (1 - MIN_SAVING)


def should_deflate(arcname: str, first_chunk: bytes | bytearray | memoryview) -> bool:
    suffix = PurePosixPath(arcname).suffix.lower()
    if suffix in STORED_EXTENSIONS:
        return False
    return suffix in COMPRESSIBLE_EXTENSIONS or not looks_incompressible(first_chunk)
