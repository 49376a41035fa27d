"""A pure-Python implementation of the age v1 file format (age-encryption.org/v1).

Plain Python over the ``cryptography`` package, with no Django import, so
backups can be encrypted and restored by scripts as well as by the app. It
interoperates with the ``age`` and ``age-keygen`` tools: X25519 recipients
(``age1...``) and identities (``AGE-SECRET-KEY-1...``), scrypt passphrases,
the binary (not armored) format.

Typical use::

    identity = X25519Identity.generate()
    with open("dump.sql", "rb") as src, open("dump.sql.age", "wb") as dst:
        stats = encrypt(src, dst, [identity.recipient])
    with open("dump.sql.age", "rb") as src, open("restored.sql", "wb") as dst:
        decrypt(src, dst, [identity])
"""

from .bech32 import decode as bech32_decode
from .bech32 import encode as bech32_encode
from .decrypt import Decryptor, decrypt
from .encrypt import Encryptor, encrypt
from .errors import (
    AgeError,
    Bech32Error,
    ChunkAuthenticationError,
    HeaderError,
    HeaderMacError,
    KeyFormatError,
    NoIdentityMatchError,
    NotAgeFileError,
    PayloadError,
    RecipientsError,
    TrailingDataError,
    TruncatedError,
    TruncatedOrCorruptedError,
    UnsupportedVersionError,
    WorkFactorTooHighError,
)
from .hashing import DecryptStats, EncryptStats, StreamStats
from .header import Stanza
from .recipients import (
    DEFAULT_WORK_FACTOR,
    MAX_WORK_FACTOR,
    Identity,
    Recipient,
    ScryptIdentity,
    ScryptRecipient,
    X25519Identity,
    X25519Recipient,
    load_identities,
    parse_identities,
    parse_recipients,
)
from .stream import CHUNK_SIZE

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_WORK_FACTOR",
    "MAX_WORK_FACTOR",
    "AgeError",
    "Bech32Error",
    "ChunkAuthenticationError",
    "DecryptStats",
    "Decryptor",
    "EncryptStats",
    "Encryptor",
    "HeaderError",
    "HeaderMacError",
    "Identity",
    "KeyFormatError",
    "NoIdentityMatchError",
    "NotAgeFileError",
    "PayloadError",
    "Recipient",
    "RecipientsError",
    "ScryptIdentity",
    "ScryptRecipient",
    "Stanza",
    "StreamStats",
    "TrailingDataError",
    "TruncatedError",
    "TruncatedOrCorruptedError",
    "UnsupportedVersionError",
    "WorkFactorTooHighError",
    "X25519Identity",
    "X25519Recipient",
    "bech32_decode",
    "bech32_encode",
    "decrypt",
    "encrypt",
    "load_identities",
    "parse_identities",
    "parse_recipients",
]
