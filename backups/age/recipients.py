"""Native age recipients and identities: X25519 key pairs and scrypt passphrases.

A *recipient* wraps the file key into header stanzas when encrypting; an
*identity* unwraps it from the stanzas when decrypting. Secret material never
appears in ``repr()`` or in error messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from . import bech32
from .errors import Bech32Error, HeaderError, KeyFormatError, WorkFactorTooHighError
from .header import Stanza
from .primitives import FILE_KEY_SIZE, b64decode, b64encode, hkdf_sha256, open_file_key, seal_file_key

_Key = TypeVar("_Key")

RECIPIENT_HRP = "age"
IDENTITY_HRP = "AGE-SECRET-KEY-"
X25519_INFO = b"age-encryption.org/v1/X25519"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
DEFAULT_WORK_FACTOR = 18
MAX_WORK_FACTOR = 22
_KEY_SIZE = 32
_BODY_SIZE = FILE_KEY_SIZE + 16
_SALT_SIZE = 16
_DECIMAL = re.compile(r"[1-9][0-9]*")


@runtime_checkable
class Recipient(Protocol):
    """Something the file key can be encrypted to."""

    def wrap(self, file_key: bytes) -> list[Stanza]: ...


@runtime_checkable
class Identity(Protocol):
    """Something that can recover the file key from the header stanzas."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        """The file key, or ``None`` when no stanza is addressed to this identity.

        Raises :class:`~backups.age.errors.AgeError` when a stanza of its type is malformed.
        """
        ...


class X25519Recipient:
    """An ``age1...`` public key."""

    __slots__ = ("_public_key",)

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != _KEY_SIZE:
            raise KeyFormatError("an X25519 public key is 32 bytes")
        self._public_key = bytes(public_key)

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        """Parse an ``age1...`` recipient (lower-case Bech32)."""
        text = text.strip()
        try:
            hrp, data = bech32.decode(text)
        except Bech32Error as error:
            raise KeyFormatError(f"invalid age recipient {text!r}: {error}") from None
        if hrp != RECIPIENT_HRP or len(data) != _KEY_SIZE:
            raise KeyFormatError(f"invalid age recipient {text!r}: not an age1... X25519 public key")
        return cls(data)

    @property
    def public_key(self) -> bytes:
        return self._public_key

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self._public_key)

    def __repr__(self) -> str:
        return f"X25519Recipient({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X25519Recipient) and other._public_key == self._public_key

    def __hash__(self) -> int:
        return hash(self._public_key)

    def wrap(self, file_key: bytes) -> list[Stanza]:
        ephemeral = X25519PrivateKey.generate()
        share = ephemeral.public_key().public_bytes_raw()
        try:
            shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(self._public_key))
        except ValueError:
            raise KeyFormatError(f"{self} is not a usable X25519 public key (low-order point)") from None
        wrap_key = hkdf_sha256(shared, share + self._public_key, X25519_INFO)
        return [Stanza(("X25519", b64encode(share)), seal_file_key(wrap_key, file_key))]


class X25519Identity:
    """An ``AGE-SECRET-KEY-1...`` secret key."""

    __slots__ = ("_private_key", "_public_key")

    def __init__(self, secret_key: bytes) -> None:
        if len(secret_key) != _KEY_SIZE:
            raise KeyFormatError("an X25519 secret key is 32 bytes")
        self._private_key = X25519PrivateKey.from_private_bytes(secret_key)
        self._public_key = self._private_key.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> X25519Identity:
        """A new random key pair (the public half is :attr:`recipient`)."""
        return cls(os.urandom(_KEY_SIZE))

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        """Parse an ``AGE-SECRET-KEY-1...`` identity (upper-case Bech32)."""
        try:
            hrp, data = bech32.decode(text.strip())
        except Bech32Error as error:
            raise KeyFormatError(f"invalid age secret key: {error}") from None
        if hrp != IDENTITY_HRP or len(data) != _KEY_SIZE:
            raise KeyFormatError("invalid age secret key: not an upper-case AGE-SECRET-KEY-1... X25519 key")
        return cls(data)

    @property
    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self._public_key)

    def secret_string(self) -> str:
        """The ``AGE-SECRET-KEY-1...`` encoding (deliberately not ``__str__``)."""
        return bech32.encode(IDENTITY_HRP, self._private_key.private_bytes_raw())

    def identity_file(self) -> str:
        """The identity as ``age-keygen`` writes it: two comment lines, then the secret key."""
        created = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"# created: {created}\n# public key: {self.recipient}\n{self.secret_string()}\n"

    def __repr__(self) -> str:
        return f"X25519Identity(recipient={str(self.recipient)!r})"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != "X25519":
                continue
            if len(stanza.args) != 2:
                raise HeaderError("malformed X25519 stanza: it needs exactly one argument")
            share = b64decode(stanza.args[1], what="X25519 ephemeral share")
            if len(share) != _KEY_SIZE or len(stanza.body) != _BODY_SIZE:
                raise HeaderError("malformed X25519 stanza: wrong share or body length")
            try:
                shared = self._private_key.exchange(X25519PublicKey.from_public_bytes(share))
            except ValueError:
                raise HeaderError("malformed X25519 stanza: low-order ephemeral share") from None
            wrap_key = hkdf_sha256(shared, share + self._public_key, X25519_INFO)
            file_key = open_file_key(wrap_key, stanza.body)
            if file_key is not None:
                return file_key
        return None


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data:
        raise KeyFormatError("the passphrase is empty")
    return data


def _scrypt(passphrase: bytes, salt: bytes, work_factor: int) -> bytes:
    kdf = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=1 << work_factor, r=8, p=1)
    return kdf.derive(passphrase)


class ScryptRecipient:
    """Encrypt to a passphrase; must be the file's only recipient.

    ``work_factor`` is log2 of scrypt's N: 18 (the default, as the age tool
    uses) takes about a second and 256 MiB; each step doubles both.
    """

    __slots__ = ("_passphrase", "work_factor")

    def __init__(self, passphrase: str | bytes, work_factor: int = DEFAULT_WORK_FACTOR) -> None:
        if not 1 <= work_factor <= 30:
            raise ValueError("the scrypt work factor must be between 1 and 30")
        self._passphrase = _passphrase_bytes(passphrase)
        self.work_factor = work_factor

    def __repr__(self) -> str:
        return f"ScryptRecipient(work_factor={self.work_factor})"

    def wrap(self, file_key: bytes) -> list[Stanza]:
        salt = os.urandom(_SALT_SIZE)
        wrap_key = _scrypt(self._passphrase, salt, self.work_factor)
        args = ("scrypt", b64encode(salt), str(self.work_factor))
        return [Stanza(args, seal_file_key(wrap_key, file_key))]


class ScryptIdentity:
    """Decrypt with a passphrase; refuses work factors above ``max_work_factor``."""

    __slots__ = ("_passphrase", "max_work_factor")

    def __init__(self, passphrase: str | bytes, max_work_factor: int = MAX_WORK_FACTOR) -> None:
        self._passphrase = _passphrase_bytes(passphrase)
        self.max_work_factor = max_work_factor

    def __repr__(self) -> str:
        return f"ScryptIdentity(max_work_factor={self.max_work_factor})"

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != "scrypt":
                continue
            if len(stanzas) != 1:
                raise HeaderError("an scrypt stanza must be the only stanza in the header")
            if len(stanza.args) != 3:
                raise HeaderError("malformed scrypt stanza: it needs exactly two arguments")
            salt = b64decode(stanza.args[1], what="scrypt salt")
            if len(salt) != _SALT_SIZE or not _DECIMAL.fullmatch(stanza.args[2]):
                raise HeaderError("malformed scrypt stanza: bad salt or work factor")
            if len(stanza.body) != _BODY_SIZE:
                raise HeaderError("malformed scrypt stanza: wrong body length")
            work_factor = int(stanza.args[2]) if len(stanza.args[2]) <= 4 else 9999
            if work_factor > self.max_work_factor:
                shown = f"2^{work_factor}" if work_factor < 9999 else "an enormous value"
                raise WorkFactorTooHighError(
                    f"the file's scrypt work factor ({shown}) exceeds the limit of "
                    f"2^{self.max_work_factor}; refusing to spend that much time and memory"
                )
            wrap_key = _scrypt(self._passphrase, salt, work_factor)
            return open_file_key(wrap_key, stanza.body)
        return None


def _parse_key_file(text: str, parse: Callable[[str], _Key], file_kind: str, plural: str) -> list[_Key]:
    """Each key line of ``text`` (``#`` comments and blank lines skipped), parsed; errors name the line."""
    keys = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(parse(line))
        except KeyFormatError as error:
            raise KeyFormatError(f"{file_kind} file, line {number}: {error}") from None
    if not keys:
        raise KeyFormatError(f"no {plural} found in the {file_kind} file")
    return keys


def parse_identities(text: str) -> list[X25519Identity]:
    """Parse an identity file as ``age-keygen`` writes it (``#`` comments, blank lines)."""
    return _parse_key_file(text, X25519Identity.parse, "identity", "identities")


def load_identities(path: str | os.PathLike[str]) -> list[X25519Identity]:
    """Read and parse the identity file at ``path``."""
    return parse_identities(Path(path).read_text(encoding="utf-8"))


def parse_recipients(text: str) -> list[X25519Recipient]:
    """Parse a recipients file: one ``age1...`` key a line, ``#`` comments, blank lines."""
    return _parse_key_file(text, X25519Recipient.parse, "recipients", "recipients")
