"""Packs name their signing key by the id Rampart uses everywhere (16 hex digits); old packs still verify.

The first release named the key ``"ed25519:" + 32 hex digits``. A pack of that release (made
here exactly as it was: the same manifest with the old id, signed by the same key) still
verifies with both verifiers; a pack naming another key in either form does not.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from audits.packs import verify_pack
from audits.packs.signing import Ed25519Signer
from audits.packs.verify_standalone import canonical_json, legacy_key_id
from tests.audits.packs.conftest import EVIDENCE, extract_verifier, rewrite


def _raw_digest(signer: Ed25519Signer) -> str:
    key = serialization.load_pem_public_key(signer.public_key_pem)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def test_the_key_id_is_the_instance_key_id(signer: Ed25519Signer, pack: Path) -> None:
    from core.signing import key_id_of

    key = serialization.load_pem_public_key(signer.public_key_pem)
    assert signer.key_id == _raw_digest(signer)[:16] == key_id_of(key)  # type: ignore[arg-type]
    with zipfile.ZipFile(pack) as archive:
        assert json.loads(archive.read("manifest.json"))["key_id"] == signer.key_id
        assert json.loads(archive.read("manifest.sig"))["key_id"] == signer.key_id


def _as_first_release(pack: Path, target: Path, signer: Ed25519Signer, key_id: str) -> Path:
    """``pack`` with manifest and signature naming ``key_id``, re-signed by ``signer``'s key."""
    with zipfile.ZipFile(pack) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["key_id"] = key_id
    raw = canonical_json(manifest)
    _, signature = signer(raw)
    document = {"algorithm": "Ed25519", "key_id": key_id, "signature": base64.b64encode(signature).decode()}
    return rewrite(pack, target, replace={"manifest.json": raw, "manifest.sig": canonical_json(document)})


def test_a_pack_of_the_first_release_still_verifies(signer: Ed25519Signer, pack: Path, tmp_path: Path) -> None:
    key = serialization.load_pem_public_key(signer.public_key_pem)
    old_id = legacy_key_id(key)  # type: ignore[arg-type]
    assert old_id == "ed25519:" + _raw_digest(signer)[:32]
    old = _as_first_release(pack, tmp_path / "old.zip", signer, old_id)
    report = verify_pack(old)
    assert report.ok, report.problems
    script = extract_verifier(pack, tmp_path)
    result = subprocess.run([sys.executable, str(script), str(old)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith(f"OK: {len(EVIDENCE) + 2} files verified, signed by key {signer.key_id}\n")


def test_an_old_style_id_of_another_key_is_refused(
    signer: Ed25519Signer, other_signer: Ed25519Signer, pack: Path, tmp_path: Path
) -> None:
    other = serialization.load_pem_public_key(other_signer.public_key_pem)
    wrong = _as_first_release(pack, tmp_path / "wrong.zip", signer, legacy_key_id(other))  # type: ignore[arg-type]
    report = verify_pack(wrong)
    assert not report.ok
    assert any("names key" in problem for problem in report.problems)
