"""The instance's signing keys: files outside the database, encrypted, rotated, safe to create at once."""

from __future__ import annotations

import base64
import hashlib
import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from core import signing


def key_dir() -> Path:
    return Path(settings.RAMPART_KEY_DIR)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_key_is_made_on_first_use_private_and_encrypted() -> None:
    assert not key_dir().exists()
    key_id = signing.current_key_id()
    private = key_dir() / "current.pem"
    public = key_dir() / "public" / f"{key_id}.pem"
    assert mode(key_dir()) == 0o700 and mode(key_dir() / "public") == 0o700
    assert mode(private) == 0o600 and mode(public) == 0o600
    pem = private.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):  # no passphrase, no key
        serialization.load_pem_private_key(pem, password=None)
    raw = signing.load_public_key(public.read_text()).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert key_id == hashlib.sha256(raw).hexdigest()[:16]
    assert signing.current_key_id() == key_id, "made once"
    assert signing.public_key_pem() == public.read_text()


def test_sign_and_verify() -> None:
    signature = signing.sign(b"entry 42 has hash abc")
    assert signature.key_id == signing.current_key_id()
    assert signing.verify(b"entry 42 has hash abc", signature.signature_b64, signature.key_id)
    assert signing.verify(b"entry 42 has hash abc", signature)
    assert not signing.verify(b"entry 42 has hash abd", signature.signature_b64, signature.key_id)
    assert not signing.verify(b"entry 42 has hash abc", "not base64!", signature.key_id)
    assert not signing.verify(b"entry 42 has hash abc", signature.signature_b64, "0123456789abcdef")


def test_a_key_counts_only_under_its_own_id() -> None:
    intruder = Ed25519PrivateKey.generate()
    intruder_pem = (
        intruder.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    intruder_id = signing.key_id_of(intruder.public_key())
    ours = signing.current_key_id()
    data = b"signed by the intruder"
    intruder_signature = base64.b64encode(intruder.sign(data)).decode()
    # Planted in the key folder under another name: known under its own id only.
    (key_dir() / "public" / "0123456789abcdef.pem").write_text(intruder_pem)
    assert set(signing.known_public_keys()) == {ours, intruder_id}
    assert not signing.verify(data, intruder_signature, "0123456789abcdef")
    assert not signing.verify(data, intruder_signature, ours)
    # Handed in as trusted under our id, it is still not our key.
    assert not signing.verify(data, intruder_signature, ours, trusted_public_keys={ours: intruder_pem})
    assert signing.verify(data, intruder_signature, intruder_id, trusted_public_keys={intruder_id: intruder_pem})
    assert not signing.verify(b"x", signing.sign(b"x").signature_b64, intruder_id)


def test_rotation_keeps_old_public_keys_so_old_signatures_verify() -> None:
    old_id = signing.current_key_id()
    old_signature = signing.sign(b"before")
    new_id = signing.rotate_signing_key()
    assert new_id != old_id and signing.current_key_id() == new_id
    assert signing.sign(b"after").key_id == new_id
    assert set(signing.known_public_keys()) == {old_id, new_id}
    assert signing.verify(b"before", old_signature)
    assert signing.public_key_pem(old_id) != signing.public_key_pem()
    with pytest.raises(signing.SigningKeyError, match="No public key"):
        signing.public_key_pem("0" * 16)
    with pytest.raises(signing.SigningKeyError, match="not a key id"):
        signing.public_key_pem("../../etc/passwd")


def test_the_configured_passphrase_is_needed_to_read_the_key(settings: Any) -> None:
    settings.RAMPART_SIGNING_KEY_PASSPHRASE = "correct horse"
    key_id = signing.current_key_id()
    settings.RAMPART_SIGNING_KEY_PASSPHRASE = "wrong horse"
    with pytest.raises(signing.SigningKeyError, match="cannot be read with the configured passphrase"):
        signing.sign(b"x")
    settings.RAMPART_SIGNING_KEY_PASSPHRASE = ""  # derived from SECRET_KEY: another passphrase again
    with pytest.raises(signing.SigningKeyError):
        signing.sign(b"x")
    settings.RAMPART_SIGNING_KEY_PASSPHRASE = "correct horse"
    assert signing.sign(b"x").key_id == key_id


def _first_use(barrier: Any, queue: Any) -> None:
    barrier.wait()
    queue.put(signing.current_key_id())


def test_two_processes_making_the_first_key_at_once_agree_on_one() -> None:
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_first_use, args=(barrier, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    ids = {queue.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
    assert len(ids) == 1
    assert [p.name for p in (key_dir() / "public").iterdir()] == [f"{ids.pop()}.pem"]
    assert [p.name for p in key_dir().iterdir() if p.name.startswith(".tmp")] == []
