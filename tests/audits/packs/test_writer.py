"""PackWriter: round trip, manifest, compression per file, names refused, key checks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from audits.packs.signing import Ed25519Signer
from audits.packs.verify_standalone import canonical_json, verify_pack
from audits.packs.writer import PackError, PackWriter
from tests.audits.packs.conftest import EVIDENCE, FIELDS, ROOT, build_pack


def test_round_trip_verifies(pack: Path, signer: Ed25519Signer) -> None:
    report = verify_pack(pack, signer.public_key_pem)

    assert report.ok, report.summary()
    assert report.files_verified == len(EVIDENCE) + 2  # verify.py and public_key.pem are listed too
    assert report.summary() == f"OK: {len(EVIDENCE) + 2} files verified, signed by key {signer.key_id}"
    with zipfile.ZipFile(pack) as archive:
        assert archive.testzip() is None
        for name, data in EVIDENCE.items():
            assert archive.read(name) == data
        assert archive.read("public_key.pem") == signer.public_key_pem
        assert archive.read("verify.py") == (ROOT / "audits/packs/verify_standalone.py").read_bytes()
        assert [info.filename for info in archive.infolist()][-2:] == ["manifest.json", "manifest.sig"]


def test_manifest_lists_every_member_with_size_and_hash(pack: Path, signer: Ed25519Signer) -> None:
    with zipfile.ZipFile(pack) as archive:
        raw = archive.read("manifest.json")
        manifest = json.loads(raw)
        members = {info.filename: archive.read(info) for info in archive.infolist()}

    assert raw == canonical_json(manifest)
    assert raw.endswith(b"}\n")
    assert {entry["path"] for entry in manifest["files"]} == set(members) - {"manifest.json", "manifest.sig"}
    for entry in manifest["files"]:
        data = members[entry["path"]]
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["key_id"] == signer.key_id
    assert manifest["generator"] == "rampart-test 1.0"
    assert manifest["engagement"] == FIELDS["engagement"]
    assert manifest["period"] == FIELDS["period"]
    assert manifest["created_at"].endswith("+00:00")
    signature = json.loads(members["manifest.sig"])
    assert set(signature) == {"algorithm", "key_id", "signature"}
    assert signature["algorithm"] == "Ed25519"


def test_without_public_key_the_pack_key_is_used_and_said(pack: Path, signer: Ed25519Signer) -> None:
    report = verify_pack(pack)

    assert report.ok
    assert report.key_source == "pack"
    assert "signature valid for the key shipped inside the pack" in report.summary()
    assert "pass --public-key" in report.summary()


def test_add_file_and_add_stream(tmp_path: Path, signer: Ed25519Signer) -> None:
    source = tmp_path / "log.txt"
    source.write_bytes(b"".join(b"%06d event\n" % i for i in range(300_000)))  # several chunks
    target = tmp_path / "pack.zip"
    with PackWriter(target, generator="t", sign=signer, public_key_pem=signer.public_key_pem) as writer:
        by_path = writer.add_file("a/by-path.txt", source)
        with source.open("rb") as handle:
            writer.add_file("a/by-stream.txt", handle)
        streamed = writer.add_stream("a/streamed.txt", (b"", b"abc", b"", b"def"))
        writer.add_stream("a/nothing.txt", iter(()))
        summary = writer.finish({})

    assert by_path.size == source.stat().st_size
    assert by_path.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert streamed.sha256 == hashlib.sha256(b"abcdef").hexdigest()
    assert summary.path == target
    assert summary.files == 6
    assert summary.pack_size == target.stat().st_size
    assert summary.key_id == signer.key_id
    with zipfile.ZipFile(target) as archive:
        assert archive.read("a/by-stream.txt") == source.read_bytes()
        assert archive.read("a/nothing.txt") == b""
    assert verify_pack(target, signer.public_key_pem).ok


def test_writing_to_a_file_object(signer: Ed25519Signer) -> None:
    buffer = io.BytesIO()
    writer = PackWriter(buffer, generator="t", sign=signer, public_key_pem=signer.public_key_pem)
    writer.add_bytes("x.txt", b"x")
    summary = writer.finish({})

    assert summary.path is None
    assert summary.pack_size == len(buffer.getvalue())
    with zipfile.ZipFile(buffer) as archive:
        assert archive.read("x.txt") == b"x"


def test_compression_is_chosen_per_file(tmp_path: Path, signer: Ed25519Signer) -> None:
    text = b"2025-01-01 login ok user=alice\n" * 2000
    noise = os.urandom(64 << 10)
    target = tmp_path / "pack.zip"
    with PackWriter(target, generator="t", sign=signer, public_key_pem=signer.public_key_pem) as writer:
        writer.add_bytes("shot.png", text)  # extension wins, even for compressible bytes
        writer.add_bytes("notes.txt", text)
        writer.add_bytes("random.bin", noise)  # sniffed: incompressible
        writer.add_bytes("audit.out", text)  # sniffed: compressible
        writer.add_bytes("noise.txt", noise, compress=None)  # a text extension is trusted without a trial
        writer.add_bytes("export", b"PK\x03\x04" + text)  # magic number of a zip
        writer.add_bytes("forced.png", text, compress=True)
        writer.add_bytes("forced.txt", text, compress=False)
        writer.finish({})

    with zipfile.ZipFile(target) as archive:
        types = {info.filename: info.compress_type for info in archive.infolist()}
    assert types["shot.png"] == zipfile.ZIP_STORED
    assert types["notes.txt"] == zipfile.ZIP_DEFLATED
    assert types["random.bin"] == zipfile.ZIP_STORED
    assert types["audit.out"] == zipfile.ZIP_DEFLATED
    assert types["noise.txt"] == zipfile.ZIP_DEFLATED
    assert types["export"] == zipfile.ZIP_STORED
    assert types["forced.png"] == zipfile.ZIP_DEFLATED
    assert types["forced.txt"] == zipfile.ZIP_STORED


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "../outside.txt",
        "evidence/../../outside.txt",
        "evidence\\file.txt",
        "C:/windows.txt",
        "evidence//double.txt",
        "./here.txt",
        "evidence/",
        "",
        "bad\x00name",
        "new\nline.txt",
        "manifest.json",
        "MANIFEST.JSON",
        "verify.py",
        "public_key.pem",
        "manifest.sig",
    ],
)
def test_unsafe_or_reserved_names_are_refused(tmp_path: Path, signer: Ed25519Signer, name: str) -> None:
    with PackWriter(tmp_path / "p.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem) as writer:
        with pytest.raises(PackError):
            writer.add_bytes(name, b"data")
        writer.add_bytes("fine.txt", b"still usable after a refused name")
        writer.finish({})
    assert verify_pack(tmp_path / "p.zip").ok


def test_duplicate_names_are_refused(tmp_path: Path, signer: Ed25519Signer) -> None:
    with PackWriter(tmp_path / "p.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem) as writer:
        writer.add_bytes("a/report.txt", b"1")
        with pytest.raises(PackError, match="duplicate"):
            writer.add_bytes("a/report.txt", b"2")
        with pytest.raises(PackError, match="duplicate"):
            writer.add_stream("A/Report.TXT", [b"3"])  # the same file once extracted on macOS or Windows


def test_reserved_manifest_fields_are_refused(tmp_path: Path, signer: Ed25519Signer) -> None:
    target = tmp_path / "p.zip"
    writer = PackWriter(target, generator="t", sign=signer, public_key_pem=signer.public_key_pem)
    with pytest.raises(ValueError, match="reserved"):
        writer.finish({"files": []})
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_signer_for_another_key_is_refused(
    tmp_path: Path, signer: Ed25519Signer, other_signer: Ed25519Signer
) -> None:
    target = tmp_path / "p.zip"
    writer = PackWriter(target, generator="t", sign=other_signer, public_key_pem=signer.public_key_pem)
    writer.add_bytes("a.txt", b"a")
    with pytest.raises(PackError, match="names key"):
        writer.finish({})
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_signature_is_refused(tmp_path: Path, signer: Ed25519Signer, other_signer: Ed25519Signer) -> None:
    def lying_signer(data: bytes) -> tuple[str, bytes]:
        return signer.key_id, other_signer(data)[1]

    writer = PackWriter(tmp_path / "p.zip", generator="t", sign=lying_signer, public_key_pem=signer.public_key_pem)
    with pytest.raises(PackError, match="does not verify"):
        writer.finish({})
    assert list(tmp_path.iterdir()) == []


def test_a_key_id_field_must_be_the_signing_key(tmp_path: Path, signer: Ed25519Signer) -> None:
    writer = PackWriter(tmp_path / "p.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem)
    with pytest.raises(ValueError, match="key_id"):
        writer.finish({"key_id": "ed25519:someone-else"})
    writer = PackWriter(tmp_path / "q.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem)
    writer.finish({"key_id": signer.key_id, "created_at": "2025-06-30T12:00:00+00:00"})
    with zipfile.ZipFile(tmp_path / "q.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["created_at"] == "2025-06-30T12:00:00+00:00"


def test_abort_removes_the_partial_file(tmp_path: Path, signer: Ed25519Signer) -> None:
    writer = PackWriter(tmp_path / "p.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem)
    writer.add_bytes("a.txt", b"a" * 100_000)
    (partial,) = tmp_path.iterdir()
    assert partial.name.startswith("p.zip.")
    assert partial.name.endswith(".partial")
    writer.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(PackError):
        writer.add_bytes("b.txt", b"b")


def test_leaving_the_block_without_finish_or_on_error_leaves_nothing(tmp_path: Path, signer: Ed25519Signer) -> None:
    with PackWriter(tmp_path / "p.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem) as writer:
        writer.add_bytes("a.txt", b"a")

    def failing() -> list[bytes]:
        raise OSError("disk gone")

    with (
        pytest.raises(OSError, match="disk gone"),
        PackWriter(tmp_path / "q.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem) as w,
    ):
        w.add_stream("b.txt", (chunk for chunk in failing()))
    assert list(tmp_path.iterdir()) == []


def test_a_read_error_mid_member_aborts_the_pack(tmp_path: Path, signer: Ed25519Signer) -> None:
    def chunks() -> object:
        yield b"x" * 1000
        raise OSError("source vanished")

    writer = PackWriter(tmp_path / "p.zip", generator="t", sign=signer, public_key_pem=signer.public_key_pem)
    with pytest.raises(OSError, match="source vanished"):
        writer.add_stream("a.txt", chunks())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(PackError):
        writer.finish({})


def test_finish_replaces_an_older_pack(tmp_path: Path, signer: Ed25519Signer) -> None:
    target = tmp_path / "pack.zip"
    build_pack(target, signer, {"old.txt": b"old"})
    build_pack(target, signer, {"new.txt": b"new"})
    with zipfile.ZipFile(target) as archive:
        assert "new.txt" in archive.namelist()
        assert "old.txt" not in archive.namelist()
    assert [path.name for path in tmp_path.iterdir()] == ["pack.zip"]
