"""The instance's Ed25519 signing keys: audit checkpoints, evidence packs, backup manifests.

One key set for the whole instance, kept as files under ``settings.RAMPART_KEY_DIR``
(default ``<var>/keys``, mode 0700, every file 0600), never in the database:

``current.pem``
    the private key in use, PKCS#8 PEM encrypted with the passphrase
    ``settings.RAMPART_SIGNING_KEY_PASSPHRASE``. Without one, the passphrase is
    derived from ``SECRET_KEY`` with HKDF-SHA256; production should set its own, so
    that a copy of the key folder and the settings are both needed to sign.
``public/<key id>.pem``
    the public key of every key this instance ever signed with, the current one
    included, so anything signed before a rotation still verifies.

The key id is the first 16 hex digits of the SHA-256 of the raw 32-byte public key.
The first key is generated on first use; two processes doing that at once agree on
one key (the private key file is created with a hard link, which fails when the
name is taken). ``rotate_signing_key()`` makes a new current key.

This module imports no app of ours (``core`` is the bottom layer).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PRIVATE_KEY_FILE = "current.pem"
PUBLIC_DIR = "public"
KEY_ID_LENGTH = 16
KEY_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
_HKDF_INFO = b"rampart signing key passphrase v1"

_cache_lock = threading.Lock()
_cache: dict[tuple[str, int, int, int, str], tuple[str, Ed25519PrivateKey]] = {}


class SigningKeyError(Exception):
    """The signing key cannot be read or written (wrong passphrase, unknown key id, bad file)."""


@dataclass(frozen=True)
class Signature:
    """An Ed25519 signature (base64) and the id of the key that made it."""

    key_id: str
    signature_b64: str


def key_dir() -> Path:
    configured = getattr(settings, "RAMPART_KEY_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "keys"


def _passphrase() -> bytes:
    configured = getattr(settings, "RAMPART_SIGNING_KEY_PASSPHRASE", "")
    if configured:
        return str(configured).encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        str(settings.SECRET_KEY).encode()
    )
    return base64.urlsafe_b64encode(derived)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def _public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _ensure_dirs() -> Path:
    folder = key_dir()
    for path in (folder, folder / PUBLIC_DIR):
        if not path.is_dir():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.chmod(0o700)
    return folder


def _write_new_file(folder: Path, content: bytes) -> Path:
    """``content`` in a new private (0600) file of ``folder`` with a random name, flushed to disk."""
    tmp = folder / f".tmp-{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def _place(folder: Path, name: str, content: bytes, *, replace: bool) -> bool:
    """Write ``folder/name`` atomically; unless ``replace``, only when the name is free. True if written."""
    tmp = _write_new_file(folder, content)
    try:
        if replace:
            tmp.replace(folder / name)
            return True
        try:
            os.link(tmp, folder / name)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _save_public(public_key: Ed25519PublicKey) -> str:
    key_id = key_id_of(public_key)
    folder = _ensure_dirs() / PUBLIC_DIR
    if not (folder / f"{key_id}.pem").exists():
        _place(folder, f"{key_id}.pem", _public_pem(public_key).encode(), replace=False)
    return key_id


def _new_private_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )


def _load_current() -> tuple[str, Ed25519PrivateKey]:
    """The current key (generated when there is none yet), cached while its file is unchanged."""
    folder = _ensure_dirs()
    path = folder / PRIVATE_KEY_FILE
    if not path.exists():
        # Losing a race to another process is fine: its key stands and is loaded below.
        _place(folder, PRIVATE_KEY_FILE, _new_private_pem(), replace=False)
    with path.open("rb") as handle:  # stat and content of one file, even while a rotation replaces it
        stat = os.fstat(handle.fileno())
        content = handle.read()
    passphrase = _passphrase()
    cache_key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size, hashlib.sha256(passphrase).hexdigest())
    with _cache_lock:
        if cache_key in _cache:
            return _cache[cache_key]
    try:
        loaded = serialization.load_pem_private_key(content, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(
            f"The signing key {path} cannot be read with the configured passphrase "
            "(RAMPART_SIGNING_KEY_PASSPHRASE, or SECRET_KEY when it is not set)."
        ) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SigningKeyError(f"The signing key {path} is not an Ed25519 key.")
    key_id = _save_public(loaded.public_key())
    with _cache_lock:
        _cache.clear()
        _cache[cache_key] = (key_id, loaded)
    return key_id, loaded


def current_key_id() -> str:
    """The id of the key ``sign`` uses now (the first key is generated on first use)."""
    return _load_current()[0]


def sign(data: bytes) -> Signature:
    key_id, key = _load_current()
    return Signature(key_id=key_id, signature_b64=base64.b64encode(key.sign(data)).decode("ascii"))


def _read_public(path: Path) -> Ed25519PublicKey | None:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def known_public_keys() -> dict[str, str]:
    """Every public key this instance signed with, by key id (taken from the key, not the file name)."""
    folder = key_dir() / PUBLIC_DIR
    keys: dict[str, str] = {}
    if not folder.is_dir():
        return keys
    for path in sorted(folder.glob("*.pem")):
        public = _read_public(path)
        if public is not None:
            keys[key_id_of(public)] = _public_pem(public)
    return keys


def public_key_pem(key_id: str | None = None) -> str:
    """The PEM of the current public key, or of the older key ``key_id``."""
    if key_id is None:
        return _public_pem(_load_current()[1].public_key())
    if not KEY_ID_PATTERN.match(key_id):
        raise SigningKeyError(f"{key_id!r} is not a key id (16 lowercase hex digits).")
    public = _read_public(key_dir() / PUBLIC_DIR / f"{key_id}.pem")
    if public is None or key_id_of(public) != key_id:
        raise SigningKeyError(f"No public key with the id {key_id} is known here.")
    return _public_pem(public)


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from its PEM; ``SigningKeyError`` for anything else."""
    return _parsed_public_key(pem.encode() if isinstance(pem, str) else pem)


@functools.lru_cache(maxsize=64)
def _parsed_public_key(pem: bytes) -> Ed25519PublicKey:
    """Cached: checking thousands of checkpoints parses each trusted key once."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise SigningKeyError("Not a PEM public key.") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("Not an Ed25519 public key.")
    return key


def verify(
    data: bytes,
    signature: str | Signature,
    key_id: str | None = None,
    trusted_public_keys: dict[str, str] | None = None,
) -> bool:
    """Whether ``signature`` (base64) over ``data`` was made by the trusted key ``key_id``.

    ``trusted_public_keys`` (key id -> PEM) defaults to the keys this instance knows.
    A key counts only under its own id: a PEM filed under another id is ignored.
    """
    if isinstance(signature, Signature):
        key_id = key_id or signature.key_id
        if key_id != signature.key_id:
            return False
        signature = signature.signature_b64
    if not key_id:
        return False
    keys = known_public_keys() if trusted_public_keys is None else trusted_public_keys
    pem = keys.get(key_id)
    if pem is None:
        return False
    try:
        public = load_public_key(pem)
        raw = base64.b64decode(signature, validate=True)
    except (SigningKeyError, binascii.Error, ValueError):
        return False
    if key_id_of(public) != key_id:
        return False
    try:
        public.verify(raw, data)
    except InvalidSignature:
        return False
    return True


def rotate_signing_key() -> str:
    """Make a new current key and return its id; the old public key stays for verifying."""
    _load_current()  # the old key's public half is on file before it is replaced
    _place(_ensure_dirs(), PRIVATE_KEY_FILE, _new_private_pem(), replace=True)
    with _cache_lock:
        _cache.clear()
    return _load_current()[0]  # files the new public key
