"""scrypt passphrase files, both directions with the real ``age`` (driven on a pseudo-terminal)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from backups.age import (
    DEFAULT_WORK_FACTOR,
    HeaderError,
    NoIdentityMatchError,
    ScryptIdentity,
    ScryptRecipient,
    Stanza,
    WorkFactorTooHighError,
    X25519Identity,
    decrypt,
    encrypt,
)
from backups.age.header import encode_header

from .agetools import age_with_passphrase, needs_age

PASSPHRASE = "correct horse battery staple ✓"


def encrypt_bytes(data: bytes, recipient: ScryptRecipient) -> bytes:
    out = io.BytesIO()
    encrypt(io.BytesIO(data), out, [recipient])
    return out.getvalue()


def decrypt_bytes(ciphertext: bytes, identity: ScryptIdentity | X25519Identity) -> bytes:
    out = io.BytesIO()
    decrypt(io.BytesIO(ciphertext), out, [identity])
    return out.getvalue()


@needs_age
def test_we_encrypt_with_a_passphrase_age_decrypts(tmp_path: Path) -> None:
    data = os.urandom(100_000)
    encrypted = tmp_path / "data.age"
    encrypted.write_bytes(encrypt_bytes(data, ScryptRecipient(PASSPHRASE, work_factor=12)))
    assert b"\n-> scrypt " in encrypted.read_bytes()
    status, terminal = age_with_passphrase(["-d", "-o", str(tmp_path / "out"), str(encrypted)], PASSPHRASE)
    assert status == 0, terminal
    assert (tmp_path / "out").read_bytes() == data
    status, terminal = age_with_passphrase(["-d", "-o", str(tmp_path / "bad"), str(encrypted)], "wrong")
    assert status != 0
    assert b"incorrect passphrase" in terminal


@needs_age
def test_age_encrypts_with_a_passphrase_we_decrypt(tmp_path: Path) -> None:
    data = os.urandom(70_000)
    (tmp_path / "plain").write_bytes(data)
    encrypted = tmp_path / "plain.age"
    status, terminal = age_with_passphrase(["-p", "-o", str(encrypted), str(tmp_path / "plain")], PASSPHRASE)
    assert status == 0, terminal
    ciphertext = encrypted.read_bytes()
    assert f" {DEFAULT_WORK_FACTOR}\n".encode() in ciphertext.split(b"\n---")[0]  # age's default work factor
    assert decrypt_bytes(ciphertext, ScryptIdentity(PASSPHRASE)) == data
    with pytest.raises(NoIdentityMatchError, match="passphrase is incorrect"):
        decrypt_bytes(ciphertext, ScryptIdentity("not it"))
    with pytest.raises(WorkFactorTooHighError, match=r"2\^18.*2\^17"):
        decrypt_bytes(ciphertext, ScryptIdentity(PASSPHRASE, max_work_factor=17))


def test_round_trip_and_defaults() -> None:
    assert ScryptRecipient("x").work_factor == 18
    data = b"backup" * 30_000
    ciphertext = encrypt_bytes(data, ScryptRecipient(b"bytes passphrase", work_factor=3))
    assert b" 3\n" in ciphertext[:200]
    assert decrypt_bytes(ciphertext, ScryptIdentity("bytes passphrase")) == data
    assert "passphrase" not in repr(ScryptRecipient("hunter2")) + repr(ScryptIdentity("hunter2"))
    with pytest.raises(ValueError):
        ScryptRecipient("x", work_factor=0)


def scrypt_file(*args: str, body: bytes = bytes(32), extra: list[Stanza] | None = None) -> bytes:
    header = encode_header([Stanza(("scrypt", *args), body), *(extra or [])], os.urandom(16))
    return header + os.urandom(16) + os.urandom(40)


SALT = "AAAAAAAAAAAAAAAAAAAAAA"  # 16 zero bytes


@pytest.mark.parametrize("work_factor", ["23", "64", "99999999999999999999"])
def test_a_hostile_work_factor_is_refused_before_any_work(work_factor: str) -> None:
    with pytest.raises(WorkFactorTooHighError, match="exceeds the limit of 2\\^22"):
        decrypt_bytes(scrypt_file(SALT, work_factor), ScryptIdentity("x"))


@pytest.mark.parametrize(
    ("args", "body"),
    [
        ((SALT, "018"), bytes(32)),  # leading zero
        ((SALT, "0"), bytes(32)),
        ((SALT, "-1"), bytes(32)),
        ((SALT, "10", "extra"), bytes(32)),
        ((SALT,), bytes(32)),
        (("AAAA", "10"), bytes(32)),  # salt not 16 bytes
        ((SALT, "10"), bytes(31)),  # body not 32 bytes
    ],
)
def test_malformed_scrypt_stanzas_are_rejected(args: tuple[str, ...], body: bytes) -> None:
    with pytest.raises(HeaderError):
        decrypt_bytes(scrypt_file(*args, body=body), ScryptIdentity("x"))


def test_an_scrypt_stanza_must_be_alone() -> None:
    other = Stanza(("X25519", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), bytes(32))
    ciphertext = scrypt_file(SALT, "10", extra=[other])
    for identity in (ScryptIdentity("x"), X25519Identity.generate()):
        with pytest.raises(HeaderError, match="only stanza"):
            decrypt_bytes(ciphertext, identity)
    # The identity enforces it too, when used on its own.
    with pytest.raises(HeaderError, match="only stanza"):
        ScryptIdentity("x").unwrap([Stanza(("scrypt", SALT, "10"), bytes(32)), other])
