"""Keys, a small pack, and tampering helpers for the evidence-pack tests (no database)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audits.packs.signing import Ed25519Signer
from audits.packs.writer import PackWriter

ROOT = Path(__file__).resolve().parents[3]

EVIDENCE = {
    "evidence/access-review.txt": b"user=alice role=admin reviewed=yes\n" * 500,
    "evidence/screenshot.png": os.urandom(20_000),
    "evidence/sub dir/r\u00e9sum\u00e9.csv": b"id,name\n1,caf\xc3\xa9\n",
    "evidence/empty.txt": b"",
}
FIELDS = {
    "engagement": {"id": 7, "name": "SOC 2 Type II 2025"},
    "scope": ["CC6.1", "CC7.2"],
    "period": {"start": "2025-01-01", "end": "2025-12-31"},
}


@pytest.fixture(scope="session")
def signer() -> Ed25519Signer:
    return Ed25519Signer(Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def other_signer() -> Ed25519Signer:
    return Ed25519Signer(Ed25519PrivateKey.generate())


def build_pack(path: Path, signer: Ed25519Signer, evidence: dict[str, bytes] | None = None) -> Path:
    with PackWriter(path, generator="rampart-test 1.0", sign=signer, public_key_pem=signer.public_key_pem) as writer:
        for name, data in (EVIDENCE if evidence is None else evidence).items():
            writer.add_bytes(name, data)
        writer.finish(FIELDS)
    return path


@pytest.fixture
def pack(tmp_path: Path, signer: Ed25519Signer) -> Path:
    return build_pack(tmp_path / "pack.zip", signer)


def rewrite(
    source: Path,
    target: Path,
    *,
    drop: frozenset[str] = frozenset(),
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
) -> Path:
    """A copy of the ZIP ``source`` with members dropped, replaced or added (valid CRCs)."""
    replace = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            new.writestr(info, replace.get(info.filename, old.read(info)))
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def extract_verifier(pack: Path, workdir: Path) -> Path:
    """The ``verify.py`` shipped in ``pack``, written to ``workdir``."""
    script = workdir / "verify.py"
    with zipfile.ZipFile(pack) as archive:
        script.write_bytes(archive.read("verify.py"))
    return script


def run_verify_script(
    pack: Path, workdir: Path, public_key: Path | None = None, *, script: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``verify.py`` (by default the one inside ``pack``) on ``pack`` with this interpreter, from
    ``workdir``, as an auditor would: nothing of Rampart is importable there."""
    script = script or extract_verifier(pack, workdir)
    command = [sys.executable, str(script), str(pack)]
    if public_key is not None:
        command += ["--public-key", str(public_key)]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=120, env=env, check=False)
