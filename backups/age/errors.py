"""Errors raised by the age implementation; every one derives from :class:`AgeError`.

The messages are meant for people: they say what is wrong with the file or the
key, never what a secret key or passphrase is.
"""

from __future__ import annotations


class AgeError(Exception):
    """Base class of every error of this package."""


# Keys, recipients and identity files.


class KeyFormatError(AgeError, ValueError):
    """A recipient, identity or identity file could not be parsed."""


class Bech32Error(KeyFormatError):
    """A string is not valid Bech32 (bad character, mixed case, bad checksum...)."""


class RecipientsError(AgeError, ValueError):
    """The recipients given to the encryptor cannot be used together."""


# The header.


class HeaderError(AgeError):
    """The header is malformed (not what the age v1 grammar allows)."""


class NotAgeFileError(HeaderError):
    """The input does not start like an age file."""


class UnsupportedVersionError(HeaderError):
    """The file is an age file of a version other than v1."""


class HeaderMacError(AgeError):
    """The header MAC does not match: the header was modified or corrupted."""

    def __init__(self) -> None:
        super().__init__("header MAC mismatch: the file header was modified or corrupted")


class NoIdentityMatchError(AgeError):
    """None of the identities given can unwrap the file key."""


class WorkFactorTooHighError(AgeError):
    """An scrypt stanza asks for more work than the identity allows."""


# Truncation (anywhere in the file).


class TruncatedError(AgeError):
    """The file ends before it should: it was cut short."""


# The payload.


class PayloadError(AgeError):
    """The encrypted payload is malformed."""


class ChunkAuthenticationError(PayloadError):
    """A payload chunk failed ChaCha20-Poly1305 authentication."""

    def __init__(self, chunk_index: int, message: str | None = None) -> None:
        self.chunk_index = chunk_index
        super().__init__(
            message or f"chunk {chunk_index} (counting from 0) failed authentication (corrupted or tampered)"
        )


class TruncatedOrCorruptedError(ChunkAuthenticationError, TruncatedError):
    """The last, short chunk failed authentication.

    A file cut in the middle of a chunk and a file whose last chunk was altered
    look the same to the reader, so this error is both a
    :class:`ChunkAuthenticationError` and a :class:`TruncatedError`.
    """

    def __init__(self, chunk_index: int) -> None:
        super().__init__(
            chunk_index,
            f"chunk {chunk_index} (counting from 0), the last in the file, failed authentication: "
            "the file is truncated, or its end is corrupted or has bytes appended",
        )


class TrailingDataError(PayloadError):
    """Bytes follow the final chunk of the payload."""
