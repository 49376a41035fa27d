"""Bech32 (BIP 173) as age uses it: no limit on the length of the data part.

A Bech32 string is all lower case or all upper case; the checksum is computed
over the lower-case form. :func:`decode` returns the human-readable part in the
case it was written in, so callers can insist on one case.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import Bech32Error

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_VALUES = {char: value for value, char in enumerate(CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LENGTH = 6


def _polymod(values: Iterable[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = ((checksum & 0x1FFFFFF) << 5) ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _expand_hrp(hrp: str) -> list[int]:
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def _convert_bits(data: Iterable[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    accumulator = 0
    bits = 0
    out: list[int] = []
    mask = (1 << to_bits) - 1
    keep = (1 << (from_bits + to_bits - 1)) - 1
    for value in data:
        accumulator = ((accumulator << from_bits) | value) & keep
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((accumulator >> bits) & mask)
    if pad:
        if bits:
            out.append((accumulator << (to_bits - bits)) & mask)
    elif bits >= from_bits or (accumulator << (to_bits - bits)) & mask:
        raise Bech32Error("invalid Bech32 padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode ``data`` under the human-readable part ``hrp``, in the case of ``hrp``."""
    if not hrp or any(not 33 <= ord(char) <= 126 for char in hrp):
        raise Bech32Error("invalid Bech32 human-readable part")
    if hrp.lower() != hrp and hrp.upper() != hrp:
        raise Bech32Error("mixed-case Bech32 human-readable part")
    lower_hrp = hrp.lower()
    values = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod([*_expand_hrp(lower_hrp), *values, *([0] * _CHECKSUM_LENGTH)]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LENGTH)]
    encoded = lower_hrp + "1" + "".join(CHARSET[value] for value in values + checksum)
    return encoded.upper() if hrp.upper() == hrp and hrp.lower() != hrp else encoded


def decode(text: str) -> tuple[str, bytes]:
    """Return ``(hrp, data)``; raise :class:`Bech32Error` if ``text`` is not valid Bech32."""
    if any(not 33 <= ord(char) <= 126 for char in text):
        raise Bech32Error("invalid character in Bech32 string")
    lower = text.lower()
    if text != lower and text != text.upper():
        raise Bech32Error("mixed-case Bech32 string")
    separator = lower.rfind("1")
    if separator < 0:
        raise Bech32Error("Bech32 string has no separator '1'")
    if separator == 0:
        raise Bech32Error("Bech32 string has an empty human-readable part")
    if separator + 1 + _CHECKSUM_LENGTH > len(lower):
        raise Bech32Error("Bech32 string is too short")
    hrp = lower[:separator]
    try:
        values = [_VALUES[char] for char in lower[separator + 1 :]]
    except KeyError:
        raise Bech32Error("invalid character in Bech32 data") from None
    if _polymod([*_expand_hrp(hrp), *values]) != 1:
        raise Bech32Error("invalid Bech32 checksum")
    data = bytes(_convert_bits(values[:-_CHECKSUM_LENGTH], 5, 8, pad=False))
    return text[:separator], data
