"""The cryptographic building blocks age v1 uses, over the ``cryptography`` package."""

from __future__ import annotations

import base64
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import HeaderError

FILE_KEY_SIZE = 16
_ZERO_NONCE = bytes(12)
_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/]*")


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA-256 (extract then expand) with a 32-byte output."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(message)
    return mac.finalize()


def seal_file_key(wrap_key: bytes, file_key: bytes) -> bytes:
    """Encrypt the file key as a stanza body (ChaCha20-Poly1305, all-zero nonce)."""
    return ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)


def open_file_key(wrap_key: bytes, body: bytes) -> bytes | None:
    """Decrypt a stanza body; ``None`` when it does not authenticate under ``wrap_key``."""
    try:
        file_key = ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None
    return file_key if len(file_key) == FILE_KEY_SIZE else None


def b64encode(data: bytes) -> str:
    """Standard base64 without ``=`` padding."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str, *, what: str = "base64 value") -> bytes:
    """Decode unpadded base64, rejecting padding and non-canonical encodings."""
    if not _BASE64_CHARS.fullmatch(text) or len(text) % 4 == 1:
        raise HeaderError(f"invalid {what}: not unpadded base64")
    data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    if b64encode(data) != text:
        raise HeaderError(f"invalid {what}: non-canonical base64")
    return data
