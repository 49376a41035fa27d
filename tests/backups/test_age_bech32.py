"""Bech32 as age uses it, and the key encodings built on it."""

from __future__ import annotations

import os

import pytest

from backups.age import Bech32Error, KeyFormatError, X25519Identity, X25519Recipient, bech32_decode, bech32_encode

# From the age specification (c2sp.org/age): an identity and its recipient.
SPEC_IDENTITY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
SPEC_RECIPIENT = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"


@pytest.mark.parametrize("size", [0, 1, 5, 20, 32, 33, 200, 1500])
@pytest.mark.parametrize("hrp", ["age", "AGE-SECRET-KEY-", "age1pq"])
def test_round_trip(hrp: str, size: int) -> None:
    data = os.urandom(size)
    encoded = bech32_encode(hrp, data)
    assert encoded == (encoded.upper() if hrp.isupper() else encoded.lower())
    assert bech32_decode(encoded) == (hrp, data)


@pytest.mark.parametrize(
    "valid",
    [
        "A12UEL5L",
        "a12uel5l",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    ],
)
def test_bip173_checksums(valid: str) -> None:
    hrp, data = bech32_decode(valid)
    assert bech32_encode(hrp, data) == valid


def test_spec_keys() -> None:
    identity = X25519Identity.parse(SPEC_IDENTITY)
    assert identity.secret_string() == SPEC_IDENTITY
    assert str(identity.recipient) == SPEC_RECIPIENT
    assert X25519Recipient.parse(SPEC_RECIPIENT).public_key == identity.recipient.public_key


def flip_char(text: str, position: int) -> str:
    char = text[position]
    replacement = "q" if char.lower() != "q" else "p"
    return text[:position] + (replacement.upper() if char.isupper() else replacement) + text[position + 1 :]


@pytest.mark.parametrize("position", [4, 20, -7, -1])
def test_bad_checksum(position: int) -> None:
    with pytest.raises(Bech32Error, match="checksum"):
        bech32_decode(flip_char(SPEC_RECIPIENT, position))
    with pytest.raises(KeyFormatError):
        X25519Recipient.parse(flip_char(SPEC_RECIPIENT, position))
    with pytest.raises(KeyFormatError):
        X25519Identity.parse(flip_char(SPEC_IDENTITY, position))


def test_mixed_case() -> None:
    with pytest.raises(Bech32Error, match="mixed-case"):
        bech32_decode(SPEC_RECIPIENT[:10] + SPEC_RECIPIENT[10:].upper())
    with pytest.raises(Bech32Error, match="mixed-case"):
        bech32_decode("AGE-SECRET-KEY-1" + SPEC_IDENTITY[16:].lower())


def test_a_wholly_upper_or_lower_case_key_keeps_its_checksum_but_age_fixes_the_case() -> None:
    assert bech32_decode(SPEC_RECIPIENT.upper())[1] == bech32_decode(SPEC_RECIPIENT)[1]
    with pytest.raises(KeyFormatError):
        X25519Recipient.parse(SPEC_RECIPIENT.upper())
    with pytest.raises(KeyFormatError):
        X25519Identity.parse(SPEC_IDENTITY.lower())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agezvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "no separator"),
        ("1qqqqqqq", "human-readable"),
        ("age1qqqq", "too short"),
        ("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwb", "character"),  # 'b' is not in the charset
        ("age1zvkyg2 lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj", "character"),
        ("age1é", "character"),
        ("a1" + "l" + "qqqqqq", None),  # 5 bits of data: not a whole byte, or bad checksum
    ],
)
def test_invalid_strings(text: str, message: str | None) -> None:
    with pytest.raises(Bech32Error, match=message):
        bech32_decode(text)


def test_non_zero_padding_bits_are_rejected() -> None:
    # Two 5-bit groups hold one byte and 2 padding bits, which must be zero.
    from backups.age.bech32 import CHARSET, _expand_hrp, _polymod

    values = [31, 31]  # 0b11111 11111: the byte 0xFF then padding bits 11
    polymod = _polymod([*_expand_hrp("x"), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    text = "x1" + "".join(CHARSET[v] for v in values + checksum)
    with pytest.raises(Bech32Error, match="padding"):
        bech32_decode(text)
    assert bech32_decode(bech32_encode("x", b"\xff")) == ("x", b"\xff")


def test_wrong_kind_of_key() -> None:
    with pytest.raises(KeyFormatError, match="not an age1"):
        X25519Recipient.parse(bech32_encode("age", os.urandom(31)))
    with pytest.raises(KeyFormatError, match="not an age1"):
        X25519Recipient.parse(bech32_encode("age1pq", os.urandom(32)))
    with pytest.raises(KeyFormatError):
        X25519Identity.parse(bech32_encode("AGE-SECRET-KEY-", os.urandom(16)))
