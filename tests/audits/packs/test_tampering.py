"""Every kind of tampering is reported, by the library call and by the verify.py shipped in the pack."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from audits.packs.signing import Ed25519Signer
from audits.packs.verify_standalone import canonical_json, verify_pack
from tests.audits.packs.conftest import EVIDENCE, build_pack, extract_verifier, rewrite, run_verify_script

TEXT = "evidence/access-review.txt"
IMAGE = "evidence/screenshot.png"


@dataclass(frozen=True)
class Keys:
    signer: Ed25519Signer
    other: Ed25519Signer


def flip(data: bytes, index: int = 100) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def changed_byte(pack: Path, work: Path, keys: Keys) -> Path:
    with zipfile.ZipFile(pack) as archive:
        data = archive.read(TEXT)
    return rewrite(pack, work / "t.zip", replace={TEXT: flip(data)})


def changed_byte_in_place(pack: Path, work: Path, keys: Keys) -> Path:
    """One byte of the stored image flipped inside the ZIP file itself (its CRC-32 no longer matches)."""
    raw = bytearray(pack.read_bytes())
    with zipfile.ZipFile(pack) as archive:
        info = archive.getinfo(IMAGE)
    name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    raw[info.header_offset + 30 + name_length + extra_length + 500] ^= 0xFF
    target = work / "t.zip"
    target.write_bytes(bytes(raw))
    return target


def added_file(pack: Path, work: Path, keys: Keys) -> Path:
    return rewrite(pack, work / "t.zip", add={"evidence/extra.txt": b"planted"})


def removed_file(pack: Path, work: Path, keys: Keys) -> Path:
    return rewrite(pack, work / "t.zip", drop=frozenset({TEXT}))


def _manifest(pack: Path) -> dict[str, object]:
    with zipfile.ZipFile(pack) as archive:
        return json.loads(archive.read("manifest.json"))  # type: ignore[no-any-return]


def edited_manifest(pack: Path, work: Path, keys: Keys) -> Path:
    manifest = _manifest(pack)
    manifest["engagement"] = {"id": 7, "name": "something else"}
    return rewrite(pack, work / "t.zip", replace={"manifest.json": canonical_json(manifest)})


def altered_file_and_manifest(pack: Path, work: Path, keys: Keys) -> Path:
    """A file changed and its hash updated in the manifest: only the signature can tell."""
    forged = b"user=alice role=admin reviewed=no\n"
    manifest = _manifest(pack)
    for entry in manifest["files"]:  # type: ignore[attr-defined]
        if entry["path"] == TEXT:
            entry.update(size=len(forged), sha256=hashlib.sha256(forged).hexdigest())
    return rewrite(pack, work / "t.zip", replace={TEXT: forged, "manifest.json": canonical_json(manifest)})


def signed_by_another_key(pack: Path, work: Path, keys: Keys) -> Path:
    """A complete, consistent pack made with someone else's key (and their public_key.pem)."""
    return build_pack(work / "t.zip", keys.other, EVIDENCE)


def swapped_public_key(pack: Path, work: Path, keys: Keys) -> Path:
    return rewrite(pack, work / "t.zip", replace={"public_key.pem": keys.other.public_key_pem})


def signature_swapped(pack: Path, work: Path, keys: Keys) -> Path:
    """manifest.sig replaced by another key's signature over the same manifest."""
    with zipfile.ZipFile(pack) as archive:
        manifest = archive.read("manifest.json")
    key_id, signature = keys.other(manifest)
    document = {"algorithm": "Ed25519", "key_id": key_id, "signature": base64.b64encode(signature).decode()}
    return rewrite(pack, work / "t.zip", replace={"manifest.sig": canonical_json(document)})


def relabelled_signature(pack: Path, work: Path, keys: Keys) -> Path:
    """A genuine signature whose manifest.sig names another key id."""
    with zipfile.ZipFile(pack) as archive:
        document = json.loads(archive.read("manifest.sig"))
    document["key_id"] = keys.other.key_id
    return rewrite(pack, work / "t.zip", replace={"manifest.sig": canonical_json(document)})


def manifest_naming_another_key(pack: Path, work: Path, keys: Keys) -> Path:
    """A manifest validly signed by the right key, but naming another key id in its key_id field."""
    manifest = _manifest(pack)
    manifest["key_id"] = keys.other.key_id
    raw = canonical_json(manifest)
    key_id, signature = keys.signer(raw)
    document = {"algorithm": "Ed25519", "key_id": key_id, "signature": base64.b64encode(signature).decode()}
    return rewrite(pack, work / "t.zip", replace={"manifest.json": raw, "manifest.sig": canonical_json(document)})


def malformed_manifest(pack: Path, work: Path, keys: Keys) -> Path:
    return rewrite(pack, work / "t.zip", replace={"manifest.json": b'{"files": "nope"'})


def malformed_entries(pack: Path, work: Path, keys: Keys) -> Path:
    manifest = _manifest(pack)
    manifest["files"] = [{"path": "../../etc/passwd", "size": 1, "sha256": "0" * 64}, {"path": TEXT}, "x"]
    return rewrite(pack, work / "t.zip", replace={"manifest.json": canonical_json(manifest)})


def unsafe_member(pack: Path, work: Path, keys: Keys) -> Path:
    return rewrite(pack, work / "t.zip", add={"../evil.sh": b"rm -rf ~", "/abs.txt": b"x", "a\\b.txt": b"x"})


def duplicate_member(pack: Path, work: Path, keys: Keys) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate name
        return rewrite(pack, work / "t.zip", add={TEXT: b"second copy"})


def missing_signature(pack: Path, work: Path, keys: Keys) -> Path:
    return rewrite(pack, work / "t.zip", drop=frozenset({"manifest.sig"}))


def not_a_zip(pack: Path, work: Path, keys: Keys) -> Path:
    target = work / "t.zip"
    target.write_bytes(b"this is not a zip file" * 10)
    return target


@dataclass(frozen=True)
class Case:
    tamper: Callable[[Path, Path, Keys], Path]
    expected: tuple[str, ...]  # every one must be among the problems, with {signer} and {other} filled in
    with_public_key: bool = True


CASES = {
    "changed byte": Case(changed_byte, (f"altered file: {TEXT} (SHA-256 mismatch)",)),
    "changed byte in place": Case(changed_byte_in_place, (f"altered file: {IMAGE} (cannot be read: Bad CRC-32",)),
    "added file": Case(added_file, ("extra file not in manifest: evidence/extra.txt",)),
    "removed file": Case(removed_file, (f"missing file: {TEXT}",)),
    "edited manifest": Case(edited_manifest, ("manifest.json was edited after signing",)),
    "edited manifest, shipped key": Case(edited_manifest, ("manifest.json was edited after signing",), False),
    "file and manifest altered": Case(altered_file_and_manifest, ("manifest.json was edited after signing",)),
    "signed by another key": Case(
        signed_by_another_key,
        ("signed by key {other} (the pack's public_key.pem), not by the key given with --public-key ({signer})",),
    ),
    "signature by another key": Case(
        signature_swapped, ("signature by an unknown key: manifest.sig names {other}, which is not the key given",)
    ),
    "relabelled signature": Case(
        relabelled_signature, ("manifest.sig names key {other}, but the signature was made by {signer}",)
    ),
    "manifest naming another key": Case(
        manifest_naming_another_key, ("manifest names key {other}, not the signing key {signer}",)
    ),
    "malformed signature": Case(
        lambda pack, work, keys: rewrite(pack, work / "t.zip", replace={"manifest.sig": b'{"key_id": 1}'}),
        ("malformed manifest.sig",),
    ),
    "swapped public_key.pem": Case(swapped_public_key, ("altered file: public_key.pem (",)),
    "swapped public_key.pem, shipped key": Case(
        swapped_public_key,
        (
            "altered file: public_key.pem (",
            "signature by an unknown key: manifest.sig names {signer}, "
            "which is not the pack's public_key.pem ({other})",
        ),
        False,
    ),
    "malformed manifest": Case(malformed_manifest, ("malformed manifest: not valid UTF-8 JSON",)),
    "malformed entries": Case(
        malformed_entries,
        (
            "malformed manifest: unsafe path '../../etc/passwd'",
            "malformed manifest: files[1] needs path, size and sha256",
            "malformed manifest: files[2] needs path, size and sha256",
        ),
    ),
    "unsafe members": Case(
        unsafe_member,
        (
            "unsafe path in zip: '../evil.sh'",
            "unsafe path in zip: '/abs.txt' (absolute path)",
            "unsafe path in zip: 'a\\\\b.txt' (backslash in name)",
            "extra file not in manifest: ../evil.sh",
        ),
    ),
    "duplicate member": Case(duplicate_member, (f"unsafe path in zip: '{TEXT}' appears more than once",)),
    "missing signature": Case(missing_signature, ("missing file: manifest.sig",)),
    "not a zip": Case(not_a_zip, ("not a readable ZIP file",)),
}


def expected_problems(case: Case, keys: Keys) -> list[str]:
    return [text.format(signer=keys.signer.key_id, other=keys.other.key_id) for text in case.expected]


@pytest.fixture
def keys(signer: Ed25519Signer, other_signer: Ed25519Signer) -> Keys:
    return Keys(signer, other_signer)


@pytest.mark.parametrize("name", CASES)
def test_library_reports_the_tampering(name: str, pack: Path, tmp_path: Path, keys: Keys) -> None:
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    tampered = case.tamper(pack, work, keys)

    report = verify_pack(tampered, keys.signer.public_key_pem if case.with_public_key else None)

    assert not report.ok
    for expected in expected_problems(case, keys):
        assert any(problem.startswith(expected) for problem in report.problems), (expected, report.problems)


@pytest.mark.parametrize("name", CASES)
def test_shipped_script_reports_the_tampering(name: str, pack: Path, tmp_path: Path, keys: Keys) -> None:
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    tampered = case.tamper(pack, work, keys)
    public_key = None
    if case.with_public_key:
        public_key = work / "org.pem"
        public_key.write_bytes(keys.signer.public_key_pem)

    script = extract_verifier(pack, work)  # the verify.py of the genuine pack, which passes it
    assert run_verify_script(pack, work, public_key, script=script).returncode == 0

    result = run_verify_script(tampered, work, public_key, script=script)

    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAILED: ")
    for expected in expected_problems(case, keys):
        assert any(line.startswith(f"  - {expected}") for line in lines), (expected, lines)


def test_a_consistent_pack_by_another_key_passes_only_without_public_key(
    tmp_path: Path, keys: Keys, pack: Path
) -> None:
    """Without --public-key the script can only say the pack is intact, and says which key it trusted."""
    forged = build_pack(tmp_path / "forged.zip", keys.other, EVIDENCE)

    result = run_verify_script(forged, tmp_path)

    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"OK: {len(EVIDENCE) + 2} files verified, signed by key {keys.other.key_id}",
        "NOTE: signature valid for the key shipped inside the pack; "
        "pass --public-key to check against the organisation's published key",
    ]


def test_script_ok_with_the_organisation_key(pack: Path, tmp_path: Path, keys: Keys) -> None:
    public_key = tmp_path / "org.pem"
    public_key.write_bytes(keys.signer.public_key_pem)

    result = run_verify_script(pack, tmp_path, public_key)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"OK: {len(EVIDENCE) + 2} files verified, signed by key {keys.signer.key_id}\n"


def test_script_refuses_a_public_key_that_is_not_ed25519(pack: Path, tmp_path: Path) -> None:
    public_key = tmp_path / "org.pem"
    public_key.write_bytes(b"-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n")

    result = run_verify_script(pack, tmp_path, public_key)

    assert result.returncode == 2
    assert "cannot use --public-key" in result.stderr


def test_every_problem_is_reported_at_once(pack: Path, tmp_path: Path, keys: Keys) -> None:
    with zipfile.ZipFile(pack) as archive:
        data = archive.read(TEXT)
    tampered = rewrite(
        pack,
        tmp_path / "t.zip",
        drop=frozenset({"evidence/empty.txt"}),
        replace={TEXT: flip(data)},
        add={"evidence/extra.txt": b"x"},
    )

    report = verify_pack(tampered, keys.signer.public_key_pem)

    assert report.problems == [
        f"altered file: {TEXT} (SHA-256 mismatch)",
        "missing file: evidence/empty.txt",
        "extra file not in manifest: evidence/extra.txt",
    ]
    assert report.files_verified == len(EVIDENCE) + 2 - 2
