"""The ZIP container the writer produces: read back by zipfile and Info-ZIP, in every layout it uses."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from audits.packs import zipstream
from audits.packs.pipeline import deflate_chunk
from audits.packs.signing import Ed25519Signer
from audits.packs.verify_standalone import verify_pack
from audits.packs.writer import PackWriter

LOG = b"".join(b"2025-03-%02d 10:%02d:%02d u%d login ok\n" % (i % 28 + 1, i % 60, i % 59, i) for i in range(40_000))
CONTENTS = {
    "logs/big.log": LOG,  # many chunks with chunk_size below, deflated
    "images/noise.png": os.urandom(300_000),  # several chunks, stored
    "small.txt": b"tiny",
    "empty.txt": b"",
    "caf\u00e9/r\u00e9sum\u00e9.txt": b"non-ASCII name",
}


def build(target: Path | io.BytesIO, signer: Ed25519Signer, *, threads: int = 2) -> None:
    writer = PackWriter(
        target, generator="t", sign=signer, public_key_pem=signer.public_key_pem, chunk_size=64 << 10, threads=threads
    )
    for name, data in CONTENTS.items():
        writer.add_bytes(name, data)
    writer.add_stream("streamed.log", (LOG[i : i + 777] for i in range(0, len(LOG), 777)))
    writer.finish({"created_at": "2026-12-07T10:00:00+00:00"})  # fixed, so two builds a second apart match


def check_archive(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        for name, data in CONTENTS.items():
            assert archive.read(name) == data
        assert archive.read("streamed.log") == LOG
        info = archive.getinfo("logs/big.log")
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.compress_size < len(LOG) / 3
        assert archive.getinfo("images/noise.png").compress_type == zipfile.ZIP_STORED
    if shutil.which("unzip"):
        result = subprocess.run(["unzip", "-t", "-qq", str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    assert verify_pack(path).ok


@pytest.mark.parametrize("threads", [0, 1, 2])
def test_chunked_deflate_reads_back_everywhere(tmp_path: Path, signer: Ed25519Signer, threads: int) -> None:
    build(tmp_path / "p.zip", signer, threads=threads)
    check_archive(tmp_path / "p.zip")


def test_the_same_bytes_whatever_the_number_of_threads(tmp_path: Path, signer: Ed25519Signer) -> None:
    build(tmp_path / "a.zip", signer, threads=0)
    build(tmp_path / "b.zip", signer, threads=2)
    with zipfile.ZipFile(tmp_path / "a.zip") as first, zipfile.ZipFile(tmp_path / "b.zip") as second:
        for one, other in zip(first.infolist(), second.infolist(), strict=True):
            assert (one.filename, one.CRC, one.compress_size) == (other.filename, other.CRC, other.compress_size)


def test_chunks_join_into_one_deflate_stream() -> None:
    pieces = [LOG[i : i + 10_000] for i in range(0, 100_000, 10_000)]
    stream = b"".join(
        deflate_chunk(piece, pieces[index - 1][-32768:] if index else b"", 1) for index, piece in enumerate(pieces)
    )
    assert zlib.decompress(stream + b"\x03\x00", -15) == b"".join(pieces)


class Unseekable(io.RawIOBase):
    """A pipe-like target: write only, no tell, no seek."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.buffer.write(data)


def test_an_unseekable_target_gets_data_descriptors(tmp_path: Path, signer: Ed25519Signer) -> None:
    target = Unseekable()
    build(target, signer)  # type: ignore[arg-type]
    path = tmp_path / "p.zip"
    path.write_bytes(target.buffer.getvalue())

    with zipfile.ZipFile(path) as archive:
        assert all(info.flag_bits & 0x08 for info in archive.infolist())
    check_archive(path)


def test_zip64_records_read_back(tmp_path: Path, signer: Ed25519Signer, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the limits lowered, every ZIP64 field is written (sizes, offsets, entry count)."""
    monkeypatch.setattr(zipstream, "ZIP64_LIMIT", 1000)
    monkeypatch.setattr(zipstream, "ZIP64_COUNT_LIMIT", 3)
    monkeypatch.setattr(zipstream, "ZIP64_MEMBER_FROM", 0)
    build(tmp_path / "p.zip", signer)

    raw = (tmp_path / "p.zip").read_bytes()
    assert b"PK\x06\x06" in raw[-200:]  # the ZIP64 end of central directory record
    assert raw[-22 + 10 : -22 + 12] == b"\xff\xff"  # the entry count points to it
    check_archive(tmp_path / "p.zip")


def test_a_member_outgrowing_its_headers_aborts(
    tmp_path: Path, signer: Ed25519Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zipstream, "ZIP64_LIMIT", 1000)
    writer = PackWriter(tmp_path / "p.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem)
    with pytest.raises(ValueError, match="without ZIP64"):
        writer.add_bytes("big.png", os.urandom(5000))
    assert list(tmp_path.iterdir()) == []
